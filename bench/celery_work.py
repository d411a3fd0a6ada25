"""Celery work per admission and per purchase: what the payments worker costs the machine.

Issue 20: on a 2-core box the gate's 100 admissions/s and 30 purchases/s each hand money work to
the payments worker (a hold per admission, a settlement and a receipt per purchase), and the worker
competing with gunicorn for the CPU is what broke the mix. This bench measures that work through
a real Celery worker (production settings, the payments queue, prefork, ``--concurrency``) on a
Redis database and a PostgreSQL database of its own, with the sandbox gateway:

* reference — ``--noop`` no-op tasks (Celery's built-in ``celery.accumulate``) through the same
  worker and queue: the broker's and Celery's own floor per task;
* holds — ``--admissions`` admitted shoppers, each announced as the Identity Connector does
  (``hold_request``, which hands them over in batches of ``--batch``), drained until every hold
  is authorised;
* purchases — ``--purchases`` priced trips of those shoppers (within their hold), each announced
  as Create Purchases does (``purchase_created``), drained until each is captured and its receipt
  sent.

For each phase: tasks published, wall time to drain, and the CPU seconds it cost — the worker's
processes and the PostgreSQL backends serving it (from /proc) — per admission or purchase, i.e.
admissions or purchases per second per core. The cost of one admission or purchase is also printed
as a multiple of a no-op task's (the ratio to the reference measured in the same run). Last, the
CPU the mix needs (100 admissions/s + 30 purchases/s) and whether one core covers it.

A measurement, not a test: it exits 0 whatever the figures; 1 when a phase does not finish.

    .venv/bin/python bench/celery_work.py [--admissions 1000] [--purchases 300] [--noop 1000]
"""

# Imports inside functions: Django and the app's modules load once django_setup() has been given
# the bench's environment (its own database and Redis).

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import serving  # noqa: E402  (bench/ is on sys.path)
from serving import say  # noqa: E402

DB_NAME = "jwo_bench_celery"
REDIS_DB = 8  # the bench's own broker database: its tasks never meet a test's or another bench's
QUEUE = "payments"
MIX_ADMISSIONS = 100  # per second (issue 20: the 100 gate + 30 purchase mix)
MIX_PURCHASES = 30
HOLD = Decimal("50.00")
DRAIN_TIMEOUT = 600.0


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--admissions", type=int, default=1000, help="admissions whose holds the worker places")
    parser.add_argument("--purchases", type=int, default=300, help="purchases it settles (≤ admissions)")
    parser.add_argument("--noop", type=int, default=1000, help="no-op tasks of the reference")
    parser.add_argument("--concurrency", type=int, default=2, help="worker processes (the machine's 2 cores)")
    parser.add_argument(
        "--batch",
        type=int,
        default=5,
        help="admissions per hold task (JWO_HOLD_BATCH_SIZE; 5: 100 admissions/s, 4 gunicorn workers, a 0.2 s window)",
    )
    args = parser.parse_args(argv)
    if min(args.admissions, args.purchases, args.noop, args.concurrency) < 1 or args.purchases > args.admissions:
        parser.error("counts must be positive and --purchases at most --admissions")
    return args


# --- Seeding --------------------------------------------------------------------------------------


@dataclass
class Seeded:
    store_pk: int
    shoppers: list[Any]


def seed(count: int) -> Seeded:
    """A USD store holding 50.00 at the gate, ``count`` shoppers with a card and an email address."""
    from catalog.models import Product, Store
    from entry.models import PaymentMethod, Shopper, VisitorType
    from orders.models import StorePayment, TaxRate

    store = Store.objects.create(store_id="BENCH_CELERY", name="Bench Celery", currency="USD")
    StorePayment.objects.create(store=store, preauthorisation_amount=HOLD)
    TaxRate.objects.create(store=store, tax_code="GENERAL", rate=Decimal("0.10"), is_default=True)
    Product.objects.create(store=store, sku="COLA", name="Cola", price=Decimal("2.00"), tax_code="GENERAL")
    shoppers = Shopper.objects.bulk_create(
        Shopper(
            external_id=f"celery-{n:06d}",
            name=f"Shopper {n}",
            email=f"celery-{n}@example.com",
            visitor_type=VisitorType.SHOPPER,
        )
        for n in range(count)
    )
    PaymentMethod.objects.bulk_create(
        PaymentMethod(
            shopper=shopper,
            provider_reference=f"pm_bench_{n:06d}_4242",
            expiry_month=12,
            expiry_year=2099,
            brand="Visa",
            last4="4242",
            is_default=True,
        )
        for n, shopper in enumerate(shoppers)
    )
    return Seeded(store.pk, shoppers)


