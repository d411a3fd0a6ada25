"""Catalog sync benchmark: is the shared rate limit the only thing that bounds a big sync, and is
planning linear in a store's own products?

Measured in one run on PostgreSQL and Redis, against the fake Amazon in its own process:
  1. three stores of 100,000 changed products each (imported through the ERP import), planned
     through the README's own command, ``manage.py catalog_upload --store A --store B --store C``,
     one store after another — each store's planning against the bar of 10 s per 100,000 — then
     sent by 2 Celery worker processes through real Redis: wall time of the sending phase against
     the rate-limit bound (requests ÷ 10 per second), the busiest one-second window seen by the
     fake, and the 429s it answered;
  2. three more stores of 100,000 planned at once (three ``catalog_upload`` processes);
  3. planning one store of 100,000, 300,000 and 1,000,000 products: rows per second for each
     (the cost per row must stay flat) and the 1,000,000 against its bar of 60 s;
  4. finding the changes among 1,000,000 products with 1% changed;
  5. parsing and storing Amazon's report for a 10,000-item batch;
  6. each worker's peak memory (VmHWM).

Usage: DJANGO_SETTINGS_MODULE=jwo_admin.settings.test python bench/catalog_sync.py [--per-store 100000]
       [--batch-size 1000] [--products 1000000] [--scale 100000,300000,1000000]
"""

# Imports inside functions: Django and the project's modules load after django.setup(), which runs
# with the settings of the step at hand (the bench's own database, Redis and fake Amazon).

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jwo_admin.settings.test")
DB_NAME = "jwo_bench_sync"
REDIS_DB = 13  # the bench's own broker database: its queued tasks never meet a test's
WARM_UP = 5.0  # seconds


def setup_django() -> None:
    import django
    from django.conf import settings

    if not os.environ.get("DATABASE_URL", "").startswith("postgres") or not os.environ.get("REDIS_URL"):
        raise SystemExit("catalog_sync bench needs PostgreSQL and Redis: run it through `make bench`.")
    django.setup()
    import psycopg

    admin = settings.DATABASES["default"]
    with psycopg.connect(
        host=admin["HOST"], port=admin["PORT"], user=admin["USER"], dbname="postgres", autocommit=True
    ) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DB_NAME}")
    settings.DATABASES["default"]["NAME"] = DB_NAME
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def database_url() -> str:
    from django.conf import settings

    db = settings.DATABASES["default"]
    return f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{DB_NAME}"


def start_fake(stores: list[str], workdir: Path) -> tuple[subprocess.Popen[bytes], dict[str, str]]:
    ready = workdir / f"fake-{time.monotonic_ns()}.json"
    args = [sys.executable, "-m", "fake_amazon", "--port", "0", "--moto-port", "0", "--ready-file", str(ready)]
    for store in stores:
        args += ["--store", store]
    process = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.DEVNULL)  # noqa: S603
    for _ in range(300):
        if ready.exists() and ready.stat().st_size:
            return process, json.loads(ready.read_text())
        time.sleep(0.1)
    raise SystemExit("the fake Amazon did not start")


def fake_requests(endpoint: str) -> list[tuple[float, str, int]]:
    with urllib.request.urlopen(f"{endpoint}/_fake/requests", timeout=10) as answer:  # noqa: S310 - loopback
        return [(float(row[0]), str(row[1]), int(row[2])) for row in json.load(answer)["requests"]]


def busiest_window(times: list[float], window: float = 1.0) -> int:
    times = sorted(times)
    best, start = 0, 0
    for end, moment in enumerate(times):
        while moment - times[start] >= window:
            start += 1
        best = max(best, end - start + 1)
    return best


def worker_env(fake: dict[str, str], batch_size: int) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": database_url(),
        "JWO_AMAZON_ENDPOINT": fake["endpoint"],
        "AWS_ENDPOINT_URL": fake["aws_endpoint_url"],
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "JWO_SYNC_BATCH_SIZE": str(batch_size),
    }


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def import_store(store: Any, count: int, start: int, workdir: Path) -> None:
    from catalog.demo import ERP_COLUMNS, erp_rows, write_erp_csv
    from catalog.models import MappingProfile
    from catalog.services.imports import import_job_create, import_job_run

    profile, _ = MappingProfile.objects.get_or_create(name="ERP", defaults={"columns": ERP_COLUMNS})
    path = workdir / f"{store.store_id}.csv"
    write_erp_csv(path, erp_rows(count, start=start, seed=start))
    job = import_job_create(store=store, upload=path, profile=profile, is_dry_run=False)
    job = import_job_run(job_id=job.pk)
    job.refresh_from_db()
    if job.rows_new != count:
        raise SystemExit(f"import of {store.store_id} gave {job.rows_new} new rows, not {count}")


