"""A shopper's purchases and what they spent, for the shopper's staff page.

Entry owns the shopper's page but sits below orders (it may not read purchases): the page loads
this part from ``orders:shopper_purchases``. Every query about the shopper's purchases is here, in
one function taking the shopper's id, so a narrower set of purchases (a staff user's stores) is
applied in one place.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Case, Count, DecimalField, F, Q, Sum, When

from catalog.selectors.staff_stores import StoreIds, stores_scope
from entry.models import Shopper
from entry.selectors.shoppers import shoppers_of_stores
from jwo_admin.core.money import quantize_money
from orders.models import PaymentStatus, Purchase

SHOPPER_PURCHASES_SHOWN = 50
# Money the shopper actually paid: a charge taken from the card, or cash at the counter.
PAID_STATUSES = (PaymentStatus.CAPTURED, PaymentStatus.PAID_AT_COUNTER)


@dataclass(frozen=True)
class Spend:
    currency: str
    amount: Decimal  # in the currency's minor units


@dataclass(frozen=True)
class ShopperPurchases:
    shopper: Shopper
    purchases: list[Purchase]  # the newest first, at most SHOPPER_PURCHASES_SHOWN
    count: int  # all of them
    spend: list[Spend]  # one per currency paid in, by currency code
    has_simulated: bool  # some are a store simulation's: the purchase list must show simulated ones


def shopper_purchase_list(
    *, shopper_pk: int, shown: int = SHOPPER_PURCHASES_SHOWN, store_ids: StoreIds = None
) -> ShopperPurchases:
    """The shopper's purchases (every trip, simulated ones included: they are theirs) and their spend.

    Spend per currency: what was charged to the card (``captured_total``) or paid at the counter
    (``total``), less what was refunded on those purchases (``refunded_total``: refunds given or
    under way; a refused refund gives its amount back). For a staff user of ``store_ids`` (None:
    every store), a shopper of theirs (one who went through one of their gates) and only the
    purchases made in their stores. Raises ``Shopper.DoesNotExist``.
    """
    shopper = shoppers_of_stores(store_ids=store_ids).get(pk=shopper_pk)
    purchases = stores_scope(Purchase.objects.filter(shopper_id=shopper_pk), store_ids=store_ids)
    counted = purchases.aggregate(count=Count("pk"), simulated=Count("pk", filter=Q(simulation_run_id__isnull=False)))
    paid = Case(
        When(payment_status=PaymentStatus.CAPTURED, then=F("captured_total")),
        default=F("total"),
        output_field=DecimalField(max_digits=20, decimal_places=3),
    )
    spent = (
        purchases.filter(payment_status__in=PAID_STATUSES)
        .values("currency")
        .annotate(amount=Sum(paid - F("refunded_total"), output_field=DecimalField(max_digits=20, decimal_places=3)))
        .order_by("currency")
    )
    return ShopperPurchases(
        shopper=shopper,
        purchases=list(purchases.select_related("store").order_by("-created_at", "-id")[:shown]),
        count=counted["count"],
        spend=[Spend(row["currency"], quantize_money(row["amount"], row["currency"])) for row in spent],
        has_simulated=counted["simulated"] > 0,
    )
