"""Catalog import benchmark: how fast the real ERP import is, against a ceiling and a baseline.

What is measured, in one run, on a database of its own (``jwo_bench``, created and dropped here):

* the **ceiling** — ``psql \\copy`` of the same products and barcodes into plain tables shaped like
  ours with the same unique indexes (no checks, no history, no sync fingerprints). Nothing written
  in Python gets past it, so our fresh import is judged as a share of it;
* the **write floor** — ``psql \\copy`` of the fresh import's own rows, as stored, into our real
  tables (every index; foreign keys checked per row, as the import checks them), rolled back: what
  the schema itself costs, which no import of ours can beat; the fresh import is shown against it too;
* the **common practice** — a default django-import-export ``ModelResource`` upserting the first
  ``--slice`` products (products only, no barcodes, no Amazon rules: that flatters it);
* **ours**, through the real service (``import_job_create`` + ``import_job_run``, COPY on
  PostgreSQL, from the file on disk to an applied job): a fresh import into an empty store, a
  re-import with every 10th row changed, and an identical re-import, which must touch nothing and
  mark nothing for Amazon's sync;
* the **peak memory** of a fresh import of ``--memory-rows`` rows (default a million), in a child
  process, so a big file is proven to stream rather than sit in memory.

Why: ERP exports run to 10⁵-10⁶ rows, and each figure only means something next to a reference
taken in the same run on the same (often busy) machine: what PostgreSQL itself can load, and what
the usual Django tool does. Figures are rows per second of the product file. It is a measurement,
not a test: bars that fail still exit 0; a failed correctness check exits 1.

    DJANGO_SETTINGS_MODULE=jwo_admin.settings.test .venv/bin/python bench/catalog_import.py \\
        [--rows 100000] [--slice 20000] [--memory-rows 1000000] [--skip-memory]
"""

import argparse
import csv
import hashlib
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jwo_admin.settings.test")

import django  # noqa: E402

django.setup()

import psycopg  # noqa: E402
import tablib  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, connections  # noqa: E402
from django.db.models import F  # noqa: E402
from django.test.utils import override_settings  # noqa: E402
from import_export import resources  # noqa: E402
from psycopg import sql  # noqa: E402

from catalog.demo import ERP_COLUMNS, ERP_HEADERS, ERP_PROFILE_NAME, erp_rows, write_erp_csv  # noqa: E402
from catalog.importing.pgstream import BARCODE_COLUMNS, PRODUCT_COLUMNS  # noqa: E402
from catalog.models import (  # noqa: E402
    Barcode,
    ImportJob,
    ImportStatus,
    MappingProfile,
    Product,
    ProductChange,
    Store,
)
from catalog.services.imports import import_job_create, import_job_run  # noqa: E402
from catalog.services.stores import mapping_profile_save  # noqa: E402

BENCH_DB = "jwo_bench"
MIB = 1024 * 1024

# The bars (see the module docstring).
FRESH_MIN_ROWS_PER_S = 20_000
FRESH_MIN_CEILING_SHARE = 0.30  # issue 20 §2
CHANGED_MIN_ROWS_PER_S = 20_000
IDENTICAL_MAX_S_PER_100K = 3.0
MIN_TIMES_IMPORT_EXPORT = 25
MAX_PEAK_MIB = 1024

# Columns of the ERP file, by header.
_COL = {header: index for index, header in enumerate(ERP_HEADERS)}
SKU, NAME, BRAND, EAN, ALT = _COL["ITEM_NO"], _COL["DESCRIPTION"], _COL["BRAND"], _COL["EAN"], _COL["ALT_BARCODES"]
PRICE, TAX, DEPT, SUBDEPT, UOM = (
    _COL["RETAIL_PRICE"],
    _COL["TAX_CLASS"],
    _COL["DEPT"],
    _COL["SUBDEPT"],
    _COL["UOM"],
)


def say(text: str) -> None:
    print(text, flush=True)


def rate(rows: int, seconds: float) -> float:
    return rows / seconds if seconds > 0 else float("inf")


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


@dataclass
class Checks:
    """Correctness failures; any of them makes the run exit 1."""

    failures: list[str] = field(default_factory=list)

    def expect(self, ok: bool, message: str) -> bool:
        if not ok:
            self.failures.append(message)
            say(f"CHECK FAILED: {message}")
        return ok