def admissions_record(seeded: Seeded) -> list[str]:
    """One admission per shopper, as the Identity Connector records it; their authEvent ids."""
    from entry.models import GateDecisionKind, GateEvent, GateReason, VisitorType

    events = [
        GateEvent(
            auth_event_id=str(uuid.uuid4()),
            store_id=seeded.store_pk,
            store_ref="BENCH_CELERY",
            decision=GateDecisionKind.ADMITTED,
            reason=GateReason.ADMITTED,
            status_code=200,
            response_body={"visitorDetails": {"id": shopper.external_id, "type": "SHOPPER"}},
            shopper=shopper,
            visitor_type=VisitorType.SHOPPER,
            latency_ms=1.0,
        )
        for shopper in seeded.shoppers
    ]
    GateEvent.objects.bulk_create(events, batch_size=1000)
    return [str(event.auth_event_id) for event in events]


def purchases_record(seeded: Seeded, event_ids: list[str], count: int) -> list[int]:
    """``count`` priced trips (2.20, within the hold) of the first shoppers, as Create Purchases
    stores them before it announces them (a valid request body: the settlement finds the trip's
    hold from its authEvents and captures it); their primary keys."""
    from django.utils import timezone

    from orders.models import PaymentStatus, Purchase, PurchaseLine, PurchaseStatus

    end = timezone.now()
    start = end - timedelta(minutes=5)
    stamp = "%Y-%m-%dT%H:%M:%SZ"
    purchases = []
    for n, (shopper, event_id) in enumerate(zip(seeded.shoppers[:count], event_ids[:count], strict=True)):
        trip_id = str(uuid.uuid4())
        body = {
            "requestId": str(uuid.uuid4()),
            "idempotentShoppingTripId": trip_id,
            "storeId": "BENCH_CELERY",
            "shoppingTrip": {
                "startTime": start.strftime(stamp),
                "endTime": end.strftime(stamp),
                "authEvents": [
                    {
                        "id": event_id,
                        "timestamp": start.strftime(stamp),
                        "location": "ENTRY",
                        "payloadType": "SCAN_CODE",
                        "scanResult": {"id": shopper.external_id, "type": "SHOPPER"},
                    }
                ],
            },
            "cartItems": [{"id": "COLA", "type": "SKU", "quantity": {"value": "1", "unit": "unit"}, "lineItemId": "l"}],
        }
        purchases.append(
            Purchase(
                trip_id=trip_id,
                purchase_id=f"P-{n:06d}",
                store_id=seeded.store_pk,
                status=PurchaseStatus.PRICED,
                shopper=shopper,
                visitor_ref=shopper.external_id,
                started_at=start,
                ended_at=end,
                currency="USD",
                subtotal=Decimal("2.00"),
                tax_total=Decimal("0.20"),
                total=Decimal("2.20"),
                request_body=body,
                request_fingerprint=f"{n:064d}",
                response_body={"purchaseId": f"P-{n:06d}"},
                payment_status=PaymentStatus.PENDING,
                receipt_token=uuid.uuid4().hex,
            )
        )
    Purchase.objects.bulk_create(purchases, batch_size=1000)
    PurchaseLine.objects.bulk_create(
        (
            PurchaseLine(
                purchase=purchase,
                position=0,
                line_item_id="l",
                item_id="COLA",
                item_type="SKU",
                sku="COLA",
                name="Cola",
                quantity=Decimal("1"),
                unit="unit",
                unit_price=Decimal("2.00"),
                gross=Decimal("2.00"),
                net=Decimal("2.00"),
                tax_code="GENERAL",
                tax_rate=Decimal("0.10"),
                tax=Decimal("0.20"),
            )
            for purchase in purchases
        ),
        batch_size=1000,
    )
    return [purchase.pk for purchase in purchases]


# --- The worker -----------------------------------------------------------------------------------


