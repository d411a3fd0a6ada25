"""Reading Amazon's store reporting into AmazonTrip rows: report files (S3 or an SFTP drop folder)
and the event feed (SNS → SQS), each in an [INFERRED] format read by ``orders.amazon_formats``.

Every path is idempotent, so a poll that runs twice, a file listed twice or an event delivered
twice changes nothing the second time:

- a file is recorded once per (source, key, etag); a line once per (trip, line id), so a trip
  whose lines arrive in two files is one AmazonTrip with all of them;
- an event is recorded once per event id (the message is deleted from SQS once recorded; a
  redelivery only counts ``deliveries``);
- what fails (an unreadable row or event, a store we do not know, a payment before its cart) keeps
  its error and is tried again by the next poll, ``JWO_AMAZON_FEED_MAX_ATTEMPTS`` times in all,
  then parked until staff retry it;
- test events and test rows are recorded as such and never make a trip, so they are never counted.
"""

import json
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from catalog.models import Store
from jwo_admin.core.exceptions import ApplicationError
from jwo_admin.integrations.amazon_store_reports import (
    ReportObject,
    ReportUnreadable,
    drop_report_read,
    drop_reports_list,
    s3_report_read,
    s3_reports_list,
)
from jwo_admin.integrations.sqs import QueueMessage, SqsConsumer
from orders.amazon_formats import EventKind, FeedEvent, FormatError, ReportLine, event_format, report_format
from orders.models import AmazonFeedEvent, AmazonReportFile, AmazonTrip, AmazonTripLine, FeedStatus, ReportSource

RETRIED = (FeedStatus.PENDING, FeedStatus.FAILED)
ERROR_CHARS = 4000


@dataclass
class FeedPollStats:
    files_new: int = 0
    files_read: int = 0
    files_failed: int = 0
    events_received: int = 0
    events_duplicate: int = 0
    events_processed: int = 0
    events_test: int = 0
    events_failed: int = 0
    parked: int = 0


class _Unprocessable(Exception):
    """An event or row that cannot be applied yet; the message is kept for staff."""


# --- trips ----------------------------------------------------------------------------------------
def _store(store_id: str, stores: dict[str, Store | None]) -> Store:
    if store_id not in stores:
        stores[store_id] = Store.objects.filter(store_id=store_id).first()
    store = stores[store_id]
    if store is None:
        raise _Unprocessable(f"No store of ours has Amazon store id {store_id!r}")
    return store


def _trip_lines_add(*, trip_id: str, store: Store, ended_at: datetime, lines: list[tuple[str, str, Decimal]]) -> int:
    """Create the trip if new and add the lines it does not have yet; returns the lines added."""
    trip, _ = AmazonTrip.objects.get_or_create(trip_id=trip_id, defaults={"store": store, "ended_at": ended_at})
    known = set(AmazonTripLine.objects.filter(trip=trip).values_list("line_id", flat=True))
    first_seen: dict[str, tuple[str, Decimal]] = {}
    for line_id, sku, quantity in lines:
        first_seen.setdefault(line_id, (sku, quantity))  # a line id repeated in one batch is one line
    added = [
        AmazonTripLine(trip=trip, line_id=line_id, sku=sku, quantity=quantity)
        for line_id, (sku, quantity) in first_seen.items()
        if line_id not in known
    ]
    AmazonTripLine.objects.bulk_create(added, ignore_conflicts=True)
    return len(added)


# --- report files ---------------------------------------------------------------------------------
def _unconfigured(key: str) -> bytes:
    raise ReportUnreadable(f"{key}: its source is no longer set up (JWO_AMAZON_REPORT_BUCKET / _DROP_DIR)")


def _reader(source: str) -> Callable[[str], bytes]:
    if source == ReportSource.S3 and not settings.JWO_AMAZON_REPORT_BUCKET:
        return _unconfigured
    if source == ReportSource.DROP and not settings.JWO_AMAZON_REPORT_DROP_DIR:
        return _unconfigured
    if source == ReportSource.S3:
        return lambda key: s3_report_read(
            bucket=settings.JWO_AMAZON_REPORT_BUCKET,
            key=key,
            region=settings.AWS_REGION,
            endpoint_url=settings.AWS_ENDPOINT_URL,
        )
    return lambda key: drop_report_read(folder=settings.JWO_AMAZON_REPORT_DROP_DIR, key=key)


def _listed() -> list[tuple[str, ReportObject]]:
    found: list[tuple[str, ReportObject]] = []
    if settings.JWO_AMAZON_REPORT_BUCKET:
        listed = s3_reports_list(
            bucket=settings.JWO_AMAZON_REPORT_BUCKET,
            prefix=settings.JWO_AMAZON_REPORT_PREFIX,
            region=settings.AWS_REGION,
            endpoint_url=settings.AWS_ENDPOINT_URL,
        )
        found += [(ReportSource.S3, report) for report in listed]
    if settings.JWO_AMAZON_REPORT_DROP_DIR:
        found += [
            (ReportSource.DROP, report) for report in drop_reports_list(folder=settings.JWO_AMAZON_REPORT_DROP_DIR)
        ]
    return found


