"""Settling a purchase's money once it is priced: capture the total, release the hold of an empty
cart, leave a bad cart on hold for staff, and send the receipt.

Each gateway call carries an idempotency key derived from the purchase (``capture:<pk>``…), so a
settlement run twice — a retried task, a sweeper racing a worker — asks the gateway the same
question and gets the same answer: one charge, whatever happens. Only after the gateway definitely
refused (nothing moved) does a staff retry ask anew, under keys with an attempt number
(``capture:<pk>:1``): the first keys would only replay the refusal.

Capture rule: within the hold, capture the hold. Above it (or without a usable hold), authorise
the total afresh on the same card, capture that, and release the original hold.

A hold older than ``JWO_HOLD_VALID_HOURS`` when the cart is priced has expired at the card's bank:
the store's ``expired_hold_policy`` says whether the total is authorised afresh (as above) or the
purchase becomes debt (a payment issue, "pre-authorisation expired before the cart was priced", for
staff to retry, settle or write off). Either way the purchase's audit records, once, which it came
to — ``REAUTHORISED`` when the fresh authorisation was approved, ``HOLD_EXPIRED_DEBT`` when the
policy or the card's bank made it debt — the record the bad-debt figures and the reconciliation
queue count expired holds from. Staff may also ask for the shopper's newest card to be charged
(``NEW_CARD`` in the purchase's audit).
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from entry.models import GateDecisionKind, GateEvent, PaymentMethod
from jwo_admin.core import db
from jwo_admin.core.money import quantize_money
from jwo_admin.integrations.payments.gateway import APPROVED, UNAVAILABLE, GatewayUnavailable, payment_gateway
from orders.models import (
    AuthorisationStatus,
    ExpiredHoldPolicy,
    PaymentAuthorisation,
    PaymentIssue,
    PaymentOperation,
    PaymentOperationKind,
    PaymentStatus,
    Purchase,
    PurchaseAudit,
    PurchaseAuditAction,
    PurchaseStatus,
)
from orders.purchase_request import stored_auth_events
from orders.selectors.receipts import RECEIPT_PAYMENT_STATUSES
from orders.selectors.store_payments import store_expired_hold_policy
from orders.services.payments.holds import holds_stale
from orders.services.payments.issues import issue_open, issues_resolve, open_issues_for
from orders.services.payments.operations import gateway_call, void_quietly
from orders.services.receipts import receipt_request, receipt_send_settled

logger = logging.getLogger(__name__)

# Why a priced purchase could not be charged, besides the gateway's own answers (PaymentIssue.outcome).
HOLD_MISMATCH = "hold_mismatch"
UNKNOWN_SHOPPER = "unknown_shopper"
NO_SHOPPER = "no_shopper"
HOLD_EXPIRED = "hold_expired"
HOLD_EXPIRED_REASON = "pre-authorisation expired before the cart was priced"


class HoldUndecided(Exception):
    """The trip's hold is still being placed: settle a little later (the task retries)."""


def _trip_event_ids(purchase: Purchase) -> list[str]:
    return [event.id for event in stored_auth_events(purchase.request_body)]


def _hold_link(purchase: Purchase) -> PaymentAuthorisation | None:
    """The hold that pays for the purchase: the one linked when it was stored, or one written since
    for one of the trip's gate events — in its store, of its shopper (of whoever was admitted, when
    the trip names nobody), paying for nothing else — claimed now (once: a unique constraint)."""
    if purchase.authorisation is not None:
        return purchase.authorisation
    ids = _trip_event_ids(purchase)
    if not ids:
        return None
    candidates = PaymentAuthorisation.objects.filter(auth_event_id__in=ids, store_id=purchase.store_id).exclude(
        purchases__isnull=False
    )
    if purchase.shopper_id is not None:
        candidates = candidates.filter(shopper_id=purchase.shopper_id)
    elif purchase.visitor_ref:  # the trip names someone we do not know: nobody's hold is theirs
        return None
    hold = candidates.order_by("created_at", "id").first()
    if hold is None:
        return None
    try:
        with db.statement_guard():
            claimed = Purchase.objects.filter(pk=purchase.pk, authorisation__isnull=True).update(
                authorisation=hold, shopper_id=purchase.shopper_id or hold.shopper_id
            )
    except IntegrityError:  # another purchase claimed it first
        return None
    if not claimed:
        purchase.refresh_from_db(fields=["authorisation"])
        return purchase.authorisation
    purchase.authorisation = hold
    purchase.shopper_id = purchase.shopper_id or hold.shopper_id
    return hold


