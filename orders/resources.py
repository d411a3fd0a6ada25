"""The finance exports (django-import-export resources): purchases, purchase lines, payment
operations, refunds and settlement days, as CSV or XLSX.

Each resource's fields are the file's columns: ``column_name`` the header, ``attribute`` an ORM
path (``purchase__store__store_id``). ``Resource.export`` builds a whole Dataset in memory, which a
million-line range cannot afford, so the model exports stream: the resource gives the headers and
the ORM paths, ``rows`` reads ``values_list(*paths).iterator(chunk_size=…)`` and the writers
(``csv_chunks``, ``xlsx_file``) write row by row: CSV as a generator of bytes, XLSX through
openpyxl's write-only mode into a temporary file. The settlement days (a few hundred rows at most)
go through ``export_resource`` per row.

Every text cell goes through the kernel's ``cell_neutralise`` (``=HYPERLINK(…)`` in a product name
or a refund reason becomes plain text); times are written in UTC, ISO 8601.
"""

import csv
import io
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import IO, Any

from django.db.models import DateTimeField, Model, QuerySet, TextField
from django.db.models.functions import Cast
from import_export import fields, resources
from openpyxl import Workbook

from jwo_admin.core.csv_safe import FORMULA_STARTS, cell_neutralise
from jwo_admin.core.money import quantize_money
from orders.selectors.settlement import SettlementDay

CHUNK_ROWS = 2000  # rows per database round trip (server-side cursor) and per CSV write
UTF8_BOM = "\ufeff"  # Excel reads a CSV as UTF-8 only with it


class ExportResource(resources.Resource):
    """Raw values (numbers stay numbers in XLSX), text neutralised."""

    def export_field(self, field: Any, instance: Any, **kwargs: Any) -> Any:
        return cell_neutralise(field.get_value(instance))


def _field(attribute: str, column_name: str | None = None) -> fields.Field:
    return fields.Field(attribute=attribute, column_name=column_name or attribute.rsplit("__", 1)[-1], readonly=True)


class PurchaseResource(ExportResource):
    id = _field("id")
    purchase_id = _field("purchase_id")
    trip_id = _field("trip_id")
    store = _field("store__store_id", "store_id")
    created_at = _field("created_at")
    status = _field("status")
    payment_status = _field("payment_status")
    shopper = _field("shopper__external_id", "shopper_id")
    currency = _field("currency")
    subtotal = _field("subtotal")
    discount_total = _field("discount_total")
    tax_total = _field("tax_total")
    total = _field("total")
    captured_total = _field("captured_total")
    refunded_total = _field("refunded_total")


class PurchaseLineResource(ExportResource):
    purchase_id = _field("purchase__purchase_id", "purchase_id")
    store = _field("purchase__store__store_id", "store_id")
    created_at = _field("purchase__created_at", "created_at")
    position = _field("position")
    sku = _field("sku")
    name = _field("name")
    quantity = _field("quantity")
    unit = _field("unit")
    priced_quantity = _field("priced_quantity")
    priced_unit = _field("priced_unit")
    unit_price = _field("unit_price")
    gross = _field("gross")
    discount_total = _field("discount_total")
    net = _field("net")
    tax_rate = _field("tax_rate")
    tax = _field("tax")
    total = _field("total")
    currency = _field("purchase__currency", "currency")


class PaymentOperationResource(ExportResource):
    id = _field("id")
    created_at = _field("created_at")
    purchase_id = _field("purchase__purchase_id", "purchase_id")
    store = _field("purchase__store__store_id", "store_id")
    kind = _field("kind")
    amount = _field("amount")
    currency = _field("currency")
    outcome = _field("outcome")
    gateway_reference = _field("gateway_reference")
    message = _field("message")


class RefundResource(ExportResource):
    id = _field("id")
    created_at = _field("created_at")
    purchase_id = _field("purchase__purchase_id", "purchase_id")
    store = _field("purchase__store__store_id", "store_id")
    amount = _field("amount")
    currency = _field("purchase__currency", "currency")
    reason_code = _field("reason_code")
    reason = _field("reason")
    status = _field("status")
    gateway_reference = _field("gateway_reference")


@dataclass(frozen=True)
class SettlementRow:
    """One store day in one currency, flat (a day without purchases has one row in the store's
    currency, every amount zero)."""

    store_id: str
    day: date
    currency: str
    trips: int
    purchases: int
    purchases_priced: int
    gross: Decimal
    promotions: Decimal
    tax: Decimal
    total: Decimal
    refunds: Decimal
    captured: Decimal
    paid_at_counter: Decimal
    outstanding: Decimal
    written_off: Decimal
    tax_by_rate: str  # "0.08:1.20 | 0.19:3.80": rate, then the tax at that rate


SETTLEMENT_COLUMNS = tuple(SettlementRow.__dataclass_fields__)
ZERO = Decimal(0)


