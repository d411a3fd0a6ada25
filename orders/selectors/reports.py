"""Reads for the orders staff screens: today's figures, charts, the purchase list and a purchase's
whole story, promotions and tax rates, and "try a cart" (a cart priced exactly as Create
Purchases would price it, and the request that would send it)."""

import re
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from decimal import Decimal
from typing import Any

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet, Sum
from django.db.models.functions import TruncDate, TruncHour
from django.utils import timezone

from catalog.models import Store
from catalog.selectors.staff_stores import StoreIds, stores_scope
from entry.models import PaymentMethod
from jwo_admin.core.money import quantize_money
from jwo_admin.core.zones import wall_clock_filter
from orders.models import (
    PaymentIssue,
    PaymentOperation,
    PaymentStatus,
    Promotion,
    Purchase,
    PurchaseAudit,
    PurchaseLine,
    PurchaseLineDiscount,
    PurchaseStatus,
    ReceiptStatus,
    Refund,
    TaxRate,
)
from orders.pricing import types
from orders.pricing.cart import SentLine, cart_price_sent
from orders.pricing.units import UNITS, quantity_text, unit_find
from orders.purchase_request import CartItem
from orders.selectors.pricing import cart_priced_products, quantity_unit_aliases, store_pricing, store_promotion_index

ZERO = Decimal(0)
SALES_DAYS = 14
PURCHASE_HOURS = 24
CARD_ENDING = re.compile(r"\d{4}")  # what a card's last four digits look like in a search
TRIP_LENGTH = timedelta(minutes=10)  # how long before the chosen moment a tried cart's trip starts


# --- Overview --------------------------------------------------------------------------------
@dataclass(frozen=True)
class StoreOrderSummary:
    """A store's purchases and revenue today (its own calendar day), and what waits for staff now."""

    store: Store
    day_start: datetime
    purchases: int
    revenue: Decimal  # the totals of today's priced purchases, in the store's currency
    bad_carts_open: int
    payment_issues_open: int
    receipts_undelivered: int = 0


def store_order_summaries(*, now: datetime | None = None, store_ids: StoreIds = None) -> list[StoreOrderSummary]:
    """Per store (by name): today's purchases (every trip, empty carts included) and revenue (sum of
    the totals of the *priced* ones); and, whatever their day, the bad carts still waiting to be
    resolved, the open payment issues (an issue belongs to its purchase's store, or to its
    hold's store when it has no purchase) and the receipts that could not be delivered.

    "Today" starts at midnight in the store's time zone, as the store's staff count their day.
    A store simulation's purchases and issues are left out.
    """
    now = now or timezone.now()
    stores = list(stores_scope(Store.objects.order_by("name"), store_ids=store_ids, field="pk"))
    bad_carts: dict[int, int] = {
        row["store_id"]: row["count"]
        for row in Purchase.objects.real()
        .filter(status=PurchaseStatus.BAD_CART)
        .values("store_id")
        .order_by()
        .annotate(count=Count("pk"))
    }
    undelivered: dict[int, int] = {
        row["store_id"]: row["count"]
        for row in Purchase.objects.real()
        .filter(receipt_status=ReceiptStatus.FAILED)
        .values("store_id")
        .order_by()
        .annotate(count=Count("pk"))
    }
    issues: dict[int, int] = defaultdict(int)
    for row in (
        PaymentIssue.objects.real()
        .filter(status=PaymentIssue.Status.OPEN)
        .values("purchase__store_id", "authorisation__store_id")
    ):
        store_pk = row["purchase__store_id"] or row["authorisation__store_id"]
        if store_pk is not None:
            issues[store_pk] += 1
    summaries = []
    for store in stores:
        day_start = now.astimezone(store.zone).replace(hour=0, minute=0, second=0, microsecond=0)
        today = (
            Purchase.objects.real()
            .filter(store=store, created_at__gte=day_start, created_at__lte=now)
            .aggregate(purchases=Count("pk"), revenue=Sum("total", filter=Q(status=PurchaseStatus.PRICED)))
        )
        summaries.append(
            StoreOrderSummary(
                store=store,
                day_start=day_start,
                purchases=today["purchases"],
                revenue=quantize_money(today["revenue"] or ZERO, store.currency),
                bad_carts_open=bad_carts.get(store.pk, 0),
                payment_issues_open=issues[store.pk],
                receipts_undelivered=undelivered.get(store.pk, 0),
            )
        )
    return summaries


