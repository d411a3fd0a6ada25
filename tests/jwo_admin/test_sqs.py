"""The SQS consumer for Amazon's completion notifications, against moto's SQS over HTTP."""

import json
import time
import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from jwo_admin.integrations.sqs import ConsumeStats, QueueMessage, SqsConsumer, unwrap

NOTIFICATION = json.dumps({"ingestionId": "b0c6b4de", "processingStatus": "DONE", "reportDownloadLink": ""})


def sns_envelope(message: str, message_id: str = "sns-message-1") -> str:
    return json.dumps(
        {
            "Type": "Notification",
            "MessageId": message_id,
            "TopicArn": "arn:aws:sns:us-east-1:123456789012:jwo-catalog-results",
            "Message": message,
            "Timestamp": "2024-05-01T12:00:00.000Z",
        }
    )


# --- unwrap() ----------------------------------------------------------------------------------


def test_unwrap_takes_the_message_and_id_from_an_sns_envelope() -> None:
    assert unwrap("sqs-id-1", sns_envelope(NOTIFICATION)) == ("sns-message-1", NOTIFICATION)


def test_unwrap_falls_back_to_the_sqs_id_when_the_envelope_has_none() -> None:
    envelope = json.dumps({"Type": "Notification", "Message": NOTIFICATION})

    assert unwrap("sqs-id-1", envelope) == ("sqs-id-1", NOTIFICATION)


def test_unwrap_takes_a_raw_delivery_as_it_is() -> None:
    assert unwrap("sqs-id-1", NOTIFICATION) == ("sqs-id-1", NOTIFICATION)


@pytest.mark.parametrize("raw", ["not json at all", "", "[1, 2]", '{"Type": "SubscriptionConfirmation"}'])
def test_unwrap_keeps_anything_else_as_received(raw: str) -> None:
    assert unwrap("sqs-id-1", raw) == ("sqs-id-1", raw)


# --- SqsConsumer against moto ------------------------------------------------------------------


@pytest.fixture
def sqs(fake_amazon: Any) -> Any:
    return boto3.client("sqs", endpoint_url=fake_amazon.aws_endpoint_url, region_name=fake_amazon.region)


@pytest.fixture
def queue_url(sqs: Any) -> Iterator[str]:
    """A queue of this test's own: a message left in flight must not reach another test."""
    url = sqs.create_queue(QueueName=f"test-consumer-{uuid.uuid4().hex[:12]}", Attributes={"VisibilityTimeout": "1"})[
        "QueueUrl"
    ]
    yield url
    sqs.delete_queue(QueueUrl=url)


def consumer_for(fake: Any, url: str) -> SqsConsumer:
    return SqsConsumer(url, region=fake.region, endpoint_url=fake.aws_endpoint_url, wait_seconds=0)


def counts(sqs: Any, url: str) -> tuple[int, int]:
    attributes = sqs.get_queue_attributes(
        QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]), int(attributes["ApproximateNumberOfMessagesNotVisible"])


def test_handled_message_is_deleted(fake_amazon: Any, sqs: Any, queue_url: str) -> None:
    sent = sqs.send_message(QueueUrl=queue_url, MessageBody=sns_envelope(NOTIFICATION, "sns-42"))
    seen: list[QueueMessage] = []

    stats = consumer_for(fake_amazon, queue_url).run(seen.append, seconds=5, stop_when_empty=True)

    assert stats == ConsumeStats(received=1, handled=1, failed=0, receive_errors=0)
    assert [(message.message_id, message.body, message.raw) for message in seen] == [
        ("sns-42", NOTIFICATION, sns_envelope(NOTIFICATION, "sns-42"))
    ]
    assert sent["MessageId"] != "sns-42"
    assert counts(sqs, queue_url) == (0, 0)


def test_raw_delivery_keeps_the_sqs_message_id(fake_amazon: Any, sqs: Any, queue_url: str) -> None:
    sent = sqs.send_message(QueueUrl=queue_url, MessageBody=NOTIFICATION)
    seen: list[QueueMessage] = []

    consumer_for(fake_amazon, queue_url).run(seen.append, seconds=5, stop_when_empty=True)

    assert [(message.message_id, message.body) for message in seen] == [(sent["MessageId"], NOTIFICATION)]


def test_failed_handler_leaves_the_message_for_redelivery(fake_amazon: Any, sqs: Any, queue_url: str) -> None:
    sqs.send_message(QueueUrl=queue_url, MessageBody=NOTIFICATION)
    calls: list[str] = []

    def broken(message: QueueMessage) -> None:
        calls.append(message.message_id)
        raise RuntimeError("database is down")

    stats = consumer_for(fake_amazon, queue_url).run(broken, seconds=5, stop_when_empty=True)

    assert stats == ConsumeStats(received=1, handled=0, failed=1, receive_errors=0)
    assert len(calls) == 1
    assert counts(sqs, queue_url) == (0, 1)  # in flight, not deleted
    time.sleep(1.1)  # the queue's visibility timeout
    again = sqs.receive_message(QueueUrl=queue_url, AttributeNames=["ApproximateReceiveCount"], WaitTimeSeconds=0)[
        "Messages"
    ]
    assert [(message["MessageId"], message["Body"]) for message in again] == [(calls[0], NOTIFICATION)]
    assert again[0]["Attributes"]["ApproximateReceiveCount"] == "2"


def test_one_failing_message_does_not_stop_the_others(fake_amazon: Any, sqs: Any, queue_url: str) -> None:
    for body in ("first", "poison", "third"):
        sqs.send_message(QueueUrl=queue_url, MessageBody=body)
    handled: list[str] = []

    def handler(message: QueueMessage) -> None:
        if message.body == "poison":
            raise ValueError("cannot read it")
        handled.append(message.body)

    stats = consumer_for(fake_amazon, queue_url).run(handler, seconds=5, stop_when_empty=True)

    assert stats == ConsumeStats(received=3, handled=2, failed=1, receive_errors=0)
    assert sorted(handled) == ["first", "third"]
    assert counts(sqs, queue_url) == (0, 1)


def test_receive_errors_back_off_and_are_counted(fake_amazon: Any) -> None:
    missing = f"{fake_amazon.aws_endpoint_url}/123456789012/no-such-queue-{uuid.uuid4().hex[:8]}"
    handled: list[QueueMessage] = []
    started = time.monotonic()

    stats = consumer_for(fake_amazon, missing).run(handled.append, seconds=1.5)

    elapsed = time.monotonic() - started
    # Errors at 0 s and 1 s (backing off 1 s, then 2 s capped by the deadline), not a tight loop.
    assert stats == ConsumeStats(received=0, handled=0, failed=0, receive_errors=2)
    assert handled == []
    assert 1.5 <= elapsed < 2.5


def test_empty_queue_stops_early_when_asked(fake_amazon: Any, queue_url: str) -> None:
    started = time.monotonic()

    stats = consumer_for(fake_amazon, queue_url).run(lambda message: None, seconds=5, stop_when_empty=True)

    assert stats == ConsumeStats()
    assert time.monotonic() - started < 1.0


def test_short_polling_an_empty_queue_does_not_spin(fake_amazon: Any, queue_url: str) -> None:
    consumer = consumer_for(fake_amazon, queue_url)
    receives: list[str] = []
    consumer.client.meta.events.register(
        "before-call.sqs.ReceiveMessage", lambda **kwargs: receives.append(kwargs["model"].name)
    )

    stats = consumer.run(lambda message: None, seconds=1.0)

    assert stats == ConsumeStats()
    assert len(receives) <= 5
