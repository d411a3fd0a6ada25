"""The hold placed on a SHOPPER's card when the gate admits them, off the gate's clock.

The Identity Connector announces an admission (``entry.signals.shopper_admitted``) after its
answer is on record, on the thread that decided it; ``hold_announce`` only adds it to this
process's batch, which writes the batch's hold rows in one statement on the connector's
background pool (so Create Purchases, minutes later, finds each by the gate's ``authEvent.id``)
and hands the gateway calls to a worker. A declined hold
opens a payment issue, which flags the shopper: the next gate answer refuses them until staff
settle it.

Admissions reach the worker in batches (``holds_place_task``): each process gathers the ids it
announces for ``JWO_HOLD_BATCH_SECONDS`` (or until ``JWO_HOLD_BATCH_SIZE``) and hands them over as
one task, whose service reads the batch's holds in two queries and makes one gateway call per hold.
At 100 admissions a second a task per admission cost the worker more than the holds themselves
(bench/celery_work.py). A batch lost with its process (a crash inside the window) is what the
sweeper already covers: ``holds_unplaced`` finds admissions without a row, or with one still
unanswered, two minutes on, and ``hold_request`` (the same statement for one hold) requests them.
"""

import atexit
import functools
import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from catalog.models import Store
from entry.models import GateDecisionKind, GateEvent, PaymentMethod, VisitorType
from jwo_admin.core import db
from jwo_admin.core.deadline import run_later
from jwo_admin.core.tasks import task_enqueue
from jwo_admin.integrations.payments.gateway import APPROVED, UNAVAILABLE, GatewayUnavailable, payment_gateway
from orders.models import (
    DEFAULT_PREAUTHORISATION_AMOUNT,
    AuthorisationStatus,
    PaymentAuthorisation,
    PaymentOperation,
    PaymentOperationKind,
    PaymentStatus,
    Purchase,
    ReconciliationItem,
    ReconciliationKind,
    ReconciliationStatus,
    StorePayment,
)
from orders.services.payments.issues import issue_open
from orders.services.payments.operations import gateway_call, void_quietly

logger = logging.getLogger(__name__)


HOLD_TASK = "orders.tasks.holds_place_task"
CENTS = Decimal("0.01")  # PaymentAuthorisation.amount's places


def _enqueue(auth_event_ids: list[str]) -> None:
    what = f"the holds for gate events {', '.join(auth_event_ids[:3])}{' …' if len(auth_event_ids) > 3 else ''}"
    task_enqueue(HOLD_TASK, auth_event_ids, what=what)


class HoldBatch:
    """The admissions this process announced in the current window, handed to the worker as one
    task when the window ends (a timer) or the batch is full, whichever comes first.

    An admission announced by the gate (``add(…, written=False)``) has no hold row yet: the batch
    writes the rows of all of them in one statement when it is handed over (``_holds_insert``),
    then hands over those it wrote. At 100 admissions a second that is one statement every
    ``JWO_HOLD_BATCH_SECONDS`` instead of one per admission. The window's end runs on the
    connector's background threads (their database connections), not on the timer's own thread."""

    def __init__(self, window: Callable[[], float]) -> None:
        self._window = window  # seconds; 0: no batching, each id handed over at once
        self._lock = threading.Lock()
        self._ids: list[str] = []  # rows written: to hand over
        self._unwritten: list[str] = []  # admissions whose rows are written when handed over
        self._timer: threading.Timer | None = None

    def add(self, auth_event_id: str, *, written: bool = True) -> None:
        """``written=False``: the gate's announcement, on the thread deciding the call — the batch
        is then handed over (rows written) on the background pool, never on the caller's thread."""
        window = self._window()
        with self._lock:
            (self._ids if written else self._unwritten).append(auth_event_id)
            full = window <= 0 or len(self._ids) + len(self._unwritten) >= settings.JWO_HOLD_BATCH_SIZE
            if not full and self._timer is None:
                self._timer = threading.Timer(window, run_later, (self.flush,))
                self._timer.daemon = True
                self._timer.start()
        if full and written:
            self.flush()
        elif full:
            run_later(self.flush)

    def flush(self) -> list[str]:
        """Write the rows still to write, hand the gathered ids to the worker now; the ids handed over."""
        with self._lock:
            ids, self._ids = self._ids, []
            unwritten, self._unwritten = self._unwritten, []
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
        if unwritten:
            written = {hold.auth_event_id for hold in _holds_insert(unwritten)}
            ids += [auth_event_id for auth_event_id in dict.fromkeys(unwritten) if auth_event_id in written]
        if ids:
            _enqueue(ids)
        return ids


