"""Demo tax rates, one promotion of every kind (so a demo cart exercises the whole engine), and two
weeks of demo purchases for the orders screens."""

import random
import uuid
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from catalog.models import Product, Store
from entry.models import GateDecisionKind, GateEvent, GateReason, Shopper, VisitorType
from orders.models import AuthorisationStatus, PaymentAuthorisation, Promotion, Purchase, TaxRate
from orders.purchase_request import purchase_request_parse
from orders.services.payments.settlement import purchase_settle
from orders.services.purchases import purchase_create
from orders.services.reconciliation import RunResult, reconciliation_run

# A shopper admitted yesterday afternoon whose cart never arrived: the reconciliation queue's lost cart.
DEMO_LOST_CART_EVENT = str(uuid.uuid5(uuid.NAMESPACE_URL, "demo-lost-cart"))

# (tax code, US store rate, EU store rate, exempt in the US): New York-like and German-like rates.
DEMO_TAX = (
    ("A_GEN_TAX", Decimal("0.08875"), Decimal("0.19"), False),
    ("A_FOOD_GEN", Decimal("0"), Decimal("0.07"), True),
    ("A_FOOD_PREP", Decimal("0.08875"), Decimal("0.07"), False),
)

DEMO_PROMOTIONS: tuple[dict[str, object], ...] = (
    {"name": "Snacks 10% off", "kind": "percent_off", "categories": ["Snacks"], "percent": Decimal("10")},
    {"name": "Northwind 0.50 off", "kind": "amount_off", "brands": ["Northwind"], "amount": Decimal("0.50")},
    {"name": "Bakery at 1.99", "kind": "fixed_price", "categories": ["Bakery"], "amount": Decimal("1.99")},
    {
        "name": "Any 3 drinks for 5.00",
        "kind": "multi_buy",
        "categories": ["Beverages"],
        "buy_quantity": 3,
        "amount": Decimal("5.00"),
    },
    {
        "name": "Dairy: buy 2, get 1 free",
        "kind": "buy_x_get_y",
        "categories": ["Dairy"],
        "buy_quantity": 2,
        "get_quantity": 1,
    },
    {"name": "Spend 25, save 3", "kind": "spend_and_save", "minimum_spend": Decimal("25"), "amount": Decimal("3")},
)


@transaction.atomic
def demo_pricing_ensure(*, stores: list[Store]) -> int:
    """Tax rates for the demo stores and the demo promotions (for every store). Safe to re-run."""
    for store in stores:
        in_us = store.currency == "USD"
        for code, us_rate, eu_rate, exempt_in_us in DEMO_TAX:
            TaxRate.objects.update_or_create(
                store=store,
                tax_code=code,
                defaults={"rate": us_rate if in_us else eu_rate, "is_exempt": in_us and exempt_in_us},
            )
    for fields in DEMO_PROMOTIONS:
        Promotion.objects.update_or_create(
            name=fields["name"], defaults={k: v for k, v in fields.items() if k != "name"}
        )
    return len(DEMO_PROMOTIONS)


# Demo trips: (days ago, hour, shopper external id, scan type, cart as (SKU index, quantity)) —
# SKU index into the store's first products; None marks an item the catalog does not know.
DEMO_UNKNOWN_ITEM = "RET-UNLISTED-0042"


def _demo_trips(count: int) -> list[tuple[int, int, str, str, list[tuple[int | None, str]]]]:
    rng = random.Random(5)  # noqa: S311 - demo data, not security
    trips: list[tuple[int, int, str, str, list[tuple[int | None, str]]]] = []
    for number in range(count):
        shopper = "cust-demo-001" if number % 2 else "cust-demo-002"
        cart: list[tuple[int | None, str]] = [
            (rng.randrange(0, 60), str(rng.choice((1, 1, 1, 2, 3)))) for _ in range(rng.randrange(1, 7))
        ]
        trips.append((number % 14, 8 + rng.randrange(0, 12), shopper, "SHOPPER", cart))
    trips.append((0, 9, "cust-demo-001", "SHOPPER", []))  # walked in and out: an empty cart
    trips.append((0, 10, "cust-demo-002", "SHOPPER", [(3, "1"), (None, "1")]))  # a bad cart for the queue
    trips.append((0, 11, "cash-demo-001", "CASH_SHOPPER", [(5, "2"), (8, "1")]))  # pays at the counter
    trips.append((1, 17, "cust-demo-declined", "SHOPPER", [(2, "1"), (7, "2")]))  # a payment issue
    # the same card declined again three days ago: a second debt in 30 days, a repeat offender
    trips.append((3, 16, "cust-demo-declined", "SHOPPER", [(4, "1")]))
    return trips


