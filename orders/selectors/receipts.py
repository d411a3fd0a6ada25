"""A purchase's receipt as the shopper sees it (by its secret token), and the shopper's list of receipts."""

from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db.models import Prefetch
from django.urls import reverse

from entry.models import Shopper
from orders.models import PaymentStatus, Purchase, PurchaseLine, PurchaseStatus, Refund

# VOIDED: a cart priced at zero released its hold; it has a purchase id and lines, so a receipt too.
RECEIPT_PAYMENT_STATUSES = (
    PaymentStatus.CAPTURED,
    PaymentStatus.AT_COUNTER,
    PaymentStatus.PAID_AT_COUNTER,
    PaymentStatus.NOT_CHARGED,
    PaymentStatus.VOIDED,
)


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


def receipt_of(*, purchase: Purchase) -> Receipt:
    """The receipt of a purchase already loaded with its store and shopper (the settlement's): its
    lines with their discounts and its refunds, read without reading the purchase again."""
    lines = list(PurchaseLine.objects.filter(purchase_id=purchase.pk).prefetch_related("discounts"))
    refunds = list(Refund.objects.filter(purchase_id=purchase.pk, status=Refund.Status.SUCCEEDED))
    return Receipt(purchase, lines, refunds, receipt_url(purchase))


RECEIPT_LIST_SIZE = 20


def shopper_receipts(*, shopper: Shopper) -> list[Purchase]:
    """The shopper's latest priced purchases (those with a receipt), newest first."""
    return list(
        Purchase.objects.filter(shopper=shopper, status=PurchaseStatus.PRICED)
        .select_related("store")
        .order_by("-ended_at")[:RECEIPT_LIST_SIZE]
    )
