"""Demo tax rates and one promotion of every kind, so a demo cart exercises the whole engine."""

from decimal import Decimal

from django.db import transaction

from catalog.models import Store
from orders.models import Promotion, TaxRate

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