def report_files_discover(*, stats: FeedPollStats) -> None:
    """Record every file the sources list that is not recorded yet (a file listed twice is one row)."""
    for source, report in _listed():
        _, created = AmazonReportFile.objects.get_or_create(source=source, key=report.key[:1024], etag=report.etag)
        stats.files_new += int(created)


def _fail_status(attempts: int) -> str:
    return FeedStatus.PARKED if attempts >= settings.JWO_AMAZON_FEED_MAX_ATTEMPTS else FeedStatus.FAILED


def _lines_apply(lines: list[ReportLine]) -> tuple[int, list[str]]:
    """Apply a file's lines trip by trip; returns (lines added, the reasons of trips not applied)."""
    by_trip: dict[str, list[ReportLine]] = defaultdict(list)
    for line in lines:
        if not line.is_test:
            by_trip[line.trip_id].append(line)
    stores: dict[str, Store | None] = {}
    added, problems = 0, []
    for trip_id, trip_lines in by_trip.items():
        try:
            store = _store(trip_lines[0].store_id, stores)
        except _Unprocessable as problem:
            problems.append(f"trip {trip_id}: {problem}")
            continue
        added += _trip_lines_add(
            trip_id=trip_id,
            store=store,
            ended_at=trip_lines[0].ended_at,
            lines=[(line.line_id, line.sku, line.quantity) for line in trip_lines],
        )
    return added, problems


def report_file_read(*, file_id: int) -> AmazonReportFile | None:
    """Read one recorded file (pending or failed) and apply its lines; None when another poll has it
    or it is already read or parked."""
    with transaction.atomic():
        report = (
            AmazonReportFile.objects.select_for_update(skip_locked=True).filter(pk=file_id, status__in=RETRIED).first()
        )
        if report is None:
            return None
        report.attempts += 1
        problems: list[str] = []
        try:
            rows = report_format(settings.JWO_AMAZON_REPORT_FORMAT)(_reader(report.source)(report.key))
        except ReportUnreadable as error:
            problems.append(str(error))
        else:
            report.rows = len(rows.lines) + len(rows.errors)
            report.new_lines, not_applied = _lines_apply(rows.lines)
            problems += [f"row {number}: {reason}" for number, reason in rows.errors] + not_applied
        report.status = _fail_status(report.attempts) if problems else FeedStatus.DONE
        report.error = "; ".join(problems)[:ERROR_CHARS]
        report.read_at = timezone.now()
        report.save()
        return report


# --- events ---------------------------------------------------------------------------------------
def _event_id(body: str, fallback: str) -> str:
    """The event's own id, so a re-published event is one row; the SNS message id when unreadable."""
    try:
        return event_format(settings.JWO_AMAZON_EVENT_FORMAT)(body).event_id[:255]
    except FormatError:
        try:
            document = json.loads(body)
        except ValueError:
            return fallback[:255]
        event_id = document.get("eventId") if isinstance(document, dict) else None
        return str(event_id)[:255] if event_id else fallback[:255]


def feed_event_record(*, message_id: str, body: str) -> bool:
    """Record one delivered event; returns False for a redelivery (only its count goes up)."""
    event_id = _event_id(body, f"message:{message_id}")
    if AmazonFeedEvent.objects.filter(event_id=event_id).update(deliveries=F("deliveries") + 1):
        return False
    try:
        with transaction.atomic():
            AmazonFeedEvent.objects.create(event_id=event_id, body=body.replace("\x00", "\\u0000")[:100_000])
    except IntegrityError:  # recorded by another consumer in between
        AmazonFeedEvent.objects.filter(event_id=event_id).update(deliveries=F("deliveries") + 1)
        return False
    return True


def _event_apply(event: FeedEvent, row: AmazonFeedEvent) -> None:
    row.kind, row.trip_id = event.kind.value, event.trip_id[:64]
    if event.is_test:
        return
    row.store = _store(event.store_id, {})
    if event.kind is EventKind.CART:
        _trip_lines_add(
            trip_id=event.trip_id,
            store=row.store,
            ended_at=event.occurred_at or row.received_at,
            lines=[(line.line_id, line.sku, line.quantity) for line in event.lines],
        )
        return
    trip = AmazonTrip.objects.filter(trip_id=event.trip_id).first()
    if trip is None:
        raise _Unprocessable(f"No Amazon trip {event.trip_id} yet: its cart has not arrived")
    if event.kind is EventKind.PAYMENT:
        AmazonTrip.objects.filter(pk=trip.pk).update(captured=event.amount, updated_at=timezone.now())
    else:
        AmazonTrip.objects.filter(pk=trip.pk).update(
            is_declined=True, decline_reason=event.reason, updated_at=timezone.now()
        )


