"""The results path always ends (issue: a batch "Waiting" forever): every wait on Amazon's results
has a deadline, each report link is kept with the expiry its X-Amz-Date and X-Amz-Expires give, and
the fake's links are real SigV4 presigned links that S3-style refuse themselves after 60 minutes.
Each test would fail against the client as it was."""

import contextlib
import html
import json
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import boto3
import pytest
import requests
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from catalog.models import AmazonCall, BatchStatus, InboundMessage, Product, Store, SyncRun, UploadBatch
from catalog.services.notifications import notifications_consume
from catalog.services.sync_plan import sync_follow_up_request, sync_plan, sync_retry_failed, sync_run_fill
from catalog.services.sync_poll import sync_batch_poll
from catalog.services.sync_results import ReportNotReady, batch_results_apply
from catalog.services.sync_send import sync_batch_send
from operations.selectors.alerts import alerts_now
from tests.catalog.sync_helpers import drive

REJECTION = "external_product_id failed validation: check digit or format not accepted"

pytestmark = pytest.mark.django_db(transaction=True)


def sent_and_processed(store: Store, amazon: Any) -> UploadBatch:
    """One batch of the store's three products, accepted by the fake and finished there."""
    run = sync_plan(store=store)
    batch = run.batches.get()
    sync_batch_send(batch_id=batch.pk)
    batch.refresh_from_db()
    assert batch.status == BatchStatus.ACCEPTED
    deadline = timezone.now() + timedelta(seconds=10)
    while amazon.amazon.ingestions[batch.ingestion_id].status != "DONE":
        assert timezone.now() < deadline, "the fake did not finish the ingestion"
    return batch


def poll_now(batch: UploadBatch) -> UploadBatch:
    """The dispatcher's poll, as if its time had come."""
    UploadBatch.objects.filter(pk=batch.pk).update(next_poll_at=timezone.now())
    with contextlib.suppress(ReportNotReady):
        sync_batch_poll(batch_id=batch.pk)
    batch.refresh_from_db()
    return batch


