"""Amazon's trips against our purchases, matched by shopping-trip id (``Purchase.trip_id``), and
the feed's files and events for the staff page.

``amazon_trip_differences`` is the one place a difference is decided; the reconciliation queue
takes its output as it is (kinds and reasons are those of the queue's Amazon items).
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.db.models import Count, QuerySet
from django.utils import timezone

from catalog.models import Store
from catalog.selectors.stores import store_day_bounds
from orders.models import AmazonFeedEvent, AmazonReportFile, AmazonTrip, FeedStatus, Purchase
from orders.pricing.units import quantity_text

TRIP_WITHOUT_PURCHASE = "amazon_trip_without_purchase"
PURCHASE_WITHOUT_TRIP = "purchase_without_amazon_trip"
LINES_DIFFER = "amazon_lines_differ"


@dataclass(frozen=True)
class AmazonDifference:
    kind: str  # one of the three kinds above
    trip_id: str
    purchase: int | None  # our purchase's pk, None when we have none
    reason: str  # in staff words


def _cart_text(quantities: dict[str, Decimal]) -> str:
    return ", ".join(f"{sku} × {quantity_text(quantity)}" for sku, quantity in sorted(quantities.items())) or "nothing"


def _summed(pairs: Iterable[tuple[str, Decimal]]) -> dict[str, Decimal]:
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for sku, quantity in pairs:
        totals[sku] += quantity
    return {sku: quantity for sku, quantity in totals.items() if quantity}


def amazon_feed_enabled() -> bool:
    """Amazon's reports or events are received (a bucket, a drop folder or an event queue is set):
    only then can a purchase lack its Amazon trip."""
    return bool(
        settings.JWO_AMAZON_REPORT_BUCKET or settings.JWO_AMAZON_REPORT_DROP_DIR or settings.JWO_AMAZON_EVENT_QUEUE_URL
    )


def amazon_trip_differences(*, store: Store, day: date) -> list[AmazonDifference]:
    """Every difference between Amazon's trips and our purchases ending on the store's ``day``:

    - an Amazon trip we have no purchase for;
    - a purchase (not a simulation's) Amazon reported no trip for, once the day is over (Amazon's
      files arrive through the day, so an open day is not judged);
    - a trip whose cart (SKU and total quantity per SKU) differs from our purchase's.

    Test events and test rows never make a trip, so they are never a difference.
    """
    start, end = store_day_bounds(store=store, day=day)
    trips = list(
        AmazonTrip.objects.filter(store=store, ended_at__gte=start, ended_at__lt=end)
        .prefetch_related("lines")
        .order_by("ended_at", "trip_id")
    )
    purchases = {
        purchase.trip_id: purchase
        for purchase in Purchase.objects.filter(trip_id__in=[trip.trip_id for trip in trips]).prefetch_related("lines")
    }
    differences: list[AmazonDifference] = []
    for trip in trips:
        purchase = purchases.get(trip.trip_id)
        if purchase is None:
            differences.append(
                AmazonDifference(
                    TRIP_WITHOUT_PURCHASE,
                    trip.trip_id,
                    None,
                    "Amazon reported this trip but we received no purchase for it.",
                )
            )
            continue
        amazon = _summed((line.sku, line.quantity) for line in trip.lines.all())
        ours = _summed((line.item_id, line.quantity) for line in purchase.lines.all())
        if amazon != ours:
            differences.append(
                AmazonDifference(
                    LINES_DIFFER,
                    trip.trip_id,
                    purchase.pk,
                    f"Amazon's cart: {_cart_text(amazon)}; our purchase: {_cart_text(ours)}.",
                )
            )
    if end <= timezone.now():
        unmatched = (
            Purchase.objects.real()
            .filter(store=store, ended_at__gte=start, ended_at__lt=end)
            .exclude(trip_id__in=AmazonTrip.objects.values("trip_id"))
            .order_by("ended_at", "trip_id")
        )
        differences += [
            AmazonDifference(
                PURCHASE_WITHOUT_TRIP,
                purchase.trip_id,
                purchase.pk,
                "We have this purchase but Amazon's reports and events for the day have no such trip.",
            )
            for purchase in unmatched
        ]
    return differences


def report_file_list(*, limit: int = 100) -> QuerySet[AmazonReportFile]:
    return AmazonReportFile.objects.order_by("-received_at", "-id")[:limit]


def feed_event_list(
    *, events: QuerySet[AmazonFeedEvent], problems_only: bool, limit: int = 100
) -> list[AmazonFeedEvent]:
    """The newest events (``events`` is already limited to the user's stores), or only the failed and parked."""
    if problems_only:
        events = events.filter(status__in=(FeedStatus.FAILED, FeedStatus.PARKED))
    return list(events.select_related("store").order_by("-received_at", "-id")[:limit])


def feed_counts(*, events: QuerySet[AmazonFeedEvent]) -> dict[str, int]:
    """Events by status; test events have their own count and are in no other."""
    counts = dict.fromkeys(FeedStatus.values, 0)
    for row in events.order_by().values("status").annotate(count=Count("id")):
        counts[row["status"]] = row["count"]
    return counts
