"""Reconciliation benchmark: one store day of 100,000 trips reconciled from our own records.

What is measured: ``orders.services.reconciliation.reconciliation_run`` on a store day of
``--trips`` admissions (each with its hold), priced purchases paid through their hold and one
approved capture each, plus a few deliberate discrepancies (missing carts, uncaptured purchases,
captures twice) whose count the run must find exactly. The reference, in the same run on the
same database: a plain PostgreSQL ``COPY (SELECT …) TO STDOUT`` of the same rows (the day's
admissions joined with their holds, purchases and payment operations) — what merely reading and
sending those rows costs. Printed: each figure, and ours as a ratio of the reference.

Two runs are timed: the first (it fills the queue) and a re-run (it finds the same rows and adds
none). Bar (issue 19): a store day of 100,000 trips reconciled in ≤ 10 s. It is a measurement,
not a test: a bar that fails still exits 0; a wrong count of discrepancies exits 1.

Needs PostgreSQL (``make bench`` starts it). Works in its own database (``jwo_bench_reconcile``),
created, migrated and dropped by the run.

    .venv/bin/python bench/reconcile.py [--trips 100000] [--rounds 3]
"""

import argparse
import os
import statistics
import sys
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jwo_admin.settings.test")

import django  # noqa: E402

django.setup()

import psycopg  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connections, models  # noqa: E402
from psycopg import sql  # noqa: E402

from catalog.models import Store  # noqa: E402
from catalog.selectors.stores import store_day_bounds  # noqa: E402
from entry.models import GateEvent, Shopper  # noqa: E402
from jwo_admin.core import db  # noqa: E402
from orders.models import (  # noqa: E402
    PaymentAuthorisation,
    PaymentOperation,
    Purchase,
    ReconciliationItem,
)
from orders.services.reconciliation import reconciliation_run  # noqa: E402

BENCH_DB = "jwo_bench_reconcile"
BAR_SECONDS = 10.0
DAY = date(2025, 6, 3)
SHOPPERS = 1_000
STAMP = datetime(2025, 6, 3, 12, tzinfo=UTC)  # for the created/updated columns the rows leave out
MISSING, UNCAPTURED, TWICE = 25, 25, 10  # deliberate discrepancies among the trips


def say(text: str) -> None:
    print(text, flush=True)


def maintenance(statement: sql.Composed) -> None:
    """CREATE/DROP DATABASE on the server's ``postgres`` database (they need autocommit)."""
    base = settings.DATABASES["default"]
    params: dict[str, Any] = {"host": base.get("HOST") or None, "port": base.get("PORT") or None}
    params.update({key: base[name] for key, name in (("user", "USER"), ("password", "PASSWORD")) if base.get(name)})
    with psycopg.connect(dbname="postgres", autocommit=True, **params) as admin:
        admin.execute(statement)


def drop_database() -> None:
    connections.close_all()
    maintenance(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(BENCH_DB)))


def insert(model: type[models.Model], rows: list[dict[str, Any]]) -> None:
    """Rows by COPY, every column the dicts leave out taking its field's default."""
    fields = [field for field in model._meta.concrete_fields if field.attname != "id" or "id" in rows[0]]
    columns = [field.attname for field in fields]
    stamped = [
        field.attname for field in fields if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)
    ]
    defaults = {field.attname: field.get_default() for field in fields} | dict.fromkeys(stamped, STAMP)
    db.bulk_insert(model, columns, ([{**defaults, **row}[column] for column in columns] for row in rows))


