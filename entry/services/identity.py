"""The Identity Connector's decision (SPEC §8, §B): admit, refuse, or let the store's default decide.

Order of work, cheapest first, so that abuse costs us little:
1. checks that need nothing but the request (layout, MAC, freshness) — deterministic, so a replay
   gets the same refusal with no database read;
2. the database, on a pool thread under a hard deadline, in two statements (``gate_events``):
   one read of the recognition record, its shopper and card; one upsert on the unique
   ``auth_event_id`` that stores our answer, or — for a replay, sequential or concurrent — keeps
   the first answer and hands it back;
3. past the deadline, or on a database error, a deliberate 500: Amazon's gate then follows the
   store's default decision, and we record that we let it.

``started`` is the call's arrival (``jwo_admin.core.arrival``), not the view's start: the time a
call queued for a worker is spent from the same budget. A decision made past the budget is kept
as *answered late* (``GateReason.LATE``, the store-default 500): it admits no one and places no hold.
"""

import logging
import threading
import time
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import DatabaseError, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from entry.models import GateEvent, GateReason, ShopperStatus, VisitorType
from entry.scan_keys import ScanKeyCode, ScanKeyRefused, key_fingerprint, scan_key_verify
from entry.selectors.stores import StoreGateProfile, store_gate_profile
from entry.services.gate_answers import GateDecision, GateOutcome, gate_answer_wire, gate_decision_recorded
from entry.services.gate_events import gate_event_upsert, recognition_read
from entry.signals import shopper_admitted_announce
from jwo_admin.core import db
from jwo_admin.core.deadline import (
    UNREACHABLE,
    DeadlineExceeded,
    run_later_until_stored,
    run_within,
    submit,
)
from jwo_admin.core.metrics import connector_late_calls
from jwo_admin.core.spool import spool_drain, spool_push

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class IdentityCall:
    """A validated Verify Identity Keys request."""

    request_id: str
    identity_key: str
    scanned_text: str
    store_id: str
    auth_event_id: str
    auth_event_at: datetime


def _refused(reason: str, detail: str = "") -> GateDecision:
    return GateDecision(GateOutcome.REFUSED, reason, detail)


def answer_invalid(field_name: str, message: str) -> GateDecision:
    """A body at fault: ``field_name`` is the path of the first field at fault."""
    return GateDecision(
        GateOutcome.INVALID, GateReason.INVALID_REQUEST, message[:255], field=field_name, message=message
    )


# --- The decision ------------------------------------------------------------------------------
def _judge(*, call: IdentityCall, code: ScanKeyCode, store: StoreGateProfile) -> GateDecision:
    """SPEC §9.1 rules 4–6 against our records (one read)."""
    record = recognition_read(code.token)
    if record is None:
        return _refused(GateReason.UNKNOWN_KEY, "The code's recognition token is not on record.")
    refusal = ""
    # The shopper's state first: blocking also revokes codes, and "blocked" is the reason staff need.
    if record.status == ShopperStatus.BLOCKED:
        refusal = GateReason.BLOCKED
    elif record.status == ShopperStatus.FLAGGED and not settings.JWO_ADMIT_FLAGGED_SHOPPERS:
        refusal = GateReason.FLAGGED
    elif record.is_revoked:
        refusal = GateReason.REVOKED
    elif record.store_id is not None and record.store_id != store.pk:
        refusal = GateReason.OTHER_STORE
    elif record.visitor_type == VisitorType.SHOPPER:  # only app shoppers pay by card (Shopper.needs_card)
        if record.card_expiry is None:
            refusal = GateReason.NO_PAYMENT_METHOD
        elif record.card_expiry < (call.auth_event_at.year, call.auth_event_at.month):
            refusal = GateReason.PAYMENT_EXPIRED
    if refusal:
        details: dict[str, str] = {
            GateReason.BLOCKED: record.status_reason,
            GateReason.FLAGGED: record.status_reason,
            GateReason.REVOKED: "The code was revoked by staff.",
            GateReason.OTHER_STORE: "The code was issued for another store.",
        }
        answer = _refused(refusal, details.get(refusal, ""))
        return replace(answer, shopper_id=record.shopper_id, visitor_type=record.visitor_type)
    return GateDecision(
        GateOutcome.ADMITTED,
        GateReason.ADMITTED,
        shopper_id=record.shopper_id,
        visitor_type=record.visitor_type,
        visitor_id=record.external_id,
    )


