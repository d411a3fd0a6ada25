"""Create Purchases' writes, in raw SQL: a new purchase with its lines and discounts, and replays.

A purchase is on Amazon's clock, so storing it is one statement on PostgreSQL, in autocommit:
three data-modifying CTEs that insert the purchase (``ON CONFLICT DO NOTHING``), its
lines (one JSON parameter, an array of rows, unpacked by ``jsonb_array_elements``) and their
discounts (another, joined to the new lines by position). The purchase id
``PO-<yyyymmdd>-<pk, 8 digits>`` is computed in the same insert from the pk it takes from the
table's sequence, so no second UPDATE is needed. When another delivery of the trip has stored it
first (the insert waits for that one to commit), nothing is inserted and None is returned: the
caller answers from the stored purchase.

SQLite (the embedded default) has no data-modifying CTEs; there the same purchase insert and
plain inserts of the lines and discounts run in one transaction (in-process: no round trips).

Rows are built from the models' fields, so a field added later gets its default here as it would
from the ORM; values are adapted as the ORM adapts them (JSON, datetimes).
"""

import json
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from django.db import models, transaction

from jwo_admin.core import db
from orders.models import Purchase, PurchaseLine, PurchaseLineDiscount

LINE_POSITION = "line_position"  # a discount row's key naming its line
_PARENT = {PurchaseLine: "purchase", PurchaseLineDiscount: "line"}  # the FK the statements fill


@dataclass(frozen=True, slots=True)
class _Column:
    field: "models.Field[Any, Any]"
    attname: str
    quoted: str  # the column name, quoted for SQL
    pg_type: str  # PostgreSQL type without modifiers: the casts leave length and scale to the insert, as usual
    is_json: bool
    is_datetime: bool
    is_decimal: bool
    is_auto_now: bool


@cache
def _columns(model: type[models.Model], vendor: str) -> tuple[_Column, ...]:
    """The model's concrete columns but its pk and its parent's FK (the statements fill those)."""
    columns = []
    for field in model._meta.concrete_fields:
        if field.primary_key or field.name == _PARENT.get(model):
            continue
        columns.append(
            _Column(
                field=field,
                attname=field.attname,
                quoted=db.quote_name(field.column or field.attname),
                pg_type=db.column_type(field),
                is_json=isinstance(field, models.JSONField),
                is_datetime=isinstance(field, models.DateTimeField),
                is_decimal=isinstance(field, models.DecimalField),
                is_auto_now=bool(getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)),
            )
        )
    return tuple(columns)


def _value(column: _Column, values: dict[str, Any], now: datetime) -> Any:
    if column.attname in values:
        return values[column.attname]
    return now if column.is_auto_now else column.field.get_default()


def _parameter(column: _Column, value: Any) -> Any:
    """A value as the ORM hands it to the driver."""
    if value is None:
        return None
    if column.is_json:
        return json.dumps(value, cls=column.field.encoder)  # type: ignore[attr-defined]
    if column.is_datetime:
        return db.datetime_parameter(value)
    return value


def _json_rows(model: type[models.Model], rows: list[dict[str, Any]], now: datetime, *extra: str) -> str:
    """``rows`` as one JSON array of arrays: the ``extra`` keys, then the model's columns in order (a
    left-out field gets its default); decimals and datetimes as strings, so they stay exact."""
    columns = _columns(model, "postgresql")
    cells = [(key, None, False) for key in extra] + [
        (column.attname, _value(column, {}, now), column.is_decimal or column.is_datetime) for column in columns
    ]
    return json.dumps(
        [
            [
                (None if (value := row.get(key, default)) is None else str(value)) if as_text else row.get(key, default)
                for key, default, as_text in cells
            ]
            for row in rows
        ]
    )


# --- The statements (the dialect's parts come from jwo_admin.core.db) -----------------------------
COMPUTED = ("purchase_id", "response_body")  # computed by the insert from the pk it takes


@cache
def _purchase_insert_sql(vendor: str) -> str:
    """``INSERT … SELECT … ON CONFLICT DO NOTHING RETURNING id, purchase_id``: nothing is inserted
    when the trip is stored already or its hold pays for another purchase (both unique; naming no
    conflict target lets PostgreSQL settle either race without an error or a deadlock). Parameters:
    the value of every column but the computed ones, then whether the purchase is numbered (else
    its purchase id is blank: an empty cart) and the date part of its purchase id."""
    table = Purchase._meta.db_table
    columns = _columns(Purchase, vendor)
    values = []
    for column in columns:
        if column.attname == "purchase_id":
            values.append("n.purchase_id")
        elif column.attname == "response_body":
            values.append(f"{db.json_object_function()}('purchaseId', n.purchase_id)")
        else:
            values.append(db.typed_parameter(column.pg_type))
    return (
        f"INSERT INTO {table} (id, {', '.join(column.quoted for column in columns)}) "  # noqa: S608 - our own names
        f"SELECT n.id, {', '.join(values)} FROM (SELECT i.id, CASE WHEN {db.typed_parameter('boolean')} "
        f"THEN 'PO-' || {db.typed_parameter('text')} || '-' || {db.zero_padded_sql('i.id', 8)} ELSE '' END "
        f"AS purchase_id FROM (SELECT {db.next_id_sql(table)} AS id) i) n WHERE true "
        "ON CONFLICT DO NOTHING RETURNING id, purchase_id"
    )


