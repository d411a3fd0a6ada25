"""Celery wrappers: load by id, call a service. Every task is safe to run twice (services claim
their work with conditional updates)."""

import contextlib

from celery import shared_task
from django.conf import settings

from catalog.selectors.sync import sync_due_batches, sync_follow_ups_due, sync_runs_stuck_planning
from catalog.services.files import catalog_files_sweep
from catalog.services.imports import import_job_run, import_jobs_sweep
from catalog.services.notifications import notifications_consume
from catalog.services.sync_plan import sync_follow_up_request, sync_run_fill
from catalog.services.sync_poll import sync_batch_poll
from catalog.services.sync_results import ReportNotReady
from catalog.services.sync_send import sync_batch_send


@shared_task(acks_late=True, ignore_result=True)
def catalog_import_run_task(job_id: int) -> None:
    import_job_run(job_id=job_id)


@shared_task(ignore_result=True)
def catalog_import_sweep_task() -> None:
    import_jobs_sweep()


@shared_task(ignore_result=True)
def catalog_files_sweep_task() -> None:
    catalog_files_sweep()


@shared_task(acks_late=True, ignore_result=True)
def sync_plan_task(run_id: int) -> None:
    sync_run_fill(run_id=run_id)


@shared_task(acks_late=True, ignore_result=True)
def sync_batch_send_task(batch_id: int) -> None:
    """Send one batch; a retry is picked up by ``sync_dispatch_task`` when it falls due."""
    sync_batch_send(batch_id=batch_id)


@shared_task(acks_late=True, ignore_result=True)
def sync_batch_poll_task(batch_id: int) -> None:
    with contextlib.suppress(ReportNotReady):  # the batch stays accepted; the next dispatch polls again
        sync_batch_poll(batch_id=batch_id)


@shared_task(ignore_result=True)
def sync_dispatch_task() -> None:
    """Beat, every few seconds: due retries, abandoned claims (a killed worker), due polls and due
    follow-up syncs."""
    for run_id in sync_runs_stuck_planning():
        sync_plan_task.delay(run_id)
    for run_id in sync_follow_ups_due():
        sync_follow_up_request(run_id=run_id)
    to_send, to_poll = sync_due_batches()
    for batch_id in to_send:
        sync_batch_send_task.delay(batch_id)
    for batch_id in to_poll:
        sync_batch_poll_task.delay(batch_id)


@shared_task(ignore_result=True, soft_time_limit=settings.JWO_SQS_RUN_SECONDS + 60)
def catalog_results_consume_task() -> None:
    """Beat: read Amazon's notifications for a bounded time (the same code as `catalog_results`)."""
    notifications_consume(seconds=settings.JWO_SQS_RUN_SECONDS)
