"""The connector's two statements: read what decides, and store the answer (or find the first one).

A gate call is on Amazon's clock, so its database work is two round trips in autocommit, written
in SQL both PostgreSQL and SQLite run (the embedded default):

1. one read joining the recognition record, its shopper and the shopper's default card;
2. one ``INSERT … ON CONFLICT (auth_event_id) DO UPDATE SET replays = replays + 1 RETURNING …``:
   a new gate event stores our answer; a replay (sequential or racing us) leaves the first answer
   in place, counts itself, and gets that first answer back. New rows start at ``replays = 0``,
   so a returned count above zero means the answer is an earlier one.
"""

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.utils import timezone

from entry.models import GateEvent, PaymentMethod, ScanKey, Shopper
from jwo_admin.core import db

_EVENT_COLUMNS = (
    "created_at",
    "auth_event_id",
    "auth_event_ref",
    "auth_event_at",
    "request_id",
    "store_id",
    "store_ref",
    "decision",
    "reason",
    "detail",
    "status_code",
    "response_body",
    "shopper_id",
    "visitor_type",
    "key_fingerprint",
    "latency_ms",
    "replays",
    "simulation_run_id",
)
_JSON_COLUMNS = frozenset({"response_body"})
_ANSWER_COLUMNS = ("status_code", "response_body", "decision", "reason", "detail", "shopper_id", "visitor_type")


@dataclass(frozen=True)
class Recognition:
    """What the gate decision needs to know about one Scan Key Code's record."""

    is_revoked: bool
    store_id: int | None
    shopper_id: int
    external_id: str
    visitor_type: str
    status: str
    status_reason: str
    card_expiry: tuple[int, int] | None  # (year, month) of the default card


def _recognition_sql() -> str:
    key, shopper, card = ScanKey._meta.db_table, Shopper._meta.db_table, PaymentMethod._meta.db_table
    return (
        f"SELECT k.revoked_at, k.store_id, s.id, s.external_id, s.visitor_type, s.status, s.status_reason, "  # noqa: S608 - table names from our models
        f"c.expiry_year, c.expiry_month FROM {key} k JOIN {shopper} s ON s.id = k.shopper_id "
        f"LEFT JOIN {card} c ON c.shopper_id = s.id AND c.is_default = %s WHERE k.token = %s"
    )


def recognition_read(token: str) -> Recognition | None:
    row = db.fetch_one(_recognition_sql(), [True, token])
    if row is None:
        return None
    card = (int(row[7]), int(row[8])) if row[7] is not None else None
    return Recognition(row[0] is not None, row[1], row[2], row[3], row[4], row[5], row[6], card)


def _param(column: str, value: Any) -> Any:
    if column == "response_body":
        return json.dumps(value)
    if isinstance(value, datetime):
        return db.datetime_parameter(value)
    return value


def gate_event_upsert(fields: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """Store a gate event; returns the answer now on record and whether it is an earlier one.

    ``fields`` are GateEvent field names (``store_id``/``shopper_id`` as ids). Without an
    ``auth_event_id`` (calls that are not decisions) nothing can conflict: always a new row.
    """
    row_fields = {"created_at": timezone.now(), "replays": 0, **fields}
    row = db.upsert_keep_first(
        table=GateEvent._meta.db_table,
        columns=_EVENT_COLUMNS,
        values=[_param(column, row_fields.get(column)) for column in _EVENT_COLUMNS],
        conflict_column="auth_event_id",
        counter_column="replays",
        returning=_ANSWER_COLUMNS,
        json_columns=_JSON_COLUMNS,
    )
    return dict(zip(_ANSWER_COLUMNS, row[:-1], strict=True)), row[-1] > 0
