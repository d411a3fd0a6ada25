"""Amazon's completion notifications (SNS → our SQS queue): each one recorded once, with its effect.

The message format is not published (SPEC M4), so we read only the ingestion id (and, when
present, the status and report link) and otherwise rely on the status API.
"""

import json
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from catalog.models import BatchStatus, InboundMessage, UploadBatch
from catalog.services.sync_records import batch_fail
from catalog.services.sync_results import Notification, batch_results_apply
from jwo_admin.core.exceptions import ApplicationError
from jwo_admin.integrations.sns import SubscriptionConfirmError, subscribe_url_visit
from jwo_admin.integrations.sqs import ConsumeStats, QueueMessage, SqsConsumer

_ID_KEYS = ("ingestionId", "ingestion_id", "IngestionId")


def nul_escaped(text: str) -> str:
    """PostgreSQL text cannot hold NUL: written as \\u0000 so the message is recorded, not lost."""
    return text.replace("\x00", "\\u0000")


def _record(message: QueueMessage, status: str, ingestion_id: str = "", error: str = "") -> None:
    InboundMessage.objects.get_or_create(
        message_id=nul_escaped(message.message_id)[:255],
        defaults={
            "status": status,
            "ingestion_id": nul_escaped(ingestion_id)[:255],
            "body": nul_escaped(message.raw[:100_000]),
            "error": nul_escaped(error),
        },
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
    if InboundMessage.objects.filter(message_id=nul_escaped(message.message_id)[:255]).exists():
        return  # a duplicate delivery: its effect is already recorded
    if message.kind == "SubscriptionConfirmation":
        _record(message, InboundMessage.Status.SUBSCRIPTION)  # staff confirm it from the sync page
        return
    if message.kind == "UnsubscribeConfirmation":
        _record(message, InboundMessage.Status.IGNORED, error="SNS confirmed an unsubscription of our queue")
        return
    document = _read(message.body)
    ingestion_id = next((str(document[key]) for key in _ID_KEYS if document and document.get(key)), "")
    if document is None or not ingestion_id or "\x00" in ingestion_id:
        _record(message, InboundMessage.Status.POISON, error="Not JSON, or no ingestionId in the notification")
        return
    batch = UploadBatch.objects.filter(ingestion_id=ingestion_id).first()
    if batch is None:
        _record(message, InboundMessage.Status.IGNORED, ingestion_id, "No batch of ours has this ingestion id")
        return
    status = str(document.get("processingStatus") or document.get("status") or "DONE").upper()
    notification = Notification(nul_escaped(message.message_id)[:255], ingestion_id, nul_escaped(message.raw[:100_000]))
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


def subscription_confirm(*, message: InboundMessage, confirmed_by: Any = None) -> InboundMessage:
    """Confirm the SNS subscription a SubscriptionConfirmation asks for, by visiting its
    SubscribeURL. Raises ApplicationError (with SNS's reason) when it cannot be confirmed."""
    if message.status != InboundMessage.Status.SUBSCRIPTION:
        raise ApplicationError("This message is not a subscription waiting for confirmation.")
    envelope = _read(message.body) or {}
    url = str(envelope.get("SubscribeURL") or "")
    try:
        arn = subscribe_url_visit(url, extra_hosts=settings.JWO_SNS_CONFIRM_HOSTS)
    except SubscriptionConfirmError as error:
        InboundMessage.objects.filter(pk=message.pk).update(error=str(error))
        raise ApplicationError(f"Subscription not confirmed: {error}") from None
    InboundMessage.objects.filter(pk=message.pk, status=InboundMessage.Status.SUBSCRIPTION).update(
        status=InboundMessage.Status.CONFIRMED,
        confirmed_at=timezone.now(),
        confirmed_by=confirmed_by,
        error=f"Confirmed: {arn}",
    )
    message.refresh_from_db()
    return message
