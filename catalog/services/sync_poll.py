"""Poll an accepted batch: ask Amazon for its status until its report is ready, then apply the
results; give up on it when none come within JWO_SYNC_POLL_MAX_SECONDS. States: see
catalog.services.sync_records."""

from datetime import timedelta

from django.conf import settings
from django.db.models import F
from django.utils import timezone

from catalog.models import BatchStatus, UploadBatch
from catalog.services.sync_records import amazon_call_record, batch_fail
from catalog.services.sync_results import ReportNotReady, batch_results_apply
from jwo_admin.integrations.amazon_catalog import Outcome, client_from_settings

WAITING_STATUSES = ("INQUEUE", "INPROGRESS")
FAILED_STATUSES = ("CANCELLED", "FATAL")


def sync_batch_poll(*, batch_id: int) -> None:
    """Ask Amazon for an accepted batch's status; on DONE fetch and apply the report."""
    now = timezone.now()
    claimed = UploadBatch.objects.filter(pk=batch_id, status=BatchStatus.ACCEPTED, next_poll_at__lte=now).update(
        polls=F("polls") + 1, next_poll_at=now + timedelta(seconds=60), updated_at=now
    )
    if not claimed:
        return
    batch = UploadBatch.objects.defer("body").get(pk=batch_id)
    result = client_from_settings().status(batch.ingestion_id or "")
    amazon_call_record(result, batch)
    if result.outcome is not Outcome.OK:
        _schedule_poll(batch, result.message or result.outcome.value)
        return
    status = result.processing_status
    UploadBatch.objects.filter(pk=batch.pk).update(processing_status=status[:10])
    if status in WAITING_STATUSES:
        _schedule_poll(batch, "")
    elif status in FAILED_STATUSES:
        batch_fail(batch, f"Amazon ended the ingestion as {status}; nothing of it was applied. Sync again.")
    elif status == "DONE":
        try:
            batch_results_apply(batch_id=batch.pk, link=result.report_link)
        except ReportNotReady as error:  # the report cannot be had now: poll again, within the deadline
            _schedule_poll(batch, str(error))
    else:
        _schedule_poll(batch, f"Unknown processing status {status!r}")


def _schedule_poll(batch: UploadBatch, error: str) -> None:
    """Poll again later, or give up past JWO_SYNC_POLL_MAX_SECONDS after acceptance whatever kept
    the results away (still processing, status errors, a report link that never works): the batch
    fails with the last reason and its items go to the run's follow-up sync."""
    age = (timezone.now() - (batch.accepted_at or timezone.now())).total_seconds()
    if age > settings.JWO_SYNC_POLL_MAX_SECONDS:
        last = f" Last: {error}" if error else ""
        batch_fail(
            batch,
            f"No result from Amazon {int(age // 60)} minutes after it accepted the batch.{last}",
            gave_up=True,
        )
        return
    delay = min(2 * 2 ** min(batch.polls, 8), 300)
    UploadBatch.objects.filter(pk=batch.pk, status=BatchStatus.ACCEPTED).update(
        next_poll_at=timezone.now() + timedelta(seconds=delay), last_error=error[:2000]
    )
