"""Drill: a Celery worker killed (SIGKILL) in the middle of a large catalog import.

What must hold: nothing of the import is written (its one transaction dies with the worker's
connection); the job, silent now, is failed by the sweeper, which frees the store; running the
stuck task again does nothing; and the same file imported again is applied exactly, once.
"""

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.conf import settings

from catalog.demo import ERP_COLUMNS, ERP_PROFILE_NAME, erp_rows, write_erp_csv
from catalog.models import Barcode, ImportJob, ImportStatus, MappingProfile, Product, Store
from catalog.services.imports import import_job_create, import_job_run, import_jobs_sweep
from catalog.services.stores import mapping_profile_save
from tests.drills.servers import ROOT, database_url, production_env, require_postgresql

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.drill]
ROWS = 100_000
FINISHED = (ImportStatus.APPLIED, ImportStatus.REFUSED, ImportStatus.FAILED)
REDIS_DB = 6


def worker(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as handle:
        return subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
            [sys.executable, "-m", "celery", "-A", "jwo_admin", "worker", "--pool=solo", "--loglevel=WARNING"],
            cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip


def send_import(env: dict[str, str], job_id: int) -> None:
    subprocess.run(  # noqa: S603 - our own interpreter and arguments
        [sys.executable, "-m", "celery", "-A", "jwo_admin", "call", "catalog.tasks.catalog_import_run_task",
         "--args", f"[{job_id}]"],
        cwd=ROOT, env=env, check=True, capture_output=True, timeout=60,
    )  # fmt: skip


def wait_for(check: object, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not check():  # type: ignore[operator]
        assert time.monotonic() < deadline, what
        time.sleep(0.1)


def test_a_worker_killed_mid_import_writes_nothing_and_the_import_is_redone_once(
    store: Store, redis_url: str, tmp_path: Path
) -> None:
    require_postgresql()
    profile = MappingProfile.objects.filter(name=ERP_PROFILE_NAME).first() or mapping_profile_save(
        profile=MappingProfile(name=ERP_PROFILE_NAME, columns=ERP_COLUMNS)
    )
    source = tmp_path / "erp.csv"
    write_erp_csv(source, erp_rows(ROWS))
    broker = urlunsplit(urlsplit(redis_url)._replace(path=f"/{REDIS_DB}"))
    import redis

    redis.Redis.from_url(broker).flushdb()
    env = production_env(database=database_url(), redis=broker, DJANGO_MEDIA_ROOT=str(settings.MEDIA_ROOT))
    job = import_job_create(store=store, upload=source, profile=profile, is_dry_run=False)

    first = worker(env, tmp_path / "worker-1.log")
    try:
        send_import(env, job.pk)
        wait_for(
            lambda: ImportJob.objects.filter(pk=job.pk, rows_done__gte=20_000).exists(), 120, "the import did not start"
        )
        os.killpg(first.pid, signal.SIGKILL)
        first.wait(timeout=10)
    finally:
        if first.poll() is None:
            os.killpg(first.pid, signal.SIGKILL)
    killed = ImportJob.objects.get(pk=job.pk)
    time.sleep(1)  # PostgreSQL notices the dead connection and rolls its transaction back
    written_after_kill = (Product.objects.filter(store=store).count(), Barcode.objects.filter(store=store).count())

    swept = import_jobs_sweep(stale_after=timedelta(0))
    failed = ImportJob.objects.get(pk=job.pk)
    rerun = import_job_run(job_id=job.pk)  # the stuck task delivered again: it claims nothing
    written_after_rerun = Product.objects.filter(store=store).count()

    second = worker(env, tmp_path / "worker-2.log")
    try:
        again = import_job_create(store=store, upload=source, profile=profile, is_dry_run=False)
        send_import(env, again.pk)
        wait_for(
            lambda: ImportJob.objects.filter(pk=again.pk, status__in=FINISHED).exists(),
            180,
            "the import again did not finish",
        )
    finally:
        os.killpg(second.pid, signal.SIGTERM)
        second.wait(timeout=30)

    assert killed.status in (ImportStatus.RUNNING, ImportStatus.WRITING)
    assert 20_000 <= killed.rows_done < ROWS
    assert written_after_kill == (0, 0)
    assert swept == 1
    assert (failed.status, failed.holds_store_lock) == (ImportStatus.FAILED, False)
    assert "nothing was written" in failed.message
    assert (rerun.status, written_after_rerun) == (ImportStatus.FAILED, 0)
    done = ImportJob.objects.get(pk=again.pk)
    assert (done.status, done.message, done.rows_new, done.rows_rejected) == (ImportStatus.APPLIED, "", ROWS, 0)
    assert Product.objects.filter(store=store).count() == ROWS
    assert Barcode.objects.filter(store=store).count() == Barcode.objects.filter(product__store=store).count()
    assert Product.objects.filter(store=store, last_import=done).count() == ROWS
