"""Send a batch to Amazon: claim it, send it within the shared rate limit, and move it on from
Amazon's answer (accepted; retried later with backoff; split in two; failed). States: see
catalog.services.sync_records."""

import random
import re
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Max, Q
from django.utils import timezone

from catalog.models import AmazonStoreList, BatchKind, BatchStatus, SyncItem, SyncRun, UploadBatch
from catalog.services.sync_records import amazon_call_record, batch_fail, sync_run_refresh
from jwo_admin.core.tasks import task_enqueue_on_commit
from jwo_admin.integrations.amazon_catalog import Outcome, client_from_settings

SEND_TASK = "catalog.tasks.sync_batch_send_task"

_QUOTED = re.compile(r"""['"]([^'"]{1,255})['"]""")


def stores_listed(message: str) -> list[str]:
    """[INFERRED] The store ids in Amazon's refusal of an archive that did not name them all (its
    wording is not published): the quoted ones, else the comma-separated ones after the last colon."""
    quoted = _QUOTED.findall(message)
    if quoted:
        return sorted(set(quoted))
    _, colon, tail = message.rpartition(":")
    parts = [part.strip(" []().") for part in tail.split(",")] if colon else []
    return sorted({part for part in parts if part and " " not in part})


def _archive_stores_learned(batch: UploadBatch, message: str) -> bool:
    """Amazon refused an archive for its store list and said which stores it has: keep its list,
    rewrite the batch with it and send it again at once. False when the message lists none new."""
    listed = stores_listed(message)
    payload = batch.payload
    if not listed or sorted(payload.get("allApplicableStores", [])) == listed:
        return False
    AmazonStoreList.objects.update_or_create(pk=1, defaults={"store_ids": listed, "source": message[:2000]})
    UploadBatch.objects.filter(pk=batch.pk, status=BatchStatus.SENDING).update(
        status=BatchStatus.PENDING,
        body=UploadBatch.encode_body({**payload, "allApplicableStores": listed}),
        next_attempt_at=timezone.now(),
        last_error=f"Amazon listed its stores; sending again with them: {message}"[:2000],
        updated_at=timezone.now(),
    )
    task_enqueue_on_commit(SEND_TASK, batch.pk, what=f"the send of batch {batch.pk}")
    return True


def backoff_seconds(attempt: int, retry_after: float | None = None) -> float:
    """Capped exponential backoff with full jitter; Amazon's Retry-After wins when it is longer."""
    ceiling = min(settings.JWO_SYNC_BACKOFF_CAP, settings.JWO_SYNC_BACKOFF_BASE * 2 ** max(attempt - 1, 0))
    delay = random.uniform(ceiling / 2, ceiling)  # noqa: S311 - jitter, not security
    return max(delay, retry_after or 0.0)


