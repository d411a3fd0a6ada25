"""Long-polling consumer for an SQS queue of non-Celery messages (Amazon's SNS notifications).

Transport only: receive with long polling for a bounded time, unwrap the SNS envelope (or take a
raw delivery as it is), hand each message to a handler, and delete it only if the handler
returns normally (its transaction committed). A handler that raises leaves the message for SQS to
redeliver (and, after the queue's maxReceiveCount, move to the dead-letter queue).
"""

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class QueueMessage:
    message_id: str  # SNS MessageId when enveloped (stable across SQS redeliveries), else SQS's
    body: str  # the notification itself (SNS "Message", or the raw body)
    raw: str
    receipt_handle: str
    kind: str = ""  # the SNS envelope's Type ("Notification", "SubscriptionConfirmation"…), "" when raw


# SNS messages about the subscription itself: kept whole (their URL and token are in the envelope).
SUBSCRIPTION_TYPES = ("SubscriptionConfirmation", "UnsubscribeConfirmation")


def _envelope(raw: str) -> dict[str, Any] | None:
    try:
        envelope = json.loads(raw)
    except ValueError:
        return None
    return envelope if isinstance(envelope, dict) and isinstance(envelope.get("Type"), str) else None


def sns_type(raw: str) -> str:
    """The SNS envelope's Type, or "" for a raw delivery."""
    envelope = _envelope(raw)
    return str(envelope["Type"]) if envelope is not None else ""


def unwrap(sqs_message_id: str, raw: str) -> tuple[str, str]:
    """(message id, notification body) from an SNS envelope, or the raw delivery as it is. A
    subscription message keeps its whole envelope as its body."""
    envelope = _envelope(raw)
    if envelope is None:
        return sqs_message_id, raw
    if envelope["Type"] == "Notification" and "Message" in envelope:
        return str(envelope.get("MessageId") or sqs_message_id), str(envelope["Message"])
    if envelope["Type"] in SUBSCRIPTION_TYPES:
        return str(envelope.get("MessageId") or sqs_message_id), raw
    return sqs_message_id, raw


class QueueUnreadable(Exception):
    """The queue could not be read (no such queue, no permission, no network)."""


@dataclass
class ConsumeStats:
    received: int = 0
    handled: int = 0
    failed: int = 0
    receive_errors: int = 0


class SqsConsumer:
    """``run(handler, seconds)`` consumes for at most ``seconds`` (plus one long poll)."""

    def __init__(
        self, queue_url: str, *, region: str, endpoint_url: str = "", wait_seconds: int = 10, batch_size: int = 10
    ) -> None:
        self.queue_url = queue_url
        self.wait_seconds = max(0, min(wait_seconds, 20))
        self.batch_size = batch_size
        self.client: Any = boto3.client(
            "sqs",
            region_name=region,
            endpoint_url=endpoint_url or None,
            config=Config(connect_timeout=3, read_timeout=self.wait_seconds + 10, retries={"max_attempts": 2}),
        )

    def receive(self) -> list[QueueMessage]:
        answer = self.client.receive_message(
            QueueUrl=self.queue_url,
            MaxNumberOfMessages=self.batch_size,
            WaitTimeSeconds=self.wait_seconds,
            AttributeNames=["ApproximateReceiveCount"],
        )
        messages = []
        for message in answer.get("Messages", []):
            raw = message.get("Body", "")
            message_id, body = unwrap(message["MessageId"], raw)
            messages.append(QueueMessage(message_id, body, raw, message["ReceiptHandle"], sns_type(raw)))
        return messages

    def delete(self, message: QueueMessage) -> None:
        self.client.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message.receipt_handle)

    def run(
        self, handler: Callable[[QueueMessage], None], seconds: float, *, stop_when_empty: bool = False
    ) -> ConsumeStats:
        stats = ConsumeStats()
        deadline = time.monotonic() + seconds
        backoff = 1.0
        while time.monotonic() < deadline:
            try:
                messages = self.receive()
            except (BotoCoreError, ClientError) as error:
                stats.receive_errors += 1
                logger.warning("SQS receive failed (%s); backing off %.0fs", error, backoff)
                time.sleep(min(backoff, max(deadline - time.monotonic(), 0)))
                backoff = min(backoff * 2, 30)
                continue
            backoff = 1.0
            if not messages and stop_when_empty:
                break
            if not messages and self.wait_seconds == 0:  # short polling: do not spin on an empty queue
                time.sleep(min(1.0, max(deadline - time.monotonic(), 0)))
            for message in messages:
                stats.received += 1
                try:
                    handler(message)
                except Exception:  # a failed handler must not stop the others; SQS redelivers it
                    stats.failed += 1
                    logger.exception("notification %s failed; left on the queue", message.message_id)
                    continue
                try:
                    self.delete(message)
                except (BotoCoreError, ClientError):
                    logger.warning("could not delete %s; its redelivery will be a no-op", message.message_id)
                stats.handled += 1
        return stats


def queue_messages_waiting(queue_url: str, *, region: str, endpoint_url: str = "") -> str:
    """SQS's approximate count of the messages waiting in the queue (a reachability check).
    Raises QueueUnreadable."""
    try:
        consumer = SqsConsumer(queue_url, region=region, endpoint_url=endpoint_url)
        attributes = consumer.client.get_queue_attributes(
            QueueUrl=queue_url, AttributeNames=["ApproximateNumberOfMessages"]
        )["Attributes"]
    except (BotoCoreError, ClientError) as error:
        raise QueueUnreadable(str(error)) from error
    return str(attributes.get("ApproximateNumberOfMessages", "0"))
