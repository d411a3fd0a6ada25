"""Verify Identity Keys (SPEC §8): the connector's one entry point, from what arrived to a decision.

Every call Amazon made with a valid connector key is decided here, errors included, and kept in
the gate log: a body that could not be read or was not JSON, a field at fault, an unknown store,
a store whose records could not be read before the deadline, a connector key that could not be
checked, a failure nobody foresaw (the deliberate 500: the gate follows the store's default), and
the decision itself (``identity.identity_verify``: admit or refuse, a replay getting the first
answer). The decision carries no HTTP; ``entry.apis`` renders it.
"""

import logging
import time
from typing import Any

from django.conf import settings
from django.db import DatabaseError

from entry.identity_request import identity_request_parse
from entry.models import GateReason
from entry.selectors.stores import StoreGateProfile, store_gate_profile, store_gate_profile_cached
from entry.services.gate_answers import GateDecision, GateOutcome
from entry.services.identity import (
    IdentityCall,
    answer_invalid,
    answer_record,
    answer_undecided_recorded,
    call_fields_for,
    identity_verify,
)
from jwo_admin.core.api.authentication import ConnectorKeyUnverifiable
from jwo_admin.core.api.connector import STATUS_MESSAGES
from jwo_admin.core.api.fields import InvalidField
from jwo_admin.core.deadline import DeadlineExceeded
from jwo_admin.core.metrics import connector_late_calls
from jwo_admin.core.request_id import amazon_request_id_note

logger = logging.getLogger(__name__)

NOT_JSON_MESSAGE = STATUS_MESSAGES[415]


def identity_call_decide(
    *,
    body: Any,
    started: float,
    unreadable: str = "",
    is_json: bool = True,
    failure: Exception | None = None,
    simulation_run_id: int | None = None,
) -> GateDecision:
    """Decide one Verify Identity Keys call, within the budget counted from ``started``.

    ``body``: the JSON sent (``{}`` when it could not be read). ``unreadable``: why the body could
    not be read (too large, not JSON, nested too deeply), in words. ``is_json``: False when it was
    not sent as JSON at all. ``failure``: the call failed before a decision (the connector key could
    not be checked in time, or an unforeseen error): the deliberate 500.

    ``simulation_run_id``: the store simulation run whose connector key made the call (None: a
    real call); the gate log marks the event with it.

    Never raises. Answers given without a decision (a body at fault, an unknown store) are kept
    without the gate event's id, so a retry of them is decided afresh."""
    raw = body if isinstance(body, dict) else {}
    run = simulation_run_id
    if failure is not None:
        if not isinstance(failure, ConnectorKeyUnverifiable):
            logger.exception("identity connector failed", exc_info=failure)
        return _undecided(failure, raw, started, run)
    if not is_json:
        answer = GateDecision(
            GateOutcome.NOT_JSON, GateReason.INVALID_REQUEST, NOT_JSON_MESSAGE, message=NOT_JSON_MESSAGE
        )
        return _record(answer, raw, started, run)
    if unreadable:
        return _record(answer_invalid("body", f"Invalid body: {unreadable}"), raw, started, run)
    try:
        parsed = identity_request_parse(body)
    except InvalidField as invalid:
        return _record(answer_invalid(invalid.field, f"Invalid {invalid.field}: {invalid.message}"), raw, started, run)
    amazon_request_id_note(parsed.request_id)
    try:
        store = _store(parsed.store_id, started)
    except (DeadlineExceeded, DatabaseError) as error:
        return _undecided(error, raw, started, run)
    if store is None:
        return _record(answer_invalid("storeId", "Invalid storeId"), raw, started, run)
    call = IdentityCall(
        request_id=parsed.request_id,
        identity_key=parsed.identity_key,
        scanned_text=parsed.scanned_text,
        store_id=store.store_id,
        auth_event_id=parsed.auth_event_id,
        auth_event_at=parsed.auth_event_at,
    )
    return identity_verify(call=call, store=store, raw=raw, started=started, simulation_run_id=run)


def identity_call_shed(*, waited: float) -> GateDecision:
    """A call that waited ``waited`` seconds for a worker, past ``JWO_IDENTITY_SHED_MS``: the
    deliberate 500 at once, so it still reaches the gate in time and the gate follows the store's
    default (set in Amazon's portal: the 500 needs no store of ours). No database, no cache, and
    no gate event — writing one is the very work an overloaded machine cannot afford; the call is
    counted in ``/metrics`` (``jwo_connector_late_calls_total{connector="identity",reason="shed"}``)."""
    connector_late_calls.labels(connector="identity", reason="shed").inc()
    return GateDecision(
        GateOutcome.UNDECIDED,
        GateReason.TIMEOUT,
        f"Gate followed the store default: waited {waited * 1000:.0f} ms for a worker",
    )


def _store(store_id: str, started: float) -> StoreGateProfile | None:
    """Cached; on a miss the read runs under what is left of the deadline."""
    deadline = started + settings.JWO_IDENTITY_BUDGET_MS / 1000
    return store_gate_profile(store_id, timeout=max(deadline - time.perf_counter(), 0.001))


def _record(answer: GateDecision, raw: dict[str, Any], started: float, run: int | None) -> GateDecision:
    """An answer given without a decision, kept in the gate log with the store named, if known."""
    store = None
    if isinstance(raw.get("storeId"), str) and len(raw["storeId"]) <= 255:
        try:
            store = _store(raw["storeId"], started)
        except (DeadlineExceeded, DatabaseError):
            store = None  # the record keeps the id as sent
    fields = call_fields_for(None, raw, store, simulation_run_id=run)
    return answer_record(answer=answer, call_fields=fields, started=started, decisive=False)


def _undecided(error: Exception, raw: dict[str, Any], started: float, run: int | None) -> GateDecision:
    """Past the deadline before a decision: the deliberate 500 (the gate follows the store's default)."""
    store = store_gate_profile_cached(raw["storeId"]) if isinstance(raw.get("storeId"), str) else None
    return answer_undecided_recorded(
        error=error, store=store, call_fields=call_fields_for(None, raw, store, simulation_run_id=run), started=started
    )
