"""The engine prices every cart exactly as the engine before issue 20's speed work did.

Random stores, promotions and 50-line carts go through ``cart_price`` (with the store's index and
with the plain list) and through the reference (``pricing_reference.py``, the former engine kept
verbatim). The two carts must be equal and print the same: every amount with the same digits
(``Decimal("2.50")`` and ``Decimal("2.5")`` are equal but are not the same figure on a receipt).
"""

import random
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import pytest

from orders.pricing.engine import cart_price
from orders.pricing.promotions import PromotionIndex
from orders.pricing.types import (
    CartLine,
    PricedCart,
    PricedProduct,
    PricingError,
    Promotion,
    PromotionKind,
    SaleUnit,
    StorePricing,
)
from tests.orders import pricing_reference

CATEGORIES = ["Dairy", "Bakery", "Drinks", "Snacks", "Produce"]
BRANDS = ["Acme", "Springs", "Farm", "Oven", "Crisp", "Best"]
AT = datetime(2025, 6, 3, 14, 31, 47, tzinfo=UTC)  # a Tuesday


def store(rng: random.Random) -> StorePricing:
    currency = rng.choice(["USD", "USD", "EUR", "JPY", "KWD"])
    return StorePricing(
        store_id=rng.choice(["S1", "S2"]),
        currency=currency,
        prices_include_tax=rng.random() < 0.5,
        time_zone=rng.choice(["America/New_York", "Europe/Berlin", "Asia/Tokyo"]),
        tax_rates={"STD": Decimal(rng.choice(["0.0875", "0.2", "0.19", "0.07"])), "LOW": Decimal("0.055")},
        exempt_tax_codes=frozenset({"FOOD"}),
        default_tax_code="STD",
    )


def money(rng: random.Random, low: int, high: int, places: int = 2) -> Decimal:
    return Decimal(rng.randint(low, high)).scaleb(-places)


def products(rng: random.Random) -> list[PricedProduct]:
    made = []
    for n in range(120):
        places = rng.choice([2, 2, 2, 3, 0])  # shelf prices need not be in minor units
        made.append(
            PricedProduct(
                sku=f"SKU-{n:03d}",
                price=money(rng, 0, 3000, 2) if places == 2 else money(rng, 1, 30000, places),
                unit=rng.choice([SaleUnit.KG, SaleUnit.LB]) if n % 7 == 0 else SaleUnit.EACH,
                tax_code=rng.choice(["STD", "LOW", "FOOD", ""]),
                category=rng.choice([*CATEGORIES, ""]),
                brand=rng.choice([*BRANDS, ""]),
            )
        )
    return made


def window(rng: random.Random) -> dict[str, Any]:
    """Any window, open at AT or not: dates, days of week, a daytime or an overnight time window, stores."""
    fields: dict[str, Any] = {}
    if rng.random() < 0.3:
        start = AT + timedelta(hours=rng.randint(-72, 24))
        fields.update(starts_at=start, ends_at=start + timedelta(hours=rng.randint(1, 96)))
    if rng.random() < 0.3:
        fields["days_of_week"] = frozenset(rng.sample(range(7), rng.randint(1, 5)))
    if rng.random() < 0.3:
        start_hour = rng.randint(0, 23)
        fields.update(time_from=time(start_hour), time_to=time((start_hour + rng.randint(1, 20)) % 24, 30))
    if rng.random() < 0.1:
        fields["store_ids"] = frozenset({rng.choice(["S1", "S2"])})
    return fields


def targets(rng: random.Random, skus: list[str]) -> dict[str, Any]:
    by = rng.random()
    if by < 0.1:
        return {}  # every product
    if by < 0.5:
        return {"skus": frozenset(rng.sample(skus, rng.randint(1, min(30, len(skus)))))}
    if by < 0.75:
        return {"categories": frozenset(rng.sample(CATEGORIES, rng.randint(1, 2)))}
    if by < 0.9:
        return {"brands": frozenset(rng.sample(BRANDS, rng.randint(1, 2)))}
    return {"skus": frozenset(rng.sample(skus, 5)), "brands": frozenset({rng.choice(BRANDS)})}


def promotions(rng: random.Random, skus: list[str], count: int) -> list[Promotion]:
    made = []
    kinds = list(PromotionKind)
    for number in range(count):
        kind = kinds[number % len(kinds)]
        fields: dict[str, Any] = {
            "priority": rng.randint(0, 3),
            "is_exclusive": rng.random() < 0.15,
            **window(rng),
            **targets(rng, skus),
        }
        if kind is PromotionKind.PERCENT_OFF:
            fields["percent"] = Decimal(rng.choice(["5", "10", "12.5", "33", "33.3333", "50", "100"]))
        elif kind is PromotionKind.AMOUNT_OFF:
            fields["amount"] = money(rng, 1, 900, rng.choice([2, 3]))
        elif kind is PromotionKind.FIXED_PRICE:
            fields["amount"] = money(rng, 0, 1500)
        elif kind is PromotionKind.MULTI_BUY:
            fields.update(buy_quantity=rng.randint(2, 4), amount=money(rng, 100, 3000))
        elif kind is PromotionKind.BUY_X_GET_Y:
            fields.update(buy_quantity=rng.randint(1, 3), get_quantity=rng.randint(1, 2))
            if rng.random() < 0.3:
                fields["percent"] = Decimal(rng.choice(["50", "12.5"]))
        else:
            fields["minimum_spend"] = money(rng, 0, 8000, rng.choice([0, 2, 3]))
            if rng.random() < 0.5:
                fields["amount"] = money(rng, 1, 3000, rng.choice([0, 2, 3]))
            else:
                fields["percent"] = Decimal(rng.choice(["5", "10", "12.5", "33.3"]))
        made.append(Promotion(id=rng.randint(1, 10**6) * 1000 + number, name=f"{kind} {number}", kind=kind, **fields))
    return made