# --- The database of our own ------------------------------------------------------------------


def server_params() -> dict[str, Any]:
    db = settings.DATABASES["default"]
    params: dict[str, Any] = {"host": db.get("HOST") or None, "port": db.get("PORT") or None}
    if db.get("USER"):
        params["user"] = db["USER"]
    if db.get("PASSWORD"):
        params["password"] = db["PASSWORD"]
    return params


def maintenance(statement: sql.Composed) -> None:
    """Run a statement on the server's ``postgres`` database (CREATE/DROP DATABASE need autocommit)."""
    with psycopg.connect(dbname="postgres", autocommit=True, **server_params()) as admin:
        admin.execute(statement)


def drop_database() -> None:
    connections.close_all()
    maintenance(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(BENCH_DB)))


def use_bench_database(media_root: Path) -> None:
    """Point Django's default connection at ``jwo_bench`` (before it connects) and uploads at a temp dir."""
    connections.close_all()
    settings.DATABASES["default"]["NAME"] = BENCH_DB
    override_settings(MEDIA_ROOT=str(media_root)).enable()


def require_postgres() -> None:
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        sys.exit(
            "catalog_import benchmark: needs PostgreSQL (the import's COPY path and the psql ceiling). "
            'Run `eval "$(bash scripts/services.sh start)"` to set DATABASE_URL, or use `make bench`.'
        )


def demo_profile() -> MappingProfile:
    """The "Demo ERP" mapping profile, created as ``demo_seed`` does when missing."""
    return MappingProfile.objects.filter(name=ERP_PROFILE_NAME).first() or mapping_profile_save(
        profile=MappingProfile(
            name=ERP_PROFILE_NAME,
            description="The demo ERP's export: ITEM_NO, DESCRIPTION, EAN, ALT_BARCODES (| separated)…",
            columns=ERP_COLUMNS,
        )
    )


def new_store(label: str) -> Store:
    return Store.objects.create(store_id=f"BENCH-{label}", name=f"Bench {label}", currency="USD")


def run_import(store: Store, path: Path, profile: MappingProfile) -> tuple[ImportJob, float]:
    """The real path, timed from the file on disk to an applied job (storing the upload included)."""
    started = time.perf_counter()
    job = import_job_create(store=store, upload=path, profile=profile, is_dry_run=False)
    import_job_run(job_id=job.pk)
    seconds = time.perf_counter() - started
    job.refresh_from_db()
    return job, seconds


def expect_job(checks: Checks, label: str, job: ImportJob, **counts: int) -> bool:
    ok = checks.expect(
        job.status == ImportStatus.APPLIED, f"{label}: job #{job.pk} ended {job.status!r}, not applied: {job.message}"
    )
    for name, expected in counts.items():
        actual = getattr(job, f"rows_{name}")
        ok = checks.expect(actual == expected, f"{label}: {actual:,} rows {name}, expected {expected:,}") and ok
    return ok


# --- Input files (untimed) ----------------------------------------------------------------------


def generate(path: Path, rows: int) -> None:
    started = time.perf_counter()
    write_erp_csv(path, erp_rows(rows))
    size = path.stat().st_size / MIB
    say(f"· generated {rows:,} ERP rows ({size:,.0f} MiB) in {time.perf_counter() - started:.1f} s (not measured)")


def match_key(value: str) -> str:
    """GTIN-14 for GS1 codes, PLU<number> for 3-6 digit produce codes (as catalog.barcodes keys them)."""
    return f"PLU{int(value)}" if len(value) <= 6 else value.zfill(14)


@dataclass
class Prepared:
    products_csv: Path
    barcodes_csv: Path
    changed_erp: Path
    rows: int = 0
    barcodes: int = 0
    changed: int = 0
    slice_rows: list[list[str]] = field(default_factory=list)


