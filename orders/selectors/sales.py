"""Reads for the sales report: what sold, by product, category and hour of the store's day.

From the lines of a store's *priced* real purchases over a range of store days. Quantities are
what the line was priced on (the product's sale unit; the quantity sent when it has none), gross is
the line's price before promotions, in the store's currency. Asked for one simulation run, the
same from that run's purchases only (never mixed with real ones).
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import Count, QuerySet, Sum, Value
from django.db.models.functions import Coalesce, ExtractHour

from catalog.models import Store
from catalog.selectors.stores import store_day_bounds
from jwo_admin.core.money import quantize_money
from orders.models import Purchase, PurchaseLine, PurchaseStatus
from orders.selectors.settlement import rows_of

ZERO = Decimal(0)
TOP_PRODUCTS = 50
NO_CATEGORY = "(no category)"


@dataclass(frozen=True)
class SalesRow:
    label: str  # the product's name (SKU), the category, or the hour ("09:00")
    quantity: Decimal
    gross: Decimal
    lines: int


@dataclass(frozen=True)
class SalesReport:
    store: Store
    date_from: date
    date_to: date
    products: tuple[SalesRow, ...]  # the top 50 by gross
    categories: tuple[SalesRow, ...]  # by gross
    hours: tuple[SalesRow, ...]  # 00:00 to 23:00, every hour present
    gross: Decimal
    simulation_run: int | None = None  # the simulation run whose sales these are; None: real sales

    def chart(self, rows: str) -> dict[str, Any]:
        """``products``/``categories``/``hours`` as Chart.js data: labels and the gross per label."""
        chosen: tuple[SalesRow, ...] = getattr(self, rows)
        return {"labels": [row.label for row in chosen], "gross": [str(row.gross) for row in chosen]}


def _lines(*, store: Store, date_from: date, date_to: date, simulation_run: int | None) -> QuerySet[PurchaseLine]:
    start, _ = store_day_bounds(store=store, day=date_from)
    _, end = store_day_bounds(store=store, day=date_to)
    purchases = rows_of(Purchase.objects.all(), simulation_run=simulation_run).filter(
        store=store, status=PurchaseStatus.PRICED, created_at__gte=start, created_at__lt=end
    )
    return PurchaseLine.objects.filter(purchase__in=purchases)


def sales_report(*, store: Store, date_from: date, date_to: date, simulation_run: int | None = None) -> SalesReport:
    """Quantity and gross per product (top 50 by gross, then SKU), per category (a line whose
    product is gone counts under "(no category)") and per hour of the store's clock, for the store
    days ``date_from`` to ``date_to`` (both included), of real purchases or ``simulation_run``'s
    only. Three grouped queries."""
    lines = _lines(store=store, date_from=date_from, date_to=date_to, simulation_run=simulation_run)
    currency = store.currency
    totals = {"quantity": Sum(Coalesce("priced_quantity", "quantity")), "gross": Sum("gross"), "lines": Count("pk")}

    def row(label: str, values: Any) -> SalesRow:
        return SalesRow(
            label=label,
            quantity=(values["quantity"] or ZERO).normalize(),
            gross=quantize_money(values["gross"] or ZERO, currency),
            lines=values["lines"],
        )

    products = tuple(
        row(f"{values['name'] or values['sku']} ({values['sku']})", values)
        for values in lines.values("sku", "name").order_by().annotate(**totals).order_by("-gross", "sku")[:TOP_PRODUCTS]
    )
    categories = tuple(
        row(values["category"] or NO_CATEGORY, values)
        for values in lines.values(category=Coalesce("product__category", Value("")))
        .order_by()
        .annotate(**totals)
        .order_by("-gross", "category")
    )
    per_hour = {
        values["hour"]: values
        for values in lines.annotate(hour=ExtractHour("purchase__created_at", tzinfo=store.zone))
        .values("hour")
        .order_by()
        .annotate(**totals)
    }
    empty = {"quantity": ZERO, "gross": ZERO, "lines": 0}
    hours = tuple(row(f"{hour:02d}:00", per_hour.get(hour, empty)) for hour in range(24))
    return SalesReport(
        store=store,
        date_from=date_from,
        date_to=date_to,
        products=products,
        categories=categories,
        hours=hours,
        gross=quantize_money(sum((hour.gross for hour in hours), ZERO), currency),
        simulation_run=simulation_run,
    )