class Worker:
    """``celery worker -Q payments`` with production settings, in a process group of its own."""

    def __init__(self, env: dict[str, str], workdir: Path, concurrency: int) -> None:
        self.ready = workdir / "worker-ready"
        self.ready.unlink(missing_ok=True)
        metrics = tempfile.mkdtemp(prefix="metrics-", dir=workdir)
        self.log = workdir / "worker.log"
        command = [
            sys.executable, "-m", "celery", "-A", "jwo_admin", "worker", "-Q", f"{QUEUE},celery",
            "--pool", "prefork", "--concurrency", str(concurrency), "--loglevel", "WARNING",
            "--without-heartbeat", "--without-gossip", "--without-mingle",
        ]  # fmt: skip
        with self.log.open("ab") as handle:
            self.process = subprocess.Popen(
                command,
                cwd=ROOT,
                env={
                    **os.environ,
                    **env,
                    "JWO_WORKER_READY_FILE": str(self.ready),
                    "PROMETHEUS_MULTIPROC_DIR": metrics,
                },
                stdout=handle,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def wait_ready(self) -> None:
        deadline = time.monotonic() + 60
        while not self.ready.exists():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"bench: the worker did not start:\n{self.log.read_text()[-3000:]}")
            time.sleep(0.05)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)  # warm shutdown: its queue is drained by now
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)  # the group of the worker we started
                self.process.wait(timeout=5)


# --- Phases ---------------------------------------------------------------------------------------


@dataclass
class Phase:
    name: str
    units: int  # admissions, purchases or no-op tasks
    published: int  # tasks published by the announcing side
    seconds: float
    worker_cpu: float
    database_cpu: float

    @property
    def cpu(self) -> float:
        return self.worker_cpu + self.database_cpu

    @property
    def cpu_per_unit(self) -> float:
        return self.cpu / self.units

    @property
    def per_core(self) -> float:
        return self.units / self.cpu if self.cpu > 0 else float("inf")


class Published:
    """Counts the tasks this process publishes, by name (Celery's before_task_publish)."""

    def __init__(self) -> None:
        from celery.signals import before_task_publish

        self.count: dict[str, int] = {}
        before_task_publish.connect(self._seen, weak=False)

    def _seen(self, sender: str | None = None, **_: Any) -> None:
        self.count[sender or "?"] = self.count.get(sender or "?", 0) + 1

    def take(self) -> int:
        total = sum(self.count.values())
        self.count.clear()
        return total


class Sampler(serving.CpuSampler):
    """A process not ours yet is looked at again next time: a PostgreSQL backend is first seen as
    its postmaster's fork, before it names its database in its title."""

    def _part(self, pid: int, fields: list[str]) -> str | None:
        part = super()._part(pid, fields)
        if part is None:
            self._kinds.pop((pid, fields[19]), None)
        return part


def run_phase(
    name: str,
    units: int,
    published: int,
    env: dict[str, str],
    workdir: Path,
    concurrency: int,
    done: Any,
    bench_backend: int,
) -> Phase:
    """The queue is filled; start a worker, time it until ``done()``, stop it. CPU from /proc."""
    worker_group: list[int] = []

    def classify(pid: int, group: int, cmdline: str) -> str | None:
        if worker_group and group == worker_group[0]:
            return "worker"
        if f" {DB_NAME} " in f" {cmdline} " and pid != bench_backend:
            return "postgresql"
        return None

    with Sampler(classify, interval=0.25) as sampler:
        worker = Worker(env, workdir, concurrency)
        worker_group.append(worker.process.pid)  # before the sampler first sees it
        try:
            worker.wait_ready()
            started = time.time()
            deadline = time.monotonic() + DRAIN_TIMEOUT
            while not done():
                if time.monotonic() > deadline or worker.process.poll() is not None:
                    raise SystemExit(f"bench: phase {name} did not finish:\n{worker.log.read_text()[-3000:]}")
                time.sleep(0.05)
            finished = time.time()
        finally:
            sampler.sample()
            time.sleep(0.3)  # let the sampler see the worker's children once more
            worker.stop()
        parts, _, _ = sampler.between(started, finished)
    if os.environ.get("BENCH_DEBUG"):
        say(f"{name}: {parts}")
    return Phase(name, units, published, finished - started, parts.get("worker", 0.0), parts.get("postgresql", 0.0))


def queue_empty(redis: Any) -> bool:
    return not redis.llen(QUEUE) and not redis.llen("celery") and not redis.hlen("unacked")


