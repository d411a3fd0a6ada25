"""What every step of a sync records: each call to Amazon, a batch failing with its items, and the
run's figures and state. Sending, polling, applying results and reading notifications all move
these, so they live apart from any one of them.

States (each move is a conditional UPDATE, so every step is safe to run twice):
  batch  PENDING → SENDING → ACCEPTED → DONE          (results applied to every item)
                       ↘ PENDING (retry later)   ↘ FAILED (refused, retries exhausted, FATAL)
  item   PENDING → ACCEPTED | REJECTED | FAILED      (exactly once per sync, with the reason)
  run    SENDING (holds the store) → WAITING (results to come) → DONE
"""

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from catalog.models import AmazonCall, BatchStatus, ItemResult, Product, SyncItem, SyncRun, SyncStatus, UploadBatch
from jwo_admin.core.metrics import sync_items
from jwo_admin.integrations.amazon_catalog import CallResult


def amazon_call_record(result: CallResult, batch: UploadBatch | None) -> AmazonCall:
    return AmazonCall.objects.create(
        operation=result.operation,
        batch=batch,
        outcome=result.outcome.value,
        status_code=result.status_code,
        message=result.message[:2000],
        duration_ms=result.duration_ms,
        request_bytes=result.request_bytes,
        response_excerpt=result.excerpt,
    )


def batch_fail(batch: UploadBatch, reason: str, *, gave_up: bool = False) -> None:
    """The whole batch failed: every pending item of it ends failed with the reason. ``gave_up``:
    it failed for want of an answer (throttled, server errors, no result in time), not because
    Amazon refused it: its run schedules a follow-up sync of those items."""
    now = timezone.now()
    with transaction.atomic():
        updated = UploadBatch.objects.filter(pk=batch.pk).exclude(
            status__in=(BatchStatus.DONE, BatchStatus.FAILED, BatchStatus.SPLIT)
        )
        if updated.update(status=BatchStatus.FAILED, last_error=reason, gave_up=gave_up, updated_at=now):
            items = SyncItem.objects.filter(batch=batch, result=ItemResult.PENDING)
            Product.objects.filter(pk__in=items.values("product_id")).update(sync_error=reason[:500])
            failed = items.update(result=ItemResult.FAILED, message=reason, finished_at=now)
            run_counts_add(run_id=batch.sync_run_id, failed=failed)
            transaction.on_commit(lambda: sync_items.labels(result=ItemResult.FAILED).inc(failed))
    sync_run_refresh(run_id=batch.sync_run_id)


def run_counts_add(*, run_id: int, accepted: int = 0, rejected: int = 0, failed: int = 0, unknown: int = 0) -> None:
    """Count items that just got their result (each moves from pending once, by a conditional
    update that says how many it moved): the run's figures are kept as they happen, never
    recounted over its items."""
    if accepted or rejected or failed or unknown:
        SyncRun.objects.filter(pk=run_id).update(
            items_accepted=F("items_accepted") + accepted,
            items_rejected=F("items_rejected") + rejected,
            items_failed=F("items_failed") + failed,
            items_unknown=F("items_unknown") + unknown,
        )


def sync_run_refresh(*, run_id: int) -> SyncRun:
    """Move a run on from its batches' states: SENDING while batches await sending, WAITING while
    Amazon's results are due, DONE when every batch has its results. One read of the batches'
    distinct states (an index on the run): the item figures are kept as results arrive."""
    run = SyncRun.objects.get(pk=run_id)
    if run.status in (SyncStatus.PLANNING, SyncStatus.DONE):
        return run  # a worker is still planning it, or nothing more can happen to it
    statuses = set(run.batches.order_by().values_list("status", flat=True).distinct())
    if statuses & {BatchStatus.PENDING, BatchStatus.SENDING}:
        status = SyncStatus.SENDING
    elif BatchStatus.ACCEPTED in statuses:
        status = SyncStatus.WAITING
    else:
        status = SyncStatus.DONE
    if status != run.status:
        now = timezone.now()
        fields: dict[str, Any] = {"status": status, "finished_at": now if status == SyncStatus.DONE else None}
        if status == SyncStatus.DONE:
            fields["follow_up_at"] = _follow_up_due(run, now)
        SyncRun.objects.filter(pk=run.pk).exclude(status=SyncStatus.DONE).update(**fields, updated_at=now)
        run.refresh_from_db()
    return run


def _follow_up_due(run: SyncRun, now: Any) -> Any:
    """When a finished run's follow-up sync is due: some batch gave up on its items for want of an
    answer, and the follow-ups have not run out; backing off 5 min, 10, 20… up to 2 h."""
    if run.follow_up_generation >= settings.JWO_SYNC_FOLLOW_UPS:
        return None
    if not run.batches.filter(status=BatchStatus.FAILED, gave_up=True).exists():
        return None
    delay = min(settings.JWO_SYNC_FOLLOW_UP_SECONDS * 2**run.follow_up_generation, 7200)
    return now + timedelta(seconds=delay)
