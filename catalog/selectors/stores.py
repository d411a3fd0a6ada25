"""Stores as staff and the sync see them: the list, and each store's catalog figures."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.db.models import Count, F, Q, QuerySet

from catalog.models import ProductStatus, Store
from catalog.selectors.staff_stores import StoreIds, stores_scope


def store_list() -> QuerySet[Store]:
    return Store.objects.order_by("name")


@dataclass(frozen=True)
class StoreSummary:
    store: Store
    products: int
    active: int
    archived: int
    pending_sync: int
    never_synced: int


def store_summaries(*, store_ids: StoreIds = None) -> list[StoreSummary]:
    """Per store (the user's): product counts and how many products Amazon has not yet received as they are."""
    stores = stores_scope(Store.objects.order_by("name"), store_ids=store_ids, field="pk").annotate(
        products_count=Count("products"),
        active_count=Count("products", filter=Q(products__status=ProductStatus.ACTIVE)),
        archived_count=Count("products", filter=Q(products__status=ProductStatus.ARCHIVED)),
        pending_count=Count("products", filter=~Q(products__amazon_fingerprint=F("products__synced_fingerprint"))),
        never_count=Count("products", filter=Q(products__synced_fingerprint="")),
    )
    return [
        StoreSummary(
            store=store,
            products=store.products_count,
            active=store.active_count,
            archived=store.archived_count,
            pending_sync=store.pending_count,
            never_synced=store.never_count,
        )
        for store in stores
    ]


def store_day_bounds(*, store: Store, day: date) -> tuple[datetime, datetime]:
    """The first instant of ``day`` and of the next day on the store's clock, in UTC (a day may be
    23 or 25 hours long across a daylight-saving change): the one rule the settlement, the sales
    report, the reconciliation and Amazon's trips share."""
    zone = store.zone
    start = datetime.combine(day, time.min).replace(tzinfo=zone).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time.min).replace(tzinfo=zone).astimezone(UTC)
    return start, end