@dataclass(frozen=True)
class OrderCharts:
    """Chart.js-ready series.

    ``sales``: labels (days, oldest first) and one series per currency: the revenue of each day as
    a decimal string. ``purchases``: labels (hours) and one series per purchase status: the
    purchases created in each hour.
    """

    sales: dict[str, list[Any]]
    purchases: dict[str, list[Any]]
    zone: tzinfo = UTC  # the clock the days and hours are read on (the axes say which)


def order_charts(*, store: Store | None = None, now: datetime | None = None, store_ids: StoreIds = None) -> OrderCharts:
    """Revenue per day over the last 14 days (today included) and purchases per hour over the last
    24 hours, stacked by status; all stores or one.

    Days and hours are read on the chosen store's clock, or on the site's (``TIME_ZONE``) for all
    stores. Revenue is the sum of the totals of *priced* purchases, one series per currency (stores
    may not share one); every currency of the stores in scope has a series, zero on quiet days.
    """
    now = now or timezone.now()
    zone = store.zone if store is not None else timezone.get_current_timezone()
    purchases = Purchase.objects.real() if store is None else Purchase.objects.real().filter(store=store)
    purchases = stores_scope(purchases, store_ids=store_ids)
    return OrderCharts(
        sales=_sales_per_day(purchases, store=store, now=now, zone=zone, store_ids=store_ids),
        purchases=_purchases_per_hour(purchases, now=now, zone=zone),
        zone=zone,
    )


def _sales_per_day(
    purchases: QuerySet[Purchase], *, store: Store | None, now: datetime, zone: tzinfo, store_ids: StoreIds = None
) -> dict[str, list[Any]]:
    today = timezone.localtime(now, zone).date()
    days = [today - timedelta(days=back) for back in range(SALES_DAYS - 1, -1, -1)]
    since = datetime.combine(days[0], time.min).replace(tzinfo=zone)
    rows = (
        purchases.filter(status=PurchaseStatus.PRICED, created_at__gte=since, created_at__lte=now)
        .annotate(day=TruncDate("created_at", tzinfo=zone))
        .values("day", "currency")
        .order_by()
        .annotate(revenue=Sum("total"))
    )
    revenue: dict[tuple[date, str], Decimal] = {(row["day"], row["currency"]): row["revenue"] for row in rows}
    stores = stores_scope(Store.objects.all(), store_ids=store_ids, field="pk")
    stores = stores if store is None else stores.filter(pk=store.pk)
    currencies = sorted(set(stores.values_list("currency", flat=True)) | {currency for _, currency in revenue})
    data: dict[str, list[Any]] = {"labels": [day.strftime("%m-%d") for day in days]}
    for currency in currencies:
        data[currency] = [str(quantize_money(revenue.get((day, currency), ZERO), currency)) for day in days]
    return data