def report(phases: list[Phase], reference: Phase) -> None:
    say(f"{'phase':<22}{'units':>7}{'tasks':>8}{'wall s':>9}{'units/s':>9}{'CPU s':>8}{'worker':>8}{'pg':>7}")
    for phase in phases:
        say(
            f"{phase.name:<22}{phase.units:>7,}{phase.published:>8,}{phase.seconds:>9.2f}"
            f"{phase.units / phase.seconds:>9.1f}{phase.cpu:>8.2f}{phase.worker_cpu:>8.2f}{phase.database_cpu:>7.2f}"
        )
    say("")
    say(
        f"reference: a no-op task costs {reference.cpu_per_unit * 1000:.2f} ms CPU "
        f"→ {reference.per_core:,.0f} tasks/s per core"
    )
    for phase in phases:
        if phase is reference:
            continue
        say(
            f"{phase.name}: {phase.cpu_per_unit * 1000:.2f} ms CPU each → {phase.per_core:,.0f}/s per core "
            f"(= {serving.ratio(phase.cpu_per_unit, reference.cpu_per_unit)} no-op tasks; "
            f"{phase.published / phase.units:.2f} tasks published each)"
        )


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    env = serving.production_env(serving.services(), DB_NAME, REDIS_DB)
    env["JWO_HOLD_BATCH_SIZE"] = str(args.batch)
    serving.django_setup(env)
    import redis as redis_client
    from celery import current_app
    from django.db import connection

    from orders.models import AuthorisationStatus, PaymentAuthorisation, PaymentStatus, Purchase, ReceiptStatus
    from orders.services.payments import dispatch, holds

    say(f"machine: {os.cpu_count()} cores, load average {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    say(f"holds handed over in batches of up to {args.batch} admissions (JWO_HOLD_BATCH_SIZE)")
    broker = redis_client.Redis.from_url(env["REDIS_URL"])
    with serving.bench_database(env) as migrated, tempfile.TemporaryDirectory(prefix="jwo-bench-celery-") as temp:
        workdir = Path(temp)
        broker.flushdb()
        seeded = seed(args.admissions)
        event_ids = admissions_record(seeded)
        purchase_pks = purchases_record(seeded, event_ids, args.purchases)
        say(
            f"setup: {DB_NAME} migrated in {migrated:.1f} s; {args.admissions:,} shoppers admitted, "
            f"{args.purchases:,} priced purchases stored"
        )
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            bench_backend = int(cursor.fetchone()[0])
        published = Published()

        def measure(name: str, units: int, done: Any) -> Phase:
            return run_phase(name, units, published.take(), env, workdir, args.concurrency, done, bench_backend)

        # Reference: no-op tasks through the same worker and queue.
        accumulate = current_app.tasks["celery.accumulate"]
        for n in range(args.noop):
            accumulate.apply_async((n,), queue=QUEUE)
        reference = measure("no-op task (reference)", args.noop, lambda: queue_empty(broker))

        # Holds: one announcement per admission, as the Identity Connector makes it (autocommit:
        # the hand-off runs at once, as after the connector's commit).
        for event_id in event_ids:
            holds.hold_request(auth_event_id=event_id)
        flush = getattr(holds, "holds_request_flush", None)
        if flush is not None:
            flush()
        placed = PaymentAuthorisation.objects.filter(status=AuthorisationStatus.AUTHORISED)
        hold_phase = measure("hold per admission", args.admissions, lambda: placed.count() >= args.admissions)

        # Purchases: settled through the holds just placed; their receipts sent.
        for pk in purchase_pks:
            dispatch.purchase_created(pk)
        settled = Purchase.objects.filter(payment_status=PaymentStatus.CAPTURED, receipt_status=ReceiptStatus.SENT)
        purchase_phase = measure(
            "settlement per purchase", args.purchases, lambda: settled.count() >= args.purchases and queue_empty(broker)
        )
        through_hold = Purchase.objects.filter(authorisation__status=AuthorisationStatus.CAPTURED).count()
        broker.flushdb()

    phases = [reference, hold_phase, purchase_phase]
    say("")
    report(phases, reference)
    say(f"captured through the gate's hold: {through_hold:,} of {args.purchases:,} purchases")
    need = MIX_ADMISSIONS * hold_phase.cpu_per_unit + MIX_PURCHASES * purchase_phase.cpu_per_unit
    say("")
    say(
        f"the mix ({MIX_ADMISSIONS} admissions/s + {MIX_PURCHASES} purchases/s) needs {need:.2f} cores of payments "
        f"work (worker + its PostgreSQL); bar ≤ 1.00 (one of the 2 cores, the other for gunicorn): "
        f"{serving.verdict(need <= 1.0)}"
    )
    say(f"load average after: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