def _batch_window() -> float:
    # Run eagerly (tests, CELERY_TASK_ALWAYS_EAGER) a timer would place the hold on another thread,
    # outside the caller's transaction: each is handed over at once instead.
    return 0.0 if settings.CELERY_TASK_ALWAYS_EAGER else float(settings.JWO_HOLD_BATCH_SECONDS)


_batch = HoldBatch(_batch_window)
atexit.register(_batch.flush)  # a process that stops cleanly hands over what it gathered


def holds_request_flush() -> list[str]:
    """Hand this process's gathered admissions to the worker now (the bench, a clean shutdown)."""
    return _batch.flush()


@functools.cache
def _hold_insert_sql(vendor: str, count: int) -> str:
    """One ``INSERT … SELECT`` writing the holds of ``count`` gate events from each admitted event,
    its store's amount and the shopper's default card; no row (none returned) for an event that is
    not an admitted shopper's or whose hold exists already. ``vendor`` keys the cache (the SQL
    differs by database)."""
    hold, event = PaymentAuthorisation._meta.db_table, GateEvent._meta.db_table
    store, payment, card = Store._meta.db_table, StorePayment._meta.db_table, PaymentMethod._meta.db_table
    # The card's label as PaymentMethod.__str__ writes it: "Visa …4242 07/2031".
    label = (
        f"COALESCE(NULLIF(c.brand, ''), 'Card') || ' …' || c.last4 || ' ' || "
        f"{db.zero_padded_sql('c.expiry_month', 2)} || '/' || CAST(c.expiry_year AS TEXT)"
    )
    events = ", ".join(["%s"] * count)
    return (
        f"INSERT INTO {hold} (created_at, updated_at, auth_event_id, store_id, shopper_id, card_reference, "  # noqa: S608 - our table names
        "card_label, amount, currency, status, gateway_reference, message) "
        f"SELECT %s, %s, e.auth_event_id, e.store_id, e.shopper_id, COALESCE(c.provider_reference, ''), "
        f"COALESCE({label}, ''), COALESCE(p.preauthorisation_amount, %s), s.currency, %s, '', '' "
        f"FROM {event} e JOIN {store} s ON s.id = e.store_id "
        f"LEFT JOIN {payment} p ON p.store_id = e.store_id "
        f"LEFT JOIN {card} c ON c.shopper_id = e.shopper_id AND c.is_default = %s "
        f"WHERE e.auth_event_id IN ({events}) AND e.decision = %s AND e.visitor_type = %s "
        "AND e.shopper_id IS NOT NULL "
        "ON CONFLICT (auth_event_id) DO NOTHING "
        "RETURNING id, store_id, shopper_id, card_reference, card_label, amount, currency, auth_event_id"
    )


def _holds_insert(auth_event_ids: list[str]) -> list[PaymentAuthorisation]:
    """The hold rows of these gate events in one statement (an admission's usual case: a gate call
    costs no round trip of its own here, let alone three through the ORM); the rows it wrote."""
    ids = list(dict.fromkeys(auth_event_ids))
    now = timezone.now()
    rows = db.fetch_all(
        _hold_insert_sql(db.dialect(), len(ids)),
        [
            db.datetime_parameter(now),
            db.datetime_parameter(now),
            DEFAULT_PREAUTHORISATION_AMOUNT,
            AuthorisationStatus.REQUESTED,
            True,
            *ids,
            GateDecisionKind.ADMITTED,
            VisitorType.SHOPPER,
        ],
    )
    return [
        PaymentAuthorisation(
            pk=pk,
            created_at=now,
            updated_at=now,
            auth_event_id=auth_event_id,
            store_id=store_id,
            shopper_id=shopper_id,
            card_reference=card_reference,
            card_label=card_label,
            amount=Decimal(str(amount)).quantize(CENTS),  # SQLite gives a float
            currency=currency,
            status=AuthorisationStatus.REQUESTED,
        )
        for pk, store_id, shopper_id, card_reference, card_label, amount, currency, auth_event_id in rows
    ]


