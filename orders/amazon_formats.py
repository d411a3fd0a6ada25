"""Amazon's store reporting formats, one adapter per format: bytes in, normalised records out.

Amazon's app-entry test plan checks intra-day report files and an event feed (SPEC §11.4) but has
not published either format, so every shape here is [INFERRED]. Each format is a small adapter
(:class:`ReportFormat` for report files, :class:`EventFormat` for feed messages) chosen by a
setting (``JWO_AMAZON_REPORT_FORMAT``, ``JWO_AMAZON_EVENT_FORMAT``): when Amazon publishes its
format, a new adapter is added here and the rest of the feed does not change.

Pure Python: no ORM. A row or message that cannot be read raises :class:`FormatError` with a
reason staff can read; a file keeps its good rows and lists its bad ones.
"""

import csv
import io
import json
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any, Protocol


class FormatError(ValueError):
    """A row or message that is not in the expected shape; the message says why."""


@dataclass(frozen=True)
class ReportLine:
    """One cart line of one trip, as a report file lists it."""

    line_id: str  # unique per trip: rows seen again (a file read twice, a line in two files) are one
    trip_id: str  # Amazon's idempotentShoppingTripId, our Purchase.trip_id
    store_id: str
    sku: str
    quantity: Decimal
    ended_at: datetime
    is_test: bool = False


@dataclass(frozen=True)
class ReportRows:
    """A file read: its lines, and the rows that could not be read (row number, reason)."""

    lines: list[ReportLine]
    errors: list[tuple[int, str]] = field(default_factory=list)


class EventKind(StrEnum):
    CART = "cart"
    PAYMENT = "payment"
    DECLINE = "decline"
    TEST = "test"


@dataclass(frozen=True)
class EventLine:
    line_id: str
    sku: str
    quantity: Decimal


@dataclass(frozen=True)
class FeedEvent:
    """One event of the feed, normalised."""

    event_id: str
    kind: EventKind
    trip_id: str = ""
    store_id: str = ""
    occurred_at: datetime | None = None
    lines: tuple[EventLine, ...] = ()
    amount: Decimal | None = None  # a payment's captured amount
    reason: str = ""  # a decline's reason

    @property
    def is_test(self) -> bool:
        return self.kind is EventKind.TEST


class ReportFormat(Protocol):
    def __call__(self, raw: bytes) -> ReportRows: ...


class EventFormat(Protocol):
    def __call__(self, body: str) -> FeedEvent: ...


def _text(row: dict[str, Any], *names: str, required: bool = True) -> str:
    for name in names:
        value = row.get(name)
        if value not in (None, ""):
            return str(value).strip()
    if required:
        raise FormatError(f"{names[0]} is missing")
    return ""


def _decimal(value: Any, name: str) -> Decimal:
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise FormatError(f"{name} is not a number: {str(value)[:40]!r}") from None
    if not number.is_finite():
        raise FormatError(f"{name} is not a number: {str(value)[:40]!r}")
    return number


