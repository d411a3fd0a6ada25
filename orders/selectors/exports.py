"""What each finance export reads: the purchases the purchase list's filters find (store, status,
payment, receipt, days on the store's clock, search, simulated), limited to the user's stores,
then their lines, payment operations or refunds.

Querysets only: ``orders.resources`` picks the columns and streams them.
"""

from typing import Any

from django.db.models import QuerySet

from catalog.selectors.staff_stores import StoreIds, stores_scope
from orders.models import PaymentOperation, Purchase, PurchaseLine, Refund
from orders.selectors.reports import PurchaseFilters, purchases_filtered

EXPORT_KINDS = ("purchases", "lines", "payments", "refunds")


def export_purchases(*, filters: PurchaseFilters, store_ids: StoreIds) -> QuerySet[Purchase]:
    return stores_scope(purchases_filtered(filters=filters), store_ids=store_ids)


def export_queryset(*, kind: str, filters: PurchaseFilters, store_ids: StoreIds) -> QuerySet[Any]:
    """The rows of ``kind`` (one of ``EXPORT_KINDS``) for the purchases the filters find.

    A payment operation without a purchase (the gate's hold, before any trip) belongs to no
    purchase list and is left out. Raises ``ValueError`` for an unknown kind.
    """
    purchases = export_purchases(filters=filters, store_ids=store_ids)
    rows: QuerySet[Any] | None = {
        "purchases": purchases,
        "lines": PurchaseLine.objects.filter(purchase__in=purchases.values("pk")),
        "payments": PaymentOperation.objects.filter(purchase__in=purchases.values("pk")),
        "refunds": Refund.objects.filter(purchase__in=purchases.values("pk")),
    }.get(kind)
    if rows is None:
        raise ValueError(f"No export called {kind}.")
    return rows
