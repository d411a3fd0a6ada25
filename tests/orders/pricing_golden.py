"""The pricing engine's results on random carts, kept as a fixture that ``test_pricing_equivalence`` checks.

The carts: random stores, 200 promotions of every kind with every shape of window and target, and
50-line carts (12 seeds x 15 carts); few promotions and small carts, where one promotion's groups,
thresholds and ties decide (6 seeds x 60 carts); and the largest-remainder ties of a shared basket
discount. Each cart's result is recorded in ``pricing_golden.json`` as the SHA-256 of its ``repr``
(so every amount must keep its digits: ``Decimal("2.50")`` and ``Decimal("2.5")`` are equal but
are not the same figure on a receipt), its four totals as text, and for a few sample carts every
line's amounts, readable in a diff. A cart the engine refuses is recorded by its error message.

The fixture was written by the engine at commit 43bb5b2, which priced every one of these carts
exactly as the engine before issue 20 did (the test then compared it with a copy of that engine,
now deleted); the engine must keep pricing every cart exactly so. Rewrite it only when a pricing
rule changes on purpose (and say which in the commit), with:

    .venv/bin/python -m tests.orders.pricing_golden
"""

import hashlib
import json
import random
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

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

FIXTURE = Path(__file__).with_name("pricing_golden.json")
RANDOM_SEEDS = range(12)
SMALL_SEEDS = range(6)
SAMPLES = frozenset({"random-0-0", "random-7-3", "small-0-0", "small-3-5", "small-5-59"})  # every line written out

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


Case = tuple[str, list[CartLine], StorePricing, list[Promotion], datetime]  # key, lines, store, promotions, at


def random_cases(seed: int) -> Iterator[Case]:
    """15 carts of 50 lines against 200 promotions."""
    rng = random.Random(seed)
    catalog = products(rng)
    skus = [item.sku for item in catalog]
    promotion_list = promotions(rng, skus, 200)
    for number in range(15):
        pricing = store(rng)
        at = AT + timedelta(minutes=rng.randint(-3000, 3000))
        yield f"random-{seed}-{number}", cart(rng, catalog, 50), pricing, promotion_list, at


def small_cases(seed: int) -> Iterator[Case]:
    """60 carts of 1-8 lines against 0-8 promotions."""
    rng = random.Random(1000 + seed)
    catalog = products(rng)[:15]
    skus = [item.sku for item in catalog]
    for number in range(60):
        promotion_list = promotions(rng, skus, rng.randint(0, 8))
        pricing = store(rng)
        yield f"small-{seed}-{number}", cart(rng, catalog, rng.randint(1, 8)), pricing, promotion_list, AT


TIE_PRICES = (
    (["5.00", "5.00", "5.00"], 1),
    (["0.10", "1.00", "1.10"], 2),
    (["1.00", "0.10", "1.10", "0.10"], 2),
    (["33.33", "333.33", "3.33"], 2),
    (["21.00", "3.00", "21.00"], 3),
)


def tie_cases() -> Iterator[Case]:
    """Largest-remainder ties: equal nets sharing a basket discount, and shares leaving the same remainder."""
    pricing = StorePricing(
        store_id="S1", currency="USD", prices_include_tax=False, time_zone="UTC", tax_rates={"STD": Decimal(0)}
    )
    basket: dict[str, Any] = {"kind": PromotionKind.SPEND_AND_SAVE, "minimum_spend": Decimal(0)}
    by_id = {
        1: Promotion(id=1, name="10 off", amount=Decimal(10), **basket),
        2: Promotion(id=2, name="1 off", amount=Decimal(1), **basket),
        3: Promotion(id=3, name="32 off", amount=Decimal(32), **basket),
    }
    for number, (prices, promotion_id) in enumerate(TIE_PRICES):
        lines = [
            CartLine(f"li-{n}", PricedProduct(sku=f"P{n}", price=Decimal(text), tax_code="STD"), Decimal(1))
            for n, text in enumerate(prices)
        ]
        yield f"ties-{number}", lines, pricing, [by_id[promotion_id]], AT


def all_cases() -> Iterator[Case]:
    for seed in RANDOM_SEEDS:
        yield from random_cases(seed)
    for seed in SMALL_SEEDS:
        yield from small_cases(seed)
    yield from tie_cases()


def priced(
    lines: list[CartLine], pricing: StorePricing, given: PromotionIndex | list[Promotion], at: datetime
) -> PricedCart | str:
    """The priced cart, or the message of the error that refused it."""
    try:
        return cart_price(lines=lines, store=pricing, promotions=given, at=at)
    except PricingError as error:
        return error.message


def record(key: str, result: PricedCart | str) -> dict[str, Any]:
    """What the fixture keeps of one cart's result (see the module docstring)."""
    text = repr(result)
    entry: dict[str, Any] = {"sha256": hashlib.sha256(text.encode()).hexdigest()}
    if isinstance(result, str):
        entry["error"] = result
        return entry
    entry["totals"] = [str(result.subtotal), str(result.discount_total), str(result.tax_total), str(result.total)]
    if key in SAMPLES:
        entry["lines"] = [
            [
                line.line_id,
                str(line.quantity),
                str(line.unit_price),
                str(line.gross),
                str(line.discount_total),
                str(line.net),
                line.tax_code,
                str(line.tax),
                str(line.total),
            ]
            for line in result.lines
        ]
    return entry


def golden_load() -> dict[str, dict[str, Any]]:
    return json.loads(FIXTURE.read_text())["carts"]


def golden_write() -> int:
    """Price every case with the store's index and write the fixture; the number of carts."""
    entries = [
        (key, record(key, priced(lines, pricing, PromotionIndex(promotion_list), at)))
        for key, lines, pricing, promotion_list, at in all_cases()
    ]
    body = ",\n".join(f"  {json.dumps(key)}: {json.dumps(entry, ensure_ascii=False)}" for key, entry in entries)
    FIXTURE.write_text(
        '{"written_by": "python -m tests.orders.pricing_golden",\n "carts": {\n' + body + "\n }}\n", encoding="utf-8"
    )
    return len(entries)


if __name__ == "__main__":
    sys.stdout.write(f"{golden_write()} carts written to {FIXTURE}\n")
