"""Receipts: a page per purchase at an unguessable address, and the same receipt by email when
the shopper has an address (the console backend prints it in the embedded default).

The receipt address is the purchase's ``receipt_token`` (24 random bytes): whoever holds the link
may read that one receipt, as with any emailed receipt link; nothing else is reachable from it.
"""

import logging
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db.models import Prefetch
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from entry.models import Shopper
from orders.models import PaymentStatus, Purchase, PurchaseLine, PurchaseStatus, Refund

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Receipt:
    purchase: Purchase
    lines: list[PurchaseLine]
    refunds: list[Refund]
    url: str

    @property
    def paid_by(self) -> str:
        labels = {
            PaymentStatus.CAPTURED: "Charged to your card",
            PaymentStatus.AT_COUNTER: "To be paid at the counter",
            PaymentStatus.PAID_AT_COUNTER: "Paid at the counter",
            PaymentStatus.NOT_CHARGED: "Not charged",
            PaymentStatus.VOIDED: "Not charged",  # priced at zero: the hold was released
        }
        return labels.get(PaymentStatus(self.purchase.payment_status), self.purchase.get_payment_status_display())

    @property
    def rows(self) -> list[tuple[PurchaseLine, str]]:
        """Each line with its quantity as a receipt writes it: ``10``, ``0.25`` (``normalize()``
        alone would write ten as ``1E+1``)."""
        return [(line, format(line.quantity.normalize(), "f")) for line in self.lines]

    @property
    def refunded(self) -> Decimal:
        return sum((refund.amount for refund in self.refunds), Decimal(0))


def receipt_url(purchase: Purchase) -> str:
    return settings.JWO_PUBLIC_BASE_URL.rstrip("/") + reverse("receipt", args=[purchase.receipt_token])


def receipt_get(*, token: str) -> Receipt | None:
    """The receipt behind a link; None for an unknown token or a purchase that has none (an empty
    cart, a bad cart still being resolved)."""
    if len(token) < 16:
        return None
    purchase = (
        Purchase.objects.select_related("store", "shopper")
        .prefetch_related(
            Prefetch("lines", queryset=PurchaseLine.objects.prefetch_related("discounts")),
            Prefetch("refunds", queryset=Refund.objects.filter(status=Refund.Status.SUCCEEDED)),
        )
        .filter(receipt_token=token, status=PurchaseStatus.PRICED)
        .first()
    )
    if purchase is None:
        return None
    return Receipt(purchase, list(purchase.lines.all()), list(purchase.refunds.all()), receipt_url(purchase))


RECEIPT_LIST_SIZE = 20


def shopper_receipts(*, shopper: Shopper) -> list[Purchase]:
    """The shopper's latest priced purchases (those with a receipt), newest first."""
    return list(
        Purchase.objects.filter(shopper=shopper, status=PurchaseStatus.PRICED)
        .select_related("store")
        .order_by("-ended_at")[:RECEIPT_LIST_SIZE]
    )


def receipt_send(*, purchase_pk: int) -> bool:
    """Email the receipt once; True if this call sent it. A claim by conditional update makes a
    second call (a retried task) a no-op; a failed send releases the claim for the next try."""
    purchase = Purchase.objects.select_related("shopper").filter(pk=purchase_pk).first()
    if purchase is None or purchase.shopper is None or not purchase.shopper.email or not purchase.receipt_token:
        return False
    now = timezone.now()
    if not Purchase.objects.filter(pk=purchase_pk, receipt_sent_at__isnull=True).update(receipt_sent_at=now):
        return False
    receipt = receipt_get(token=purchase.receipt_token)
    if receipt is None:
        Purchase.objects.filter(pk=purchase_pk).update(receipt_sent_at=None)
        return False
    context: dict[str, Any] = {"receipt": receipt}
    message = EmailMultiAlternatives(
        subject=f"Your receipt from {receipt.purchase.store.name}: {receipt.purchase.purchase_id}",
        body=render_to_string("orders/receipts/email.txt", context),
        to=[purchase.shopper.email],
    )
    message.attach_alternative(render_to_string("orders/receipts/email.html", context), "text/html")
    try:
        message.send()
    except Exception:
        Purchase.objects.filter(pk=purchase_pk, receipt_sent_at=now).update(receipt_sent_at=None)
        logger.exception("receipt email for purchase %s not sent", purchase_pk)
        raise
    return True