def _hold_refusal(purchase: Purchase) -> str:
    """Why a hold placed at one of the trip's gate events cannot pay for this purchase (blank when
    the trip's events have no hold at all): another store's, another shopper's, or already paying
    for another purchase. That hold is left alone; it is released by its own rules."""
    holds = (
        PaymentAuthorisation.objects.filter(auth_event_id__in=_trip_event_ids(purchase))
        .exclude(pk__in=[purchase.authorisation_id] if purchase.authorisation_id else [])
        .select_related("shopper", "store")
        .order_by("created_at", "id")
    )
    # In a group trip the others' holds are theirs: only a shopper the trip's gate events never
    # admitted is refused for holding someone else's event.
    admitted_here = purchase.shopper_id is not None and (
        GateEvent.objects.filter(
            auth_event_id__in=_trip_event_ids(purchase),
            shopper_id=purchase.shopper_id,
            decision=GateDecisionKind.ADMITTED,
        ).exists()
    )
    for hold in holds:
        event = hold.auth_event_id
        if hold.shopper_id == purchase.shopper_id:
            if hold.store_id != purchase.store_id:
                return f"The hold of gate event {event} was placed in another store ({hold.store.store_id})."
            paid = hold.purchases.exclude(pk=purchase.pk).values_list("purchase_id", flat=True).first()
            if paid is not None:
                return f"The hold of gate event {event} already pays for {paid or 'an empty trip'}."
        elif not admitted_here:
            named = purchase.visitor_ref or "nobody"
            return (
                f"Gate event {event} admitted {hold.shopper.external_id}, but this trip names {named}: "
                f"{hold.shopper.external_id}'s hold cannot pay for it."
            )
    return ""


def _staff_released(purchase: Purchase) -> bool:
    """Staff asked for this purchase to be charged (*Charge*, after reading its payment issue)."""
    return _staff_asked(purchase, PurchaseAuditAction.CHARGE)


def _set_status(purchase: Purchase, status: str, *, expected: tuple[str, ...], **fields: object) -> bool:
    updated = Purchase.objects.filter(pk=purchase.pk, payment_status__in=expected).update(
        payment_status=status, **fields
    )
    if updated:
        purchase.payment_status = status
        for name, value in fields.items():
            setattr(purchase, name, value)
    return bool(updated)


def _void(hold: PaymentAuthorisation, *, purchase: Purchase | None) -> bool:
    """Release an authorised hold; True if the gateway released it."""
    gateway = payment_gateway()
    key = f"void:{hold.auth_event_id}"
    result = gateway_call(
        PaymentOperationKind.VOID,
        key,
        lambda: gateway.void(authorisation_reference=hold.gateway_reference, idempotency_key=key),
        authorisation=hold,
        purchase=purchase,
    )
    if result.approved:
        PaymentAuthorisation.objects.filter(pk=hold.pk, status=AuthorisationStatus.AUTHORISED).update(
            status=AuthorisationStatus.VOIDED, updated_at=timezone.now()
        )
    return result.approved


def _release(purchase: Purchase) -> str:
    """An empty cart (or a zero total): release the hold; nothing is owed."""
    hold = _hold_link(purchase)
    if hold is not None and hold.status == AuthorisationStatus.REQUESTED:
        raise HoldUndecided(hold.auth_event_id)
    if hold is not None and hold.status == AuthorisationStatus.AUTHORISED:
        _void(hold, purchase=purchase)
        _set_status(purchase, PaymentStatus.VOIDED, expected=(PaymentStatus.PENDING,))
    else:
        _set_status(purchase, PaymentStatus.NOT_CHARGED, expected=(PaymentStatus.PENDING,))
    issues_resolve(
        issues=_open_issues(purchase, hold, of_purchase=False), resolution=PaymentIssue.Resolution.SUPERSEDED
    )
    return purchase.payment_status