def _event_fields(call_fields: dict[str, Any], answer: GateDecision, latency_ms: float) -> dict[str, Any]:
    """The gate log's row: the call, the decision, and what Amazon received for it."""
    status, body = gate_answer_wire(answer)
    return {
        **call_fields,
        "decision": answer.kind,
        "reason": answer.reason,
        "detail": answer.detail[:255],
        "status_code": status,
        "response_body": body,
        "shopper_id": answer.shopper_id,
        "visitor_type": answer.visitor_type,
        "latency_ms": round(latency_ms, 3),
    }


class _Abandoned(Exception):
    """The caller already answered 500; this late decision must not be stored as the answer."""


@dataclass
class _Handoff:
    """Who records a call that ran past the deadline: exactly one of the caller and the job.

    The caller, at the deadline, either finds the job finished (and takes its answer, a moment
    late) or marks it abandoned and answers 500. A job that finds itself abandoned records that
    500 (rewriting the decision it may just have stored); a job never started is cancelled, and
    the caller records the 500.
    """

    lock: threading.Lock = field(default_factory=threading.Lock)
    abandoned: bool = False
    finished: bool = False

    def check(self, *, finish: bool = False) -> bool:
        with self.lock:
            if finish:
                self.finished = True
            return self.abandoned

    def give_up(self) -> bool:
        """False if the job has finished: the caller should take its answer instead."""
        with self.lock:
            if self.finished:
                return False
            self.abandoned = True
            return True


RECORD_PATIENCE_MS = 10_000


def gate_event_record(*, fields: dict[str, Any], decisive: bool, patient: bool = False) -> GateDecision | None:
    """Store the event. For a decision, an earlier answer for the same gate event wins: it is
    returned instead (and counted as a replay). Calls that are not decisions keep no
    ``auth_event_id``, so a retry of them is decided afresh.

    ``patient``: the answer is already given, so the record may wait out a slow database (a lock,
    a stall) for up to 10 s instead of the connector's budget, rather than be lost.
    """
    if not decisive:
        fields = {**fields, "auth_event_id": None}
    if patient:
        with transaction.atomic():
            db.statement_budget(RECORD_PATIENCE_MS)
            stored, is_earlier = gate_event_upsert(fields)
    else:
        stored, is_earlier = gate_event_upsert(fields)
    if not is_earlier:
        return None
    return gate_decision_recorded(stored)


def _decide_in_database(
    *,
    call: IdentityCall,
    code: ScanKeyCode,
    store: StoreGateProfile,
    call_fields: dict[str, Any],
    started: float,
    handoff: _Handoff,
) -> GateDecision:
    """Two statements in autocommit: the read that decides, and the upsert that stores the answer
    or hands back the first one (a replay). If the caller gave up meanwhile, the record says what
    Amazon received: the 500."""
    try:
        answer = _judge(call=call, code=code, store=store)
        if handoff.check():
            _record_undecided_now(call_fields=call_fields, store=store, started=started)
            raise _Abandoned(call.auth_event_id)
        fields = _event_fields(call_fields, answer, (time.perf_counter() - started) * 1000)
        stored = gate_event_record(fields=fields, decisive=True)
    except DatabaseError:
        if handoff.check(finish=True):
            _record_undecided_now(call_fields=call_fields, store=store, started=started)
        raise
    abandoned = handoff.check(finish=True)
    if stored is not None:
        return stored
    if abandoned:  # our decision is on record, Amazon got a 500
        _rewrite_undecided(call.auth_event_id, _undecided_answer(GateReason.TIMEOUT, store, _deadline_text()))
        return answer
    if _remaining(started) < 0 and answer.outcome != GateOutcome.UNDECIDED:
        # Decided past the budget counted from arrival: Amazon's gate may be gone, so this answer
        # must act as if never given — the 500 (store default), no admission, no hold.
        late = _undecided_answer(GateReason.LATE, store, _late_text(started))
        _rewrite_undecided(call.auth_event_id, late, latency_ms=(time.perf_counter() - started) * 1000)
        connector_late_calls.labels(connector="identity", reason="answered_late").inc()
        return late
    if answer.outcome == GateOutcome.ADMITTED:  # receivers only take note (entry.signals): no I/O here
        shopper_admitted_announce(
            auth_event_id=call.auth_event_id,
            store_pk=store.pk,
            shopper_pk=answer.shopper_id,
            visitor_type=answer.visitor_type,
        )
    return answer


def _rewrite_undecided(auth_event_id: str, undecided: GateDecision, *, latency_ms: float | None = None) -> None:
    """The gate event just stored says what Amazon received instead: the store-default 500."""
    status, body = gate_answer_wire(undecided)
    timing = {} if latency_ms is None else {"latency_ms": round(latency_ms, 3)}
    GateEvent.objects.filter(auth_event_id=auth_event_id).update(
        **timing,
        decision=undecided.kind,
        reason=undecided.reason,
        detail=undecided.detail,
        status_code=status,
        response_body=body,
        shopper=None,
        visitor_type="",
    )