def hold_announce(*, auth_event_id: str) -> None:
    """An admitted SHOPPER's hold, from the gate's announcement: its row is written with the rest
    of this process's batch when the batch is handed over (``HoldBatch``). A row lost with its
    process before that is what ``holds_unplaced`` finds, as a lost hand-off."""
    _batch.add(auth_event_id, written=False)


def hold_request(*, auth_event_id: str, **_: Any) -> PaymentAuthorisation | None:
    """Write the hold's row for an admitted SHOPPER and queue the gateway call while it has no
    answer; None when the gate event is not an admitted shopper (associates and cash shoppers are
    not held). Safe to repeat: the sweeper calls it for holds whose hand-off was lost.

    One write path: ``_holds_insert`` (one statement) writes the row, or nothing when the event is not
    an admitted shopper's or its hold exists already (``ON CONFLICT DO NOTHING``: a concurrent
    request for the same admission cannot write a second row either). Which of the two it was is
    one read of the hold; one still without an answer is handed over again."""
    written = _holds_insert([auth_event_id])
    hold = written[0] if written else None
    if hold is None:
        hold = PaymentAuthorisation.objects.filter(auth_event_id=auth_event_id).first()
        if hold is None or hold.status != AuthorisationStatus.REQUESTED:
            return hold
    transaction.on_commit(lambda: _batch.add(auth_event_id))
    return hold


def _fail(hold: PaymentAuthorisation, status: str, outcome: str, message: str) -> str:
    updated = PaymentAuthorisation.objects.filter(pk=hold.pk, status=AuthorisationStatus.REQUESTED).update(
        status=status, message=message[:255], updated_at=timezone.now()
    )
    if updated:
        issue_open(
            shopper_pk=hold.shopper_id,
            kind=PaymentOperationKind.AUTHORISE,
            outcome=outcome,
            message=f"Hold of {hold.amount} {hold.currency} at the gate: {message}",
            authorisation=hold,
        )
    return status


@dataclass
class HoldsPlaced:
    """What a batch's gateway calls came to: each hold's status, and the holds the gateway gave no
    answer for (id → why), which the task asks again with the same idempotency keys."""

    statuses: dict[str, str] = field(default_factory=dict)
    unanswered: dict[str, str] = field(default_factory=dict)


def holds_place(*, auth_event_ids: Iterable[str]) -> HoldsPlaced:
    """Ask the gateway for each hold of a batch (an id given twice is asked once); a hold already
    answered is left as it is. The batch's holds, and whether a purchase was settled first, are read
    in two queries; then one gateway call per hold still requested. One hold's failure does not
    stop the others: an unanswered call is reported for retry, anything else is logged and left
    requested for the sweeper."""
    ids = list(dict.fromkeys(auth_event_ids))
    holds = {hold.auth_event_id: hold for hold in PaymentAuthorisation.objects.filter(auth_event_id__in=ids)}
    requested = [hold.pk for hold in holds.values() if hold.status == AuthorisationStatus.REQUESTED]
    settled_first = set(
        Purchase.objects.filter(authorisation_id__in=requested)
        .exclude(payment_status__in=(PaymentStatus.PENDING, PaymentStatus.ON_HOLD))
        .values_list("authorisation_id", flat=True)
    )
    placed = HoldsPlaced()
    for auth_event_id in ids:
        hold = holds.get(auth_event_id)
        if hold is None:
            placed.statuses[auth_event_id] = "missing"
            continue
        try:
            placed.statuses[auth_event_id] = _place(hold, settled_first=hold.pk in settled_first)
        except GatewayUnavailable as error:
            placed.unanswered[auth_event_id] = str(error)
        except Exception:
            logger.exception("the hold for gate event %s was not placed; the sweeper will ask again", auth_event_id)
            placed.statuses[auth_event_id] = AuthorisationStatus.REQUESTED
    return placed


def hold_place(*, auth_event_id: str) -> str:
    """Ask the gateway for one hold; returns the hold's status. GatewayUnavailable propagates
    (the task retries with the same idempotency key, so a lost answer is never a second hold)."""
    placed = holds_place(auth_event_ids=[auth_event_id])
    if auth_event_id in placed.unanswered:
        raise GatewayUnavailable(placed.unanswered[auth_event_id])
    return placed.statuses[auth_event_id]