def _claim_for_send(batch_id: int) -> bool:
    now = timezone.now()
    stale = now - timedelta(seconds=settings.JWO_SYNC_STALE_SECONDS)
    due = Q(status=BatchStatus.PENDING) & (Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
    abandoned = Q(status=BatchStatus.SENDING, claimed_at__lt=stale)
    return bool(
        UploadBatch.objects.filter(Q(pk=batch_id) & (due | abandoned)).update(
            status=BatchStatus.SENDING, claimed_at=now, attempts=F("attempts") + 1, updated_at=now
        )
    )


def sync_batch_send(*, batch_id: int) -> float | None:
    """Send one batch if it is due and unclaimed. Returns seconds until a retry is due, else None."""
    if not _claim_for_send(batch_id):
        return None
    batch = UploadBatch.objects.select_related("sync_run__store").get(pk=batch_id)
    client = client_from_settings()
    operation = "archive" if batch.kind == BatchKind.ARCHIVE else "upload"
    result = client.send(operation, batch.request_body)
    now = timezone.now()
    if not result.is_sent:
        # Refused on our side (no rate-limit slot, or Redis, which holds the shared limit, down):
        # nothing reached Amazon, so no attempt is spent; the dispatcher sends it when it is due.
        delay = backoff_seconds(1, result.retry_after)
        UploadBatch.objects.filter(pk=batch.pk, status=BatchStatus.SENDING).update(
            status=BatchStatus.PENDING,
            attempts=F("attempts") - 1,
            next_attempt_at=now + timedelta(seconds=delay),
            last_error=result.message,
            updated_at=now,
        )
        return delay
    amazon_call_record(result, batch)
    if result.outcome is Outcome.ACCEPTED:
        try:
            with transaction.atomic():
                UploadBatch.objects.filter(pk=batch.pk, status=BatchStatus.SENDING).update(
                    status=BatchStatus.ACCEPTED,
                    ingestion_id=result.ingestion_id,
                    accepted_at=now,
                    next_poll_at=now + timedelta(seconds=2),
                    last_error="",
                    updated_at=now,
                )
        except IntegrityError:  # the same ingestion id twice: Amazon's problem, keep it visible
            batch_fail(batch, f"Amazon returned ingestion id {result.ingestion_id} already used by another batch")
        sync_run_refresh(run_id=batch.sync_run_id)
        return None
    detail = f"{result.outcome.value} (HTTP {result.status_code}): {result.message}"
    is_archive = batch.kind == BatchKind.ARCHIVE
    if is_archive and result.outcome is Outcome.STORE_ID_ERROR and _archive_stores_learned(batch, result.message):
        return 0.0
    if result.outcome in (Outcome.TOO_LARGE, Outcome.INVALID_BODY) and batch.item_count > 1:
        # Never the same body again: halve it until the item Amazon refuses stands alone (a
        # 10,000-item batch with one bad item costs about 14 more requests, not 10,000 failures).
        batch_split(batch, detail)
        return None
    attempts = (
        settings.JWO_SYNC_SERVER_ERROR_ATTEMPTS
        if result.outcome is Outcome.SERVER_ERROR
        else settings.JWO_SYNC_MAX_ATTEMPTS
    )
    if result.outcome.is_retryable and batch.attempts < attempts:
        delay = backoff_seconds(batch.attempts, result.retry_after)
        UploadBatch.objects.filter(pk=batch.pk, status=BatchStatus.SENDING).update(
            status=BatchStatus.PENDING,
            next_attempt_at=now + timedelta(seconds=delay),
            last_error=detail,
            updated_at=now,
        )
        return delay
    gave_up = result.outcome.is_retryable or result.outcome is Outcome.FATAL_ERROR
    if result.outcome.is_retryable:
        detail = f"Gave up after {batch.attempts} attempts; last: {detail}"
    batch_fail(batch, detail, gave_up=gave_up)
    return None


@transaction.atomic
def batch_split(batch: UploadBatch, reason: str) -> list[UploadBatch]:
    """Replace a batch Amazon refused as a whole (413 too large, 400 invalid body) by its two
    halves, each with its own items, queued to send; the batch itself ends *split* with the reason."""
    SyncRun.objects.select_for_update().only("pk").get(pk=batch.sync_run_id)  # one split of a run at a time
    if not UploadBatch.objects.filter(pk=batch.pk, status=BatchStatus.SENDING).update(
        status=BatchStatus.SPLIT, last_error=f"Split in two: {reason}", updated_at=timezone.now()
    ):
        return []
    payload = batch.payload
    key = "itemSkus" if batch.kind == BatchKind.ARCHIVE else "catalogItems"
    entries = payload[key]
    middle = len(entries) // 2
    sequence = UploadBatch.objects.filter(sync_run_id=batch.sync_run_id).aggregate(Max("sequence"))["sequence__max"]
    halves = []
    for offset, part in enumerate((entries[:middle], entries[middle:]), start=1):
        half = UploadBatch.objects.create(
            sync_run_id=batch.sync_run_id,
            kind=batch.kind,
            sequence=sequence + offset,
            body=UploadBatch.encode_body({**payload, key: part}),
            item_count=len(part),
            split_from=batch,
        )
        skus = [entry if isinstance(entry, str) else entry["item_sku"] for entry in part]
        for start in range(0, len(skus), 5000):
            SyncItem.objects.filter(batch=batch, sku__in=skus[start : start + 5000]).update(batch=half)
        halves.append(half)
    for half in halves:
        task_enqueue_on_commit(SEND_TASK, half.pk, what=f"the send of batch {half.pk}")
    return halves