def prepare(source: Path, workdir: Path, slice_size: int) -> Prepared:
    """One streaming pass over the ERP file: the two COPY inputs, the 10%-changed file, the baseline slice."""
    prepared = Prepared(workdir / "copy-products.csv", workdir / "copy-barcodes.csv", workdir / "erp-10pct.csv")
    with (
        source.open(newline="", encoding="utf-8") as handle,
        prepared.products_csv.open("w", newline="", encoding="utf-8") as products_out,
        prepared.barcodes_csv.open("w", newline="", encoding="utf-8") as barcodes_out,
        prepared.changed_erp.open("w", newline="", encoding="utf-8") as changed_out,
    ):
        reader = csv.reader(handle)
        products, barcodes, changed = csv.writer(products_out), csv.writer(barcodes_out), csv.writer(changed_out)
        changed.writerow(next(reader))
        for index, row in enumerate(reader):
            prepared.rows += 1
            products.writerow(
                [1, row[SKU], row[NAME], row[BRAND], row[PRICE], row[TAX], row[DEPT], row[SUBDEPT], row[UOM]]
            )
            for value in [row[EAN], *(part for part in row[ALT].split("|") if part)]:
                barcodes.writerow([1, row[SKU], value, match_key(value)])
                prepared.barcodes += 1
            if len(prepared.slice_rows) < slice_size:
                prepared.slice_rows.append(row)
            if (index + 1) % 10 == 0:  # every 10th row: new price and name
                row = [*row]
                row[PRICE] = str(Decimal(row[PRICE]) + Decimal("0.10"))
                row[NAME] = f"{row[NAME]} v2"
                prepared.changed += 1
            changed.writerow(row)
    return prepared


# --- (a) the ceiling: psql \copy ------------------------------------------------------------------

CEILING_DDL = """
DROP TABLE IF EXISTS bench_copy_product, bench_copy_barcode;
CREATE TABLE bench_copy_product (
    store_id integer NOT NULL, sku text NOT NULL, name text NOT NULL, brand text NOT NULL,
    price numeric(12, 3), tax_code text NOT NULL, category text NOT NULL, subcategory text NOT NULL,
    unit text NOT NULL, UNIQUE (store_id, sku)
);
CREATE TABLE bench_copy_barcode (
    store_id integer NOT NULL, sku text NOT NULL, value text NOT NULL, match_key text NOT NULL,
    UNIQUE (store_id, match_key)
);
"""


def psql_command() -> list[str]:
    db = settings.DATABASES["default"]
    command = [shutil.which("psql") or "/usr/bin/psql", "-X", "-q", "-1", "-v", "ON_ERROR_STOP=1", "-d", BENCH_DB]
    if db.get("HOST"):
        command += ["-h", str(db["HOST"])]
    if db.get("PORT"):
        command += ["-p", str(db["PORT"])]
    if db.get("USER"):
        command += ["-U", str(db["USER"])]
    return command


def measure_ceiling(prepared: Prepared, workdir: Path, checks: Checks) -> float:
    with connection.cursor() as cursor:
        cursor.execute(CEILING_DDL)
    script = workdir / "copy.psql"
    script.write_text(
        f"\\copy bench_copy_product (store_id, sku, name, brand, price, tax_code, category, subcategory, unit) "
        f"FROM '{prepared.products_csv}' "
        "WITH (FORMAT csv, FORCE_NOT_NULL (sku, name, brand, tax_code, category, subcategory, unit))\n"
        f"\\copy bench_copy_barcode (store_id, sku, value, match_key) FROM '{prepared.barcodes_csv}' "
        "WITH (FORMAT csv)\n"
    )
    env = dict(os.environ)
    if settings.DATABASES["default"].get("PASSWORD"):
        env["PGPASSWORD"] = str(settings.DATABASES["default"]["PASSWORD"])
    started = time.perf_counter()
    subprocess.run([*psql_command(), "-f", str(script)], check=True, env=env)
    seconds = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute("SELECT (SELECT count(*) FROM bench_copy_product), (SELECT count(*) FROM bench_copy_barcode)")
        products, barcodes = cursor.fetchone() or (0, 0)
        cursor.execute("DROP TABLE bench_copy_product, bench_copy_barcode")
    checks.expect(products == prepared.rows, f"ceiling: {products:,} products copied, expected {prepared.rows:,}")
    checks.expect(
        barcodes == prepared.barcodes, f"ceiling: {barcodes:,} barcodes copied, expected {prepared.barcodes:,}"
    )
    say(f"· COPY ceiling: {prepared.rows:,} products + {prepared.barcodes:,} barcodes in {seconds:.2f} s")
    return seconds


