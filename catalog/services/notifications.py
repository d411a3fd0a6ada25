"""Amazon's completion notifications (SNS → our SQS queue): each one recorded once, with its effect.

The message format is not published (SPEC M4), so we read only the ingestion id (and, when
present, the status and report link) and otherwise rely on the status API.
"""

import json
from typing import Any

from django.conf import settings
from django.db import transaction

from catalog.models import BatchStatus, InboundMessage, UploadBatch
from catalog.services.sync import batch_fail
from catalog.services.sync_results import Notification, batch_results_apply
from jwo_admin.integrations.sqs import ConsumeStats, QueueMessage, SqsConsumer

_ID_KEYS = ("ingestionId", "ingestion_id", "IngestionId")


def _record(message: QueueMessage, status: str, ingestion_id: str = "", error: str = "") -> None:
    InboundMessage.objects.get_or_create(
        message_id=message.message_id,
        defaults={"status": status, "ingestion_id": ingestion_id, "body": message.raw[:100_000], "error": error},
    )


def _read(body: str) -> dict[str, Any] | None:
    try:
        document = json.loads(body)
    except ValueError:
        return None
    if isinstance(document, dict) and isinstance(document.get("detail"), dict):
        document = {**document, **document["detail"]}
    return document if isinstance(document, dict) else None


def notification_handle(message: QueueMessage) -> None:
    """Apply one notification. Returns normally when the message may be deleted (applied,
    duplicate, ignored or poison — all recorded); raises to leave it on the queue for a retry."""
    if InboundMessage.objects.filter(message_id=message.message_id).exists():
        return  # a duplicate delivery: its effect is already recorded
    document = _read(message.body)
    ingestion_id = next((str(document[key]) for key in _ID_KEYS if document and document.get(key)), "")
    if document is None or not ingestion_id:
        _record(message, InboundMessage.Status.POISON, error="Not JSON, or no ingestionId in the notification")
        return
    batch = UploadBatch.objects.filter(ingestion_id=ingestion_id).first()
    if batch is None:
        _record(message, InboundMessage.Status.IGNORED, ingestion_id, "No batch of ours has this ingestion id")
        return
    status = str(document.get("processingStatus") or document.get("status") or "DONE").upper()
    notification = Notification(message.message_id, ingestion_id, message.raw[:100_000])
    if status in ("FATAL", "CANCELLED"):
        with transaction.atomic():
            _record(message, InboundMessage.Status.APPLIED, ingestion_id)
            batch_fail(batch, f"Amazon ended the ingestion as {status}; nothing of it was applied. Sync again.")
        return
    if batch.status != BatchStatus.ACCEPTED:
        _record(message, InboundMessage.Status.APPLIED, ingestion_id, f"Batch already {batch.status}")
        return
    link = str(document.get("reportDownloadLink") or "")
    batch_results_apply(batch_id=batch.pk, link=link, notification=notification)


def notifications_consume(*, seconds: float, stop_when_empty: bool = False) -> ConsumeStats:
    """Consume the results queue for at most ``seconds``; the beat task and the command share this."""
    if not settings.JWO_SQS_QUEUE_URL:
        return ConsumeStats()
    consumer = SqsConsumer(
        settings.JWO_SQS_QUEUE_URL,
        region=settings.AWS_REGION,
        endpoint_url=settings.AWS_ENDPOINT_URL,
        wait_seconds=settings.JWO_SQS_WAIT_SECONDS,
    )
    return consumer.run(notification_handle, seconds, stop_when_empty=stop_when_empty)