def cart(rng: random.Random, catalog: list[PricedProduct], size: int) -> list[CartLine]:
    lines = []
    for number in range(size):
        item = rng.choice(catalog)  # a product may come back on a later line
        if item.unit is SaleUnit.EACH:
            quantity = Decimal(rng.choice(["1", "1", "2", "2.0", "3", "4", "6", "12"]))
        else:
            quantity = money(rng, 1, 4000, 3)
        lines.append(CartLine(f"li-{number}", item, quantity))
    return lines


def priced_both_ways(
    lines: list[CartLine], pricing: StorePricing, promotion_list: list[Promotion], at: datetime
) -> tuple[PricedCart | str, list[PricedCart | str]]:
    expected: PricedCart | str
    try:
        expected = pricing_reference.cart_price(lines=lines, store=pricing, promotions=promotion_list, at=at)
    except PricingError as error:
        expected = error.message
    results: list[PricedCart | str] = []
    for given in (PromotionIndex(promotion_list), promotion_list):
        try:
            results.append(cart_price(lines=lines, store=pricing, promotions=given, at=at))
        except PricingError as error:
            results.append(error.message)
    return expected, results


@pytest.mark.parametrize("seed", range(12))
def test_random_carts_price_exactly_as_the_reference_engine(seed: int) -> None:
    rng = random.Random(seed)
    catalog = products(rng)
    skus = [item.sku for item in catalog]
    promotion_list = promotions(rng, skus, 200)
    for _ in range(15):
        pricing = store(rng)
        at = AT + timedelta(minutes=rng.randint(-3000, 3000))
        lines = cart(rng, catalog, 50)
        expected, results = priced_both_ways(lines, pricing, promotion_list, at)
        for result in results:
            assert result == expected
            assert repr(result) == repr(expected)  # the same digits, not only the same values


@pytest.mark.parametrize("seed", range(6))
def test_small_carts_with_few_promotions_price_exactly_as_the_reference_engine(seed: int) -> None:
    # Few lines and promotions: more carts where one promotion's groups, thresholds and ties decide.
    rng = random.Random(1000 + seed)
    catalog = products(rng)[:15]
    skus = [item.sku for item in catalog]
    for _ in range(60):
        promotion_list = promotions(rng, skus, rng.randint(0, 8))
        pricing = store(rng)
        lines = cart(rng, catalog, rng.randint(1, 8))
        expected, results = priced_both_ways(lines, pricing, promotion_list, AT)
        for result in results:
            assert result == expected
            assert repr(result) == repr(expected)


def test_equal_nets_sharing_a_basket_discount_price_as_the_reference_engine() -> None:
    # Ties in the largest-remainder sharing: 3 lines of the same net share 10.00 (3.34, 3.33, 3.33),
    # and nets of different sizes whose shares leave the same remainder: 32.00 over 21.00, 3.00, 21.00
    # gives exact shares 14.9333…, 2.1333…, 14.9333… and one cent left; in allocate_money's 28 digits
    # the smaller share keeps one more 3, so it gets the cent: 14.93, 2.14, 14.93 (not 14.94, 2.13, 14.93).
    pricing = StorePricing(
        store_id="S1", currency="USD", prices_include_tax=False, time_zone="UTC", tax_rates={"STD": Decimal(0)}
    )
    basket: dict[str, Any] = {"kind": PromotionKind.SPEND_AND_SAVE, "minimum_spend": Decimal(0)}
    spend = Promotion(id=1, name="10 off", amount=Decimal(10), **basket)
    third = Promotion(id=2, name="1 off", amount=Decimal(1), **basket)
    tie = Promotion(id=3, name="32 off", amount=Decimal(32), **basket)
    for prices, promotion in (
        (["5.00", "5.00", "5.00"], spend),
        (["0.10", "1.00", "1.10"], third),
        (["1.00", "0.10", "1.10", "0.10"], third),
        (["33.33", "333.33", "3.33"], third),
        (["21.00", "3.00", "21.00"], tie),
    ):
        lines = [
            CartLine(f"li-{n}", PricedProduct(sku=f"P{n}", price=Decimal(text), tax_code="STD"), Decimal(1))
            for n, text in enumerate(prices)
        ]
        expected, results = priced_both_ways(lines, pricing, [promotion], AT)
        for result in results:
            assert repr(result) == repr(expected)
    assert isinstance(expected, PricedCart)
    assert [str(priced.discount_total) for priced in expected.lines] == ["14.93", "2.14", "14.93"]
