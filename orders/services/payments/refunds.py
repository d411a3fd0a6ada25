"""Refunds: staff give back all or part of a charged purchase within its store's refund window
(``StorePayment.refund_days``, by default ``JWO_REFUND_DAYS``): everything left, quantities of its
lines, or an amount they type (a goodwill gesture, a price promised), with a reason code from a
fixed list (``RefundReason``) besides the words staff type.

The amount is reserved on the purchase (``refunded_total``) under a row lock when the refund is
created, so two staff members refunding at once can never give back more than was charged; the
gateway call follows on a worker with the key ``refund:<pk>``. A staff form sends a one-time
``request_key``: a second submission of the same form (a double click, a resent POST) finds the
first refund instead of giving the money back twice. A refused or unanswered refund releases its
reservation. A purchase paid at the counter is refunded in cash there: recorded, no
gateway call.
"""

from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import F, Sum
from django.utils import timezone

from jwo_admin.core.exceptions import ApplicationError
from jwo_admin.core.money import currency_places, quantize_money
from jwo_admin.core.tasks import task_enqueue
from jwo_admin.integrations.payments.gateway import APPROVED, UNAVAILABLE, payment_gateway
from orders.models import (
    PaymentOperation,
    PaymentOperationKind,
    PaymentStatus,
    Purchase,
    PurchaseAudit,
    PurchaseAuditAction,
    PurchaseLine,
    Refund,
    RefundLine,
    RefundReason,
)
from orders.selectors.store_payments import store_refund_days
from orders.services.payments.operations import gateway_call

REFUNDABLE = (PaymentStatus.CAPTURED, PaymentStatus.PAID_AT_COUNTER)


REFUND_TASK = "orders.tasks.refund_process_task"


def _enqueue(refund_pk: int) -> None:
    task_enqueue(REFUND_TASK, refund_pk, what=f"refund {refund_pk}")


def _quantity_text(quantity: Decimal) -> str:
    """A quantity as staff read it: no trailing zeros and never in exponent form.

    >>> _quantity_text(Decimal("10.000000")), _quantity_text(Decimal("0.250000")), _quantity_text(Decimal("0E-6"))
    ('10', '0.25', '0')
    """
    return format(quantity.normalize(), "f")


def line_refunded(line: PurchaseLine) -> tuple[Decimal, Decimal]:
    """Quantity and amount of the line already refunded or being refunded."""
    totals = (
        RefundLine.objects.filter(line=line)
        .exclude(refund__status=Refund.Status.FAILED)
        .aggregate(quantity=Sum("quantity"), amount=Sum("amount"))
    )
    return totals["quantity"] or Decimal(0), totals["amount"] or Decimal(0)


def _line_parts(purchase: Purchase, lines: dict[int, Decimal]) -> list[tuple[PurchaseLine, Decimal, Decimal]]:
    """(line, quantity, amount) per refunded line: the line's total shared by quantity, rounded
    half-up to the minor unit; the last of a line's units takes exactly what is left of it."""
    by_pk = {line.pk: line for line in purchase.lines.filter(pk__in=lines)}
    parts = []
    for pk, quantity in lines.items():
        line = by_pk.get(pk)
        if line is None:
            raise ApplicationError(f"Line {pk} is not part of {purchase.purchase_id}.")
        if quantity <= 0:
            continue
        done_quantity, done_amount = line_refunded(line)
        left = line.quantity - done_quantity
        if quantity > left:
            raise ApplicationError(
                f"Line {line.position + 1}: at most {_quantity_text(left)} {line.unit} left to refund."
            )
        if quantity == left:
            amount = line.total - done_amount
        else:
            amount = quantize_money(line.total * quantity / line.quantity, purchase.currency)
        parts.append((line, quantity, amount))
    if not parts:
        raise ApplicationError("Choose a quantity to refund on at least one line.")
    return parts


def _refunded_what(parts: list[tuple[PurchaseLine, Decimal, Decimal]], *, is_amount: bool) -> str:
    if is_amount:
        return "an amount"
    if not parts:
        return "everything left"
    return "lines " + ", ".join(f"{line.position + 1} × {_quantity_text(quantity)}" for line, quantity, _ in parts)


def refund_amount_check(*, amount: Decimal, currency: str) -> Decimal:
    """A typed amount as the gateway takes it: above zero and in the currency's minor units
    (12.345 USD is refused, not rounded: staff meant one amount, the money moves in cents)."""
    if not amount.is_finite() or amount <= 0:
        raise ApplicationError("Enter an amount above zero.")
    if amount != quantize_money(amount, currency):
        places = currency_places(currency)
        if places == 0:
            raise ApplicationError(f"{currency} amounts are whole numbers.")
        raise ApplicationError(f"{currency} amounts have at most {places} decimal places.")
    return quantize_money(amount, currency)