def _failed(purchase: Purchase, *, kind: str, outcome: str, message: str, flag: bool = True) -> str:
    """The purchase cannot be charged now: a payment issue with the reason, for its shopper (who is
    refused at the gate until it is settled, when ``flag``) or for nobody yet (staff assign it)."""
    _set_status(purchase, PaymentStatus.FAILED, expected=(PaymentStatus.PENDING,))
    issue_open(
        shopper_pk=purchase.shopper_id,
        kind=kind,
        outcome=outcome,
        message=f"{purchase.purchase_id}: {message}",
        purchase=purchase,
        flag=flag,
    )
    return PaymentStatus.FAILED


def _nobody(purchase: Purchase) -> str:
    """A purchase whose trip names no shopper we know: why nobody can be charged."""
    if purchase.visitor_ref:
        return _failed(
            purchase,
            kind=PaymentOperationKind.CAPTURE,
            outcome=UNKNOWN_SHOPPER,
            message=f"The trip names {purchase.visitor_ref}, who is not one of our shoppers: nobody to charge.",
            flag=False,
        )
    return _failed(
        purchase,
        kind=PaymentOperationKind.CAPTURE,
        outcome=NO_SHOPPER,
        message="The trip names no shopper (no scanResult) and no gate hold: nobody to charge.",
        flag=False,
    )


# What a settlement run asks of the purchase besides its row — which staff actions its audit holds,
# how many of its charges were refused, whether it or its hold has an open payment issue — read
# with the row (``_settlement_load``: one statement) and kept on the instance the run loads, so a
# later run, or a staff action since, reads it afresh. An instance loaded otherwise asks the
# database when it needs to know.
_AUDIT_ACTIONS = "_settlement_audit_actions"
_SETTLEMENT_ACTIONS = (PurchaseAuditAction.CHARGE, PurchaseAuditAction.NEW_CARD, PurchaseAuditAction.REAUTHORISED)
_REFUSALS = "_settlement_refusals"
_PURCHASE_ISSUE_OPEN = "_settlement_purchase_issue_open"
_HOLD_ISSUE_OPEN = "_settlement_hold_issue_open"
_LOADED_HOLD = "_settlement_loaded_hold"


def _refusals_of(purchase: Purchase | OuterRef) -> QuerySet[PaymentOperation]:
    """The purchase's charges the gateway definitely refused (an unknown outcome is no refusal)."""
    return PaymentOperation.objects.filter(
        purchase=purchase, kind__in=(PaymentOperationKind.AUTHORISE, PaymentOperationKind.CAPTURE)
    ).exclude(outcome__in=(APPROVED, UNAVAILABLE))


def _settlement_load(purchase_pk: int) -> Purchase:
    """The purchase with its hold, store and shopper, and what the run will ask of it, at once."""
    open_issues = PaymentIssue.objects.filter(status=PaymentIssue.Status.OPEN)
    refusals = _refusals_of(OuterRef("pk")).order_by().values("purchase").annotate(n=Count("pk")).values("n")
    purchase = (
        Purchase.objects.select_related("authorisation", "store", "shopper")
        .annotate(
            **{
                f"_asked_{action}": Exists(PurchaseAudit.objects.filter(purchase=OuterRef("pk"), action=action))
                for action in _SETTLEMENT_ACTIONS
            },
            **{
                _REFUSALS: Coalesce(Subquery(refusals), 0),
                _PURCHASE_ISSUE_OPEN: Exists(open_issues.filter(purchase=OuterRef("pk"))),
                _HOLD_ISSUE_OPEN: Exists(open_issues.filter(authorisation=OuterRef("authorisation_id"))),
            },
        )
        .get(pk=purchase_pk)
    )
    setattr(purchase, _AUDIT_ACTIONS, {a for a in _SETTLEMENT_ACTIONS if getattr(purchase, f"_asked_{a}")})
    setattr(purchase, _LOADED_HOLD, purchase.authorisation_id)
    return purchase