def _late_text(started: float) -> str:
    return (
        f"decided {(time.perf_counter() - started) * 1000:.0f} ms after arrival, past the "
        f"{settings.JWO_IDENTITY_BUDGET_MS / 1000:.3f} s budget"
    )


def _deadline_text() -> str:
    return f"no answer within {settings.JWO_IDENTITY_BUDGET_MS / 1000:.3f} s"


def _record_undecided_now(*, call_fields: dict[str, Any], store: StoreGateProfile, started: float) -> None:
    undecided = _undecided_answer(GateReason.TIMEOUT, store, _deadline_text())
    fields = _event_fields(call_fields, undecided, (time.perf_counter() - started) * 1000)
    gate_event_record(fields=fields, decisive=True, patient=True)


def _remaining(started: float) -> float:
    return settings.JWO_IDENTITY_BUDGET_MS / 1000 - (time.perf_counter() - started)


def call_fields_for(
    call: IdentityCall | None,
    raw: dict[str, Any],
    store: StoreGateProfile | None,
    *,
    simulation_run_id: int | None = None,
) -> dict[str, Any]:
    """What the gate log keeps about a call: ids as sent, never the key itself, and the store
    simulation run whose connector key made it (None: a real call)."""
    auth_event = raw.get("authEvent") if isinstance(raw.get("authEvent"), dict) else {}
    identity_key = raw.get("identityKey")
    return {
        "auth_event_id": call.auth_event_id if call else None,
        "auth_event_ref": str(auth_event.get("id", ""))[:64] if auth_event else "",
        "auth_event_at": call.auth_event_at if call else None,
        "request_id": str(raw.get("requestId", ""))[:64],
        "store_id": store.pk if store else None,
        "store_ref": str(raw.get("storeId", ""))[:255],
        "key_fingerprint": key_fingerprint(identity_key) if isinstance(identity_key, str) and identity_key else "",
        "simulation_run_id": simulation_run_id,
    }


def answer_record(*, answer: GateDecision, call_fields: dict[str, Any], started: float, decisive: bool) -> GateDecision:
    """Record an answer given without the database (refusals, throttling); the answer stands even
    if the database cannot take the record in time."""
    fields = _event_fields(call_fields, answer, (time.perf_counter() - started) * 1000)
    try:
        stored = run_within(
            max(_remaining(started), 0.2), gate_event_record, fields=fields, decisive=decisive, patient=True
        )
    except DeadlineExceeded:  # still on its way (a patient record waits out a slow database)
        return answer
    except UNREACHABLE as error:  # the database is down: recorded when it is back
        logger.warning("gate event not recorded yet (%s): %s %s", error, answer.reason, fields.get("auth_event_ref"))
        _keep_until_stored(fields=fields, decisive=decisive, error="")
        return answer
    except DatabaseError as error:
        logger.error("gate event not recorded (%s): %s %s", error, answer.reason, fields.get("auth_event_ref"))
        return answer
    return stored or answer


def identity_verify(
    *,
    call: IdentityCall,
    store: StoreGateProfile,
    raw: dict[str, Any],
    started: float,
    simulation_run_id: int | None = None,
) -> GateDecision:
    """Decide a validated call for a known store. Never raises; never takes past the budget."""
    call_fields = call_fields_for(call, raw, store, simulation_run_id=simulation_run_id)
    try:
        code = scan_key_verify(
            call.scanned_text,
            prefix=settings.JWO_SCAN_KEY_PREFIX,
            secrets_=settings.JWO_SCAN_KEY_SECRETS,
            event_at=call.auth_event_at,
            ttl_seconds=settings.JWO_SCAN_KEY_TTL_SECONDS,
            skew_seconds=settings.JWO_SCAN_KEY_CLOCK_SKEW_SECONDS,
        )
    except ScanKeyRefused as refusal:
        return answer_record(
            answer=_refused(refusal.reason, refusal.detail), call_fields=call_fields, started=started, decisive=True
        )
    handoff = _Handoff()
    future = submit(
        _decide_in_database,
        call=call,
        code=code,
        store=store,
        call_fields=call_fields,
        started=started,
        handoff=handoff,
    )
    try:
        return future.result(timeout=max(_remaining(started), 0.001))
    except FutureTimeout:
        if not handoff.give_up():
            try:
                return future.result()  # finished just now: its answer is the one on record
            except DatabaseError as error:
                return answer_undecided_recorded(error=error, store=store, call_fields=call_fields, started=started)
        timeout = DeadlineExceeded(_deadline_text())
        if future.cancel():  # never started: nobody else will record the 500
            return answer_undecided_recorded(error=timeout, store=store, call_fields=call_fields, started=started)
        return answer_undecided(timeout, store)  # the job records it (see _Handoff)
    except DatabaseError as error:
        return answer_undecided_recorded(error=error, store=store, call_fields=call_fields, started=started)