def _purchases_per_hour(purchases: QuerySet[Purchase], *, now: datetime, zone: tzinfo) -> dict[str, list[Any]]:
    # Stepping in UTC keeps each slot one real hour long across a daylight-saving change.
    current = timezone.localtime(now, zone).replace(minute=0, second=0, microsecond=0).astimezone(UTC)
    slots = [current - timedelta(hours=back) for back in range(PURCHASE_HOURS - 1, -1, -1)]
    rows = (
        purchases.filter(created_at__gte=slots[0], created_at__lt=slots[-1] + timedelta(hours=1))
        .annotate(hour=TruncHour("created_at", tzinfo=zone))
        .values("hour", "status")
        .order_by()
        .annotate(count=Count("pk"))
    )
    counts: dict[tuple[datetime, str], int] = {(row["hour"], row["status"]): row["count"] for row in rows}
    data: dict[str, list[Any]] = {"labels": [timezone.localtime(slot, zone).strftime("%H:%M") for slot in slots]}
    for status in PurchaseStatus.values:
        data[status] = [counts.get((slot, status), 0) for slot in slots]
    return data


# --- Purchases -------------------------------------------------------------------------------
@dataclass(frozen=True)
class PurchaseFilters:
    store: Store | None = None
    status: str = ""
    payment_status: str = ""
    receipt_status: str = ""
    date_from: date | None = None
    date_to: date | None = None
    search: str = ""
    show_simulated: bool = False  # include a store simulation's purchases


def purchase_list(*, filters: PurchaseFilters, zone: tzinfo | None = None) -> QuerySet[Purchase]:
    """Purchases matching the list's filters (``purchases_filtered``), newest first, each with its
    line count."""
    return (
        purchases_filtered(filters=filters, zone=zone)
        .annotate(line_count=Count("lines"))
        .order_by("-created_at", "-id")
    )


def purchases_filtered(*, filters: PurchaseFilters, zone: tzinfo | None = None) -> QuerySet[Purchase]:
    """Purchases matching the list's filters, unordered and without annotations (the exports read
    them as a subquery).

    ``date_from``/``date_to`` are whole days, both included, each purchase's day on its store's
    clock (a Kiritimati purchase at 23:30 UTC on 6 Dec is on 7 Dec there). The search
    (``purchase_search``) finds part of a purchase id, part of the shopper's email, a card's last
    four digits, or exactly a trip id or shopper id.
    """
    zone = zone or timezone.get_current_timezone()
    purchases = Purchase.objects.simulated_shown(filters.show_simulated).select_related("store", "shopper")
    if filters.store is not None:
        purchases = purchases.filter(store=filters.store)
    if filters.status:
        purchases = purchases.filter(status=filters.status)
    if filters.payment_status:
        purchases = purchases.filter(payment_status=filters.payment_status)
    if filters.receipt_status:
        purchases = purchases.filter(receipt_status=filters.receipt_status)
    if filters.date_from is not None or filters.date_to is not None:
        # Each purchase's own store day: one time range per store time zone in scope.
        stores = Store.objects.all() if filters.store is None else Store.objects.filter(pk=filters.store.pk)
        purchases = purchases.filter(
            wall_clock_filter(
                field="created_at",
                zone_names=stores.values_list("time_zone", flat=True).distinct(),
                start=None if filters.date_from is None else datetime.combine(filters.date_from, time.min),
                end=None
                if filters.date_to is None
                else datetime.combine(filters.date_to + timedelta(days=1), time.min),
                default_zone=zone,
            )
        )
    term = filters.search.strip()
    if term:
        purchases = purchases.filter(purchase_search(term=term))
    return purchases


def purchase_search(*, term: str) -> Q:
    """What one search box finds, as staff answer a shopper on the phone:

    - part of a purchase id, any case (``0042`` finds ``PO-20250310-00000042``);
    - part of the shopper's email, any case (``ALICE@`` finds ``alice@example.com``);
    - four digits: the purchases paid with a card ending in them. The hold placed at the gate
      names the card it held (``Visa …4242 12/2030``: a copy that outlives the card); a trip held
      on no card (none on file then, or no hold) is matched on the shopper's cards on file now,
      the ones a staff retry charges;
    - exactly a trip id (any case) or the shopper's id as the gate sent it (``scanResult.id``).
    """
    found = (
        Q(purchase_id__icontains=term)
        | Q(shopper__email__icontains=term)
        | Q(trip_id=term.lower())
        | Q(visitor_ref=term)
        | Q(shopper__external_id=term)
    )
    if CARD_ENDING.fullmatch(term):
        held_on_no_card = Q(authorisation__isnull=True) | Q(authorisation__card_label="")
        card_on_file = Q(Exists(PaymentMethod.objects.filter(shopper=OuterRef("shopper"), last4=term)))
        found |= Q(authorisation__card_label__contains=f"…{term} ") | (held_on_no_card & card_on_file)
    return found


