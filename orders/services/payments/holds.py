"""The hold placed on a SHOPPER's card when the gate admits them, off the gate's clock.

The Identity Connector announces an admission (``entry.signals.shopper_admitted``) after its
answer is on record, on its background pool; ``hold_request`` then writes the hold's row (so
Create Purchases, minutes later, finds it by the gate's ``authEvent.id``) and hands the gateway
call to a worker. A declined hold opens a payment issue, which flags the shopper: the next gate
answer refuses them until staff settle it.

Admissions reach the worker in batches (``holds_place_task``): each process gathers the ids it
announces for ``JWO_HOLD_BATCH_SECONDS`` (or until ``JWO_HOLD_BATCH_SIZE``) and hands them over as
one task, whose service reads the batch's holds in two queries and makes one gateway call per hold.
At 100 admissions a second a task per admission cost the worker more than the holds themselves
(bench/celery_work.py). A batch lost with its process (a crash inside the window) is what the
sweeper already covers: the rows are written before the hand-off, and ``holds_unplaced`` requests
any still unanswered two minutes on.
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
    task when the window ends (a timer) or the batch is full, whichever comes first."""

    def __init__(self, window: Callable[[], float]) -> None:
        self._window = window  # seconds; 0: no batching, each id handed over at once
        self._lock = threading.Lock()
        self._ids: list[str] = []
        self._timer: threading.Timer | None = None

    def add(self, auth_event_id: str) -> None:
        window = self._window()
        with self._lock:
            self._ids.append(auth_event_id)
            full = window <= 0 or len(self._ids) >= settings.JWO_HOLD_BATCH_SIZE
            if not full and self._timer is None:
                self._timer = threading.Timer(window, self.flush)
                self._timer.daemon = True
                self._timer.start()
        if full:
            self.flush()

    def flush(self) -> list[str]:
        """Hand the gathered ids to the worker now; the ids handed over."""
        with self._lock:
            ids, self._ids = self._ids, []
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
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
def _hold_insert_sql(vendor: str) -> str:
    """One ``INSERT … SELECT`` writing the hold from the admitted gate event, its store's amount and
    the shopper's default card; nothing (no row returned) when the event is not an admitted
    shopper's or the hold exists already. ``vendor`` keys the cache (the SQL differs by database)."""
    hold, event = PaymentAuthorisation._meta.db_table, GateEvent._meta.db_table
    store, payment, card = Store._meta.db_table, StorePayment._meta.db_table, PaymentMethod._meta.db_table
    # The card's label as PaymentMethod.__str__ writes it: "Visa …4242 07/2031".
    label = (
        f"COALESCE(NULLIF(c.brand, ''), 'Card') || ' …' || c.last4 || ' ' || "
        f"{db.zero_padded_sql('c.expiry_month', 2)} || '/' || CAST(c.expiry_year AS TEXT)"
    )
    return (
        f"INSERT INTO {hold} (created_at, updated_at, auth_event_id, store_id, shopper_id, card_reference, "  # noqa: S608 - our table names
        "card_label, amount, currency, status, gateway_reference, message) "
        f"SELECT %s, %s, e.auth_event_id, e.store_id, e.shopper_id, COALESCE(c.provider_reference, ''), "
        f"COALESCE({label}, ''), COALESCE(p.preauthorisation_amount, %s), s.currency, %s, '', '' "
        f"FROM {event} e JOIN {store} s ON s.id = e.store_id "
        f"LEFT JOIN {payment} p ON p.store_id = e.store_id "
        f"LEFT JOIN {card} c ON c.shopper_id = e.shopper_id AND c.is_default = %s "
        "WHERE e.auth_event_id = %s AND e.decision = %s AND e.visitor_type = %s AND e.shopper_id IS NOT NULL "
        "ON CONFLICT (auth_event_id) DO NOTHING "
        "RETURNING id, store_id, shopper_id, card_reference, card_label, amount, currency"
    )


def _hold_insert(auth_event_id: str) -> PaymentAuthorisation | None:
    """The hold's row in one statement (the admission's usual case: a gate call per second costs one
    round trip here, not three through the ORM); None when it wrote nothing."""
    now = timezone.now()
    row = db.fetch_one_prepared(
        _hold_insert_sql(db.dialect()),
        [
            db.datetime_parameter(now),
            db.datetime_parameter(now),
            DEFAULT_PREAUTHORISATION_AMOUNT,
            AuthorisationStatus.REQUESTED,
            True,
            auth_event_id,
            GateDecisionKind.ADMITTED,
            VisitorType.SHOPPER,
        ],
    )
    if row is None:
        return None
    pk, store_id, shopper_id, card_reference, card_label, amount, currency = row
    return PaymentAuthorisation(
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


def hold_request(*, auth_event_id: str, **_: Any) -> PaymentAuthorisation | None:
    """Write the hold's row for an admitted SHOPPER and queue the gateway call while it has no
    answer; None when the gate event is not an admitted shopper (associates and cash shoppers are
    not held). Safe to repeat: the sweeper calls it for holds whose hand-off was lost.

    One write path: ``_hold_insert`` (one statement) writes the row, or nothing when the event is not
    an admitted shopper's or its hold exists already (``ON CONFLICT DO NOTHING``: a concurrent
    request for the same admission cannot write a second row either). Which of the two it was is
    one read of the hold; one still without an answer is handed over again."""
    hold = _hold_insert(auth_event_id)
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
