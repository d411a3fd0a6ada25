"""Drill: the SQS queue, then the S3 report link, unreachable while Amazon's results wait (the
fake Amazon with moto over real HTTP, each behind a fault proxy).

What must hold: the consumer backs off instead of failing or spinning; a notification whose report
cannot be fetched stays on the queue, unapplied and unrecorded; once both are back, the results are
applied exactly once and the queue is empty. Nothing lost, nothing twice.
"""

import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import boto3
import pytest

from catalog.models import BatchStatus, InboundMessage, ItemResult, Store, SyncItem, UploadBatch
from catalog.services.notifications import notifications_consume
from catalog.services.sync_plan import sync_plan
from catalog.services.sync_send import sync_batch_send
from tests.catalog.helpers import COLA, JUICE, WATER, run_import, write_csv
from tests.drills.proxy import fault_proxy

pytestmark = [pytest.mark.django_db, pytest.mark.drill]


def queued(running: Any) -> int:
    sqs = boto3.client("sqs", endpoint_url=running.aws_endpoint_url, region_name=running.region)
    attributes = sqs.get_queue_attributes(
        QueueUrl=running.resources.queue_url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]) + int(attributes["ApproximateNumberOfMessagesNotVisible"])


def test_queue_then_report_unreachable_the_consumer_backs_off_and_applies_once_when_back(
    store: Store, fake_amazon: Any, settings: Any, tmp_path: Path
) -> None:
    settings.JWO_SQS_WAIT_SECONDS = 0
    run_import(store, write_csv(tmp_path / "seed.csv", [COLA, WATER, JUICE]))
    sqs = boto3.client("sqs", endpoint_url=fake_amazon.aws_endpoint_url, region_name=fake_amazon.region)
    sqs.set_queue_attributes(QueueUrl=fake_amazon.resources.queue_url, Attributes={"VisibilityTimeout": "1"})
    moto = urlsplit(fake_amazon.aws_endpoint_url)
    report_host = urlsplit(fake_amazon.amazon.public_url)
    original_link_base = fake_amazon.amazon.public_url

    try:
        with (
            fault_proxy(moto.hostname or "", moto.port or 80) as queue,
            fault_proxy(report_host.hostname or "", report_host.port or 80) as reports,
        ):
            settings.AWS_ENDPOINT_URL = f"http://127.0.0.1:{queue.port}"
            fake_amazon.amazon.public_url = f"http://127.0.0.1:{reports.port}"  # report links go through it
            run = sync_plan(store=store)
            [batch] = run.batches.all()
            sync_batch_send(batch_id=batch.pk)
            deadline = time.monotonic() + 15
            while queued(fake_amazon) == 0:  # Amazon processed it and published the completion
                assert time.monotonic() < deadline, "no completion notice arrived"
                time.sleep(0.1)

            queue.set("down")
            started = time.monotonic()
            queue_down = notifications_consume(seconds=2.5)
            queue_down_took = time.monotonic() - started
            during_queue_down = (UploadBatch.objects.get(pk=batch.pk).status, InboundMessage.objects.count())

            queue.set("pass")
            reports.set("down")
            report_down = notifications_consume(seconds=1, stop_when_empty=True)
            during_report_down = (UploadBatch.objects.get(pk=batch.pk).status, InboundMessage.objects.count())
            still_queued = queued(fake_amazon)

            reports.set("pass")
            time.sleep(1.2)  # the notice becomes visible again (a 1 s visibility timeout)
            back = notifications_consume(seconds=3, stop_when_empty=True)
    finally:
        fake_amazon.amazon.public_url = original_link_base

    assert queue_down.receive_errors >= 2  # tried, backed off, tried again: no spin, no crash
    assert (queue_down.received, queue_down.handled) == (0, 0)
    assert queue_down_took < 6
    assert during_queue_down == (BatchStatus.ACCEPTED, 0)
    assert (report_down.received, report_down.failed, report_down.handled) == (1, 1, 0)
    assert during_report_down == (BatchStatus.ACCEPTED, 0)
    assert still_queued == 1  # left on the queue, not lost
    assert (back.received, back.handled, back.failed) == (1, 1, 0)
    assert UploadBatch.objects.get(pk=batch.pk).status == BatchStatus.DONE
    assert sorted(SyncItem.objects.filter(batch=batch).values_list("sku", "result")) == sorted(
        (row[0], ItemResult.ACCEPTED) for row in (COLA, JUICE, WATER)
    )
    assert list(InboundMessage.objects.values_list("status", flat=True)) == [InboundMessage.Status.APPLIED]
    assert queued(fake_amazon) == 0