def _cause(error: Exception) -> BaseException:
    """A wrapped DeadlineExceeded (the connector key's check) is still a timeout."""
    wrapped = not isinstance(error, DeadlineExceeded | DatabaseError)
    return (error.__cause__ or error) if wrapped else error


def answer_undecided(error: Exception, store: StoreGateProfile | None) -> GateDecision:
    """The deliberate 500: we could not decide in time (or the database failed), so the gate
    follows the store's default decision, configured in Amazon's portal and mirrored on the store."""
    cause = _cause(error)
    reason = GateReason.TIMEOUT if isinstance(cause, DeadlineExceeded) else GateReason.ERROR
    logger.error("identity connector answered 500 (%s) for store %s: %s", reason, store and store.store_id, cause)
    return _undecided_answer(reason, store, cause)


def _undecided_answer(reason: str, store: StoreGateProfile | None, error: BaseException | str) -> GateDecision:
    return GateDecision(GateOutcome.UNDECIDED, reason, _default_detail(store, error))


def _default_detail(store: StoreGateProfile | None, error: BaseException | str) -> str:
    default = store.default_gate_decision if store else "store not known yet"
    return f"Gate followed the store default ({default}): {error}"[:255]


def _record_undecided(*, fields: dict[str, Any], error: str) -> GateDecision | None:
    """Runs once the database answers again; the store (unknown while it was failing) is looked up now."""
    if fields.get("store_id") is None and fields.get("store_ref"):
        store = store_gate_profile(fields["store_ref"])
        if store is not None:
            fields = {**fields, "store_id": store.pk, "detail": _default_detail(store, error)}
    return gate_event_record(fields=fields, decisive=True, patient=True)


def answer_undecided_recorded(
    *, error: Exception, store: StoreGateProfile | None, call_fields: dict[str, Any], started: float
) -> GateDecision:
    """The deliberate 500, recorded once the database takes writes again. If the gate event was
    decided before (this was a replay), that decision stays and counts a replay."""
    answer = answer_undecided(error, store)
    fields = _event_fields(call_fields, answer, (time.perf_counter() - started) * 1000)
    _keep_until_stored(fields=fields, decisive=True, error=str(_cause(error)))
    return answer


SPOOL = "gate_events"


def _keep_until_stored(*, fields: dict[str, Any], decisive: bool, error: str) -> None:
    """The record of an answer Amazon already has, while the database cannot take it: in Redis, so
    it outlives this process (drained by gate_events_spool_drain), else in this process's memory."""
    fields = {**fields, "created_at": timezone.now()}  # when it was answered, not when it is stored
    payload = {"fields": fields, "decisive": decisive, "error": error}
    if spool_push(SPOOL, payload):
        _drain_soon()  # this process stores it as soon as the database is back; beat, if the process dies
    else:
        run_later_until_stored(_store_spooled, payload)  # the same store, from this process's memory


_drain_pending = threading.Event()


def _drain_soon() -> None:
    """One drain at a time per process, tried again (1, 2, 4 … 30 s) while the database is away."""
    if not _drain_pending.is_set():
        _drain_pending.set()
        run_later_until_stored(_drain_now)


def gate_events_drain_forget() -> None:
    """Forget that a drain is under way in this process (tests: pool_shutdown cancels its retries)."""
    _drain_pending.clear()


def _drain_now() -> int:
    _drain_pending.clear()  # a record spooled from here on asks for a drain of its own
    try:
        return spool_drain(SPOOL, _store_spooled)
    except UNREACHABLE:
        _drain_pending.set()  # still away: this drain is tried again
        raise


def _store_spooled(payload: dict[str, Any]) -> None:
    """One kept record into the gate log (times arrive as text from the spool, as datetimes from memory)."""
    fields = dict(payload["fields"])
    for name in ("created_at", "auth_event_at"):
        if isinstance(fields.get(name), str):
            fields[name] = parse_datetime(fields[name])
    if payload.get("error"):
        _record_undecided(fields=fields, error=payload["error"])
    else:
        gate_event_record(fields=fields, decisive=bool(payload.get("decisive")), patient=True)


def gate_events_spool_drain() -> int:
    """Store the gate answers kept while the database was down (beat, every few seconds)."""
    try:
        return spool_drain(SPOOL, _store_spooled)
    except DatabaseError as error:
        logger.warning("spooled gate events wait for the database: %s", error)
        return 0
