"""Part (b) of bench/purchases.py: the Create Purchases connector under gunicorn, against a bare view.

On a database of its own (``jwo_bench_purchases``, created and dropped here) and Redis database 4
of ``REDIS_URL``'s server: a store of 10,000 products (three tax codes, one exempt), 200 active
promotions of every kind (for every store: the connector loads and matches all of them on each
call) and a connector key. Two gunicorns, each ``--workers`` sync workers with production
settings: the connector (``POST /v1/order/purchases``) and bench/gate.py's reference, a bare
Django view that parses the same JSON body and answers 200 (``bench/gate_bare_settings.py``).

1. warm-up, one call at a time on each server (its service time when idle);
2. open loop at a fixed rate (default 100 requests/s for 30 s) from bench/serving.py's asyncio
   generator: call *i* is due at t0 + i/rate, its latency runs from that due time to the last byte.
   Each call a new ``idempotentShoppingTripId`` with 20 lines of known SKUs, ~10% replays of a call
   made 1-10 s earlier (new ``requestId``). Errors: transport errors, timeouts, any status but 201,
   an empty ``purchaseId``, or a replay answered with another purchaseId than its first delivery;
3. closed loop, maximum throughput: Debian's ``wrk`` cycling through other planned bodies (new
   trips), connector against the bare view; errors are statuses other than 201 (200 for the bare).

Bars: (b) p99 ≤ 30 ms (issue 20; the orders issue had 100 ms), no errors. It is the bar of a
quiet machine: on the shared 2-core box, with other loads running, the open loop measures the
machine more than the connector, so read it beside the bare view's figures of the same run. The
figures that have no bar are printed beside them. Then the server's own view: purchases stored,
their status, replays and conflicts counted; and an in-process breakdown of one purchase
(statements, reads, pricing) for diagnosis.

Workers: ``--workers`` defaults to 2 × CPUs sync workers, as deployed. A call is CPU-bound
(Python and PostgreSQL on the same two cores; the database waits are short), so more workers do
not add capacity: 6 workers measured no better than 4 at 100 requests/s on 2 CPUs (p99 worse,
CPU per call the same), and threads or async workers would not cut the CPU a call costs.
"""

# Imports inside functions: Django and the project's modules load after serving.django_setup(), which
# points Django at the bench's own database and Redis first.

import argparse
import json
import os
import platform
import random
import shutil
import subprocess
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import serving  # bench/ is on sys.path: bench/purchases.py is run as a script

DB_NAME = "jwo_bench_purchases"
REDIS_DB = 4
STORE_ID = "BENCH-PURCHASES-001"
PATH = "/v1/order/purchases"
BARE_PATH = "/v1/identity/identity-keys"  # bench/gate_bare_urls.py's only URL: parses the body, answers 200
HOST = serving.HOST
REPLAY_SHARE = 0.10
REPLAY_AFTER = (1.0, 10.0)  # a replay repeats a call made this many seconds earlier

P99_MAX_MS = 30.0  # the bar, part (b), on a quiet machine (issue 20; 100 ms before)

TAX_CODES = {"STD": Decimal("0.0875"), "REDUCED": Decimal("0.02")}
EXEMPT = "FOOD"
CATEGORIES = [f"Category {n:02d}" for n in range(50)]
BRANDS = [f"Brand {n:03d}" for n in range(500)]
KIND_COUNTS = {
    "percent_off": 60,
    "amount_off": 30,
    "fixed_price": 30,
    "multi_buy": 30,
    "buy_x_get_y": 30,
    "spend_and_save": 20,
}

say = serving.say
verdict = serving.verdict


# --- Services and database ---------------------------------------------------------------------------


def available() -> dict[str, str] | str:
    """The environment to run with, or why part (b) cannot run here."""
    try:
        found = serving.services()
    except (subprocess.CalledProcessError, OSError, SystemExit) as error:
        return f"PostgreSQL/Redis could not be started (scripts/services.sh start: {error})"
    env = serving.production_env(found, DB_NAME, REDIS_DB)
    redis_url = env["REDIS_URL"]
    try:
        serving.maintenance(env["DATABASE_URL"], "SELECT 1")
    except Exception as error:  # noqa: BLE001 - any failure to reach it means: skip, saying why
        return f"PostgreSQL is not reachable ({type(error).__name__}: {' '.join(str(error).split())})"
    try:
        import redis

        redis.Redis.from_url(redis_url, socket_connect_timeout=3).ping()
    except Exception as error:  # noqa: BLE001
        return f"Redis is not reachable ({type(error).__name__}: {' '.join(str(error).split())})"
    return env