def command_env(broker: str) -> dict[str, str]:
    """What ``manage.py catalog_upload`` runs with here: the bench's database, tasks queued in Redis
    (the embedded default's settings with a real broker: nothing runs eagerly)."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "jwo_admin.settings.local",
        "DATABASE_URL": database_url(),
        "REDIS_URL": broker,
        "CELERY_BROKER_URL": broker,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "DJANGO_READ_DOT_ENV_FILE": "false",
    }


def planning_seconds(runs: list[Any]) -> list[float]:
    """Each run's planning: from the run's creation to the commit that queued its batches."""
    return [(run.updated_at - run.created_at).total_seconds() for run in runs]


def upload_command(store_ids: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    args = [sys.executable, "manage.py", "catalog_upload", "--no-progress"]
    for store_id in store_ids:
        args += ["--store", store_id]
    return subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.DEVNULL)  # noqa: S603


def bench_plan_at_once(args: argparse.Namespace, workdir: Path, broker: str) -> list[float]:
    """Three stores planned at once, by three ``catalog_upload`` processes."""
    from catalog.models import Store, SyncRun

    store_ids = [f"BENCH-AT-ONCE-{index}" for index in range(1, 4)]
    stores = [Store.objects.create(store_id=store_id, name=store_id) for store_id in store_ids]
    for index, store in enumerate(stores):
        import_store(store, args.per_store, 2_000_001 + index * args.per_store, workdir)
    env = command_env(broker)
    commands = [upload_command([store_id], env) for store_id in store_ids]
    for command in commands:
        if command.wait(timeout=900) != 0:
            raise SystemExit("catalog_upload failed")
    return planning_seconds(list(SyncRun.objects.filter(store__in=stores).order_by("store__store_id")))


def bench_send(args: argparse.Namespace, workdir: Path, broker: str) -> dict[str, Any]:
    from django.conf import settings

    from catalog.models import BatchStatus, Store, SyncRun, UploadBatch
    from catalog.tasks import sync_dispatch_task
    from jwo_admin.celery import app as celery_app

    store_ids = [f"BENCH-{index}" for index in range(1, 4)]
    stores = [Store.objects.create(store_id=store_id, name=store_id) for store_id in store_ids]
    items = args.per_store * len(stores)
    started = time.monotonic()
    for index, store in enumerate(stores):
        import_store(store, args.per_store, index * args.per_store + 1, workdir)
    print(f"setup: {items:,} products imported into {len(stores)} stores in {time.monotonic() - started:.1f} s")

    fake_process, fake = start_fake(store_ids, workdir)
    settings.JWO_AMAZON_ENDPOINT = fake["endpoint"]
    settings.JWO_SYNC_BATCH_SIZE = args.batch_size
    # Plan every store first, one after another, through the README's command: the batches wait in
    # Redis until the workers start, so the sending phase measures the rate limit, not planning
    # competing with the workers for the two cores.
    celery_app.conf.update(task_always_eager=False, broker_url=broker)
    planning_started = time.time()
    command = upload_command(store_ids, {**command_env(broker), "JWO_SYNC_BATCH_SIZE": str(args.batch_size)})
    if command.wait(timeout=900) != 0:
        raise SystemExit("catalog_upload failed")
    plan_seconds = time.time() - planning_started
    runs = list(SyncRun.objects.filter(store__in=stores).order_by("store__store_id"))
    env = {**worker_env(fake, args.batch_size), "REDIS_URL": broker, "CELERY_BROKER_URL": broker}
    workers = [
        subprocess.Popen(  # noqa: S603
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "jwo_admin",
                "worker",
                "--pool=solo",
                "-n",
                f"bench{index}@%h",
                "--loglevel=WARNING",
                "--without-mingle",
                "--without-gossip",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for index in (1, 2)
    ]
    try:
        batches = UploadBatch.objects.filter(sync_run__in=runs)
        while batches.filter(status__in=(BatchStatus.PENDING, BatchStatus.SENDING)).exists():
            sync_dispatch_task.delay()  # what beat does every few seconds: retries and polls
            time.sleep(1)
        deadline = time.monotonic() + 600
        while SyncRun.objects.filter(pk__in=[run.pk for run in runs]).exclude(status="done").exists():
            if time.monotonic() > deadline:
                raise SystemExit("results did not arrive within 10 minutes")
            sync_dispatch_task.delay()
            time.sleep(1)
        done = time.time()
        memory = [peak_rss_mib(worker.pid) for worker in workers]
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            worker.wait(timeout=30)
        log = fake_requests(fake["endpoint"])
        fake_process.terminate()
    uploads_log = sorted(row for row in log if row[1] == "/v1/catalog/upload")
    t0 = uploads_log[0][0]  # the first request reaches Amazon
    sent = max(row[0] for row in uploads_log if row[2] == 201)  # the last upload is accepted
    in_window = [row for row in log if t0 <= row[0] <= sent]
    uploads = [row for row in in_window if row[1] == "/v1/catalog/upload"]
    totals = SyncRun.objects.filter(pk__in=[run.pk for run in runs]).values_list(
        "items_total", "items_accepted", "items_rejected", "items_failed"
    )
    return {
        "plan_seconds": plan_seconds,
        "plan_each": planning_seconds(runs),
        "send_seconds": sent - t0,
        "results_seconds": done - t0,
        "plan_rate": items / plan_seconds,
        "requests": len(in_window),
        "uploads": len(uploads),
        "busiest": busiest_window([row[0] for row in log]),
        "throttled": sum(1 for row in log if row[2] == 429),
        # Steady state: from 5 s after the first request (workers warmed up: connections, credentials).
        "busiest_steady": busiest_window([row[0] for row in log if row[0] >= t0 + WARM_UP]),
        "throttled_steady": sum(1 for row in log if row[2] == 429 and row[0] >= t0 + WARM_UP),
        "items": sum(row[0] for row in totals),
        "accepted_items": sum(row[1] for row in totals),
        "failed_items": sum(row[3] for row in totals),
        "worker_mib_1": memory[0],
        "worker_mib_2": memory[1],
    }


def products_insert(store: Any, count: int, start: int) -> None:
    """``count`` new products of ``store``, each with one barcode, straight into the tables."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO catalog_product (store_id, sku, name, brand, price, tax_code, category, subcategory, unit,
                status, warnings, suggested_name, amazon_fingerprint, synced_fingerprint, is_archived_on_amazon,
                sync_error, import_hash, created_at, updated_at)
            SELECT %s, 'SKU' || n, 'Product number ' || n, 'Brand', 1.99, 'FOOD', 'Food', 'Snacks', 'each',
                'active', '[]', '', md5(n::text), '', false, '', '', now(), now()
            FROM generate_series(%s, %s) AS n
            """,
            [store.pk, start, start + count - 1],
        )
        cursor.execute(
            """
            INSERT INTO catalog_barcode (store_id, product_id, value, type, match_key, is_primary, position)
            SELECT %s, p.id, lpad(p.id::text, 13, '0'), 'EAN', lpad(p.id::text, 14, '0'), true, 0
            FROM catalog_product p WHERE p.store_id = %s
            """,
            [store.pk, store.pk],
        )
        cursor.execute("ANALYZE catalog_product, catalog_barcode")


def bench_plan_scale(sizes: list[int]) -> list[tuple[int, float]]:
    """One store of each size planned (10,000-item batches, the default): (products, seconds)."""
    from django.conf import settings

    from catalog.models import Store
    from catalog.services.sync_plan import sync_plan

    settings.JWO_SYNC_BATCH_SIZE = 10_000
    figures = []
    for size in sizes:
        store = Store.objects.create(store_id=f"BENCH-SCALE-{size}", name=f"{size:,} products")
        products_insert(store, size, 10_000_001)
        started = time.monotonic()
        run = sync_plan(store=store)
        figures.append((size, time.monotonic() - started))
        if run.items_total != size:
            raise SystemExit(f"planned {run.items_total:,} of {size:,}")
        print(f"setup: a store of {size:,} planned", flush=True)
    return figures


def bench_find_changes(products: int) -> tuple[float, int]:
    from django.db import connection

    from catalog.models import Store
    from catalog.selectors.sync import pending_uploads, sync_preview

    store = Store.objects.create(store_id="BENCH-BIG", name="Big store")
    started = time.monotonic()
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO catalog_product (store_id, sku, name, brand, price, tax_code, category, subcategory, unit,
                status, warnings, suggested_name, amazon_fingerprint, synced_fingerprint, is_archived_on_amazon,
                sync_error, import_hash, created_at, updated_at)
            SELECT %s, 'SKU' || n, 'Product ' || n, '', 1.00, '', 'Cat', '', 'each', 'active', '[]', '',
                md5(n::text), CASE WHEN n %% 100 = 0 THEN md5('old' || n) ELSE md5(n::text) END, false, '', '',
                now(), now()
            FROM generate_series(1, %s) AS n
            """,
            [store.pk, products],
        )
        cursor.execute("ANALYZE catalog_product")
    print(f"setup: {products:,} products ({products // 100:,} changed) inserted in {time.monotonic() - started:.1f} s")
    started = time.monotonic()
    preview = sync_preview(store=store, sample_size=10)
    ids = list(pending_uploads(store=store).values_list("pk", flat=True))
    elapsed = time.monotonic() - started
    assert preview.changed == len(ids) == products // 100, (preview.changed, len(ids))  # noqa: S101
    return elapsed, len(ids)