def _place(hold: PaymentAuthorisation, *, settled_first: bool) -> str:
    auth_event_id = hold.auth_event_id
    if hold.status != AuthorisationStatus.REQUESTED:
        return hold.status
    if settled_first:
        PaymentAuthorisation.objects.filter(pk=hold.pk, status=AuthorisationStatus.REQUESTED).update(
            status=AuthorisationStatus.VOIDED,
            message="Not placed: the trip was settled first.",
            updated_at=timezone.now(),
        )
        return AuthorisationStatus.VOIDED
    if not hold.card_reference:
        return _fail(hold, AuthorisationStatus.FAILED, "no_card", "No card on file.")
    gateway = payment_gateway()
    result = gateway_call(
        PaymentOperationKind.AUTHORISE,
        f"hold:{auth_event_id}",
        lambda: gateway.authorise(
            card_reference=hold.card_reference,
            amount=hold.amount,
            currency=hold.currency,
            idempotency_key=f"hold:{auth_event_id}",
        ),
        authorisation=hold,
        amount=hold.amount,
        currency=hold.currency,
    )
    if not result.approved:
        return _fail(hold, AuthorisationStatus.DECLINED, result.outcome, result.message or result.outcome)
    placed = PaymentAuthorisation.objects.filter(pk=hold.pk, status=AuthorisationStatus.REQUESTED).update(
        status=AuthorisationStatus.AUTHORISED, gateway_reference=result.reference, updated_at=timezone.now()
    )
    if not placed:  # given up on meanwhile (the purchase went ahead without it): release it at once
        void_quietly(result.reference, key=f"void-late:{auth_event_id}", authorisation=hold)
        hold.refresh_from_db(fields=["status"])
        return hold.status
    return AuthorisationStatus.AUTHORISED


def hold_give_up(*, auth_event_id: str, message: str) -> str:
    """The gateway stayed unreachable through every retry: record it as a payment issue."""
    hold = PaymentAuthorisation.objects.filter(auth_event_id=auth_event_id).first()
    if hold is None:
        return "missing"
    return _fail(hold, AuthorisationStatus.FAILED, UNAVAILABLE, f"Gateway unreachable: {message}")


def holds_unplaced(*, older_than: timedelta, within: timedelta) -> list[str]:
    """Gate events of admitted shoppers whose hold row or gateway call went missing (a crashed
    process, a broker outage): the sweeper requests them again."""
    now = timezone.now()
    admitted = GateEvent.objects.filter(
        decision=GateDecisionKind.ADMITTED,
        visitor_type=VisitorType.SHOPPER,
        created_at__lte=now - older_than,
        created_at__gte=now - within,
        auth_event_id__isnull=False,
    ).values_list("auth_event_id", flat=True)
    admitted_ids = [event_id for event_id in admitted if event_id]
    known = set(
        PaymentAuthorisation.objects.filter(auth_event_id__in=admitted_ids)
        .exclude(status=AuthorisationStatus.REQUESTED, updated_at__lte=now - older_than)
        .values_list("auth_event_id", flat=True)
    )
    return [event_id for event_id in admitted_ids if event_id not in known]


def holds_stale(*, now: Any = None) -> list[PaymentAuthorisation]:
    """Holds still authorised long after entry that nothing will capture: no purchase came, or its
    purchases are settled otherwise (charged afresh, written off) and the release then got no
    answer. Holds of purchases still owing (pending, on hold, failed) and holds already captured
    are kept. Released by the sweeper."""
    now = now or timezone.now()
    return list(
        PaymentAuthorisation.objects.filter(
            status=AuthorisationStatus.AUTHORISED,
            created_at__lte=now - timedelta(hours=settings.JWO_HOLD_RELEASE_HOURS),
        )
        .exclude(purchases__payment_status__in=(PaymentStatus.PENDING, PaymentStatus.ON_HOLD, PaymentStatus.FAILED))
        .exclude(  # a missing cart's hold is kept until staff decide (orders.services.reconciliation)
            pk__in=ReconciliationItem.objects.filter(
                kind=ReconciliationKind.MISSING_CART, status=ReconciliationStatus.OPEN, authorisation__isnull=False
            ).values("authorisation_id")
        )
        .exclude(
            pk__in=PaymentOperation.objects.filter(
                kind=PaymentOperationKind.CAPTURE, outcome=APPROVED, authorisation__isnull=False
            ).values("authorisation_id")
        )
    )