def measure_own_tables(store: Store, workdir: Path, checks: Checks) -> float:
    """The write floor: the fresh import's own rows (as stored) copied by ``psql \\copy`` into our real
    tables for another store, with every index and the foreign-key checks run as the import runs
    them (``SET CONSTRAINTS ALL IMMEDIATE``), then rolled back. No import writing these tables can
    be faster, whatever its Python does; what separates it from the ceiling is the schema's work."""
    floor = new_store("FLOOR")
    products, barcodes = workdir / "own-products.txt", workdir / "own-barcodes.txt"
    shift = (Product.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
    product_cells = ", ".join(
        f"id + {shift}" if column == "id" else str(floor.pk) if column == "store_id" else column
        for column in PRODUCT_COLUMNS
    )
    barcode_cells = ", ".join(
        f"product_id + {shift}" if column == "product_id" else str(floor.pk) if column == "store_id" else column
        for column in BARCODE_COLUMNS
    )
    where = f"WHERE store_id = {store.pk}"
    dump_sql = [
        f"\\copy (SELECT {product_cells} FROM catalog_product {where}) TO '{products}'",  # noqa: S608 - our names
        f"\\copy (SELECT {barcode_cells} FROM catalog_barcode {where}) TO '{barcodes}'",  # noqa: S608 - our names
    ]
    dump = workdir / "own-dump.psql"
    dump.write_text("\n".join(dump_sql) + "\n")
    load_sql = [
        "BEGIN;",
        "SET CONSTRAINTS ALL IMMEDIATE;",
        f"\\copy catalog_product ({', '.join(PRODUCT_COLUMNS)}) FROM '{products}'",
        f"\\copy catalog_barcode ({', '.join(BARCODE_COLUMNS)}) FROM '{barcodes}'",
        f"SELECT count(*) FROM catalog_product WHERE store_id = {floor.pk};",  # noqa: S608 - an integer
        "ROLLBACK;",
    ]
    load = workdir / "own-load.psql"
    load.write_text("\n".join(load_sql) + "\n")
    env = dict(os.environ)
    if settings.DATABASES["default"].get("PASSWORD"):
        env["PGPASSWORD"] = str(settings.DATABASES["default"]["PASSWORD"])
    command = [c for c in psql_command() if c != "-1"]
    subprocess.run([*command, "-f", str(dump)], check=True, env=env)
    started = time.perf_counter()
    completed = subprocess.run([*command, "-A", "-t", "-f", str(load)], check=True, env=env, stdout=subprocess.PIPE)
    seconds = time.perf_counter() - started
    copied = int(completed.stdout.split()[-1])
    expected = Product.objects.filter(store=store).count()
    checks.expect(copied == expected, f"own tables: {copied:,} products copied, expected {expected:,}")
    say(f"· COPY into our own tables: {copied:,} products and their barcodes in {seconds:.2f} s (rolled back)")
    return seconds


# --- (b) the common practice: django-import-export ----------------------------------------------

BASELINE_FIELDS = ("store", "sku", "name", "brand", "price", "tax_code", "category", "subcategory")


class BaselineProductResource(resources.ModelResource):
    """django-import-export as its docs show it: default settings, upsert on (store, sku)."""

    class Meta:
        model = Product
        fields = (*BASELINE_FIELDS, "amazon_fingerprint")
        import_id_fields = ("store", "sku")

    def before_import_row(self, row: Any, **kwargs: Any) -> None:
        # The model requires a fingerprint; a hash of the row is the least a real resource would do.
        text = "|".join(str(row[name]) for name in BASELINE_FIELDS)
        row["amazon_fingerprint"] = hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()


def measure_import_export(prepared: Prepared, checks: Checks) -> tuple[int, float]:
    store = new_store("IMPORT-EXPORT")
    dataset = tablib.Dataset(headers=list(BASELINE_FIELDS))
    for row in prepared.slice_rows:
        dataset.append([store.pk, row[SKU], row[NAME], row[BRAND], row[PRICE], row[TAX], row[DEPT], row[SUBDEPT]])
    rows = len(dataset)
    started = time.perf_counter()
    result = BaselineProductResource().import_data(dataset, dry_run=False)
    seconds = time.perf_counter() - started
    checks.expect(not result.has_errors(), f"django-import-export: errors {result.row_errors()[:3]}")
    checks.expect(not result.has_validation_errors(), "django-import-export: validation errors")
    stored = Product.objects.filter(store=store).count()
    checks.expect(stored == rows, f"django-import-export: {stored:,} products stored, expected {rows:,}")
    say(f"· django-import-export: {rows:,} products in {seconds:.2f} s")
    return rows, seconds


# --- (c) ours ------------------------------------------------------------------------------------


@dataclass
class Ours:
    fresh_s: float = 0.0
    own_tables_s: float = 0.0
    changed_s: float = 0.0
    identical_s: float = 0.0
    marked_for_sync: int = -1


def snapshot(store: Store) -> dict[int, tuple[Any, str]]:
    return {
        pk: (updated_at, fingerprint)
        for pk, updated_at, fingerprint in Product.objects.filter(store=store)
        .values_list("pk", "updated_at", "amazon_fingerprint")
        .iterator(chunk_size=20_000)
    }


def measure_ours(source: Path, prepared: Prepared, profile: MappingProfile, checks: Checks) -> Ours:
    ours = Ours()
    rows = prepared.rows
    store = new_store("OURS")

    job, ours.fresh_s = run_import(store, source, profile)
    say(f"· fresh import: {rows:,} rows in {ours.fresh_s:.2f} s")
    ours.own_tables_s = measure_own_tables(store, source.parent, checks)
    expect_job(checks, "fresh import", job, new=rows, changed=0, unchanged=0, rejected=0)
    products = Product.objects.filter(store=store).count()
    barcodes = Barcode.objects.filter(store=store).count()
    checks.expect(products == rows, f"fresh import: {products:,} products stored, expected {rows:,}")
    checks.expect(barcodes == prepared.barcodes, f"fresh import: {barcodes:,} barcodes, expected {prepared.barcodes:,}")

    job, ours.changed_s = run_import(store, prepared.changed_erp, profile)
    say(f"· 10%-changed re-import: {rows:,} rows ({prepared.changed:,} changed) in {ours.changed_s:.2f} s")
    expect_job(
        checks,
        "10%-changed re-import",
        job,
        new=0,
        changed=prepared.changed,
        unchanged=rows - prepared.changed,
        rejected=0,
    )
    renamed = Product.objects.filter(store=store, name__endswith=" v2").count()
    checks.expect(
        renamed == prepared.changed, f"10%-changed: {renamed:,} products renamed, expected {prepared.changed:,}"
    )
    history = ProductChange.objects.filter(import_job=job).count()
    checks.expect(
        history == prepared.changed, f"10%-changed: {history:,} history entries, expected {prepared.changed:,}"
    )

    # As if Amazon's sync had just run: nothing pending. An identical file must leave it so.
    Product.objects.filter(store=store).update(synced_fingerprint=F("amazon_fingerprint"))
    before = snapshot(store)
    job, ours.identical_s = run_import(store, prepared.changed_erp, profile)
    say(f"· identical re-import: {rows:,} rows in {ours.identical_s:.2f} s")
    expect_job(checks, "identical re-import", job, new=0, changed=0, unchanged=rows, rejected=0)
    after = snapshot(store)
    touched = sum(1 for pk, state in before.items() if after.get(pk) != state)
    checks.expect(
        len(after) == len(before) and touched == 0,
        f"identical re-import: {touched:,} products got a new updated_at or fingerprint",
    )
    ours.marked_for_sync = (
        Product.objects.filter(store=store).exclude(amazon_fingerprint=F("synced_fingerprint")).count()
    )
    checks.expect(ours.marked_for_sync == 0, f"identical re-import: {ours.marked_for_sync:,} products marked for sync")
    history = ProductChange.objects.filter(import_job=job).count()
    checks.expect(history == 0, f"identical re-import: {history:,} history entries, expected none")
    return ours


# --- (d) peak memory, in a child process ----------------------------------------------------------


@dataclass
class Memory:
    rows: int
    seconds: float
    maxrss_mib: float
    child_hwm_mib: float
    parent_hwm_mib: float


def vm_hwm_mib() -> float:
    """This process's own peak RSS (unlike ru_maxrss, not inherited from the parent across exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def child_memory(source: Path, media_root: Path) -> int:
    """Runs in the child: a fresh import of ``source``; prints its figures as one JSON line."""
    use_bench_database(media_root)
    job, seconds = run_import(new_store("MEMORY"), source, demo_profile())
    print(
        json.dumps(
            {
                "seconds": seconds,
                "status": job.status,
                "message": job.message,
                "new": job.rows_new,
                "rejected": job.rows_rejected,
                "hwm_mib": vm_hwm_mib(),
            }
        ),
        flush=True,
    )
    return 0


def measure_memory(rows: int, workdir: Path, media_root: Path, checks: Checks) -> Memory | None:
    source = workdir / f"erp-{rows}.csv"
    generate(source, rows)
    parent_hwm = vm_hwm_mib()
    completed = subprocess.run(
        [
            sys.executable,
            str(Path(__file__).resolve()),
            "--child-memory",
            str(source),
            "--child-media",
            str(media_root),
        ],
        check=False,
        stdout=subprocess.PIPE,
        text=True,
    )
    maxrss_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # KiB on Linux
    source.unlink()
    # Leave the catalog as empty as the other measurements expect it (CASCADE: tables that
    # reference products, such as the sync's, are empty here too).
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE catalog_product, catalog_barcode, catalog_productchange, catalog_importrowerror CASCADE"
        )
        cursor.execute("ANALYZE")
    lines = completed.stdout.strip().splitlines()
    if completed.returncode != 0 or not lines:
        checks.expect(False, f"memory: the child exited {completed.returncode}: {completed.stdout[-500:]}")
        return None
    figures = json.loads(lines[-1])
    ok = checks.expect(
        figures["status"] == ImportStatus.APPLIED, f"memory: job ended {figures['status']!r}: {figures['message']}"
    )
    ok = checks.expect(figures["new"] == rows, f"memory: {figures['new']:,} rows new, expected {rows:,}") and ok
    ok = checks.expect(figures["rejected"] == 0, f"memory: {figures['rejected']:,} rows rejected") and ok
    say(f"· memory: {rows:,} rows in {figures['seconds']:.1f} s, child peak {maxrss_mib:,.0f} MiB")
    if not ok:
        return None
    return Memory(rows, figures["seconds"], maxrss_mib, figures["hwm_mib"], parent_hwm)


# --- Report ---------------------------------------------------------------------------------------


def report(
    args: argparse.Namespace,
    prepared: Prepared,
    ceiling_s: float,
    baseline: tuple[int, float],
    ours: Ours,
    memory: Memory | None,
) -> None:
    rows = prepared.rows
    ceiling = rate(rows, ceiling_s)
    baseline_rows, baseline_s = baseline
    import_export = rate(baseline_rows, baseline_s)
    fresh = rate(rows, ours.fresh_s)
    changed = rate(rows, ours.changed_s)
    identical_bar = IDENTICAL_MAX_S_PER_100K * rows / 100_000
    share = fresh / ceiling
    times = fresh / import_export

    say("")
    say(
        f"results: {rows:,} rows ({prepared.barcodes:,} barcodes), "
        f"Python {platform.python_version()}, {os.cpu_count()} CPUs"
    )
    say(
        f"COPY ceiling (psql \\copy)    {ceiling:>9,.0f} rows/s   {rows:,} products + {prepared.barcodes:,} "
        f"barcodes in {ceiling_s:.2f} s into plain tables with the same unique indexes"
    )
    say(
        f"django-import-export         {import_export:>9,.0f} rows/s   {baseline_rows:,} rows in {baseline_s:.2f} s, "
        "default ModelResource, products only (no barcodes, no Amazon checks: flatters it)"
    )
    say(
        f"fresh import                 {fresh:>9,.0f} rows/s   ceiling (COPY) {ceiling:,.0f} rows/s   ratio {share:.2f}"
        f"   bar ≥ {FRESH_MIN_CEILING_SHARE:.2f} and ≥ {FRESH_MIN_ROWS_PER_S:,} rows/s"
        f"   {verdict(share >= FRESH_MIN_CEILING_SHARE and fresh >= FRESH_MIN_ROWS_PER_S)}"
    )
    own = rate(rows, ours.own_tables_s)
    say(
        f"COPY into our own tables     {own:>9,.0f} rows/s   ceiling (COPY) {ceiling:,.0f} rows/s"
        f"   ratio {own / ceiling:.2f}"
        "   the same rows as stored, every index, foreign keys checked per row: the most any import of ours can reach"
    )
    say(
        f"fresh import vs own tables   {fresh:>9,.0f} rows/s   COPY into our own tables {own:,.0f} rows/s"
        f"   ratio {fresh / own:.2f}   (what the import's Python and bookkeeping cost on top of the write itself)"
    )
    say(
        f"10%-changed re-import        {changed:>9,.0f} rows/s   fresh import {fresh:,.0f} rows/s"
        f"   ratio {changed / fresh:.2f}   bar ≥ {CHANGED_MIN_ROWS_PER_S:,} rows/s"
        f"   {verdict(changed >= CHANGED_MIN_ROWS_PER_S)}"
    )
    say(
        f"identical re-import          {ours.identical_s:>9.2f} s        bar {identical_bar:.2f} s"
        f" ({IDENTICAL_MAX_S_PER_100K:.0f} s per 100,000 rows)   ratio {ours.identical_s / identical_bar:.2f}"
        f"   {rate(rows, ours.identical_s):,.0f} rows/s   {ours.marked_for_sync:,} marked for sync"
        f"   {verdict(ours.identical_s < identical_bar and ours.marked_for_sync == 0)}"
    )
    say(
        f"ours vs django-import-export {fresh:>9,.0f} rows/s   django-import-export {import_export:,.0f} rows/s"
        f"   ratio {times:.1f}   bar ≥ {MIN_TIMES_IMPORT_EXPORT}   {verdict(times >= MIN_TIMES_IMPORT_EXPORT)}"
    )
    if memory is None:
        reason = "--skip-memory" if args.skip_memory else "the child failed"
        say(f"peak memory                  skipped ({reason})")
    else:
        say(
            f"peak memory, {memory.rows:,} rows {memory.maxrss_mib:>6,.0f} MiB      bar {MAX_PEAK_MIB:,} MiB"
            f"   ratio {memory.maxrss_mib / MAX_PEAK_MIB:.2f}   {rate(memory.rows, memory.seconds):,.0f} rows/s"
            f"   (child ru_maxrss; its own VmHWM {memory.child_hwm_mib:,.0f} MiB,"
            f" parent at spawn {memory.parent_hwm_mib:,.0f} MiB)   {verdict(memory.maxrss_mib < MAX_PEAK_MIB)}"
        )


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rows", type=int, default=100_000, help="rows of the ERP file (default 100000)")
    parser.add_argument("--slice", type=int, default=20_000, help="rows for django-import-export (default 20000)")
    parser.add_argument("--skip-memory", action="store_true", help="skip the peak-memory measurement")
    parser.add_argument("--memory-rows", type=int, default=1_000_000, help="rows for peak memory (default 1000000)")
    parser.add_argument("--child-memory", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--child-media", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.rows < 10 or args.slice < 1 or args.memory_rows < 1:
        parser.error("--rows must be at least 10, --slice and --memory-rows at least 1")
    return args


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    require_postgres()
    if args.child_memory is not None:
        return child_memory(args.child_memory, args.child_media)

    checks = Checks()
    with tempfile.TemporaryDirectory(prefix="jwo-bench-") as temp:
        workdir = Path(temp)
        media_root = workdir / "media"
        drop_database()
        maintenance(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(BENCH_DB)))
        try:
            use_bench_database(media_root)
            call_command("migrate", verbosity=0, interactive=False)
            with connection.cursor() as cursor:
                cursor.execute("SELECT current_database(), current_setting('server_version')")
                database, version = cursor.fetchone() or ("", "")
            if database != BENCH_DB:
                sys.exit(f"catalog_import benchmark: connected to {database!r}, not {BENCH_DB!r}")
            say(f"· database {database} on PostgreSQL {version}, migrated")
            profile = demo_profile()

            # Memory first, while this process is small: Linux carries a parent's peak RSS into its
            # children's ru_maxrss across fork/exec, and psql children count too.
            memory = None if args.skip_memory else measure_memory(args.memory_rows, workdir, media_root, checks)

            source = workdir / f"erp-{args.rows}.csv"
            generate(source, args.rows)
            prepared = prepare(source, workdir, min(args.slice, args.rows))
            ceiling_s = measure_ceiling(prepared, workdir, checks)
            baseline = measure_import_export(prepared, checks)
            ours = measure_ours(source, prepared, profile, checks)
            report(args, prepared, ceiling_s, baseline, ours, memory)
        finally:
            drop_database()
    if checks.failures:
        say(f"{len(checks.failures)} correctness check(s) failed")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