class SettlementDayResource(resources.Resource):
    """Settlement days, one row per day and currency (``settlement_rows``)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        for name in SETTLEMENT_COLUMNS:
            self.fields[name] = fields.Field(attribute=name, column_name=name, readonly=True)

    def export_field(self, field: Any, instance: Any, **kwargs: Any) -> Any:
        return cell_neutralise(field.get_value(instance))


def settlement_rows(days: Iterable[SettlementDay]) -> Iterator[SettlementRow]:
    for settlement in days:
        currencies = settlement.currencies
        if not currencies:
            zero = quantize_money(ZERO, settlement.store.currency)
            yield SettlementRow(
                settlement.store.store_id, settlement.day, settlement.store.currency, settlement.trips,
                settlement.purchases, 0, zero, zero, zero, zero, zero, zero, zero, zero, zero, "",
            )  # fmt: skip
        for money in currencies:
            yield SettlementRow(
                store_id=settlement.store.store_id,
                day=settlement.day,
                currency=money.currency,
                trips=settlement.trips,
                purchases=settlement.purchases,
                purchases_priced=money.purchases_priced,
                gross=money.gross,
                promotions=money.promotions,
                tax=money.tax,
                total=money.total,
                refunds=money.refunds,
                captured=money.captured,
                paid_at_counter=money.paid_at_counter,
                outstanding=money.outstanding,
                written_off=money.written_off,
                tax_by_rate=" | ".join(f"{line.rate.normalize()}:{line.tax}" for line in money.tax_by_rate),
            )


# --- Rows and writers ---------------------------------------------------------------------------
def headers(resource: resources.Resource) -> list[str]:
    return [field.column_name for field in resource.get_export_fields()]


def rows(resource: resources.Resource, queryset: "QuerySet[Model]", *, times_as_text: bool = False) -> Iterator[Any]:
    """The resource's columns of every row, read in chunks from a server-side cursor: memory stays
    flat whatever the range (no model instances, no Dataset).

    ``times_as_text`` (the CSV): each time column comes as the database's text, UTC (Django keeps
    the connection on UTC), later written ISO 8601 (``utc_text_iso``): turning a million
    timestamps into aware datetimes and back is a third of a CSV export's time otherwise.
    """
    paths: list[Any] = [field.attribute for field in resource.get_export_fields()]
    if times_as_text:
        for index in time_columns(resource, queryset.model):
            paths[index] = Cast(paths[index], TextField())
    return queryset.order_by("pk").values_list(*paths).iterator(chunk_size=CHUNK_ROWS)


def time_columns(resource: resources.Resource, model: type[Model]) -> list[int]:
    """The positions of the resource's time columns (``DateTimeField``)."""
    paths = [field.attribute for field in resource.get_export_fields()]
    return [index for index, path in enumerate(paths) if isinstance(_model_field(model, path), DateTimeField)]


def _model_field(model: type[Model], path: str) -> Any:
    """The field an ORM path (``purchase__created_at``) ends on."""
    *relations, name = path.split("__")
    for relation in relations:
        model = model._meta.get_field(relation).related_model  # type: ignore[assignment]
    return model._meta.get_field(name)


def utc_text_iso(text: str) -> str:
    """A UTC time as PostgreSQL (``2026-12-06 23:30:00+00``) or SQLite (``2026-12-06 23:30:00``)
    writes it, as ISO 8601 with a ``Z``.

    >>> utc_text_iso("2026-12-06 23:30:00.5+00"), utc_text_iso("2026-12-06 23:30:00")
    ('2026-12-06T23:30:00.5Z', '2026-12-06T23:30:00Z')
    """
    text = text.replace(" ", "T", 1)
    return (text[:-3] if text.endswith("+00") else text) + "Z"


def resource_rows(resource: resources.Resource, instances: Iterable[Any]) -> Iterator[list[Any]]:
    """Rows through ``export_resource`` (already neutralised): for the few settlement rows."""
    for instance in instances:
        yield resource.export_resource(instance)


def _cell(value: Any) -> Any:
    """A value as the files hold it: text neutralised, times in UTC (naive for openpyxl)."""
    if isinstance(value, str):
        return cell_neutralise(value)
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None)
    return value


def _csv_cell(value: Any) -> Any:
    value = _cell(value)
    if isinstance(value, datetime):
        return value.isoformat() + "Z"
    return value  # None: the csv module writes an empty cell


def csv_chunks(
    header: Sequence[str], lines: Iterable[Sequence[Any]], *, text_times: Sequence[int] = ()
) -> Iterator[bytes]:
    """UTF-8 CSV (with a BOM for Excel), ``CHUNK_ROWS`` rows per yielded chunk.

    The hot loop of a million-line export: each column's kind is read from its first value (the
    columns of one export keep their type), so a number is written as is, a time formatted, and
    only text starting like a formula goes through ``cell_neutralise``; a column that starts with
    blanks is checked cell by cell. ``text_times``: the columns that hold UTC times as text
    (``rows(..., times_as_text=True)``).
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write(UTF8_BOM)
    writer.writerow(header)
    texts: list[int] = []
    times: list[int] = []
    unknown: list[int] | None = None
    for count, line in enumerate(lines, 1):
        row = list(line)
        if unknown is None:
            texts = [index for index, value in enumerate(row) if isinstance(value, str) and index not in text_times]
            times = [index for index, value in enumerate(row) if isinstance(value, datetime)]
            unknown = [index for index, value in enumerate(row) if value is None and index not in text_times]
        for index in texts:
            value = row[index]
            if value and value.startswith(FORMULA_STARTS):  # a quick test before the call, per text cell
                row[index] = cell_neutralise(value)
        for index in times:
            row[index] = row[index].astimezone(UTC).replace(tzinfo=None).isoformat() + "Z"
        for index in unknown:
            row[index] = _csv_cell(row[index])
        for index in text_times:
            if row[index] is not None:
                row[index] = utc_text_iso(row[index])
        writer.writerow(row)
        if count % CHUNK_ROWS == 0:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode()


def xlsx_file(header: Sequence[str], lines: Iterable[Sequence[Any]], *, title: str) -> IO[bytes]:
    """An XLSX workbook written row by row (openpyxl write-only: rows go to disk, not memory) into
    a temporary file, rewound for reading; the file goes when it is closed."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    sheet.append(list(header))
    for line in lines:
        sheet.append([_cell(value) for value in line])
    file = tempfile.TemporaryFile()  # noqa: SIM115 - the response closes it once sent
    workbook.save(file)
    file.seek(0)
    return file
