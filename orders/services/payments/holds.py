"""The hold placed on a SHOPPER's card when the gate admits them, off the gate's clock.

The Identity Connector announces an admission (``entry.signals.shopper_admitted``) after its
answer is on record, on its background pool; ``hold_request`` then writes the hold's row (so
Create Purchases, minutes later, finds it by the gate's ``authEvent.id``) and hands the gateway
call to a worker (``hold_place_task``). A declined hold opens a payment issue, which flags the
shopper: the next gate answer refuses them until staff settle it.
"""

import logging
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from entry.models import GateDecisionKind, GateEvent, PaymentMethod, VisitorType
from jwo_admin.core.tasks import task_enqueue
from jwo_admin.integrations.payments.gateway import APPROVED, UNAVAILABLE, payment_gateway
from orders.models import (
    AuthorisationStatus,
    PaymentAuthorisation,
    PaymentOperation,
    PaymentOperationKind,
    PaymentStatus,
    ReconciliationItem,
    ReconciliationKind,
    ReconciliationStatus,
)
from orders.selectors.store_payments import store_preauthorisation_amount
from orders.services.payments.issues import issue_open
from orders.services.payments.operations import gateway_call, void_quietly

logger = logging.getLogger(__name__)


HOLD_TASK = "orders.tasks.hold_place_task"


def _enqueue(auth_event_id: str) -> None:
    task_enqueue(HOLD_TASK, auth_event_id, what=f"the hold for gate event {auth_event_id}")


def hold_request(*, auth_event_id: str, **_: Any) -> PaymentAuthorisation | None:
    """Write the hold's row for an admitted SHOPPER and queue the gateway call while it has no
    answer; None when the gate event is not an admitted shopper (associates and cash shoppers are
    not held). Safe to repeat: the sweeper calls it for holds whose hand-off was lost."""
    event = (
        GateEvent.objects.filter(
            auth_event_id=auth_event_id, decision=GateDecisionKind.ADMITTED, visitor_type=VisitorType.SHOPPER
        )
        .select_related("store", "store__payment")
        .first()
    )
    if event is None or event.store is None or event.shopper_id is None:
        return None
    card = PaymentMethod.objects.filter(shopper_id=event.shopper_id, is_default=True).first()
    try:
        with transaction.atomic():
            hold = PaymentAuthorisation.objects.create(
                auth_event_id=auth_event_id,
                store=event.store,
                shopper_id=event.shopper_id,
                card_reference=card.provider_reference if card else "",
                card_label=str(card) if card else "",
                amount=store_preauthorisation_amount(store=event.store),  # read with the event: no query
                currency=event.store.currency,
            )
    except IntegrityError:
        hold = PaymentAuthorisation.objects.get(auth_event_id=auth_event_id)
        if hold.status != AuthorisationStatus.REQUESTED:
            return hold
    transaction.on_commit(lambda: _enqueue(auth_event_id))
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


def hold_place(*, auth_event_id: str) -> str:
    """Ask the gateway for the hold; returns the hold's status. GatewayUnavailable propagates
    (the task retries with the same idempotency key, so a lost answer is never a second hold)."""
    hold = PaymentAuthorisation.objects.filter(auth_event_id=auth_event_id).first()
    if hold is None:
        return "missing"
    if hold.status != AuthorisationStatus.REQUESTED:
        return hold.status
    if hold.purchases.exclude(payment_status__in=(PaymentStatus.PENDING, PaymentStatus.ON_HOLD)).exists():
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