def refund_create(
    *,
    purchase_pk: int,
    reason: str,
    user_pk: int | None,
    lines: dict[int, Decimal] | None = None,
    amount: Decimal | None = None,
    request_key: str = "",
    reason_code: str = RefundReason.OTHER,
) -> Refund:
    """Refund the given quantities per line (``{line pk: quantity}``), an ``amount`` of the purchase
    (no lines: not tied to any), or everything left. A ``request_key`` already used on the
    purchase returns that refund and changes nothing."""
    reason = reason.strip()
    if not reason:
        raise ApplicationError("Say why the money is given back.")
    if reason_code not in RefundReason.values:
        raise ApplicationError("Choose a reason from the list.")
    if lines is not None and amount is not None:
        raise ApplicationError("Refund quantities of lines or an amount, not both.")
    is_amount = amount is not None
    with transaction.atomic():
        purchase = Purchase.objects.select_for_update().get(pk=purchase_pk)
        if request_key:
            # The purchase's lock is held: the first submission has committed or not begun.
            done = Refund.objects.filter(purchase=purchase, request_key=request_key).first()
            if done is not None:
                return done
        if purchase.payment_status not in REFUNDABLE:
            raise ApplicationError(f"{purchase.purchase_id or 'This purchase'} was not charged: nothing to refund.")
        window = store_refund_days(store=purchase.store)
        if timezone.now() - purchase.created_at > timedelta(days=window):
            raise ApplicationError(f"Refunds are possible for {window} days after the purchase.")
        paid = purchase.captured_total if purchase.payment_status == PaymentStatus.CAPTURED else purchase.total
        available = paid - purchase.refunded_total
        parts = _line_parts(purchase, lines) if lines is not None else []
        if amount is not None:
            amount = refund_amount_check(amount=amount, currency=purchase.currency)
        elif parts:
            amount = sum((part[2] for part in parts), Decimal(0))
        else:
            amount = available
        if amount <= 0:
            raise ApplicationError("Nothing is left to refund.")
        if amount > available:
            left = quantize_money(available, purchase.currency)
            raise ApplicationError(f"At most {left} {purchase.currency} is left to refund.")
        at_counter = purchase.payment_status == PaymentStatus.PAID_AT_COUNTER
        refund = Refund.objects.create(
            purchase=purchase,
            amount=amount,
            reason=reason[:255],
            reason_code=reason_code,
            created_by_id=user_pk,
            status=Refund.Status.SUCCEEDED if at_counter else Refund.Status.PENDING,
            message="Cash at the counter." if at_counter else "",
            request_key=request_key,
        )
        RefundLine.objects.bulk_create(
            RefundLine(refund=refund, line=line, quantity=quantity, amount=part_amount)
            for line, quantity, part_amount in parts
        )
        Purchase.objects.filter(pk=purchase.pk).update(refunded_total=F("refunded_total") + amount)
        PurchaseAudit.objects.create(
            purchase=purchase,
            user_id=user_pk,
            action=PurchaseAuditAction.REFUND,
            detail=f"{amount} {purchase.currency} ({_refunded_what(parts, is_amount=is_amount)}): {reason}"[:500],
        )
        if not at_counter:
            transaction.on_commit(lambda: _enqueue(refund.pk))
    return refund


def _release(refund: Refund, message: str) -> str:
    if Refund.objects.filter(pk=refund.pk, status=Refund.Status.PENDING).update(
        status=Refund.Status.FAILED, message=message[:255], updated_at=timezone.now()
    ):
        Purchase.objects.filter(pk=refund.purchase_id).update(refunded_total=F("refunded_total") - refund.amount)
    return Refund.Status.FAILED


def refund_process(*, refund_pk: int) -> str:
    """Ask the gateway; returns the refund's status. GatewayUnavailable propagates (retry)."""
    refund = Refund.objects.select_related("purchase").get(pk=refund_pk)
    if refund.status != Refund.Status.PENDING:
        return refund.status
    charge = (
        PaymentOperation.objects.filter(purchase=refund.purchase, kind=PaymentOperationKind.CAPTURE, outcome=APPROVED)
        .order_by("-created_at")
        .first()
    )
    if charge is None:
        return _release(refund, "No charge on record to refund.")
    gateway = payment_gateway()
    key = f"refund:{refund.pk}"
    result = gateway_call(
        PaymentOperationKind.REFUND,
        key,
        lambda: gateway.refund(
            capture_reference=charge.gateway_reference,
            amount=refund.amount,
            currency=refund.purchase.currency,
            idempotency_key=key,
        ),
        purchase=refund.purchase,
        refund=refund,
        amount=refund.amount,
        currency=refund.purchase.currency,
    )
    if not result.approved:
        return _release(refund, result.message or result.outcome)
    Refund.objects.filter(pk=refund.pk, status=Refund.Status.PENDING).update(
        status=Refund.Status.SUCCEEDED, gateway_reference=result.reference, updated_at=timezone.now()
    )
    return Refund.Status.SUCCEEDED


def refund_give_up(*, refund_pk: int, message: str) -> str:
    """The gateway did not answer through every retry. The money may have moved, so the refund
    stays pending with its amount reserved (never released on an unknown outcome, which could
    refund twice); the sweeper asks again later with the same key."""
    Refund.objects.filter(pk=refund_pk, status=Refund.Status.PENDING).update(
        message=f"{UNAVAILABLE}: {message}"[:255], updated_at=timezone.now()
    )
    return Refund.Status.PENDING


def refunds_unanswered(*, older_than: timedelta) -> list[int]:
    """Refunds still pending after ``older_than`` with no gateway call since: asked again."""
    horizon = timezone.now() - older_than
    return list(
        Refund.objects.filter(status=Refund.Status.PENDING, created_at__lte=horizon)
        .exclude(operations__created_at__gte=horizon)
        .values_list("pk", flat=True)
        .distinct()[:200]
    )