def bench_report(workdir: Path, fake_endpoint_env: dict[str, str] | None = None) -> tuple[float, int]:
    """Parse and store a 10,000-item report through the real code path (download from the fake)."""
    from django.conf import settings

    from catalog.models import Store, UploadBatch
    from catalog.services.sync_plan import sync_plan
    from catalog.services.sync_results import batch_results_apply
    from catalog.services.sync_send import sync_batch_send
    from jwo_admin.integrations.amazon_catalog import client_from_settings, client_reset

    store = Store.objects.create(store_id="BENCH-REPORT", name="Report store")
    import_store(store, 10_000, 900_001, workdir)
    fake_process, fake = start_fake(["BENCH-REPORT"], workdir)
    try:
        os.environ.update({"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"})
        settings.JWO_AMAZON_ENDPOINT = fake["endpoint"]
        settings.AWS_ENDPOINT_URL = fake["aws_endpoint_url"]
        settings.JWO_SYNC_BATCH_SIZE = 10_000
        settings.REDIS_URL = ""
        client_reset()
        from jwo_admin.celery import app as celery_app

        celery_app.conf.update(task_always_eager=False)
        run = sync_plan(store=store)
        batch = run.batches.get()
        sync_batch_send(batch_id=batch.pk)
        batch = UploadBatch.objects.get(pk=batch.pk)
        assert batch.status == "accepted", (batch.status, batch.last_error)  # noqa: S101
        link = ""
        for _ in range(200):
            result = client_from_settings().status(batch.ingestion_id or "")
            if result.processing_status == "DONE":
                link = result.report_link
                break
            time.sleep(0.1)
        started = time.monotonic()
        batch_results_apply(batch_id=batch.pk, link=link)
        elapsed = time.monotonic() - started
        batch.refresh_from_db()
        assert batch.status == "done", (batch.status, batch.last_error)  # noqa: S101
        return elapsed, batch.items.filter(result="accepted").count()
    finally:
        fake_process.terminate()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--per-store", type=int, default=100_000, help="products per store of the three-store runs")
    parser.add_argument(
        "--scale", default="100000,300000,1000000", help="store sizes whose planning is timed alone (comma-separated)"
    )
    parser.add_argument(
        "--batch-size",
        type=int,
        default=1000,
        help="items per request (≤ 10,000); smaller batches make more requests, so the rate "
        "limit, not the payload size, is what the run measures",
    )
    parser.add_argument("--products", type=int, default=1_000_000)
    args = parser.parse_args()
    setup_django()
    import redis

    broker = os.environ["REDIS_URL"].rsplit("/", 1)[0] + f"/{REDIS_DB}"
    redis.Redis.from_url(broker).flushdb()
    scale = [int(size) for size in args.scale.split(",") if size.strip()]
    try:
        with tempfile.TemporaryDirectory(prefix="jwo-bench-sync-") as tmp:
            workdir = Path(tmp)
            send = bench_send(args, workdir, broker)
            at_once = bench_plan_at_once(args, workdir, broker)
            scaled = bench_plan_scale(scale)
            find_seconds, found = bench_find_changes(args.products)
            report_seconds, report_items = bench_report(workdir)
    finally:
        redis.Redis.from_url(broker).flushdb()

    bound = send["requests"] / 10
    ratio = send["send_seconds"] / bound if bound else float("inf")
    per_100k = [seconds * 100_000 / args.per_store for seconds in send["plan_each"]]
    at_once_100k = [seconds * 100_000 / args.per_store for seconds in at_once]
    print()
    print(f"planning through `catalog_upload --store A --store B --store C`, {args.per_store:,} changed products each")
    print(
        "  one after another       "
        + ", ".join(f"{seconds:5.1f} s" for seconds in send["plan_each"])
        + f"   per 100,000: worst {max(per_100k):5.1f} s   bar ≤ 10 s   ratio {max(per_100k) / 10:4.2f}   "
        + verdict(max(per_100k) <= 10)
    )
    print(
        "  at once (3 processes)   "
        + ", ".join(f"{seconds:5.1f} s" for seconds in at_once)
        + f"   per 100,000: worst {max(at_once_100k):5.1f} s   bar ≤ 10 s   ratio {max(at_once_100k) / 10:4.2f}   "
        + verdict(max(at_once_100k) <= 10)
    )
    base_rate = scale[0] / scaled[0][1] if scaled else 0.0
    for size, seconds in scaled:
        rate = size / seconds
        line = f"  one store of {size:>9,}   {seconds:6.1f} s   {rate:8,.0f} rows/s   per-row cost vs {scale[0]:,}: "
        line += f"ratio {base_rate / rate:4.2f}"
        if size >= 1_000_000:
            line += f"   bar ≤ 60 s per 1,000,000   ratio {seconds * 1_000_000 / size / 60:4.2f}   "
            line += verdict(seconds * 1_000_000 / size <= 60)
        print(line)
    print(
        f"catalog sync — {send['items']:,} items over 3 stores, {send['uploads']} uploads of ≤ {args.batch_size:,}"
        f" items, 2 worker processes, Redis limiter"
    )
    print(
        f"  sending phase          {send['send_seconds']:8.1f} s   bound (requests ÷ 10/s) {bound:6.1f} s "
        f"({send['requests']} requests)   ratio {ratio:4.2f}   bar ≤ 1.30   {'PASS' if ratio <= 1.3 else 'FAIL'}"
    )
    print(f"  planning (before it)   {send['plan_seconds']:8.1f} s   {send['plan_rate']:,.0f} items/s")
    print(
        f"  busiest 1-s window     {send['busiest_steady']:8d} requests at steady state "
        f"({send['busiest']} counting the first {WARM_UP:.0f} s)   limit 10   "
        f"{'PASS' if send['busiest_steady'] <= 10 else 'FAIL'}"
    )
    print(
        f"  429 answers            {send['throttled_steady']:8d} at steady state ({send['throttled']} counting the "
        f"first {WARM_UP:.0f} s)   bar 0 at steady state   {'PASS' if not send['throttled_steady'] else 'FAIL'}"
    )
    print(
        f"  all results applied    {send['results_seconds']:8.1f} s   items {send['accepted_items']:,} accepted,"
        f" {send['failed_items']:,} failed of {send['items']:,}"
    )
    print(
        f"  worker peak memory     {send['worker_mib_1']:8.0f} MiB, {send['worker_mib_2']:.0f} MiB   bar ≤ 400   "
        f"{'PASS' if max(send['worker_mib_1'], send['worker_mib_2']) <= 400 else 'FAIL'}"
    )
    print(
        f"finding changes among {args.products:,} products (1% changed): {find_seconds:6.2f} s for {found:,}   "
        f"bar ≤ 5 s   {'PASS' if find_seconds <= 5 else 'FAIL'}"
    )
    print(
        f"10,000-item report parsed and stored: {report_seconds:6.2f} s ({report_items:,} accepted)   bar ≤ 2 s   "
        f"{'PASS' if report_seconds <= 2 else 'FAIL'}"
    )


if __name__ == "__main__":
    main()