def _staff_asked(purchase: Purchase, action: PurchaseAuditAction) -> bool:
    actions: set[str] | None = getattr(purchase, _AUDIT_ACTIONS, None)
    if actions is None or action not in _SETTLEMENT_ACTIONS:
        actions = set(PurchaseAudit.objects.filter(purchase=purchase).values_list("action", flat=True))
        setattr(purchase, _AUDIT_ACTIONS, actions)
    return action in actions


def _open_issues(purchase: Purchase, hold: PaymentAuthorisation | None, *, of_purchase: bool) -> list[PaymentIssue]:
    """The open issues of the hold (and of the purchase, ``of_purchase``) that settling it closes;
    none read when the load found none and the hold is the one it loaded."""
    known_hold = hold is None or hold.pk == getattr(purchase, _LOADED_HOLD, object())
    if (
        known_hold
        and getattr(purchase, _HOLD_ISSUE_OPEN, True) is False
        and (not of_purchase or getattr(purchase, _PURCHASE_ISSUE_OPEN, True) is False)
    ):
        return []
    return open_issues_for(purchase=purchase if of_purchase else None, authorisation=hold)


def _newest_card(purchase: Purchase) -> str:
    """The card the shopper added last: the one staff settle a debt on (*Charge the newest card*)."""
    if purchase.shopper_id is None:
        return ""
    card = PaymentMethod.objects.filter(shopper_id=purchase.shopper_id).order_by("-created_at", "-id").first()
    return card.provider_reference if card is not None else ""


def _hold_expired(hold: PaymentAuthorisation | None) -> bool:
    """An authorised hold placed longer ago than the card's bank keeps one (``JWO_HOLD_VALID_HOURS``)."""
    return (
        hold is not None
        and hold.status == AuthorisationStatus.AUTHORISED
        and hold.created_at <= timezone.now() - timedelta(hours=settings.JWO_HOLD_VALID_HOURS)
    )


EXPIRED_HOLD_OUTCOMES = (PurchaseAuditAction.REAUTHORISED, PurchaseAuditAction.HOLD_EXPIRED_DEBT)


def _expired_hold_outcome(purchase: Purchase, action: PurchaseAuditAction, why: str) -> None:
    """Record what an expired hold came to, once per purchase however often its charge is retried
    (the first outcome stands: a debt staff recover later stays an expired hold that became debt)."""
    if not PurchaseAudit.objects.filter(purchase=purchase, action__in=EXPIRED_HOLD_OUTCOMES).exists():
        audit(purchase, user_pk=None, action=action, detail=f"The {HOLD_EXPIRED_REASON}: {why}.")


def _card_reference(purchase: Purchase, hold: PaymentAuthorisation | None) -> str:
    """The card the shopper was held on; when that hold was refused or failed, their default card
    now (the card they added since is the one a staff retry should charge); the newest card when
    staff asked for it."""
    if _staff_asked(purchase, PurchaseAuditAction.NEW_CARD):
        return _newest_card(purchase)
    refused = (AuthorisationStatus.DECLINED, AuthorisationStatus.FAILED)
    if hold is not None and hold.card_reference and hold.status not in refused:
        return hold.card_reference
    card = (
        PaymentMethod.objects.filter(shopper_id=purchase.shopper_id, is_default=True).first()
        if purchase.shopper_id is not None
        else None
    )
    if card is not None:
        return card.provider_reference
    return hold.card_reference if hold is not None else ""


def _attempt(purchase: Purchase) -> str:
    """The suffix of this charge's idempotency keys: none at first, ``:<n>`` after n definite
    refusals. A retry after an unknown outcome (``unavailable``) must reuse its key, so a lost
    answer is never a second charge; after a refusal nothing moved, and the old key would only
    replay it to a shopper who has since topped up or replaced their card."""
    refusals = getattr(purchase, _REFUSALS, None)
    if refusals is None:
        refusals = _refusals_of(purchase).count()
    return f":{refusals}" if refusals else ""