def _trip_body(
    store: Store, number: int, ended: datetime, shopper: str, scan_type: str, items: list[dict[str, Any]]
) -> dict[str, Any]:
    started = ended - timedelta(minutes=6)
    stamp = "%Y-%m-%dT%H:%M:%SZ"
    return {
        "requestId": str(uuid.UUID(int=random.Random(number).getrandbits(128), version=4)),  # noqa: S311
        "idempotentShoppingTripId": str(uuid.uuid5(uuid.NAMESPACE_URL, f"demo-trip/{store.store_id}/{number}")),
        "storeId": store.store_id,
        "shoppingTrip": {
            "startTime": started.strftime(stamp),
            "endTime": ended.strftime(stamp),
            "authEvents": [
                {
                    "id": str(uuid.UUID(int=random.Random(-number - 1).getrandbits(128), version=4)),  # noqa: S311
                    "timestamp": started.strftime(stamp),
                    "location": "ENTRY",
                    "payloadType": "SCAN_CODE",
                    "scanResult": {"id": shopper, "type": scan_type},
                }
            ],
        },
        "cartItems": items,
    }


def demo_purchases_ensure(*, store: Store, count: int = 60) -> int:
    """Two weeks of trips through the real Create Purchases service and settlement (sandbox cards):
    charged carts, an empty one, a bad cart waiting in the queue, a cash shopper at the counter and
    a declined card in the payment-issues queue. Skipped when the store already has purchases."""
    if Purchase.objects.filter(store=store).exists():
        return 0
    skus = list(
        Product.objects.filter(store=store, price__isnull=False, unit="each")
        .order_by("sku")
        .values_list("sku", flat=True)[:60]
    )
    if len(skus) < 60:
        return 0
    now = timezone.now()
    made = 0
    for number, (days_ago, hour, shopper, scan_type, cart) in enumerate(_demo_trips(count)):
        ended = (now - timedelta(days=days_ago)).replace(hour=hour, minute=(number * 7) % 60, second=0, microsecond=0)
        ended = min(ended, now - timedelta(minutes=1))
        items = [
            {
                "id": skus[index] if index is not None else DEMO_UNKNOWN_ITEM,
                "type": "SKU",
                "quantity": {"value": f"{quantity}.0", "unit": "unit"},
                "lineItemId": f"li-{position + 1}",
            }
            for position, (index, quantity) in enumerate(cart)
        ]
        body = _trip_body(store, number, ended, shopper, scan_type, items)
        answer = purchase_create(request=purchase_request_parse(body), raw=body, store=store)
        Purchase.objects.filter(pk=answer.purchase_pk).update(created_at=ended)
        purchase_settle(purchase_pk=answer.purchase_pk)  # sandbox cards answer at once
        made += 1
    return made


def demo_lost_cart_ensure(*, store: Store) -> RunResult | None:
    """Yesterday (the store's clock), a shopper went through the gate at 15:00 and no purchase ever
    came: an admitted gate event with its hold, and no cart. Yesterday is then reconciled, so the
    queue shows the lost cart (and yesterday's declined card) at once. Safe to re-run."""
    shopper = Shopper.objects.filter(external_id="cust-demo-001").first()
    if shopper is None:
        return None
    yesterday = timezone.localtime(timezone.now(), store.zone).date() - timedelta(days=1)
    at = datetime.combine(yesterday, datetime.min.time(), tzinfo=store.zone).replace(hour=15)
    if not GateEvent.objects.filter(auth_event_id=DEMO_LOST_CART_EVENT).exists():
        event = GateEvent.objects.create(
            auth_event_id=DEMO_LOST_CART_EVENT,
            store=store,
            store_ref=store.store_id,
            decision=GateDecisionKind.ADMITTED,
            reason=GateReason.ADMITTED,
            status_code=200,
            response_body={},
            shopper=shopper,
            visitor_type=VisitorType.SHOPPER,
            latency_ms=12.0,
        )
        GateEvent.objects.filter(pk=event.pk).update(created_at=at)
        PaymentAuthorisation.objects.create(
            auth_event_id=DEMO_LOST_CART_EVENT,
            store=store,
            shopper=shopper,
            amount=Decimal(50),
            currency=store.currency,
            status=AuthorisationStatus.AUTHORISED,
        )
    return reconciliation_run(store=store, day=yesterday)
