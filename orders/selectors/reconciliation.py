"""What the reconciliation queue page reads: the items, filtered, and the store days with their state."""

from dataclasses import dataclass
from datetime import date

from django.db.models import QuerySet

from catalog.models import Store
from catalog.selectors.staff_stores import StoreIds, stores_scope
from orders.models import ReconciliationDay, ReconciliationItem, ReconciliationStatus


@dataclass(frozen=True)
class QueueFilters:
    store: Store | None = None
    day: date | None = None
    kind: str = ""
    status: str = ReconciliationStatus.OPEN  # blank: every status


def reconciliation_items(*, store_ids: StoreIds, filters: QueueFilters) -> QuerySet[ReconciliationItem]:
    """The user's stores' items of real trips, oldest day first."""
    items = stores_scope(
        ReconciliationItem.objects.filter(simulation_run_id__isnull=True), store_ids=store_ids
    ).select_related("store", "purchase", "resolved_by")
    if filters.store is not None:
        items = items.filter(store=filters.store)
    if filters.day is not None:
        items = items.filter(store_day=filters.day)
    if filters.kind:
        items = items.filter(kind=filters.kind)
    if filters.status:
        items = items.filter(status=filters.status)
    return items.order_by("store_day", "store__name", "kind", "id")


def reconciliation_days(*, store_ids: StoreIds, limit: int = 30) -> QuerySet[ReconciliationDay]:
    """The latest reconciled store days, closed or with what is still open."""
    return stores_scope(ReconciliationDay.objects.select_related("store"), store_ids=store_ids).order_by(
        "-day", "store__name"
    )[:limit]