def feed_event_process(*, event_pk: int) -> AmazonFeedEvent | None:
    """Apply one recorded event (pending or failed); None when another poll has it or it is done."""
    with transaction.atomic():
        row = (
            AmazonFeedEvent.objects.select_for_update(skip_locked=True).filter(pk=event_pk, status__in=RETRIED).first()
        )
        if row is None:
            return None
        row.attempts += 1
        try:
            event = event_format(settings.JWO_AMAZON_EVENT_FORMAT)(row.body)
            with transaction.atomic():
                _event_apply(event, row)
        except (FormatError, _Unprocessable) as error:
            row.status, row.error = _fail_status(row.attempts), str(error)[:ERROR_CHARS]
        else:
            row.status = FeedStatus.TEST if event.is_test else FeedStatus.DONE
            row.error = ""
        row.processed_at = timezone.now()
        row.save()
        return row


def _consume(stats: FeedPollStats, seconds: float) -> None:
    if not settings.JWO_AMAZON_EVENT_QUEUE_URL:
        return
    consumer = SqsConsumer(
        settings.JWO_AMAZON_EVENT_QUEUE_URL,
        region=settings.AWS_REGION,
        endpoint_url=settings.AWS_ENDPOINT_URL,
        wait_seconds=settings.JWO_SQS_WAIT_SECONDS,
    )

    def handle(message: QueueMessage) -> None:
        if message.kind in ("SubscriptionConfirmation", "UnsubscribeConfirmation"):
            return  # the feed's subscription is confirmed like the catalog's (SPEC §5.3)
        stats.events_received += 1
        stats.events_duplicate += int(not feed_event_record(message_id=message.message_id, body=message.body))

    consumer.run(handle, seconds, stop_when_empty=True)


# --- the poll -------------------------------------------------------------------------------------
def amazon_feed_poll(*, seconds: float, progress: Callable[[str], None] = lambda _line: None) -> FeedPollStats:
    """One poll: record new files and events, then read every pending or failed one (the beat task
    and the ``amazon_feed_poll`` command share this)."""
    stats = FeedPollStats()
    try:
        report_files_discover(stats=stats)
    except ReportUnreadable as error:
        progress(f"report files: {error}")
    progress(f"report files: {stats.files_new} new")
    _consume(stats, seconds)
    progress(f"events: {stats.events_received} received, {stats.events_duplicate} already recorded")
    for file_id in AmazonReportFile.objects.filter(status__in=RETRIED).order_by("id").values_list("pk", flat=True):
        report = report_file_read(file_id=file_id)
        if report is not None:
            stats.files_read += int(report.status == FeedStatus.DONE)
            stats.files_failed += int(report.status == FeedStatus.FAILED)
            stats.parked += int(report.status == FeedStatus.PARKED)
    progress(f"report files: {stats.files_read} read, {stats.files_failed} failed")
    # New events first, then the failed ones again: a payment that came before its cart is
    # retried after the cart of the same poll.
    waiting = AmazonFeedEvent.objects.filter(status__in=RETRIED).order_by("-status", "id")  # pending > failed
    for event_pk in waiting.values_list("pk", flat=True):
        row = feed_event_process(event_pk=event_pk)
        if row is not None:
            stats.events_processed += int(row.status == FeedStatus.DONE)
            stats.events_test += int(row.status == FeedStatus.TEST)
            stats.events_failed += int(row.status == FeedStatus.FAILED)
            stats.parked += int(row.status == FeedStatus.PARKED)
    progress(
        f"events: {stats.events_processed} applied, {stats.events_test} test, {stats.events_failed} failed, "
        f"{stats.parked} parked"
    )
    return stats


# --- staff ----------------------------------------------------------------------------------------
def report_file_retry(*, report: AmazonReportFile) -> AmazonReportFile:
    """Staff: read a failed or parked file again now, with a fresh count of attempts."""
    if report.status not in (FeedStatus.FAILED, FeedStatus.PARKED):
        raise ApplicationError("This file was read; there is nothing to retry.")
    AmazonReportFile.objects.filter(pk=report.pk).update(status=FeedStatus.PENDING, attempts=0)
    report_file_read(file_id=report.pk)
    report.refresh_from_db()
    return report


def feed_event_retry(*, event: AmazonFeedEvent) -> AmazonFeedEvent:
    """Staff: process a failed or parked event again now, with a fresh count of attempts."""
    if event.status not in (FeedStatus.FAILED, FeedStatus.PARKED):
        raise ApplicationError("This event was processed; there is nothing to retry.")
    AmazonFeedEvent.objects.filter(pk=event.pk).update(status=FeedStatus.PENDING, attempts=0)
    feed_event_process(event_pk=event.pk)
    event.refresh_from_db()
    return event