@dataclass(frozen=True)
class PurchaseDetail:
    """A purchase with everything staff may need to answer a shopper about it."""

    purchase: Purchase
    lines: list[PurchaseLine]
    operations: list[PaymentOperation]
    refunds: list[Refund]
    issues: list[PaymentIssue]
    audits: list[PurchaseAudit]


def purchase_detail(*, pk: int) -> PurchaseDetail:
    """The purchase ``pk`` (``Purchase.DoesNotExist`` otherwise): its lines in cart order with their
    products and discounts; the payment events of its hold, its charge and its refunds (oldest
    first); its refunds with their lines; its payment issues, and those of its hold; the audit trail."""
    purchase = Purchase.objects.select_related("store", "shopper", "authorisation").get(pk=pk)
    lines = list(
        PurchaseLine.objects.filter(purchase=purchase)
        .select_related("product")
        .prefetch_related(Prefetch("discounts", queryset=PurchaseLineDiscount.objects.order_by("id")))
        .order_by("position")
    )
    belongs = Q(purchase=purchase) | Q(refund__purchase=purchase)
    issues_belong = Q(purchase=purchase)
    if purchase.authorisation_id is not None:
        belongs |= Q(authorisation_id=purchase.authorisation_id)
        issues_belong |= Q(authorisation_id=purchase.authorisation_id, purchase__isnull=True)
    return PurchaseDetail(
        purchase=purchase,
        lines=lines,
        operations=list(PaymentOperation.objects.filter(belongs).order_by("created_at", "id")),
        refunds=list(
            Refund.objects.filter(purchase=purchase)
            .select_related("created_by")
            .prefetch_related("lines__line")
            .order_by("created_at", "id")
        ),
        issues=list(
            PaymentIssue.objects.filter(issues_belong).select_related("resolved_by").order_by("created_at", "id")
        ),
        audits=list(
            PurchaseAudit.objects.filter(purchase=purchase).select_related("user").order_by("created_at", "id")
        ),
    )


def purchase_payment_problem(*, purchase: Purchase) -> PaymentIssue | None:
    """The purchase's open payment issue, newest first: why its charge failed, in staff words."""
    return (
        PaymentIssue.objects.filter(purchase=purchase, status=PaymentIssue.Status.OPEN)
        .order_by("-created_at", "-id")
        .first()
    )


# --- Promotions and tax rates ----------------------------------------------------------------
def promotions_of_stores(*, store_ids: StoreIds) -> QuerySet[Promotion]:
    """The promotions a staff user of ``store_ids`` may see and change: every one for every store;
    otherwise those whose stores are all theirs (a promotion for every store, or naming another
    store, acts on stores that are not theirs)."""
    if store_ids is None:
        return Promotion.objects.all()
    naming_a_store = Promotion.stores.through.objects.values("promotion_id")
    return Promotion.objects.filter(pk__in=naming_a_store).exclude(stores__in=Store.objects.exclude(pk__in=store_ids))


def payment_issues_of_stores(issues: QuerySet[PaymentIssue], *, store_ids: StoreIds) -> QuerySet[PaymentIssue]:
    """An issue belongs to its purchase's store, or to its hold's store when it has no purchase."""
    if store_ids is None:
        return issues
    return issues.filter(
        Q(purchase__store__in=store_ids) | Q(purchase__isnull=True, authorisation__store__in=store_ids)
    )