# --- Seed data and planned calls ----------------------------------------------------------------------


@dataclass
class Seed:
    key: str
    key_header: str
    skus: list[tuple[str, str]]  # (sku, unit)
    seconds: float


def seed(products: int, rng: random.Random) -> Seed:
    """Store, products (bulk), a rate for every tax code, 200 active promotions, a connector key."""
    from django.conf import settings
    from django.db import transaction

    from catalog.models import Product
    from catalog.services.stores import store_create
    from jwo_admin.core.connector_keys import connector_key_create
    from orders.models import Promotion, TaxRate

    started = time.perf_counter()
    now = datetime.now(tz=UTC)
    with transaction.atomic():
        store = store_create(store_id=STORE_ID, name="Bench purchases store", currency="USD", time_zone="UTC")
        TaxRate.objects.bulk_create(
            [TaxRate(store=store, tax_code=code, rate=rate) for code, rate in TAX_CODES.items()]
            + [TaxRate(store=store, tax_code=EXEMPT, rate=Decimal(0), is_exempt=True)]
        )
        rows = [
            Product(
                store=store,
                sku=f"SKU-{n:06d}",
                name=f"Product {n}",
                brand=rng.choice(BRANDS),
                price=Decimal(rng.randint(25, 2500)).scaleb(-2),
                tax_code=rng.choice(["STD", "STD", "REDUCED", EXEMPT]),
                category=rng.choice(CATEGORIES),
                unit="kg" if n % 10 == 0 else "each",
            )
            for n in range(products)
        ]
        Product.objects.bulk_create(rows, batch_size=2000)
        skus = [row.sku for row in rows]
        promotions: list[Promotion] = []
        for kind, count in KIND_COUNTS.items():
            for position in range(count):
                fields: dict[str, Any] = {"priority": rng.randint(0, 5), "is_exclusive": rng.random() < 0.1}
                if rng.random() < 0.5:
                    fields.update(starts_at=now - timedelta(days=30), ends_at=now + timedelta(days=30))
                by = rng.random()
                if kind == "spend_and_save" and position == 0:
                    pass  # the whole basket
                elif by < 0.5:
                    fields["skus"] = rng.sample(skus, rng.randint(10, 200))
                elif by < 0.75:
                    fields["categories"] = [rng.choice(CATEGORIES)]
                else:
                    fields["brands"] = rng.sample(BRANDS, rng.randint(1, 3))
                if kind == "percent_off":
                    fields["percent"] = Decimal(rng.choice([5, 10, 20, 25, 50]))
                elif kind in ("amount_off", "fixed_price"):
                    fields["amount"] = Decimal(rng.randint(10, 300)).scaleb(-2)
                elif kind == "multi_buy":
                    fields.update(buy_quantity=rng.randint(2, 4), amount=Decimal(rng.randint(200, 1500)).scaleb(-2))
                elif kind == "buy_x_get_y":
                    fields.update(buy_quantity=rng.randint(1, 3), get_quantity=rng.randint(1, 2))
                else:
                    fields["minimum_spend"] = Decimal(rng.randint(500, 5000)).scaleb(-2)
                    fields["percent" if rng.random() < 0.5 else "amount"] = Decimal(rng.choice([5, 10]))
                promotions.append(Promotion(name=f"{kind} #{len(promotions) + 1}", kind=kind, **fields))
        Promotion.objects.bulk_create(promotions)
        _, key = connector_key_create(name="bench ordering connector", created_by="bench/purchases.py")
    units = [(row.sku, row.unit) for row in rows]
    return Seed(key, settings.JWO_CONNECTOR_KEY_HEADER, units, time.perf_counter() - started)


@dataclass(frozen=True)
class Call:
    kind: str  # "new" or "replay"
    trip: str
    body: bytes


