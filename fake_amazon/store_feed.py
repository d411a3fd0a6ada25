"""The fake's store reporting: for the trips it is told about, intra-day report files in S3 and
events on an SNS topic (to the retailer's SQS queue), in the [INFERRED] formats the app reads
(``orders.amazon_formats``: JSON Lines or CSV files, JSON events).

Amazon has published neither format. Knobs make the cases Amazon's test plan names: every event
published twice (duplicates), a trip's lines in two files (split orders), a file repeating rows
already sent, a malformed event, test events.

Over HTTP (``fake_amazon.app``): ``POST /_fake/store-feed/trips`` with ``{"trips": [{"purchase":
<a Create Purchases body>, "captured": "4.50"}]}`` (or ``"declined": "reason"``), then
``POST /_fake/store-feed/flush`` writes the files and publishes the events;
``POST /_fake/store-feed/config`` sets knobs.
"""

import csv
import io
import json
import threading
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import boto3


def client(service: str, endpoint_url: str, region: str) -> Any:
    """A boto3 client of moto (as ``fake_amazon.aws.client``; that module imports the app, which imports this)."""
    return boto3.client(
        service,
        endpoint_url=endpoint_url,
        region_name=region,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",  # noqa: S106 - moto's local credentials
    )


REPORT_FIELDS = ("lineItemId", "shoppingTripId", "storeId", "sku", "quantity", "tripEndTime")


@dataclass
class FeedKnobs:
    report_format: str = "json_lines"  # json_lines | csv
    duplicate_events: int = 1  # each event is published this many times
    split_orders: bool = False  # each trip of two or more lines has them in two files
    repeat_rows: bool = False  # the second file of a flush repeats the first file's rows
    malformed_events: int = 0  # the next N flushes also publish one event that is not JSON
    test_events: int = 0  # the next N flushes also publish one test event
    reports: bool = True
    events: bool = True

    def update(self, values: dict[str, Any]) -> None:
        for name, value in values.items():
            if not hasattr(self, name):
                raise KeyError(name)
            setattr(self, name, value)


@dataclass
class FeedTrip:
    purchase: dict[str, Any]
    captured: str | None = None
    declined: str | None = None


@dataclass
class FeedResources:
    bucket: str
    prefix: str
    topic_arn: str
    queue_url: str


def create_feed_resources(
    endpoint_url: str, region: str, *, bucket: str, name: str = "jwo-store-events"
) -> FeedResources:
    """The feed's topic and the retailer's queue subscribed to it (the bucket is the reports')."""
    sns, sqs = client("sns", endpoint_url, region), client("sqs", endpoint_url, region)
    topic_arn = sns.create_topic(Name=name)["TopicArn"]
    queue_url = sqs.create_queue(QueueName=name)["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn)
    return FeedResources(bucket=bucket, prefix="store-reports/", topic_arn=topic_arn, queue_url=queue_url)


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def report_rows(trip: FeedTrip) -> list[dict[str, str]]:
    purchase = trip.purchase
    return [
        {
            "lineItemId": str(item.get("lineItemId") or f"li-{position}"),
            "shoppingTripId": str(purchase["idempotentShoppingTripId"]),
            "storeId": str(purchase["storeId"]),
            "sku": str(item["id"]),
            "quantity": str(item["quantity"]["value"]),
            "tripEndTime": str(purchase["shoppingTrip"]["endTime"]),
        }
        for position, item in enumerate(purchase.get("cartItems", []), start=1)
    ]


def trip_events(trip: FeedTrip) -> list[dict[str, Any]]:
    purchase = trip.purchase
    common = {
        "shoppingTripId": purchase["idempotentShoppingTripId"],
        "storeId": purchase["storeId"],
        "eventTime": purchase["shoppingTrip"]["endTime"],
    }
    items = [
        {**item, "lineItemId": item.get("lineItemId") or f"li-{position}"}
        for position, item in enumerate(purchase.get("cartItems", []), start=1)
    ]
    events = [{"eventId": str(uuid.uuid4()), "eventType": "CART", **common, "cartItems": items}]
    if trip.captured is not None:
        events.append({"eventId": str(uuid.uuid4()), "eventType": "PAYMENT", **common, "amount": trip.captured})
    if trip.declined is not None:
        events.append({"eventId": str(uuid.uuid4()), "eventType": "DECLINE", **common, "reason": trip.declined})
    return events


def encode(rows: list[dict[str, str]], report_format: str) -> bytes:
    if report_format == "csv":
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=REPORT_FIELDS)
        writer.writeheader()
        writer.writerows(rows)
        return out.getvalue().encode()
    return b"".join(json.dumps(row).encode() + b"\n" for row in rows)


class StoreFeed:
    """Buffers trips; ``flush()`` writes them as report files and publishes their events."""

    def __init__(self, endpoint_url: str, region: str, resources: FeedResources) -> None:
        self.s3 = client("s3", endpoint_url, region)
        self.sns = client("sns", endpoint_url, region)
        self.resources = resources
        self.knobs = FeedKnobs()
        self._trips: list[FeedTrip] = []
        self._lock = threading.Lock()
        self._sequence = 0

    def add(self, trip: FeedTrip) -> None:
        with self._lock:
            self._trips.append(trip)

    def _files(self, trips: list[FeedTrip]) -> list[list[dict[str, str]]]:
        first: list[dict[str, str]] = []
        second: list[dict[str, str]] = []
        for trip in trips:
            rows = report_rows(trip)
            if self.knobs.split_orders and len(rows) > 1:
                half = len(rows) // 2
                first += rows[:half]
                second += rows[half:]
            else:
                first += rows
        if self.knobs.repeat_rows:
            second = first + second
        return [rows for rows in (first, second) if rows]

    def _put(self, rows: list[dict[str, str]]) -> str:
        self._sequence += 1
        extension = "csv" if self.knobs.report_format == "csv" else "jsonl"
        now = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
        key = f"{self.resources.prefix}{now}-{self._sequence:06d}.{extension}"
        self.s3.put_object(Bucket=self.resources.bucket, Key=key, Body=encode(rows, self.knobs.report_format))
        return key

    def publish(self, message: str) -> None:
        self.sns.publish(TopicArn=self.resources.topic_arn, Message=message)

    def flush(self) -> dict[str, Any]:
        """Write the buffered trips' files and publish their events; returns what was sent."""
        with self._lock:
            trips, self._trips = self._trips, []
            knobs = self.knobs
            keys = [self._put(rows) for rows in self._files(trips)] if knobs.reports else []
            published = 0
            events = [event for trip in trips for event in trip_events(trip)] if knobs.events else []
            if knobs.test_events > 0:
                knobs.test_events -= 1
                events.append(
                    {"eventId": str(uuid.uuid4()), "eventType": "TEST", "eventTime": _stamp(datetime.now(UTC))}
                )
            for event in events:
                for _ in range(max(knobs.duplicate_events, 1)):
                    self.publish(json.dumps(event))
                    published += 1
            if knobs.malformed_events > 0:
                knobs.malformed_events -= 1
                self.publish("{malformed event: not JSON")
                published += 1
        return {"files": keys, "events": published, "trips": len(trips)}


def trips_from_json(payload: Any) -> list[FeedTrip]:
    """``{"trips": [{"purchase": {...}, "captured": "…", "declined": "…"}]}`` as FeedTrips."""
    if not isinstance(payload, dict) or not isinstance(payload.get("trips"), list):
        raise ValueError('expected {"trips": [...]}')
    return [
        FeedTrip(purchase=dict(entry["purchase"]), captured=entry.get("captured"), declined=entry.get("declined"))
        for entry in payload["trips"]
    ]
