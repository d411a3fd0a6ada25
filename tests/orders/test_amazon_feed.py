"""Amazon's store report files and event feed ([INFERRED] formats), end to end: the fake Amazon
writes the files to moto's S3 and publishes the events on moto's SNS (to our SQS queue) over real
HTTP, and one poll reads them with real boto3. Each feed case has its exact outcome."""

import io
import json
import secrets
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests
from django.core.management import call_command
from django.test import Client

from catalog.models import Store
from catalog.services.staff_stores import staff_stores_set
from orders.amazon_formats import EventKind, FormatError, event_json, report_csv, report_json_lines
from orders.models import (
    AmazonFeedEvent,
    AmazonReportFile,
    AmazonTrip,
    AmazonTripLine,
    FeedStatus,
    PaymentStatus,
    Purchase,
    PurchaseLine,
    PurchaseStatus,
)
from orders.selectors.amazon_feed import AmazonDifference, amazon_trip_differences
from orders.services.amazon_feed import amazon_feed_poll, feed_event_retry, report_file_retry

DAY = date(2026, 3, 2)
ENDED = datetime(2026, 3, 2, 15, 30, tzinfo=UTC)


def _aws(running: Any, service: str) -> Any:
    return boto3.client(
        service,
        endpoint_url=running.aws_endpoint_url,
        region_name=running.region,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def _feed_reset(running: Any) -> None:
    s3, sqs = _aws(running, "s3"), _aws(running, "sqs")
    listed = s3.list_objects_v2(Bucket=running.feed.bucket, Prefix=running.feed.prefix).get("Contents", [])
    for item in listed:
        s3.delete_object(Bucket=running.feed.bucket, Key=item["Key"])
    while messages := sqs.receive_message(QueueUrl=running.feed.queue_url, MaxNumberOfMessages=10).get("Messages"):
        for message in messages:
            sqs.delete_message(QueueUrl=running.feed.queue_url, ReceiptHandle=message["ReceiptHandle"])


class Feed:
    """The fake Amazon's store feed, driven over HTTP as a test or the simulator drives it."""

    def __init__(self, running: Any) -> None:
        self.running = running

    def _post(self, action: str, body: dict[str, Any]) -> dict[str, Any]:
        answer = requests.post(f"{self.running.endpoint}/_fake/store-feed/{action}", json=body, timeout=10)
        assert answer.status_code == 200, answer.text
        return dict(answer.json())

    def config(self, **knobs: Any) -> None:
        self._post("config", knobs)

    def trips(self, *trips: dict[str, Any]) -> dict[str, Any]:
        self._post("trips", {"trips": list(trips)})
        return self._post("flush", {})

    def publish(self, message: str) -> None:
        _aws(self.running, "sns").publish(TopicArn=self.running.feed.topic_arn, Message=message)

    def put(self, key: str, body: bytes) -> None:
        _aws(self.running, "s3").put_object(
            Bucket=self.running.feed.bucket, Key=self.running.feed.prefix + key, Body=body
        )


@pytest.fixture
def feed(fake_amazon: Any, settings: Any) -> Iterator[Feed]:
    running = fake_amazon
    settings.JWO_AMAZON_REPORT_BUCKET = running.feed.bucket
    settings.JWO_AMAZON_REPORT_PREFIX = running.feed.prefix
    settings.JWO_AMAZON_EVENT_QUEUE_URL = running.feed.queue_url
    settings.JWO_SQS_WAIT_SECONDS = 0
    settings.JWO_AMAZON_FEED_MAX_ATTEMPTS = 3
    running.amazon.store_feed.knobs.__init__()
    _feed_reset(running)
    yield Feed(running)
    running.amazon.store_feed.knobs.__init__()
    _feed_reset(running)


def _cart(trip_id: str, *items: tuple[str, str], store_id: str = "TEST_STORE_001") -> dict[str, Any]:
    return {
        "idempotentShoppingTripId": trip_id,
        "storeId": store_id,
        "shoppingTrip": {"startTime": "2026-03-02T15:20:00Z", "endTime": "2026-03-02T15:30:00Z", "authEvents": []},
        "cartItems": [
            {"id": sku, "type": "SKU", "quantity": {"value": quantity, "unit": "unit"}, "lineItemId": f"li-{n}"}
            for n, (sku, quantity) in enumerate(items, start=1)
        ],
    }


def _purchase(store: Store, trip_id: str, *lines: tuple[str, str], ended_at: datetime = ENDED) -> Purchase:
    purchase = Purchase.objects.create(
        trip_id=trip_id,
        purchase_id=f"PO-{trip_id}",
        store=store,
        status=PurchaseStatus.PRICED,
        started_at=ended_at - timedelta(minutes=10),
        ended_at=ended_at,
        currency="USD",
        payment_status=PaymentStatus.CAPTURED,
        request_body={},
        request_fingerprint="f" * 64,
        response_body={},
        receipt_token=secrets.token_urlsafe(8),
    )
    for position, (sku, quantity) in enumerate(lines, start=1):
        PurchaseLine.objects.create(
            purchase=purchase, position=position, item_id=sku, item_type="SKU", quantity=Decimal(quantity), unit="unit"
        )
    return purchase


def _lines(trip_id: str) -> list[tuple[str, str, Decimal]]:
    return list(AmazonTripLine.objects.filter(trip__trip_id=trip_id).values_list("line_id", "sku", "quantity"))


# --- the adapters ---------------------------------------------------------------------------------
def test_json_lines_and_csv_read_the_same_rows_and_list_the_bad_ones() -> None:
    jsonl = (
        b'{"lineItemId": "li-1", "shoppingTripId": "T1", "storeId": "S", "sku": "COLA", "quantity": "2", '
        b'"tripEndTime": "2026-03-02T15:30:00Z"}\n'
        b"{oops\n"
        b'{"lineItemId": "li-2", "shoppingTripId": "T1", "storeId": "S", "sku": "WATER", "quantity": "x", '
        b'"tripEndTime": "2026-03-02T15:30:00Z"}\n'
    )
    csv = (
        b"lineItemId,shoppingTripId,storeId,sku,quantity,tripEndTime\n"
        b"li-1,T1,S,COLA,2,2026-03-02T15:30:00Z\n"
        b"li-2,T1,S,,1,2026-03-02T15:30:00Z\n"
    )

    from_jsonl, from_csv = report_json_lines(jsonl), report_csv(csv)

    assert [(line.line_id, line.sku, line.quantity) for line in from_jsonl.lines] == [("li-1", "COLA", Decimal(2))]
    assert from_jsonl.errors == [(2, "not JSON"), (3, "quantity is not a number: 'x'")]
    assert from_csv.lines == from_jsonl.lines
    assert from_csv.errors == [(3, "sku is missing")]


def test_event_adapter_reads_each_kind_and_refuses_the_malformed() -> None:
    cart = event_json(json.dumps({"eventId": "e1", "eventType": "CART", **_cart_event_fields()}))
    payment = event_json(
        '{"eventId": "e2", "eventType": "PAYMENT", "shoppingTripId": "T", "storeId": "S", "amount": "4.50"}'
    )
    test = event_json('{"eventId": "e3", "eventType": "TEST"}')

    assert (cart.kind, cart.lines[0].sku, cart.lines[0].quantity) == (EventKind.CART, "COLA", Decimal(2))
    assert (payment.kind, payment.amount) == (EventKind.PAYMENT, Decimal("4.50"))
    assert test.is_test
    with pytest.raises(FormatError, match="not JSON"):
        event_json("{nope")
    with pytest.raises(FormatError, match="Unknown event type 'refund'"):
        event_json('{"eventId": "e4", "eventType": "REFUND"}')


def _cart_event_fields() -> dict[str, Any]:
    return {
        "shoppingTripId": "T",
        "storeId": "S",
        "cartItems": [{"id": "COLA", "quantity": {"value": "2.0", "unit": "unit"}, "lineItemId": "li-1"}],
    }


# --- the feed cases, end to end -------------------------------------------------------------------
@pytest.mark.django_db
def test_a_duplicated_event_is_one_row_counted_once(feed: Feed, store: Store) -> None:
    feed.config(duplicate_events=2, reports=False)
    sent = feed.trips({"purchase": _cart("trip-dup", ("COLA", "2.0")), "captured": "4.00"})

    stats = amazon_feed_poll(seconds=2)
    again = amazon_feed_poll(seconds=2)

    assert sent["events"] == 4  # cart and payment, each published twice
    assert (stats.events_received, stats.events_duplicate, stats.events_processed) == (4, 2, 2)
    assert (again.events_received, again.events_processed) == (0, 0)
    assert sorted(AmazonFeedEvent.objects.values_list("kind", "deliveries", "status")) == [
        ("cart", 2, "done"),
        ("payment", 2, "done"),
    ]
    trip = AmazonTrip.objects.get()
    assert (trip.trip_id, trip.captured) == ("trip-dup", Decimal("4.000"))
    assert _lines("trip-dup") == [("li-1", "COLA", Decimal(2))]


@pytest.mark.django_db
def test_a_split_order_is_one_trip_with_all_its_lines(feed: Feed, store: Store) -> None:
    feed.config(split_orders=True, repeat_rows=True, events=False)
    sent = feed.trips({"purchase": _cart("trip-split", ("COLA", "1.0"), ("WATER", "2.0"), ("JUICE", "1.0"))})

    stats = amazon_feed_poll(seconds=1)

    assert len(sent["files"]) == 2
    assert (stats.files_new, stats.files_read) == (2, 2)
    assert AmazonTrip.objects.count() == 1
    assert _lines("trip-split") == [
        ("li-1", "COLA", Decimal(1)),
        ("li-2", "WATER", Decimal(2)),
        ("li-3", "JUICE", Decimal(1)),
    ]
    # the first file had li-1; the second repeated it and added li-2 and li-3
    assert sorted(AmazonReportFile.objects.values_list("rows", "new_lines")) == [(1, 1), (3, 2)]


@pytest.mark.django_db
def test_a_report_file_is_read_once_however_often_it_is_listed(feed: Feed, store: Store) -> None:
    feed.config(events=False)
    feed.trips({"purchase": _cart("trip-once", ("COLA", "1.0"))})

    first = amazon_feed_poll(seconds=1)
    second = amazon_feed_poll(seconds=1)
    printed = io.StringIO()
    call_command("amazon_feed_poll", "--seconds", "1", stdout=printed)

    assert (first.files_new, first.files_read) == (1, 1)
    assert (second.files_new, second.files_read) == (0, 0)
    assert printed.getvalue().splitlines()[:3] == [
        "report files: 0 new",
        "events: 0 received, 0 already recorded",
        "report files: 0 read, 0 failed",
    ]
    report = AmazonReportFile.objects.get()
    assert (report.status, report.attempts, report.rows, report.new_lines) == ("done", 1, 1, 1)


@pytest.mark.django_db
def test_csv_reports_are_read_when_the_setting_says_so(feed: Feed, store: Store, settings: Any) -> None:
    settings.JWO_AMAZON_REPORT_FORMAT = "csv"
    feed.config(report_format="csv", events=False)
    sent = feed.trips({"purchase": _cart("trip-csv", ("COLA", "1.5"))})

    amazon_feed_poll(seconds=1)

    assert sent["files"][0].endswith(".csv")
    assert _lines("trip-csv") == [("li-1", "COLA", Decimal("1.5"))]


@pytest.mark.django_db
def test_a_malformed_event_is_kept_retried_then_parked(feed: Feed, store: Store) -> None:
    feed.config(malformed_events=1, reports=False, events=False)
    feed.trips()

    statuses = []
    for _ in range(4):
        amazon_feed_poll(seconds=1)
        event = AmazonFeedEvent.objects.get()
        statuses.append((event.status, event.attempts))

    assert statuses == [("failed", 1), ("failed", 2), ("parked", 3), ("parked", 3)]
    assert event.body == "{malformed event: not JSON"
    assert event.error == "The event is not JSON"
    assert event.event_id.startswith("message:")
    assert AmazonTrip.objects.count() == 0


@pytest.mark.django_db
def test_an_event_that_cannot_be_applied_yet_succeeds_on_a_later_poll(feed: Feed, store: Store) -> None:
    payment = {
        "eventId": "pay-early",
        "eventType": "PAYMENT",
        "shoppingTripId": "trip-late",
        "storeId": "TEST_STORE_001",
    }
    feed.publish(json.dumps({**payment, "amount": "3.00"}))
    amazon_feed_poll(seconds=1)
    early = AmazonFeedEvent.objects.get()
    feed.config(reports=False)
    feed.trips({"purchase": _cart("trip-late", ("COLA", "1.0"))})

    amazon_feed_poll(seconds=1)

    assert (early.status, early.error) == ("failed", "No Amazon trip trip-late yet: its cart has not arrived")
    assert AmazonFeedEvent.objects.get(event_id="pay-early").status == "done"
    assert AmazonTrip.objects.get().captured == Decimal("3.000")


@pytest.mark.django_db
def test_a_decline_marks_the_trip_declined_with_its_reason(feed: Feed, store: Store) -> None:
    feed.config(reports=False)
    feed.trips({"purchase": _cart("trip-declined", ("COLA", "1.0")), "declined": "card declined"})

    stats = amazon_feed_poll(seconds=1)

    trip = AmazonTrip.objects.get()
    assert stats.events_processed == 2
    assert (trip.is_declined, trip.decline_reason, trip.captured) == (True, "card declined", None)


@pytest.mark.django_db
def test_a_test_event_is_recorded_never_counted_never_a_difference(feed: Feed, store: Store) -> None:
    feed.config(test_events=1, reports=False, events=False)
    feed.trips()

    stats = amazon_feed_poll(seconds=1)

    assert (stats.events_received, stats.events_test, stats.events_processed) == (1, 1, 0)
    assert AmazonFeedEvent.objects.get().status == FeedStatus.TEST
    assert AmazonTrip.objects.count() == 0
    assert amazon_trip_differences(store=store, day=DAY) == []


@pytest.mark.django_db
def test_a_malformed_row_keeps_the_file_failed_until_staff_retry(feed: Feed, store: Store) -> None:
    good = {"lineItemId": "li-1", "shoppingTripId": "trip-row", "storeId": "TEST_STORE_001", "sku": "COLA"}
    body = json.dumps({**good, "quantity": "1", "tripEndTime": "2026-03-02T15:30:00Z"}) + "\n" + "{bad row\n"
    feed.put("20260302-bad.jsonl", body.encode())

    for _ in range(3):
        amazon_feed_poll(seconds=1)
    report = AmazonReportFile.objects.get()
    parked = (report.status, report.attempts, report.error)
    retried = report_file_retry(report=report)

    assert parked == ("parked", 3, "row 2: not JSON")
    assert (retried.status, retried.attempts) == ("failed", 1)
    assert _lines("trip-row") == [("li-1", "COLA", Decimal(1))]  # the good row counted once


@pytest.mark.django_db
def test_an_unknown_store_fails_the_event_until_the_store_exists(feed: Feed, store: Store) -> None:
    feed.config(reports=False)
    feed.trips({"purchase": _cart("trip-far", ("COLA", "1.0"), store_id="TEST_STORE_002")})
    amazon_feed_poll(seconds=1)
    event = AmazonFeedEvent.objects.get()
    failed = (event.status, event.error)
    Store.objects.create(store_id="TEST_STORE_002", name="Other Store")

    retried = feed_event_retry(event=event)

    assert failed == ("failed", "No store of ours has Amazon store id 'TEST_STORE_002'")
    assert (retried.status, retried.attempts, retried.error) == ("done", 1, "")


@pytest.mark.django_db
def test_a_drop_folder_file_is_read_once(settings: Any, store: Store, tmp_path: Path) -> None:
    settings.JWO_AMAZON_REPORT_DROP_DIR = str(tmp_path)
    row = {"lineItemId": "li-1", "shoppingTripId": "trip-drop", "storeId": "TEST_STORE_001", "sku": "COLA"}
    (tmp_path / "a.jsonl").write_text(json.dumps({**row, "quantity": "2", "tripEndTime": "2026-03-02T15:30:00Z"}))
    (tmp_path / ".b.jsonl.part").write_text("uploading")

    first, second = amazon_feed_poll(seconds=0), amazon_feed_poll(seconds=0)

    assert (first.files_new, first.files_read, second.files_new) == (1, 1, 0)
    assert list(AmazonReportFile.objects.values_list("source", "key")) == [("drop", "a.jsonl")]
    assert _lines("trip-drop") == [("li-1", "COLA", Decimal(2))]


# --- trip matching --------------------------------------------------------------------------------
def _trip(store: Store, trip_id: str, *lines: tuple[str, str], ended_at: datetime = ENDED) -> None:
    trip = AmazonTrip.objects.create(trip_id=trip_id, store=store, ended_at=ended_at)
    for n, (sku, quantity) in enumerate(lines, start=1):
        AmazonTripLine.objects.create(trip=trip, line_id=f"li-{n}", sku=sku, quantity=Decimal(quantity))


@pytest.mark.django_db
def test_trip_matching_finds_each_difference(store: Store, other_store: Store) -> None:
    matched = _purchase(store, "t-match", ("COLA", "2"))
    _trip(store, "t-match", ("COLA", "1"), ("COLA", "1"))  # the same cart in two lines
    differing = _purchase(store, "t-differ", ("COLA", "1"), ("WATER", "1"))
    _trip(store, "t-differ", ("COLA", "2"))
    _trip(store, "t-amazon-only", ("JUICE", "1"))
    ours_only = _purchase(store, "t-ours-only", ("COLA", "1"))
    _purchase(store, "t-next-day", ("COLA", "1"), ended_at=ENDED + timedelta(days=1))
    _purchase(other_store, "t-other-store", ("COLA", "1"))
    Purchase.objects.filter(pk=_purchase(store, "t-simulated").pk).update(simulation_run_id=7)

    differences = amazon_trip_differences(store=store, day=DAY)

    assert matched.pk not in [difference.purchase for difference in differences]
    assert differences == [
        AmazonDifference(
            "amazon_trip_without_purchase",
            "t-amazon-only",
            None,
            "Amazon reported this trip but we received no purchase for it.",
        ),
        AmazonDifference(
            "amazon_lines_differ",
            "t-differ",
            differing.pk,
            "Amazon's cart: COLA × 2; our purchase: COLA × 1, WATER × 1.",
        ),
        AmazonDifference(
            "purchase_without_amazon_trip",
            "t-ours-only",
            ours_only.pk,
            "We have this purchase but Amazon's reports and events for the day have no such trip.",
        ),
    ]


@pytest.mark.django_db
def test_an_open_day_does_not_judge_purchases_without_a_trip(store: Store) -> None:
    now = datetime.now(UTC)
    _purchase(store, "t-today", ("COLA", "1"), ended_at=now)

    assert amazon_trip_differences(store=store, day=now.date()) == []


# --- the staff page -------------------------------------------------------------------------------
@pytest.mark.django_db
def test_the_page_lists_events_files_and_differences_and_retries(
    store: Store, store_manager: Any, settings: Any
) -> None:
    settings.JWO_AMAZON_FEED_MAX_ATTEMPTS = 1
    event = AmazonFeedEvent.objects.create(event_id="bad-1", body="{nope", status=FeedStatus.PARKED, attempts=1)
    AmazonFeedEvent.objects.create(event_id="t-1", body="{}", status=FeedStatus.TEST, kind="test")
    _trip(store, "t-amazon-only", ("JUICE", "1"))
    client = Client()
    client.force_login(store_manager)

    page = client.get("/orders/amazon-feed/", {"store": "TEST_STORE_001", "day": "2026-03-02"}).content.decode()
    retried = client.post(f"/orders/amazon-feed/events/{event.pk}/retry/", follow=True).content.decode()

    assert 'data-kind="amazon_trip_without_purchase" data-trip="t-amazon-only"' in page
    assert 'data-event="bad-1"' in page
    assert "test events (not counted) 1" in page
    assert "Event bad-1: Parked for staff. The event is not JSON" in retried
    assert AmazonFeedEvent.objects.get(pk=event.pk).attempts == 1


@pytest.mark.django_db
def test_a_user_of_one_store_sees_neither_files_nor_the_other_stores_events(
    store: Store, other_store: Store, viewer: Any
) -> None:
    staff_stores_set(user=viewer, all_stores=False, stores=[store])
    AmazonReportFile.objects.create(source="s3", key="store-reports/BRAVO.jsonl", etag="e")
    other = AmazonFeedEvent.objects.create(event_id="BRAVO-1", body="{}", store=other_store, status=FeedStatus.FAILED)
    client = Client()
    client.force_login(viewer)

    page = client.get("/orders/amazon-feed/").content.decode()

    assert "BRAVO" not in page
    assert "shown to users of every store" in page
    assert client.get("/orders/amazon-feed/", {"store": "TEST_STORE_002"}).status_code == 404
    assert client.post(f"/orders/amazon-feed/events/{other.pk}/retry/").status_code == 403