def _charge(purchase: Purchase) -> str:
    hold = _hold_link(purchase)
    if hold is not None and hold.status == AuthorisationStatus.REQUESTED:
        raise HoldUndecided(hold.auth_event_id)
    if hold is None and not _staff_released(purchase):
        refusal = _hold_refusal(purchase)
        if refusal:
            return _failed(
                purchase, kind=PaymentOperationKind.CAPTURE, outcome=HOLD_MISMATCH, message=refusal, flag=False
            )
    if purchase.shopper_id is None:
        return _nobody(purchase)
    amount = quantize_money(purchase.total, purchase.currency)
    expired = _hold_expired(hold)
    # staff's own charge of an expired hold's debt is theirs, not the policy's: not counted again
    by_policy = expired and hold is not None and not _staff_released(purchase)
    if by_policy and hold is not None and store_expired_hold_policy(store=purchase.store) == ExpiredHoldPolicy.DEBT:
        _expired_hold_outcome(purchase, PurchaseAuditAction.HOLD_EXPIRED_DEBT, "store policy: debt")
        return _failed(
            purchase,
            kind=PaymentOperationKind.AUTHORISE,
            outcome=HOLD_EXPIRED,
            message=f"The {HOLD_EXPIRED_REASON} (gate event {hold.auth_event_id}).",
        )
    card = _card_reference(purchase, hold)
    if not card:
        return _failed(purchase, kind=PaymentOperationKind.CAPTURE, outcome="no_card", message="No card on file.")
    gateway = payment_gateway()
    attempt = _attempt(purchase)
    uses_hold = (
        hold is not None
        and hold.status == AuthorisationStatus.AUTHORISED
        and amount <= hold.amount
        and not expired
        and not _staff_asked(purchase, PurchaseAuditAction.NEW_CARD)
    )
    if uses_hold and hold is not None:
        authorisation_reference = hold.gateway_reference
    else:
        key = f"charge:{purchase.pk}{attempt}"
        authorised = gateway_call(
            PaymentOperationKind.AUTHORISE,
            key,
            lambda: gateway.authorise(
                card_reference=card, amount=amount, currency=purchase.currency, idempotency_key=key
            ),
            purchase=purchase,
            amount=amount,
            currency=purchase.currency,
        )
        if not authorised.approved:
            why = authorised.message or authorised.outcome
            if by_policy:
                _expired_hold_outcome(
                    purchase, PurchaseAuditAction.HOLD_EXPIRED_DEBT, f"authorising afresh: {why.rstrip('.')}"
                )
            return _failed(
                purchase,
                kind=PaymentOperationKind.AUTHORISE,
                outcome=authorised.outcome,
                message=f"The {HOLD_EXPIRED_REASON}; authorising afresh: {why}" if expired else why,
            )
        authorisation_reference = authorised.reference
        if by_policy:
            _expired_hold_outcome(
                purchase, PurchaseAuditAction.REAUTHORISED, f"{amount} {purchase.currency} authorised afresh"
            )
    key = f"capture:{purchase.pk}{attempt}"
    captured = gateway_call(
        PaymentOperationKind.CAPTURE,
        key,
        lambda: gateway.capture(
            authorisation_reference=authorisation_reference,
            amount=amount,
            currency=purchase.currency,
            idempotency_key=key,
        ),
        authorisation=hold if uses_hold else None,
        purchase=purchase,
        amount=amount,
        currency=purchase.currency,
    )
    if not captured.approved:
        if not uses_hold:  # the fresh authorisation will not be captured: release it at once
            void_quietly(authorisation_reference, key=f"void-charge:{purchase.pk}{attempt}", purchase=purchase)
        return _failed(
            purchase,
            kind=PaymentOperationKind.CAPTURE,
            outcome=captured.outcome,
            message=captured.message or captured.outcome,
        )
    _set_status(
        purchase,
        PaymentStatus.CAPTURED,
        expected=(PaymentStatus.PENDING, PaymentStatus.FAILED),
        captured_total=amount,
    )
    if hold is not None:
        if uses_hold:
            PaymentAuthorisation.objects.filter(pk=hold.pk).update(
                status=AuthorisationStatus.CAPTURED, updated_at=timezone.now()
            )
        elif hold.status == AuthorisationStatus.AUTHORISED:
            _void(hold, purchase=purchase)
    issues_resolve(issues=_open_issues(purchase, hold, of_purchase=True), resolution=PaymentIssue.Resolution.CHARGED)
    return PaymentStatus.CAPTURED