def _cells(columns: tuple[_Column, ...], first: int) -> str:
    """The cells of a JSON array row ``r.v`` from index ``first`` on, typed as the columns (a JSON
    null is SQL NULL, as the ORM stores None)."""
    return ", ".join(
        db.json_row_cell(index, column.pg_type, is_json=column.is_json) for index, column in enumerate(columns, first)
    )


@cache
def _postgresql_sql() -> str:
    """The purchase, its lines and their discounts: one statement (parameters: the purchase's, then
    the lines as JSON, then the discounts as JSON)."""
    line, discount = PurchaseLine._meta.db_table, PurchaseLineDiscount._meta.db_table
    lines, discounts = _columns(PurchaseLine, "postgresql"), _columns(PurchaseLineDiscount, "postgresql")
    return (
        f"WITH p AS ({_purchase_insert_sql('postgresql')}), "  # noqa: S608 - our own names
        f"l AS (INSERT INTO {line} (purchase_id, {', '.join(c.quoted for c in lines)}) "
        f"SELECT p.id, {_cells(lines, 0)} FROM p CROSS JOIN {db.json_rows_source()} "
        'RETURNING id, "position"), '
        f"d AS (INSERT INTO {discount} (line_id, {', '.join(c.quoted for c in discounts)}) "
        f"SELECT l.id, {_cells(discounts, 1)} FROM {db.json_rows_source()} "
        f'JOIN l ON l."position" = (r.v ->> 0)::integer) '
        "SELECT id, purchase_id FROM p"
    )


@cache
def _plain_inserts_sql(vendor: str) -> tuple[str, str]:
    line, discount = PurchaseLine._meta.db_table, PurchaseLineDiscount._meta.db_table
    lines, discounts = _columns(PurchaseLine, vendor), _columns(PurchaseLineDiscount, vendor)
    marks = ", ".join(["%s"] * len(lines))
    return (
        f"INSERT INTO {line} (purchase_id, {', '.join(c.quoted for c in lines)}) VALUES (%s, {marks})",  # noqa: S608
        f"INSERT INTO {discount} (line_id, {', '.join(c.quoted for c in discounts)}) "  # noqa: S608
        f'VALUES ((SELECT id FROM {line} WHERE purchase_id = %s AND "position" = %s), '
        f"{', '.join(['%s'] * len(discounts))})",
    )


def purchase_insert(
    *,
    purchase: dict[str, Any],
    is_numbered: bool,
    lines: list[dict[str, Any]],
    discounts: list[dict[str, Any]],
) -> tuple[int, str] | None:
    """Store a new purchase with its lines and discounts; (pk, purchase id), or None when the trip
    is stored already (a concurrent delivery won) or its hold pays for another purchase: nothing
    was inserted.

    ``purchase``, each line and each discount map field attnames to values (``shopper_id``); fields
    left out get their model default. ``purchase_id`` and ``response_body`` are computed: ``PO-``,
    the date of ``created_at``, the pk on eight digits — or blank unless ``is_numbered``. Lines
    carry their ``position``; a discount names its line's position under ``line_position``.
    """
    vendor = db.dialect()
    now = purchase["created_at"]
    head = [
        _parameter(column, _value(column, purchase, now))
        for column in _columns(Purchase, vendor)
        if column.attname not in COMPUTED
    ]
    head += [is_numbered, f"{now:%Y%m%d}"]
    if db.supports_data_modifying_ctes():
        line_rows = _json_rows(PurchaseLine, lines, now)
        discount_rows = _json_rows(PurchaseLineDiscount, discounts, now, LINE_POSITION)
        row = db.fetch_one(_postgresql_sql(), [*head, line_rows, discount_rows])
        return (row[0], row[1]) if row else None
    return _plain_insert(vendor, head, lines, discounts, now)


def _plain_insert(
    vendor: str, head: list[Any], lines: list[dict[str, Any]], discounts: list[dict[str, Any]], now: datetime
) -> tuple[int, str] | None:
    line_sql, discount_sql = _plain_inserts_sql(vendor)
    line_columns, discount_columns = _columns(PurchaseLine, vendor), _columns(PurchaseLineDiscount, vendor)
    with transaction.atomic():
        row = db.fetch_one(_purchase_insert_sql(vendor), head)
        if row is None:
            return None
        pk = row[0]
        if lines:
            db.execute_many(
                line_sql, [[pk, *(_parameter(c, _value(c, line, now)) for c in line_columns)] for line in lines]
            )
        if discounts:
            db.execute_many(
                discount_sql,
                [
                    [pk, discount[LINE_POSITION], *(_parameter(c, _value(c, discount, now)) for c in discount_columns)]
                    for discount in discounts
                ],
            )
    return pk, row[1]


def purchase_replay_count(*, trip_id: str, fingerprint: str) -> tuple[int, dict[str, Any]] | None:
    """Count a delivery of a stored trip — a conflict too when its cart differs from the first —
    and return the stored (pk, answer); None when the trip is not stored. One statement."""
    table = Purchase._meta.db_table
    row = db.fetch_one(
        f"UPDATE {table} SET replays = replays + 1, "  # noqa: S608 - our own names
        "conflicts = conflicts + CASE WHEN request_fingerprint = %s THEN 0 ELSE 1 END "
        "WHERE trip_id = %s RETURNING id, response_body",
        [fingerprint, trip_id],
    )
    if row is None:
        return None
    return row[0], db.json_result(row[1])


def purchase_stored(*, trip_id: str) -> bool:
    """Whether the trip has a purchase (after an insert that inserted nothing: which race it lost)."""
    return Purchase.objects.filter(trip_id=trip_id).exists()
