"""The dashboard's figures, from the selectors each app already has (one query per chart)."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db.models import Count
from django.db.models.functions import TruncHour
from django.utils import timezone

from catalog.selectors.staff_stores import StoreIds, stores_scope
from catalog.selectors.stores import StoreSummary, store_summaries
from catalog.selectors.sync import sync_results_by_day
from entry.selectors.gate import GateCharts, StoreGateSummary, gate_charts, store_gate_summaries
from orders.models import PaymentIssue, Purchase, PurchaseStatus
from orders.selectors.bad_debt import BadDebt, bad_debt_figures
from orders.selectors.reports import (
    OrderCharts,
    StoreOrderSummary,
    order_charts,
    payment_issues_of_stores,
    store_order_summaries,
)

HOURS = 24


@dataclass(frozen=True)
class Dashboard:
    catalog: list[StoreSummary]
    gates: list[StoreGateSummary]
    orders: list[StoreOrderSummary]
    gate_charts: GateCharts
    order_charts: OrderCharts
    open_work_chart: dict[str, list[Any]]
    sync_chart: dict[str, Any]
    bad_debt: list[BadDebt]


def open_work_per_hour(*, now: datetime | None = None, store_ids: StoreIds = None) -> dict[str, list[Any]]:
    """Bad carts received and payment issues opened per hour over the last 24 hours (the user's stores)."""
    now = now or timezone.now()
    zone = timezone.get_current_timezone()
    current = timezone.localtime(now, zone).replace(minute=0, second=0, microsecond=0).astimezone(UTC)
    slots = [current - timedelta(hours=back) for back in range(HOURS - 1, -1, -1)]
    window = {"created_at__gte": slots[0], "created_at__lt": slots[-1] + timedelta(hours=1)}

    def per_hour(rows: Any) -> dict[datetime, int]:
        return {
            row["hour"]: row["count"]
            for row in rows.annotate(hour=TruncHour("created_at", tzinfo=zone))
            .values("hour")
            .order_by()
            .annotate(count=Count("pk"))
        }

    bad = per_hour(
        stores_scope(Purchase.objects.real().filter(status=PurchaseStatus.BAD_CART, **window), store_ids=store_ids)
    )
    issues = per_hour(payment_issues_of_stores(PaymentIssue.objects.real().filter(**window), store_ids=store_ids))
    return {
        "labels": [timezone.localtime(slot, zone).strftime("%H:%M") for slot in slots],
        "bad_cart": [bad.get(slot, 0) for slot in slots],
        "payment_issues": [issues.get(slot, 0) for slot in slots],
    }


def dashboard(*, now: datetime | None = None, store_ids: StoreIds = None) -> Dashboard:
    """Every figure of the user's stores (``store_ids``; None for every store)."""
    return Dashboard(
        catalog=store_summaries(store_ids=store_ids),
        gates=store_gate_summaries(now=now, store_ids=store_ids),
        orders=store_order_summaries(now=now, store_ids=store_ids),
        gate_charts=gate_charts(now=now, store_ids=store_ids),
        order_charts=order_charts(now=now, store_ids=store_ids),
        open_work_chart=open_work_per_hour(now=now, store_ids=store_ids),
        sync_chart=sync_results_by_day(days=14, store_ids=store_ids),
        bad_debt=bad_debt_figures(now=now, store_ids=store_ids),
    )