def promotion_list(*, is_active: bool | None = None, store_ids: StoreIds = None) -> QuerySet[Promotion]:
    """Promotions in the order the engine applies them (priority, highest first, then oldest first)."""
    promotions = promotions_of_stores(store_ids=store_ids).prefetch_related(
        Prefetch("stores", queryset=Store.objects.order_by("store_id"))
    )
    if is_active is not None:
        promotions = promotions.filter(is_active=is_active)
    return promotions.order_by("-priority", "id")


def tax_rate_list(*, store: Store | None = None) -> QuerySet[TaxRate]:
    rates = TaxRate.objects.select_related("store")
    if store is not None:
        rates = rates.filter(store=store)
    return rates.order_by("store__name", "store_id", "tax_code")


# --- Try a cart ------------------------------------------------------------------------------
@dataclass(frozen=True)
class TriedLine:
    """A line as staff typed it: the item, the quantity and unit (the unit Amazon would send: the
    one typed, else the product's own), the product it resolved to and how, then its quantity in
    the product's sale unit and the priced line — or why it could not be priced."""

    typed: str
    quantity_text: str
    quantity: Decimal
    unit: str
    product: types.PricedProduct | None
    matched_by: str = ""
    priced_quantity: Decimal | None = None
    priced: types.PricedLine | None = None
    problem: str = ""

    @property
    def priced_quantity_text(self) -> str:
        return quantity_text(self.priced_quantity) if self.priced_quantity is not None else ""

    @property
    def is_converted(self) -> bool:
        """The quantity was sent in another unit than the product's (1.5 lb of a per-kg item)."""
        return (
            self.product is not None
            and self.priced_quantity is not None
            and unit_find(self.unit) != UNITS[self.product.unit.value]
        )


@dataclass(frozen=True)
class TriedCart:
    """A cart priced as Create Purchases would price it at ``at``, or why it could not be."""

    store: Store
    at: datetime
    lines: list[TriedLine]
    cart: types.PricedCart | None
    problem: str = ""
    unknown: list[str] = field(default_factory=list)


def _sent_unit(unit: str, product: types.PricedProduct | None) -> str:
    """The unit typed, else what Amazon sends for the product: ``unit`` for an item, else its unit."""
    if unit:
        return unit
    if product is None or product.unit is types.SaleUnit.EACH:
        return "unit"
    return product.unit.value


def cart_try(*, store: Store, lines: list[tuple[str, str, str]], at: datetime) -> TriedCart:
    """Price ``lines`` — (SKU or barcode as typed, quantity as a decimal string, unit or blank) — in
    ``store`` at ``at`` with the same reads and pricing as Create Purchases (``orders.services.purchases``):
    each line resolves as a ``SKU`` line (by SKU, item alias, then the typed text as a barcode:
    ``cart_priced_products``) and its quantity is converted into the product's sale unit
    (``cart_price_sent``); the lines that can be priced are priced together.

    Unknown items are listed, not priced (the connector would keep such a cart as a bad cart); so
    is a line whose unit cannot be priced per its product's unit, with the reason. A cart the engine
    refuses (no price, unknown tax code) gives no priced cart and the engine's message as
    ``problem``. ``at`` counts to the second, as the request that sends the cart writes it. Reads only.
    """
    at = at.replace(microsecond=0)
    items = tuple(
        CartItem(
            id=typed,
            type="SKU",
            quantity=Decimal(quantity),
            unit=unit or "unit",
            external_identifiers=(),
            line_item_id=f"li-{position + 1}",
        )
        for position, (typed, quantity, unit) in enumerate(lines)
    )
    products = cart_priced_products(store_pk=store.pk, items=items)
    sent = [
        SentLine(
            position,
            typed,
            item.quantity,
            _sent_unit(unit, product.priced if product else None),
            product.priced if product else None,
        )
        for position, ((typed, _, unit), item, product) in enumerate(zip(lines, items, products, strict=True))
    ]
    outcome = cart_price_sent(
        lines=sent,
        store=store_pricing(store=store),
        promotions=store_promotion_index(store=store),
        at=at,
        aliases=quantity_unit_aliases(),
    )
    by_position = {int(line.line_id): line for line in outcome.cart.lines} if outcome.cart else {}
    tried = [
        TriedLine(
            typed=typed,
            quantity_text=quantity,
            quantity=line.quantity,
            unit=line.unit,
            product=line.product,
            matched_by=product.matched_by if product else "",
            priced_quantity=outcome.quantities.get(line.position),
            priced=by_position.get(line.position),
            problem=outcome.line_problems.get(line.position, "") if line.product is not None else "",
        )
        for (typed, quantity, _), line, product in zip(lines, sent, products, strict=True)
    ]
    unknown = [line.typed for line in tried if line.product is None]
    return TriedCart(store=store, at=at, lines=tried, cart=outcome.cart, problem=outcome.problem, unknown=unknown)


