"""Builders shared by the entry screen tests: gate events at a chosen time, per-hour series."""

from datetime import UTC, datetime
from typing import Any

from catalog.models import Store
from entry.models import GateDecisionKind, GateEvent, GateReason, Shopper

NOW = datetime(2025, 3, 10, 14, 20, tzinfo=UTC)
STATUS_FOR = {GateDecisionKind.ADMITTED: 200, GateDecisionKind.REFUSED: 403, GateDecisionKind.STORE_DEFAULT: 500}


def gate_event(
    *,
    at: datetime,
    store: Store | None = None,
    decision: str = GateDecisionKind.ADMITTED,
    reason: str = GateReason.ADMITTED,
    latency_ms: float = 10.0,
    shopper: Shopper | None = None,
    **fields: Any,
) -> GateEvent:
    """A recorded gate call at ``at`` (created_at is set after the insert: it is auto_now_add)."""
    values: dict[str, Any] = {
        "store": store,
        "store_ref": store.store_id if store else "",
        "decision": decision,
        "reason": reason,
        "status_code": STATUS_FOR[GateDecisionKind(decision)],
        "response_body": {},
        "latency_ms": latency_ms,
        "shopper": shopper,
        "visitor_type": shopper.visitor_type if shopper else "",
    }
    event = GateEvent.objects.create(**{**values, **fields})
    GateEvent.objects.filter(pk=event.pk).update(created_at=at)
    event.refresh_from_db()
    return event


def series(values: dict[int, Any], *, empty: Any = 0, hours: int = 24) -> list[Any]:
    """A per-hour series with ``values`` at the given slot indexes (0 = oldest hour)."""
    return [values.get(index, empty) for index in range(hours)]


UTC_LABELS = [f"{hour % 24:02d}:00" for hour in range(15, 15 + 24)]