def _moment(value: str, name: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise FormatError(f"{name} is not an ISO-8601 time: {value[:40]!r}") from None
    if moment.tzinfo is None:
        raise FormatError(f"{name} has no time zone: {value[:40]!r}")
    return moment


def _is_true(value: Any) -> bool:
    return str(value).strip().lower() in ("1", "true", "yes")


def _report_line(row: dict[str, Any]) -> ReportLine:
    """A report row as [INFERRED]: shoppingTripId, storeId, lineItemId, sku, quantity, tripEndTime, test."""
    return ReportLine(
        line_id=_text(row, "lineItemId", "line_item_id"),
        trip_id=_text(row, "shoppingTripId", "shopping_trip_id"),
        store_id=_text(row, "storeId", "store_id"),
        sku=_text(row, "sku"),
        quantity=_decimal(_text(row, "quantity"), "quantity"),
        ended_at=_moment(_text(row, "tripEndTime", "trip_end_time"), "tripEndTime"),
        is_test=_is_true(row.get("test", "")),
    )


def _rows(numbered: list[tuple[int, Any]]) -> ReportRows:
    lines, errors = [], []
    for number, row in numbered:
        try:
            if not isinstance(row, dict):
                raise FormatError("not an object")
            lines.append(_report_line(row))
        except FormatError as error:
            errors.append((number, str(error)))
    return ReportRows(lines, errors)


def report_json_lines(raw: bytes) -> ReportRows:
    """[INFERRED] One JSON object per line (blank lines skipped)."""
    numbered: list[tuple[int, Any]] = []
    errors: list[tuple[int, str]] = []
    for number, text in enumerate(raw.decode("utf-8", errors="replace").splitlines(), start=1):
        if not text.strip():
            continue
        try:
            numbered.append((number, json.loads(text)))
        except ValueError:
            errors.append((number, "not JSON"))
    read = _rows(numbered)
    return ReportRows(read.lines, sorted(errors + read.errors))


def report_csv(raw: bytes) -> ReportRows:
    """[INFERRED] CSV with a header row naming the same fields (snake_case or camelCase)."""
    reader = csv.DictReader(io.StringIO(raw.decode("utf-8-sig", errors="replace")))
    return _rows([(number, row) for number, row in enumerate(reader, start=2)])


def event_json(body: str) -> FeedEvent:
    """[INFERRED] A JSON object: eventId, eventType (CART, PAYMENT, DECLINE, TEST), shoppingTripId,
    storeId, eventTime, and cartItems (cart), amount (payment), reason (decline)."""
    try:
        document = json.loads(body)
    except ValueError:
        raise FormatError("The event is not JSON") from None
    if not isinstance(document, dict):
        raise FormatError("The event is not a JSON object")
    event_id = _text(document, "eventId", "event_id")
    raw_kind = _text(document, "eventType", "event_type").lower()
    try:
        kind = EventKind(raw_kind)
    except ValueError:
        raise FormatError(f"Unknown event type {raw_kind[:40]!r}") from None
    if kind is EventKind.TEST or _is_true(document.get("test", "")):
        return FeedEvent(
            event_id=event_id, kind=EventKind.TEST, trip_id=_text(document, "shoppingTripId", required=False)
        )
    when = _text(document, "eventTime", "event_time", required=False)
    event = FeedEvent(
        event_id=event_id,
        kind=kind,
        trip_id=_text(document, "shoppingTripId", "shopping_trip_id"),
        store_id=_text(document, "storeId", "store_id"),
        occurred_at=_moment(when, "eventTime") if when else None,
    )
    if kind is EventKind.CART:
        items = document.get("cartItems")
        if not isinstance(items, list):
            raise FormatError("A cart event has no cartItems list")
        lines = tuple(_event_line(item, position) for position, item in enumerate(items, start=1))
        return FeedEvent(**{**event.__dict__, "lines": lines})
    if kind is EventKind.PAYMENT:
        return FeedEvent(**{**event.__dict__, "amount": _decimal(_text(document, "amount"), "amount")})
    return FeedEvent(**{**event.__dict__, "reason": _text(document, "reason", required=False)[:255]})


def _event_line(item: Any, position: int) -> EventLine:
    if not isinstance(item, dict):
        raise FormatError(f"cartItems[{position}] is not an object")
    quantity = item.get("quantity")
    value = quantity.get("value") if isinstance(quantity, dict) else quantity
    return EventLine(
        line_id=_text(item, "lineItemId", required=False) or str(position),
        sku=_text(item, "id", "sku"),
        quantity=_decimal(value, f"cartItems[{position}].quantity"),
    )


REPORT_FORMATS: dict[str, ReportFormat] = {"json_lines": report_json_lines, "csv": report_csv}
EVENT_FORMATS: dict[str, EventFormat] = {"json": event_json}


def report_format(name: str) -> ReportFormat:
    """The report adapter called ``name``; an unknown name is a configuration error."""
    try:
        return REPORT_FORMATS[name]
    except KeyError:
        raise ValueError(f"Unknown report format {name!r}: one of {', '.join(REPORT_FORMATS)}") from None


def event_format(name: str) -> EventFormat:
    try:
        return EVENT_FORMATS[name]
    except KeyError:
        raise ValueError(f"Unknown event format {name!r}: one of {', '.join(EVENT_FORMATS)}") from None