def _body(trip: str, skus: list[tuple[str, str]], lines: int, rng: random.Random) -> dict[str, Any]:
    ended = datetime.now(tz=UTC)
    items = []
    for number, (sku, unit) in enumerate(rng.sample(skus, lines), 1):
        value = f"{rng.randint(100, 2500) / 1000:.3f}" if unit == "kg" else f"{rng.choice([1, 1, 1, 2, 2, 3])}.0"
        items.append(
            {"id": sku, "type": "SKU", "quantity": {"value": value, "unit": unit}, "lineItemId": f"li-{number}"}
        )
    return {
        "requestId": str(uuid.uuid4()),
        "idempotentShoppingTripId": trip,
        "storeId": STORE_ID,
        "shoppingTrip": {
            "startTime": (ended - timedelta(minutes=12)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "endTime": ended.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "authEvents": [
                {
                    "id": str(uuid.uuid4()),
                    "timestamp": (ended - timedelta(minutes=12)).strftime("%Y-%m-%dT%H:%M:%SZ"),
                    "location": "ENTRY",
                    "payloadType": "SCAN_CODE",
                    "scanResult": {"id": f"cust-{rng.randrange(100000):06d}", "type": "SHOPPER"},
                }
            ],
        },
        "cartItems": items,
        "shopperIdentity": {"id": "shopper-ref"},
        "shopperDeviceId": "device-ref",
        "paymentSource": {"id": "paysrc-ref"},
    }


def plan(count: int, rate: float, seeded: Seed, lines: int, rng: random.Random, replays: float) -> list[Call]:
    calls: list[Call] = []
    firsts: list[tuple[int, dict[str, Any]]] = []
    earliest, latest = (round(seconds * rate) for seconds in REPLAY_AFTER)
    for index in range(count):
        candidates = [first for first in firsts[-(latest + 1) :] if earliest <= index - first[0] <= latest]
        if rng.random() < replays and candidates:
            _, original = rng.choice(candidates)
            body = {**original, "requestId": str(uuid.uuid4())}
            calls.append(Call("replay", body["idempotentShoppingTripId"], json.dumps(body).encode()))
            continue
        body = _body(str(uuid.uuid4()), seeded.skus, lines, rng)
        calls.append(Call("new", body["idempotentShoppingTripId"], json.dumps(body).encode()))
        firsts.append((index, body))
    return calls


# --- Open loop ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Result:
    call: Call
    status: int  # 0: transport error or timeout
    latency: float  # seconds, from the due time to the last byte
    lag: float  # seconds, from the due time to the request written
    purchase_id: str
    error: str = ""


def _judge(call: Call, exchange: serving.Exchange, bare: bool) -> Result:
    status, latency, lag = exchange.status, exchange.latency, exchange.lag
    if exchange.error:
        return Result(call, 0, latency, lag, "", exchange.error)
    expected = 200 if bare else 201
    if status != expected:
        return Result(call, status, latency, lag, "", f"status {status}")
    if bare:
        return Result(call, status, latency, lag, "")
    try:
        purchase_id = str(json.loads(exchange.payload)["purchaseId"])
    except (ValueError, KeyError, TypeError):
        purchase_id = ""
    return Result(call, status, latency, lag, purchase_id, "" if purchase_id else "empty purchaseId")


def load(server: serving.Server, calls: list[Call], seeded: Seed, rate: float | None, *, bare: bool) -> list[Result]:
    """Open loop at ``rate``; one call at a time when ``rate`` is None (bench/serving.py's generator)."""
    path = BARE_PATH if bare else PATH
    bodies = [call.body for call in calls]
    done = serving.send(server, bodies, path=path, key_header=seeded.key_header, key=seeded.key, rate=rate)
    return [_judge(call, exchange, bare) for call, exchange in zip(calls, done, strict=True)]


def check_replays(results: list[Result]) -> list[Result]:
    """Mark replays answered with another purchaseId than their trip's first delivery."""
    first = {
        result.call.trip: result.purchase_id for result in results if result.call.kind == "new" and not result.error
    }
    checked = []
    for result in results:
        if (
            result.call.kind == "replay"
            and not result.error
            and first.get(result.call.trip) not in (None, result.purchase_id)
        ):
            result = Result(
                result.call, result.status, result.latency, result.lag, result.purchase_id, "replay: other purchaseId"
            )
        checked.append(result)
    return checked


@dataclass(frozen=True)
class Latency(serving.Timing):
    errors: Counter[str]


def summarize(results: list[Result]) -> Latency:
    return Latency(
        **asdict(serving.timing(results)), errors=Counter(result.error for result in results if result.error)
    )


# --- Closed loop: wrk -----------------------------------------------------------------------------------


def run_wrk(server: serving.Server, run: serving.WrkRun, *, bare: bool) -> serving.Throughput:
    throughput = serving.wrk_throughput(server, BARE_PATH if bare else PATH, run)
    expected = "200" if bare else "201"
    unexpected = sum(count for status, count in throughput.statuses.items() if status != expected)
    return replace(throughput, errors=throughput.transport + unexpected)


# --- Server side and diagnosis ---------------------------------------------------------------------------


def server_side(trips: set[str]) -> dict[str, Any]:
    from django.db import connections
    from django.db.models import Count, Sum

    from orders.models import Purchase, PurchaseLine, PurchaseLineDiscount

    connections.close_all()
    purchases = Purchase.objects.filter(trip_id__in=trips)
    totals = purchases.aggregate(replays=Sum("replays"), conflicts=Sum("conflicts"))
    return {
        "purchases": purchases.count(),
        "statuses": dict(purchases.values_list("status").annotate(n=Count("id")).values_list("status", "n")),
        "replays": totals["replays"] or 0,
        "conflicts": totals["conflicts"] or 0,
        "lines": PurchaseLine.objects.filter(purchase__trip_id__in=trips).count(),
        "discounts": PurchaseLineDiscount.objects.filter(line__purchase__trip_id__in=trips).count(),
        "problems": list(purchases.exclude(problem="").values_list("problem", flat=True)[:2]),
    }


def breakdown(calls: list[Call]) -> dict[str, float]:
    """In this process, one at a time: statements and time of a new purchase, and what its read and
    its pricing take of it (each measured again on its own, after the purchase)."""
    from django.db import connection, connections
    from django.test.utils import CaptureQueriesContext

    from catalog.models import Store
    from orders.pricing import types
    from orders.pricing.engine import cart_price
    from orders.purchase_request import purchase_request_parse
    from orders.selectors.pricing import (
        purchase_context,
        store_pricing_cached,
        store_promotion_index_cached,
        store_promotions,
    )
    from orders.services.purchases import purchase_create

    connections.close_all()
    store = Store.objects.get(store_id=STORE_ID)
    whole, gather, promos, engine, queries = [], [], [], [], []
    for call in calls:
        raw = json.loads(call.body)
        parsed = purchase_request_parse(raw)
        started = time.perf_counter()
        with CaptureQueriesContext(connection) as captured:
            purchase_create(request=parsed, raw=raw)
        whole.append(time.perf_counter() - started)
        queries.append(len(captured.captured_queries))
        started = time.perf_counter()
        context = purchase_context(
            store_id=parsed.store_id,
            trip_id=parsed.trip_id,
            shopper_ref=parsed.auth_events[0].scan_result_id,
            auth_event_ids=[event.id for event in parsed.auth_events],
            items=parsed.items,
        )
        assert context is not None  # noqa: S101 - the bench's own store
        products = context.products
        pricing = store_pricing_cached(terms=context.store, tax_version=context.tax_version)
        index = store_promotion_index_cached(store_pk=context.store.pk, version=context.promotion_version)
        lines = [
            types.CartLine(str(n), product.priced, item.quantity)
            for n, (item, product) in enumerate(zip(parsed.items, products, strict=True))
            if product is not None
        ]
        middle = time.perf_counter()
        cart_price(lines=lines, store=pricing, promotions=index, at=parsed.end_time)
        gather.append(middle - started)
        engine.append(time.perf_counter() - middle)
        loaded = time.perf_counter()
        store_promotions(store=store)
        promos.append(time.perf_counter() - loaded)
    return {
        "count": len(calls),
        "whole_ms": 1000 * sorted(whole)[len(whole) // 2],
        "gather_ms": 1000 * sorted(gather)[len(gather) // 2],
        "promotions_ms": 1000 * sorted(promos)[len(promos) // 2],
        "engine_ms": 1000 * sorted(engine)[len(engine) // 2],
        "queries": sorted(queries)[len(queries) // 2],
    }


# --- The run --------------------------------------------------------------------------------------------


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("part (b), the connector under gunicorn")
    group.add_argument("--skip-connector", action="store_true", help="run part (a) only")
    group.add_argument("--rate", type=float, default=100.0, help="open-loop requests per second (default 100)")
    group.add_argument("--seconds", type=float, default=30.0, help="open loop on each server (default 30)")
    group.add_argument("--throughput-seconds", type=int, default=10, help="each wrk run (default 10)")
    group.add_argument("--wrk-threads", type=int, default=2)
    group.add_argument("--wrk-connections", type=int, default=16)
    group.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1), help="gunicorn workers (2 × CPUs)")
    group.add_argument("--products", type=int, default=10_000)
    group.add_argument("--lines", type=int, default=20, help="lines per cart (default 20)")
    group.add_argument("--warm-up", type=int, default=40, help="calls one at a time to each server first")


def run(args: argparse.Namespace) -> int:
    """Part (b). 0 when measured or skipped (services unavailable); bars that fail still give 0."""
    if shutil.which("wrk") is None:
        say(
            "(b) connector under gunicorn       SKIPPED: wrk is missing (`make bench` installs it: apt-get install wrk)"
        )
        return 0
    env = available()
    if isinstance(env, str):
        say(f"(b) connector under gunicorn       SKIPPED: {env}; `make bench` starts them")
        return 0
    serving.django_setup(env)
    from django.db import connections  # here: Django is set up above, with the bench's environment

    rng = random.Random(args.seed)
    with serving.bench_database(env) as migrated, tempfile.TemporaryDirectory(prefix="jwo-bench-purchases-") as temp:
        workdir = Path(temp)
        say(f"· (b) {DB_NAME} migrated with production settings in {migrated:.1f} s")
        seeded = seed(args.products, rng)
        count = round(args.rate * args.seconds)
        warm = plan(args.warm_up, args.rate, seeded, args.lines, rng, 0.0)
        calls = plan(count, args.rate, seeded, args.lines, rng, REPLAY_SHARE)
        wrk_calls = plan(3000, args.rate, seeded, args.lines, rng, 0.0)
        diagnose = plan(20, args.rate, seeded, args.lines, rng, 0.0)
        connections.close_all()
        say(
            f"· (b) {args.products:,} products, {sum(KIND_COUNTS.values())} promotions, tax rates, connector key "
            f"seeded in {seeded.seconds:.1f} s; {len(warm) + len(calls) + len(wrk_calls):,} bodies planned"
        )
        run = serving.wrk_run(
            workdir,
            [(201, call.body) for call in wrk_calls],
            threads=args.wrk_threads,
            connections=args.wrk_connections,
            seconds=args.throughput_seconds,
            key_header=seeded.key_header,
            key=seeded.key,
        )

        with serving.connector_and_bare(env, workdir, args.workers) as (connector, bare):
            idle = {
                "connector": load(connector, warm, seeded, None, bare=False),
                "bare": load(bare, warm, seeded, None, bare=True),
            }
            ours = check_replays(load(connector, calls, seeded, args.rate, bare=False))
            backlog = serving.drain(connector, env, 10.0)
            reference = load(bare, calls, seeded, args.rate, bare=True)
            serving.drain(bare, env, 10.0)
            bare_throughput = run_wrk(bare, run, bare=True)
            serving.drain(bare, env, 10.0)
            connector_throughput = run_wrk(connector, run, bare=False)
            logged = serving.log_errors(connector)
        recorded = server_side({call.trip for call in calls})
        diagnosis = breakdown(diagnose)
        report(args, calls, ours, reference, idle, connector_throughput, bare_throughput, recorded, diagnosis)
        say(f"    connector's log: {len(logged)} error lines" + "".join(f"\n      {line[:200]}" for line in logged[:3]))
        if backlog > 1 or connector.restarts:
            say(f"    after the open loop the connector took {backlog:.1f} s to work off its queue")
    return 0


def report(
    args: argparse.Namespace,
    calls: list[Call],
    results: list[Result],
    reference_results: list[Result],
    idle: dict[str, list[Result]],
    throughput: serving.Throughput,
    bare_throughput: serving.Throughput,
    recorded: dict[str, Any],
    diagnosis: dict[str, float],
) -> None:
    ours, reference = summarize(results), summarize(reference_results)
    kinds = Counter(call.kind for call in calls)
    errors = sum(ours.errors.values())
    ratio = serving.ratio
    say("")
    say(
        f"(b) connector — POST {PATH}, gunicorn {args.workers} sync workers per server, production settings, "
        f"PostgreSQL, Redis; Python {platform.python_version()}, {os.cpu_count()} CPUs; reference: a bare Django "
        f"JSON view on a second gunicorn"
    )
    say(
        f"    open loop {args.rate:.0f} requests/s for {args.seconds:.0f} s: {ours.count:,} calls of "
        f"{args.lines} lines ({kinds['new']:,} new trips, {kinds['replay']:,} replays); "
        "the bare view got the same bodies"
    )
    for line in serving.latency_lines(ours, reference, indent="    ", p99_bar_ms=P99_MAX_MS):
        say(line)
    detail = ", ".join(f"{count} {error}" for error, count in ours.errors.most_common(4)) or "none"
    say(
        f"    errors           {errors:8d}      bare view {sum(reference.errors.values()):6d}      bar 0   "
        f"{verdict(errors == 0)}   ({detail})"
    )
    say(
        f"    generator lag    p99 {ours.lag_p99_ms:.1f} ms (connector run), {reference.lag_p99_ms:.1f} ms (bare run): "
        "due time to request written"
    )
    share = throughput.rate / bare_throughput.rate if bare_throughput.rate else 0.0
    statuses = ", ".join(f"{status} ×{count:,}" for status, count in sorted(throughput.statuses.items()))
    say(
        f"    closed loop, wrk -t{args.wrk_threads} -c{args.wrk_connections} -d{args.throughput_seconds}s, new trips: "
        f"throughput {throughput.rate:.0f} req/s   bare view {bare_throughput.rate:.0f} req/s   ratio {share:.2f}   "
        f"(no bar; {throughput.errors} errors: {statuses}; "
        f"p50 {throughput.p50_ms:.0f} ms, p99 {throughput.p99_ms:.0f} ms)"
    )
    idle_ours = summarize(idle["connector"][len(idle["connector"]) // 4 :])
    idle_bare = summarize(idle["bare"][len(idle["bare"]) // 4 :])
    say(
        f"    one call at a time (warm-up, last {idle_ours.count}): p50 {idle_ours.p50_ms:.1f} ms, p99 "
        f"{idle_ours.p99_ms:.1f} ms   bare view p50 {idle_bare.p50_ms:.1f} ms   "
        f"ratio {ratio(idle_ours.p50_ms, idle_bare.p50_ms)}"
    )
    statuses = ", ".join(f"{status} {count:,}" for status, count in sorted(recorded["statuses"].items()))
    say(
        f"    server side: {recorded['purchases']:,} purchases stored for {kinds['new']:,} new trips sent "
        f"({statuses}), "
        f"{recorded['replays']:,} replays counted (sent {kinds['replay']:,}), {recorded['conflicts']} conflicts; "
        f"{recorded['lines']:,} lines, {recorded['discounts']:,} line discounts"
        + "".join(f"\n      problem: {problem[:160]}" for problem in recorded["problems"])
    )
    say(
        f"    in-process, one new purchase at a time ({diagnosis['count']:.0f}, median): "
        f"{diagnosis['whole_ms']:.1f} ms, "
        f"{diagnosis['queries']:.0f} queries; of which the read (store, trip, shopper, hold, versions and "
        f"the cart's products) with the cached tax rates and promotion index "
        f"{diagnosis['gather_ms']:.1f} ms (loading the {sum(KIND_COUNTS.values())} promotions afresh would take "
        f"{diagnosis['promotions_ms']:.1f} ms), the engine {diagnosis['engine_ms']:.1f} ms, "
        f"the rest (the insert of the purchase, its lines and discounts in one statement; the settlement's "
        f"hand-off to Celery) {diagnosis['whole_ms'] - diagnosis['gather_ms'] - diagnosis['engine_ms']:.1f} ms"
    )
