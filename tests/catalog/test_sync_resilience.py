"""A sync big enough for several batches, and a worker killed in the middle of a send."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connection

from catalog.demo import ERP_COLUMNS, erp_rows, write_erp_csv
from catalog.models import AmazonCall, InboundMessage, ItemResult, MappingProfile, Product, Store, SyncItem
from catalog.services.sync_plan import sync_plan
from jwo_admin.celery import app as celery_app
from tests.catalog.helpers import run_import
from tests.catalog.sync_helpers import drive
from tests.conftest import missing_service

pytestmark = pytest.mark.django_db(transaction=True)
ROOT = Path(__file__).resolve().parents[2]


def import_erp(store: Store, tmp_path: Path, count: int) -> None:
    profile = MappingProfile.objects.create(name="ERP", columns=ERP_COLUMNS)
    path = tmp_path / "erp.csv"
    write_erp_csv(path, erp_rows(count))
    job = run_import(store, path, profile=profile)
    assert (job.status, job.rows_new) == ("applied", count)


def test_25000_items_go_in_three_batches_and_each_ends_once(store: Store, fake_amazon: Any, tmp_path: Path) -> None:
    import_erp(store, tmp_path, 25_000)
    fake_amazon.amazon.knobs.reject_rate = 0.001

    run = drive(sync_plan(store=store), timeout=120)

    assert list(run.batches.values_list("sequence", "item_count", "status")) == [
        (1, 10_000, "done"),
        (2, 10_000, "done"),
        (3, 5_000, "done"),
    ]
    assert run.items_total == 25_000
    assert run.items_accepted + run.items_rejected == 25_000
    assert run.items_failed == 0
    assert 0 < run.items_rejected < 100
    assert SyncItem.objects.filter(sync_run=run).values("product_id").distinct().count() == 25_000
    assert Product.objects.exclude(synced_fingerprint="").count() == run.items_accepted
    assert AmazonCall.objects.filter(operation="upload", outcome="accepted").count() == 3
    sent = sum(len(batch.payload["catalogItems"]) for batch in run.batches.all())
    assert sent == 25_000


def _worker_env(fake_amazon: Any) -> dict[str, str]:
    database = settings.DATABASES["default"]
    url = f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}"
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "jwo_admin.settings.test",
        "DATABASE_URL": url,
        "REDIS_URL": os.environ["REDIS_URL"],
        "JWO_AMAZON_ENDPOINT": fake_amazon.endpoint,
        "AWS_ENDPOINT_URL": fake_amazon.aws_endpoint_url,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
    }


def test_worker_killed_mid_send_is_resumed_and_every_item_ends_once(
    store: Store, fake_amazon: Any, tmp_path: Path, require_postgres: None, settings: Any
) -> None:
    if not os.environ.get("REDIS_URL"):
        missing_service("Redis (set REDIS_URL; `make test` starts one)")
    import_erp(store, tmp_path, 300)
    queue = f"kill-test-{os.getpid()}-{time.monotonic_ns()}"
    fake_amazon.amazon.knobs.latency_ms = 6000  # the upload hangs: time to kill the worker mid-call
    worker = subprocess.Popen(  # noqa: S603 - our own worker, argv fixed
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "jwo_admin",
            "worker",
            "--pool=solo",
            "-Q",
            queue,
            "--loglevel=WARNING",
            "--without-mingle",
            "--without-gossip",
        ],
        cwd=ROOT,
        env=_worker_env(fake_amazon),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    eager, broker, route = celery_app.conf.task_always_eager, celery_app.conf.broker_url, celery_app.conf.task_routes
    celery_app.conf.update(
        task_always_eager=False, broker_url=os.environ["REDIS_URL"], task_routes={"catalog.tasks.*": {"queue": queue}}
    )
    try:
        run = sync_plan(store=store)  # on commit, the send goes to the real worker through Redis
        deadline = time.monotonic() + 60
        while run.batches.get().status != "sending":  # the worker claimed the batch…
            assert time.monotonic() < deadline, "the worker never claimed the batch"
            time.sleep(0.1)
        time.sleep(1.5)  # …and its upload is now hanging inside the fake
        assert run.batches.get().status == "sending"
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)
    finally:
        celery_app.conf.update(task_always_eager=eager, broker_url=broker, task_routes=route)
        if worker.poll() is None:
            worker.kill()
    connection.close()

    fake_amazon.amazon.knobs.latency_ms = 0
    settings.JWO_SYNC_STALE_SECONDS = 0  # the sweeper takes the abandoned claim back at once
    run = drive(run, timeout=60)

    batch = run.batches.get()
    assert (run.status, run.items_total, run.items_accepted, run.items_failed) == ("done", 300, 300, 0)
    assert batch.attempts == 2
    assert SyncItem.objects.filter(sync_run=run, result=ItemResult.ACCEPTED).count() == 300
    assert SyncItem.objects.filter(sync_run=run).values("product_id").distinct().count() == 300
    # The killed call reached Amazon too: its ingestion's notice matches no batch and is only recorded.
    time.sleep(0.5)
    from catalog.services.notifications import notifications_consume

    notifications_consume(seconds=1, stop_when_empty=True)
    assert InboundMessage.objects.filter(ingestion_id=batch.ingestion_id, status="applied").count() == 1
    assert InboundMessage.objects.exclude(ingestion_id=batch.ingestion_id).filter(status="ignored").count() <= 1
