"""Reads about shoppers for staff: the list with its filters, a shopper's cards, gate events and live codes."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from catalog.selectors.staff_stores import StoreIds, stores_scope
from entry.models import GateEvent, PaymentMethod, ScanKey, Shopper, ShopperStatusChange
from jwo_admin.core.simulated import SimulatedQuerySet


# --- Shoppers --------------------------------------------------------------------------------
@dataclass(frozen=True)
class ShopperFilters:
    search: str = ""
    status: str = ""
    visitor_type: str = ""
    show_simulated: bool = False  # include a store simulation's shoppers


def shoppers_of_stores(*, store_ids: StoreIds) -> SimulatedQuerySet[Shopper]:
    """The shoppers a staff user of ``store_ids`` may see: those who went through a gate of one of
    those stores (every shopper for every store). A shopper is the chain's customer, not a store's."""
    if store_ids is None:
        return Shopper.objects.all()
    entered = stores_scope(GateEvent.objects.filter(shopper=OuterRef("pk")), store_ids=store_ids)
    return Shopper.objects.filter(Exists(entered))


def shopper_list(*, filters: ShopperFilters, store_ids: StoreIds = None) -> QuerySet[Shopper]:
    """Shoppers by name; the search matches part of the name, email or external id, any case."""
    shoppers = shoppers_of_stores(store_ids=store_ids).simulated_shown(filters.show_simulated)
    term = filters.search.strip()
    if term:
        shoppers = shoppers.filter(Q(name__icontains=term) | Q(email__icontains=term) | Q(external_id__icontains=term))
    if filters.status:
        shoppers = shoppers.filter(status=filters.status)
    if filters.visitor_type:
        shoppers = shoppers.filter(visitor_type=filters.visitor_type)
    return shoppers.order_by("name", "pk")


@dataclass(frozen=True)
class CardOnFile:
    method: PaymentMethod
    is_expired: bool


def shopper_cards(*, shopper: Shopper, at: datetime | None = None) -> list[CardOnFile]:
    """The shopper's cards, default first; a card is expired after the last day of its expiry
    month (the same rule that refuses a code for it)."""
    at = at or timezone.now()
    return [
        CardOnFile(method=method, is_expired=(method.expiry_year, method.expiry_month) < (at.year, at.month))
        for method in PaymentMethod.objects.filter(shopper=shopper).order_by("-is_default", "-created_at", "-id")
    ]


def shopper_gate_events(*, shopper: Shopper, limit: int = 20, store_ids: StoreIds = None) -> QuerySet[GateEvent]:
    return (
        stores_scope(GateEvent.objects.filter(shopper=shopper), store_ids=store_ids)
        .select_related("store")
        .defer("response_body")
        .order_by("-created_at", "-id")[:limit]
    )


def shopper_active_code_count(*, shopper: Shopper, now: datetime | None = None) -> int:
    """Codes that could still open a gate: not revoked and not expired, allowing the gate's clock
    skew — exactly the codes ``scan_keys_revoke`` would revoke."""
    now = now or timezone.now()
    horizon = now - timedelta(seconds=settings.JWO_SCAN_KEY_CLOCK_SKEW_SECONDS)
    return ScanKey.objects.filter(shopper=shopper, revoked_at__isnull=True, expires_at__gte=horizon).count()


def shopper_status_changes(*, shopper: Shopper, limit: int = 20) -> QuerySet[ShopperStatusChange]:
    """The shopper's audit trail of flags, blocks and reinstatements, newest first, with who did it."""
    return ShopperStatusChange.objects.filter(shopper=shopper).select_related("changed_by")[:limit]
