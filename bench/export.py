"""Export benchmark: the purchase-lines CSV export, streamed, against PostgreSQL's own COPY.

What is measured, in one run, on a database of its own (``jwo_bench_export``, created and dropped
here), with ``--lines`` purchase lines (default 1,000,000, ten per purchase, COPYed in):

* the **reference** — ``COPY (SELECT the export's columns …) TO STDOUT WITH CSV``, read to the
  end by this process (``jwo_admin.core.db.copy_out_csv``): what the server alone can do;
* **ours** — ``GET /orders/exports/lines.csv`` through Django's test client as an admin (the
  whole stack: middleware, the view, ``orders.resources`` reading a server-side cursor in chunks
  and writing CSV row by row), every chunk of the StreamingHttpResponse read and counted, in a
  child process whose **peak RSS** (``VmHWM`` in ``/proc/self/status``: the process's own
  high-water mark, unlike ``ru_maxrss`` which a child inherits from its parent) is the memory figure.

Bars: at least 50,000 lines/s and at most 300 MiB peak; each figure is printed next to the
reference's, with the ratio. It is a measurement, not a test: bars that fail still exit 0; a wrong
line count exits 1.

    DJANGO_SETTINGS_MODULE=jwo_admin.settings.test .venv/bin/python bench/export.py [--lines 1000000]
"""

import argparse
import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
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
from django.contrib.auth.models import User  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connections, models  # noqa: E402
from django.test import Client  # noqa: E402
from psycopg import sql  # noqa: E402

from catalog.models import Store  # noqa: E402
from jwo_admin.core import db  # noqa: E402
from orders.models import Purchase, PurchaseLine, PurchaseStatus  # noqa: E402

BENCH_DB = "jwo_bench_export"
LINES_PER_PURCHASE = 10
MIN_LINES_PER_S = 50_000
MAX_PEAK_MIB = 300
MIB = 1024 * 1024
REFERENCE_SQL = """
    SELECT p.purchase_id, s.store_id, p.created_at, l.position, l.sku, l.name, l.quantity, l.unit,
           l.priced_quantity, l.priced_unit, l.unit_price, l.gross, l.discount_total, l.net, l.tax_rate,
           l.tax, l.total, p.currency
    FROM orders_purchaseline l
    JOIN orders_purchase p ON p.id = l.purchase_id
    JOIN catalog_store s ON s.id = p.store_id
    WHERE p.simulation_run_id IS NULL
    ORDER BY l.id
"""


def say(text: str) -> None:
    print(text, flush=True)


# --- The database of our own ------------------------------------------------------------------
def server_params() -> dict[str, Any]:
    database = settings.DATABASES["default"]
    params: dict[str, Any] = {"host": database.get("HOST") or None, "port": database.get("PORT") or None}
    if database.get("USER"):
        params["user"] = database["USER"]
    if database.get("PASSWORD"):
        params["password"] = database["PASSWORD"]
    return params


def maintenance(statement: sql.Composed) -> None:
    with psycopg.connect(dbname="postgres", autocommit=True, **server_params()) as admin:
        admin.execute(statement)


def drop_database() -> None:
    connections.close_all()
    maintenance(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(BENCH_DB)))


def use_bench_database() -> None:
    connections.close_all()
    settings.DATABASES["default"]["NAME"] = BENCH_DB


def require_postgres() -> None:
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        sys.exit("export benchmark: needs PostgreSQL (COPY); run it through `make bench`.")


# --- Data, COPYed in --------------------------------------------------------------------------
def template(model: type[models.Model], **values: Any) -> tuple[list[str], list[Any]]:
    """Every concrete column of ``model`` with its Django default (JSON as text), ``values`` over
    them: a COPY row that stays valid when a column with a default is added later."""
    columns: list[str] = []
    row: list[Any] = []
    for field in model._meta.concrete_fields:
        value = values[field.name] if field.name in values else field.get_default()
        if isinstance(field, models.JSONField):
            value = json.dumps(value)
        columns.append(str(field.column))
        row.append(value)
    return columns, row