def purchase_settle(*, purchase_pk: int, send_receipt: bool = False) -> str:
    """Move a purchase's money to where its status says it belongs; returns the payment status.
    Safe to run any number of times. GatewayUnavailable and HoldUndecided propagate (retry).

    A purchase with a receipt due has it requested (the receipt task sends it), or with
    ``send_receipt`` (the settlement task) sent in this run (``receipt_send_settled``); either
    way once, however often the settlement runs."""
    purchase = _settlement_load(purchase_pk)
    if purchase.payment_status == PaymentStatus.PENDING:
        if purchase.status == PurchaseStatus.EMPTY or (
            purchase.status == PurchaseStatus.PRICED and quantize_money(purchase.total, purchase.currency) <= 0
        ):
            _release(purchase)
        elif purchase.status == PurchaseStatus.PRICED:
            _charge(purchase)
    if purchase.status == PurchaseStatus.PRICED and purchase.payment_status in RECEIPT_PAYMENT_STATUSES:
        if not send_receipt:
            receipt_request(purchase_pk=purchase.pk)
        else:
            try:
                receipt_send_settled(purchase=purchase)
            except Exception:  # the money has moved: a receipt that breaks is the sweeper's to send again
                logger.exception("receipt of purchase %s not sent with its settlement", purchase.pk)
    return purchase.payment_status


def purchase_settle_give_up(*, purchase_pk: int, message: str) -> str:
    """The gateway stayed unreachable through every retry: a payment issue for staff."""
    purchase = Purchase.objects.get(pk=purchase_pk)
    if purchase.payment_status != PaymentStatus.PENDING:
        return purchase.payment_status
    return _failed(
        purchase, kind=PaymentOperationKind.CAPTURE, outcome=UNAVAILABLE, message=f"Gateway unreachable: {message}"
    )


def purchases_unsettled(*, older_than_seconds: int) -> list[int]:
    """Purchases still waiting for their money to move: the sweeper settles them again."""
    horizon = timezone.now() - timedelta(seconds=older_than_seconds)
    return list(
        Purchase.objects.filter(Q(payment_status=PaymentStatus.PENDING), created_at__lte=horizon)
        .exclude(operations__created_at__gte=horizon)  # still being retried by its own task: leave it
        .values_list("pk", flat=True)
        .distinct()[:500]
    )


def release_hold(hold: PaymentAuthorisation, *, purchase: Purchase | None) -> bool:
    """Release a hold nobody will capture, if it is authorised; an unreachable gateway leaves it to
    the stale-hold sweep. True if released now."""
    hold.refresh_from_db(fields=["status", "gateway_reference"])
    if hold.status != AuthorisationStatus.AUTHORISED:
        return False
    try:
        return _void(hold, purchase=purchase)
    except GatewayUnavailable:
        logger.warning("hold %s not released now: gateway unreachable", hold.auth_event_id)
        return False


def holds_release_stale() -> int:
    """Release holds that no purchase came for (``JWO_HOLD_RELEASE_HOURS``); returns how many."""
    released = 0
    for hold in holds_stale():
        try:
            released += _void(hold, purchase=None)
        except GatewayUnavailable:
            logger.warning("stale hold %s not released: gateway unreachable", hold.auth_event_id)
    return released


def audit(purchase: Purchase, *, user_pk: int | None, action: PurchaseAuditAction, detail: str) -> None:
    PurchaseAudit.objects.create(purchase=purchase, user_id=user_pk, action=action, detail=detail[:500])
    actions: set[str] | None = getattr(purchase, _AUDIT_ACTIONS, None)
    if actions is not None:
        actions.add(action)