def seed(trips: int) -> Store:
    """``trips`` admissions of DAY (New York), each with a hold; all but MISSING with a priced purchase."""
    store = Store.objects.create(store_id="BENCH-RECONCILE", name="Bench reconcile", time_zone="America/New_York")
    start, _ = store_day_bounds(store=store, day=DAY)
    opening = start + timedelta(hours=7)
    step = timedelta(hours=15) / trips
    insert(
        Shopper,
        [
            {"id": n, "external_id": f"bench-{n}", "name": f"Shopper {n}", "email": f"s{n}@example.com"}
            for n in range(1, SHOPPERS + 1)
        ],
    )
    at = [opening + step * n for n in range(trips)]
    insert(
        GateEvent,
        [
            {
                "id": n + 1,
                "created_at": at[n],
                "auth_event_id": f"ev-{n}",
                "store_id": store.pk,
                "decision": "admitted",
                "reason": "admitted",
                "status_code": 200,
                "response_body": {},
                "shopper_id": n % SHOPPERS + 1,
                "visitor_type": "SHOPPER",
                "latency_ms": 1.0,
            }
            for n in range(trips)
        ],
    )
    insert(
        PaymentAuthorisation,
        [
            {
                "id": n + 1,
                "created_at": at[n],
                "updated_at": at[n],
                "auth_event_id": f"ev-{n}",
                "store_id": store.pk,
                "shopper_id": n % SHOPPERS + 1,
                "amount": Decimal(50),
                "currency": "USD",
                "status": "captured",
            }
            for n in range(trips)
        ],
    )
    paid = range(MISSING, trips)  # the first MISSING admissions never get a purchase
    insert(
        Purchase,
        [
            {
                "id": n + 1,
                "created_at": at[n] + timedelta(minutes=5),
                "trip_id": f"trip-{n}",
                "purchase_id": f"PO-{n:08d}",
                "store_id": store.pk,
                "status": "priced",
                "shopper_id": n % SHOPPERS + 1,
                "started_at": at[n],
                "ended_at": at[n] + timedelta(minutes=4),
                "currency": "USD",
                "subtotal": Decimal("12.340"),
                "total": Decimal("12.340"),
                "request_body": {"shoppingTrip": {"authEvents": [{"id": f"ev-{n}"}]}},
                "request_fingerprint": "f" * 64,
                "response_body": {},
                "payment_status": "captured",
                "authorisation_id": n + 1,
                "captured_total": Decimal("12.340"),
            }
            for n in paid
        ],
    )
    uncaptured = set(range(MISSING, MISSING + UNCAPTURED))
    captures = [n for n in paid if n not in uncaptured]
    twice = captures[:TWICE]
    insert(
        PaymentOperation,
        [
            {
                "created_at": at[n] + timedelta(minutes=6),
                "kind": "capture",
                "idempotency_key": f"capture:{n + 1}{suffix}",
                "authorisation_id": n + 1,
                "purchase_id": n + 1,
                "amount": Decimal("12.340"),
                "currency": "USD",
                "outcome": "approved",
            }
            for n, suffix in [*((n, "") for n in captures), *((n, ":1") for n in twice)]
        ],
    )
    db.statistics_refresh(Shopper, GateEvent, PaymentAuthorisation, Purchase, PaymentOperation)
    return store


REFERENCE = """
SELECT g.id, g.auth_event_id, a.id, a.status, p.id, p.trip_id, p.total, p.payment_status, o.kind, o.amount, o.outcome
FROM entry_gateevent g
LEFT JOIN orders_paymentauthorisation a ON a.auth_event_id = g.auth_event_id
LEFT JOIN orders_purchase p ON p.authorisation_id = a.id
LEFT JOIN orders_paymentoperation o ON o.purchase_id = p.id
WHERE g.store_id = %s AND g.created_at >= %s AND g.created_at < %s
"""


def timed(call: Any) -> tuple[float, Any]:
    started = time.perf_counter()
    result = call()
    return time.perf_counter() - started, result


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trips", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        sys.exit('reconcile benchmark: needs PostgreSQL: `eval "$(bash scripts/services.sh start)"` or `make bench`.')
    drop_database()
    maintenance(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(BENCH_DB)))
    failures = 0
    try:
        connections.close_all()
        settings.DATABASES["default"]["NAME"] = BENCH_DB
        call_command("migrate", verbosity=0, interactive=False)
        seconds, store = timed(lambda: seed(args.trips))
        say(f"· {args.trips:,} trips of {DAY} seeded in {seconds:.1f} s (not timed)")
        start, end = store_day_bounds(store=store, day=DAY)
        now = datetime.combine(DAY + timedelta(days=1), datetime.min.time(), tzinfo=UTC) + timedelta(days=1)
        reference = []
        for _ in range(args.rounds):
            seconds, size = timed(lambda: db.copy_out_size(REFERENCE, [store.pk, start, end]))
            reference.append(seconds)
        first, result = timed(lambda: reconciliation_run(store=store, day=DAY, now=now))
        reruns = [timed(lambda: reconciliation_run(store=store, day=DAY, now=now))[0] for _ in range(args.rounds)]
        expected = MISSING + UNCAPTURED + TWICE
        found = ReconciliationItem.objects.count()
        if (result.open_count, found, result.admissions) != (expected, expected, args.trips):
            say(f"FAIL: expected {expected} open items of {args.trips} admissions; run says {result}, {found} rows")
            failures += 1
        ref = statistics.median(reference)
        rerun = statistics.median(reruns)
        say(f"reference  COPY (SELECT the same rows) TO STDOUT: {ref:.2f} s ({size / 1e6:.1f} MB), "
            f"median of {args.rounds}")  # fmt: skip
        say(f"ours       first run (fills the queue):   {first:.2f} s  = {first / ref:.1f}× the reference")
        say(f"ours       re-run (finds the same rows):  {rerun:.2f} s  = {rerun / ref:.1f}× the reference")
        verdict = "PASS" if max(first, rerun) <= BAR_SECONDS else "MISS"
        say(f"{verdict}: a store day of {args.trips:,} trips reconciled in ≤ {BAR_SECONDS:g} s "
            f"({result.open_count} discrepancies found, {expected} seeded)")  # fmt: skip
    finally:
        drop_database()
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