def _timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def cart_try_request(
    *,
    tried: TriedCart,
    shopper_ref: str = "",
    request_id: uuid.UUID | None = None,
    trip_id: uuid.UUID | None = None,
    auth_event_id: uuid.UUID | None = None,
) -> dict[str, Any]:
    """A Create Purchases body (SPEC §10.1) for the tried cart: a fresh request id, trip id and
    auth event unless given; the trip ends at the tried moment and starts 10 minutes before; each
    line sends the product's SKU (unknown items as typed), its quantity as typed and its unit.
    ``shopper_ref`` (optional) becomes the auth event's ``scanResult`` of a SHOPPER."""
    start = tried.at - TRIP_LENGTH
    auth_event: dict[str, Any] = {
        "id": str(auth_event_id or uuid.uuid4()),
        "timestamp": _timestamp(start),
        "location": "ENTRY",
        "payloadType": "SCAN_CODE",
    }
    if shopper_ref:
        auth_event["scanResult"] = {"id": shopper_ref, "type": "SHOPPER"}
    return {
        "requestId": str(request_id or uuid.uuid4()),
        "idempotentShoppingTripId": str(trip_id or uuid.uuid4()),
        "storeId": tried.store.store_id,
        "shoppingTrip": {"startTime": _timestamp(start), "endTime": _timestamp(tried.at), "authEvents": [auth_event]},
        "cartItems": [
            {
                "id": line.product.sku if line.product is not None else line.typed,
                "type": "SKU",
                "quantity": {"value": line.quantity_text, "unit": line.unit},
                "lineItemId": f"li-{position + 1}",
            }
            for position, line in enumerate(tried.lines)
        ],
    }


def bad_cart_queue(*, show_simulated: bool = False, store_ids: StoreIds = None) -> list[Purchase]:
    """Purchases waiting for staff to resolve their unknown items, oldest first (first in, first out)."""
    return list(
        stores_scope(Purchase.objects.simulated_shown(show_simulated), store_ids=store_ids)
        .filter(status=PurchaseStatus.BAD_CART, payment_status=PaymentStatus.ON_HOLD)
        .select_related("store", "shopper")
        .annotate(unknown_lines=Count("lines", filter=Q(lines__is_resolved=False)))
        .order_by("created_at", "id")
    )


def payment_issue_queue(*, show_simulated: bool = False, store_ids: StoreIds = None) -> list[PaymentIssue]:
    """Open payment issues, oldest first, with their shopper, purchase and hold."""
    return list(
        payment_issues_of_stores(PaymentIssue.objects.simulated_shown(show_simulated), store_ids=store_ids)
        .filter(status=PaymentIssue.Status.OPEN)
        .select_related("shopper", "purchase", "purchase__store", "authorisation", "authorisation__store")
        .order_by("created_at", "id")
    )