def generate(lines: int) -> None:
    store = Store.objects.create(store_id="BENCH", name="Bench store", currency="USD")
    purchases = -(-lines // LINES_PER_PURCHASE)
    start = datetime(2026, 12, 1, tzinfo=UTC)
    purchase_columns, purchase_row = template(
        Purchase,
        id=0, store=store.pk, status=PurchaseStatus.PRICED, currency="USD", request_body={}, response_body={},
        request_fingerprint="f" * 64, created_at=start, started_at=start, ended_at=start,
        subtotal=Decimal("25.000"), total=Decimal("25.000"),
    )  # fmt: skip
    index = {name: position for position, name in enumerate(purchase_columns)}

    def purchase_rows() -> Any:
        for number in range(1, purchases + 1):
            row = list(purchase_row)
            at = start + timedelta(seconds=number)
            row[index["id"]] = number
            row[index["trip_id"]] = f"trip-{number}"
            row[index["purchase_id"]] = f"PO-BENCH-{number:08d}"
            row[index["created_at"]] = row[index["started_at"]] = row[index["ended_at"]] = at
            yield row

    line_columns, line_row = template(
        PurchaseLine,
        id=0, purchase=0, position=0, item_id="", item_type="SKU", quantity=Decimal(1), unit="unit",
        priced_quantity=Decimal(1), priced_unit="unit", unit_price=Decimal("2.500"), gross=Decimal("2.500"),
        net=Decimal("2.500"), tax_rate=Decimal("0.080000"), tax=Decimal("0.200"), total=Decimal("2.700"),
    )  # fmt: skip
    line_index = {name: position for position, name in enumerate(line_columns)}

    def line_rows() -> Any:
        for number in range(1, lines + 1):
            row = list(line_row)
            sku = f"SKU-{number % 5000:05d}"
            row[line_index["id"]] = number
            row[line_index["purchase_id"]] = (number - 1) // LINES_PER_PURCHASE + 1
            row[line_index["position"]] = (number - 1) % LINES_PER_PURCHASE + 1
            row[line_index["item_id"]] = row[line_index["sku"]] = sku
            row[line_index["name"]] = f"Product {sku}" if number % 1000 else "=HYPERLINK(1)"
            yield row

    db.copy_rows(Purchase._meta.db_table, purchase_columns, purchase_rows())
    db.copy_rows(PurchaseLine._meta.db_table, line_columns, line_rows())
    db.execute(f"ANALYZE {Purchase._meta.db_table}, {PurchaseLine._meta.db_table}")


# --- Measurements -----------------------------------------------------------------------------
def vm_hwm_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def measure_reference() -> tuple[int, float]:
    started = time.perf_counter()
    newlines = sum(chunk.count(b"\n") for chunk in db.copy_out_csv(REFERENCE_SQL))
    return newlines - 1, time.perf_counter() - started


def child_export() -> int:
    """Runs in the child: the streamed export through the whole stack; one JSON line of figures."""
    use_bench_database()
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]  # the test client's host name
    admin, _ = User.objects.get_or_create(username="bench-admin", defaults={"is_superuser": True, "is_staff": True})
    client = Client()
    client.force_login(admin)
    started = time.perf_counter()
    response = client.get("/orders/exports/lines.csv")
    newlines = 0
    for chunk in response.streaming_content:  # type: ignore[attr-defined]
        newlines += chunk.count(b"\n")
    seconds = time.perf_counter() - started
    response.close()
    print(json.dumps({"status": response.status_code, "lines": newlines - 1, "seconds": seconds, "hwm": vm_hwm_mib()}))
    return 0


def measure_ours() -> dict[str, Any]:
    done = subprocess.run(  # noqa: S603 - our own script
        [sys.executable, __file__, "--child"], capture_output=True, text=True, check=False, cwd=ROOT
    )
    if done.returncode != 0:
        sys.exit(f"export benchmark: the child failed:\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args, _ = parser.parse_known_args(argv)
    require_postgres()
    if args.child:
        return child_export()
    drop_database()
    maintenance(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(BENCH_DB)))
    try:
        use_bench_database()
        call_command("migrate", verbosity=0, interactive=False)
        started = time.perf_counter()
        generate(args.lines)
        say(f"· {args.lines:,} purchase lines COPYed in {time.perf_counter() - started:.1f} s")
        reference_lines, reference_s = measure_reference()
        connections.close_all()
        ours = measure_ours()
    finally:
        drop_database()
    reference_rate = reference_lines / reference_s
    rate = ours["lines"] / ours["seconds"]
    fast, small = rate >= MIN_LINES_PER_S, ours["hwm"] <= MAX_PEAK_MIB
    say(
        f"reference COPY … TO STDOUT CSV: {reference_lines:,} lines in {reference_s:.2f} s = "
        f"{reference_rate:,.0f} lines/s"
    )
    say(
        f"ours, GET /orders/exports/lines.csv (streamed): {ours['lines']:,} lines in {ours['seconds']:.2f} s = "
        f"{rate:,.0f} lines/s, {rate / reference_rate:.2f}× the COPY  [bar ≥ {MIN_LINES_PER_S:,}: "
        f"{'ok' if fast else 'MISSED'}]"
    )
    say(
        f"ours, peak RSS of the exporting process (VmHWM): {ours['hwm']:.0f} MiB  [bar ≤ {MAX_PEAK_MIB} MiB: "
        f"{'ok' if small else 'MISSED'}]"
    )
    if ours["status"] != 200 or ours["lines"] != args.lines or reference_lines != args.lines:
        say(f"wrong export: status {ours['status']}, {ours['lines']} lines, reference {reference_lines}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