def link_expiry(link: str) -> datetime:
    query = parse_qs(urlsplit(link).query)
    signed = datetime.strptime(query["X-Amz-Date"][0], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    return signed + timedelta(seconds=int(query["X-Amz-Expires"][0]))


def test_a_report_link_that_never_works_ends_the_wait_at_the_deadline(
    sync_catalog: Store, amazon: Any, settings: Any
) -> None:
    settings.JWO_SYNC_POLL_MAX_SECONDS = 3600
    amazon.amazon.knobs.expired_links = 1000  # the status API keeps handing out expired links
    batch = sent_and_processed(sync_catalog, amazon)

    batch = poll_now(batch)
    assert (batch.status, batch.last_error) == ("accepted", "The report link was refused even when fresh")
    assert batch.next_poll_at is not None
    assert batch.next_poll_at > timezone.now()
    assert batch.report_link_expires_at is not None
    assert batch.report_link_expires_at < timezone.now()

    UploadBatch.objects.filter(pk=batch.pk).update(accepted_at=timezone.now() - timedelta(seconds=3601))
    batch = poll_now(batch)

    run = SyncRun.objects.get(pk=batch.sync_run_id)
    assert (batch.status, batch.gave_up, batch.last_error) == (
        "failed",
        True,
        "No result from Amazon 60 minutes after it accepted the batch. "
        "Last: The report link was refused even when fresh",
    )
    assert (run.status, run.items_accepted, run.items_failed, run.items_pending) == ("done", 0, 3, 0)
    assert run.follow_up_at is not None  # its items go back to be sent

    amazon.amazon.knobs.expired_links = 0
    SyncRun.objects.filter(pk=run.pk).update(follow_up_at=timezone.now())
    follow_up = sync_follow_up_request(run_id=run.pk)
    assert follow_up is not None
    sync_run_fill(run_id=follow_up.pk)
    follow_up = drive(SyncRun.objects.get(pk=follow_up.pk))
    assert (follow_up.items_total, follow_up.items_accepted, follow_up.is_follow_up) == (3, 3, True)


def test_each_report_link_is_kept_with_the_expiry_it_states(sync_catalog: Store, amazon: Any) -> None:
    amazon.amazon.knobs.report_error_status = 503  # the report cannot be read for now
    batch = sent_and_processed(sync_catalog, amazon)
    before = timezone.now()

    batch = poll_now(batch)

    assert batch.status == "accepted"
    assert batch.last_error == "The report link answered HTTP 503"
    assert batch.report_link.startswith(f"{amazon.endpoint}/reports/{batch.ingestion_id}.json?X-Amz-Algorithm=")
    assert batch.report_link_expires_at == link_expiry(batch.report_link)
    # 60 minutes from the moment the fake signed it (X-Amz-Date has whole seconds)
    assert (
        timedelta(minutes=59, seconds=59) <= batch.report_link_expires_at - before <= timedelta(minutes=60, seconds=1)
    )


def test_a_report_download_that_fails_is_recorded_as_a_call_to_amazon(sync_catalog: Store, amazon: Any) -> None:
    amazon.amazon.knobs.report_error_status = 503
    batch = sent_and_processed(sync_catalog, amazon)

    batch = poll_now(batch)

    assert batch.status == "accepted"
    download = AmazonCall.objects.get(batch=batch, operation="report")
    assert (
        download.outcome,
        download.status_code,
        download.message,
        download.request_bytes,
        download.response_excerpt,
    ) == (
        "server_error",
        503,
        "The report link answered HTTP 503",
        0,
        '<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code>'
        "<Message>Please reduce your request rate.</Message></Error>",
    )
    assert AmazonCall.objects.filter(batch=batch).count() == 3  # upload, status, report


def test_a_report_download_without_an_answer_is_recorded_and_retried_later(sync_catalog: Store, amazon: Any) -> None:
    batch = sent_and_processed(sync_catalog, amazon)
    unreachable = "http://127.0.0.1:9/reports/missing.json"  # the discard port: nothing listens

    with pytest.raises(ReportNotReady, match="^Could not download the report: "):
        batch_results_apply(batch_id=batch.pk, link=unreachable)

    download = AmazonCall.objects.get(batch=batch, operation="report")
    assert (download.outcome, download.status_code, download.request_bytes, download.response_excerpt) == (
        "network_error",
        None,
        0,
        "",
    )
    assert download.message.startswith("Could not download the report: ")
    batch.refresh_from_db()
    assert (batch.status, batch.report_link, batch.report_file.name) == ("accepted", unreachable, "")


def test_a_report_download_that_works_is_recorded_with_the_start_of_the_report(
    sync_catalog: Store, amazon: Any
) -> None:
    batch = sent_and_processed(sync_catalog, amazon)

    assert batch_results_apply(
        batch_id=batch.pk, link=amazon.amazon.presign(amazon.amazon.ingestions[batch.ingestion_id])
    )

    download = AmazonCall.objects.get(batch=batch, operation="report")
    assert (download.outcome, download.status_code, download.message, download.request_bytes) == ("ok", 200, "", 0)
    assert download.response_excerpt == fake_report(amazon, batch)[:500].decode()


def test_a_link_expiring_unread_raises_the_alert(sync_catalog: Store, amazon: Any, settings: Any) -> None:
    settings.JWO_ALERT_REPORT_EXPIRY_MINUTES = 15
    amazon.amazon.knobs.report_error_status = 503
    amazon.amazon.knobs.link_expiry_seconds = 14 * 60
    batch = sent_and_processed(sync_catalog, amazon)
    assert [alert.key for alert in alerts_now()] == []

    poll_now(batch)

    reports = [alert for alert in alerts_now() if alert.key == "reports"]
    assert [alert.message for alert in reports] == ["1 report link from Amazon expire within 15 min unread"]

    amazon.amazon.knobs.report_error_status = 0
    batch = poll_now(batch)  # read at last: the alert ends
    assert (batch.status, [alert.key for alert in alerts_now() if alert.key == "reports"]) == ("done", [])


def test_the_fakes_report_link_is_refused_once_expired_or_altered(sync_catalog: Store, amazon: Any) -> None:
    batch = sent_and_processed(sync_catalog, amazon)
    ingestion = amazon.amazon.ingestions[batch.ingestion_id]
    link = amazon.amazon.presign(ingestion)

    good = requests.get(link, timeout=10)
    assert (good.status_code, good.json()["ingestionId"]) == (200, batch.ingestion_id)

    longer = link.replace("X-Amz-Expires=3600", "X-Amz-Expires=7200")
    altered = requests.get(longer, timeout=10)
    assert (altered.status_code, "<Code>SignatureDoesNotMatch</Code>" in altered.text) == (403, True)

    amazon.amazon.knobs.expired_links = 1
    expired = requests.get(amazon.amazon.presign(ingestion), timeout=10)
    assert (expired.status_code, expired.text) == (
        403,
        '<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code>'
        "<Message>Request has expired</Message></Error>",
    )
    unsigned = requests.get(link.split("?")[0], timeout=10)
    assert unsigned.status_code == 403


# --- reports in shapes we do not expect -----------------------------------------------------------
UNKNOWN = "Amazon's report does not mention this item: its result is unknown (the next sync sends it again)."


def fake_report(amazon: Any, batch: UploadBatch) -> bytes:
    return bytes(amazon.amazon.sink.fetch_report(amazon.amazon.ingestions[batch.ingestion_id].report_key))


def test_a_report_listing_only_failures_leaves_the_others_unknown_never_failed(
    sync_catalog: Store, amazon: Any, catalog_client: Client
) -> None:
    amazon.amazon.knobs.report_shape = "failures_only"
    amazon.amazon.knobs.reject_skus = {"SKU-2"}

    run = drive(sync_plan(store=sync_catalog))

    assert (run.status, run.items_accepted, run.items_rejected, run.items_failed, run.items_unknown) == (
        "done",
        0,
        1,
        0,
        2,
    )
    assert sorted(run.items.values_list("sku", "result", "code", "message")) == [
        ("SKU-1", "unknown", "NOT_IN_REPORT", UNKNOWN),
        ("SKU-2", "rejected", "INVALID_BARCODE", REJECTION),
        ("SKU-3", "unknown", "NOT_IN_REPORT", UNKNOWN),
    ]
    batch = run.batches.get()
    assert (batch.status, batch.report_note) == (
        "done",
        'The report mentions 1 of the batch\'s 3 items: 2 marked "result unknown".',
    )
    # not taken for synced, and not marked as an error either: the next sync sends them again
    products = dict(Product.objects.filter(store=sync_catalog).values_list("sku", "synced_fingerprint"))
    assert products == {"SKU-1": "", "SKU-2": "", "SKU-3": ""}
    assert sorted(Product.objects.filter(store=sync_catalog).values_list("sku", "sync_error")) == [
        ("SKU-1", ""),
        ("SKU-2", REJECTION),
        ("SKU-3", ""),
    ]

    page = catalog_client.get(reverse("catalog:sync_detail", args=[run.pk]))
    text = page.content.decode()
    assert '<strong id="sync-unknown">2</strong>result unknown' in text
    assert "Retry the 2 failed and unknown items" in text
    assert "Also send the 1 rejected item again" in text
    assert "Report: The report mentions 1 of the batch&#x27;s 3 items: 2 marked &quot;result unknown&quot;." in text
    kept = catalog_client.get(reverse("catalog:sync_report", args=[batch.pk]))
    assert (kept.status_code, kept.content) == (200, fake_report(amazon, batch))

    retry = sync_retry_failed(run=run, include_rejected=True)
    assert sorted(retry.items.values_list("sku", flat=True)) == ["SKU-1", "SKU-2", "SKU-3"]


@pytest.mark.parametrize(
    ("shape", "note"),
    [
        ("unknown_key", "Items read from the unexpected key 'itemStatusList'."),
        ("json_lines", "Read as JSON lines (3 lines, 3 items)."),
    ],
)
def test_a_report_in_another_shape_is_read_and_the_shape_noted(
    sync_catalog: Store, amazon: Any, shape: str, note: str
) -> None:
    amazon.amazon.knobs.report_shape = shape

    run = drive(sync_plan(store=sync_catalog))

    assert (run.items_accepted, run.items_failed, run.items_unknown) == (3, 0, 0)
    assert run.batches.get().report_note == note
    assert Product.objects.filter(store=sync_catalog).exclude(synced_fingerprint="").count() == 3


def test_a_report_that_cannot_be_read_is_kept_and_its_items_are_unknown(
    sync_catalog: Store, amazon: Any, catalog_client: Client
) -> None:
    amazon.amazon.knobs.report_shape = "not_json"

    run = drive(sync_plan(store=sync_catalog))

    batch = run.batches.get()
    assert (run.items_failed, run.items_unknown, batch.status) == (0, 3, "done")
    assert batch.report_note.startswith("Amazon's report could not be read (The report is not JSON: ")
    assert batch.report_note.endswith(
        '); the raw report is kept. The report mentions 0 of the batch\'s 3 items: 3 marked "result unknown".'
    )
    kept = catalog_client.get(reverse("catalog:sync_report", args=[batch.pk]))
    assert kept.content == b"<html><body>Service Unavailable</body></html>"
    assert kept["Content-Type"] == "text/plain; charset=utf-8"  # shown, never rendered


# --- the SNS subscription and messages with NUL ---------------------------------------------------
def test_a_subscription_confirmation_is_shown_and_confirmed_from_the_sync_page(
    sync_catalog: Store, amazon: Any, catalog_client: Client, catalog_manager: Any
) -> None:
    amazon.amazon.knobs.hold_until_confirmed = True
    envelope = amazon.amazon.subscription_announce()
    run = sync_plan(store=sync_catalog)
    sync_batch_send(batch_id=run.batches.get().pk)
    deadline = timezone.now() + timedelta(seconds=10)
    while not all(ingestion.notified for ingestion in amazon.amazon.ingestions.values()):
        assert timezone.now() < deadline

    notifications_consume(seconds=1, stop_when_empty=True)

    [message] = InboundMessage.objects.all()
    assert (message.status, message.message_id, message.body) == (
        "subscription",
        envelope["MessageId"],
        json.dumps(envelope),
    )
    assert run.batches.get().status == "accepted"  # SNS delivers nothing before the confirmation
    page = catalog_client.get(reverse("catalog:sync_overview")).content.decode()
    assert f"Topic: {amazon.resources.topic_arn}" in page
    assert html.escape(envelope["SubscribeURL"]) in page

    answer = catalog_client.post(reverse("catalog:sync_subscription_confirm", args=[message.pk]))

    message.refresh_from_db()
    assert (answer.status_code, answer["Location"]) == (302, "/catalog/sync/")
    assert (message.status, message.confirmed_by, message.error.startswith("Confirmed: arn:aws:sns:")) == (
        "confirmed",
        catalog_manager,
        True,
    )
    assert amazon.amazon.subscription_confirmed is True
    notifications_consume(seconds=1, stop_when_empty=True)  # the held notification arrives now
    run = SyncRun.objects.get(pk=run.pk)
    assert (run.status, run.items_accepted) == ("done", 3)
    assert list(InboundMessage.objects.order_by("id").values_list("status", flat=True)) == ["confirmed", "applied"]
    assert "Amazon's topic asks to confirm" not in catalog_client.get(reverse("catalog:sync_overview")).content.decode()


def test_a_subscribe_url_that_is_not_snss_is_never_visited(amazon: Any, catalog_client: Client, settings: Any) -> None:
    settings.JWO_SNS_CONFIRM_HOSTS = []  # the fake's own host is not allowed either
    envelope = amazon.amazon.subscription_announce()
    notifications_consume(seconds=1, stop_when_empty=True)
    message = InboundMessage.objects.get()

    answer = catalog_client.post(reverse("catalog:sync_subscription_confirm", args=[message.pk]), follow=True)

    message.refresh_from_db()
    host = urlsplit(envelope["SubscribeURL"]).netloc
    expected = (
        f"Subscription not confirmed: Not an SNS address ({host}): only https://sns.<region>.amazonaws.com/ and "
        "the hosts in JWO_SNS_CONFIRM_HOSTS are visited."
    )
    assert [str(m) for m in answer.context["messages"]] == [expected]
    assert (message.status, message.confirmed_at) == ("subscription", None)
    assert amazon.amazon.subscription_confirmed is False


def test_messages_with_nul_are_recorded_with_the_nul_escaped(amazon: Any) -> None:
    sqs = boto3.client("sqs", endpoint_url=amazon.aws_endpoint_url, region_name=amazon.region)
    sns = boto3.client("sns", endpoint_url=amazon.aws_endpoint_url, region_name=amazon.region)
    queue = amazon.resources.queue_url
    sqs.send_message(QueueUrl=queue, MessageBody='{"ingestionId": "a\x00b"}')  # a raw delivery
    sns.publish(TopicArn=amazon.resources.topic_arn, Message='{"ingestionId": "c\\u0000d"}')  # NUL once decoded

    stats = notifications_consume(seconds=1, stop_when_empty=True)

    assert (stats.received, stats.handled, stats.failed) == (2, 2, 0)
    recorded = list(InboundMessage.objects.order_by("id").values_list("status", "ingestion_id", "body"))
    assert [(status, ingestion) for status, ingestion, _ in recorded] == [("poison", ""), ("poison", "")]
    assert recorded[0][2] == '{"ingestionId": "a\\u0000b"}'
    assert '\\"c\\\\u0000d\\"' in recorded[1][2]  # the envelope as received (it escapes the inner JSON)
    assert (
        sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["ApproximateNumberOfMessages"])["Attributes"][
            "ApproximateNumberOfMessages"
        ]
        == "0"
    )
