"""The engine: unit prices and weights, the rounding rule, currencies, windows, stores, and the cart's sums.

Every expected amount is worked out by hand in the comment beside it.
"""

import dataclasses
import random
from collections import defaultdict
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from orders.pricing.engine import cart_price
from orders.pricing.promotions import PROMOTION_KINDS, PromotionIndex, Scope
from orders.pricing.types import (
    CartLine,
    CartLineError,
    PricedCart,
    PricedProduct,
    PricingError,
    Promotion,
    PromotionError,
    PromotionKind,
    SaleUnit,
    StorePricing,
)

NEW_YORK = ZoneInfo("America/New_York")  # UTC−4 in June (EDT)
AT = datetime(2025, 6, 3, 14, 31, 47, tzinfo=UTC)  # a Tuesday


def store_pricing(**changes: Any) -> StorePricing:
    fields: dict[str, Any] = {
        "store_id": "US-1",
        "currency": "USD",
        "prices_include_tax": False,
        "time_zone": "America/New_York",
        "tax_rates": {"STD": Decimal("0.10")},
        "exempt_tax_codes": frozenset({"EXEMPT"}),
    }
    fields.update(changes)
    return StorePricing(**fields)


US = store_pricing(tax_rates={}, exempt_tax_codes=frozenset({"EXEMPT"}))  # tax-free: totals are nets


def product(sku: str, price: str, unit: SaleUnit = SaleUnit.EACH, **fields: Any) -> PricedProduct:
    fields.setdefault("tax_code", "EXEMPT")
    return PricedProduct(sku=sku, price=Decimal(price), unit=unit, **fields)


def line(line_id: str, item: PricedProduct, quantity: str) -> CartLine:
    return CartLine(line_id, item, Decimal(quantity))


def price(*lines: CartLine, promotions: Any = (), store: StorePricing = US, at: datetime = AT) -> PricedCart:
    return cart_price(lines=lines, store=store, promotions=promotions, at=at)


def percent_off(id: int = 1, percent: str = "10", **fields: Any) -> Promotion:
    fields.setdefault("skus", frozenset({"COLA"}))
    return Promotion(id=id, name=f"{percent}% off", kind=PromotionKind.PERCENT_OFF, percent=Decimal(percent), **fields)


COLA = product("COLA", "1.99", category="Drinks", brand="Acme")


# --- Unit prices, weights and quantities --------------------------------------------------------------


def test_a_priced_line_keeps_unit_price_gross_discounts_net_tax_and_total() -> None:
    # 3 × 1.99 = 5.97; 10 % = 0.597 → 0.60; net 5.37; tax 10 % of 5.37 = 0.537 → 0.54; total 5.91.
    taxed = product("COLA", "1.99", tax_code="STD")
    cart = price(line("li-1", taxed, "3"), promotions=[percent_off()], store=store_pricing())
    priced = cart.lines[0]
    assert (priced.line_id, priced.sku, priced.unit, priced.quantity) == ("li-1", "COLA", SaleUnit.EACH, Decimal(3))
    assert [str(amount) for amount in (priced.unit_price, priced.gross, priced.discount_total, priced.net)] == [
        "1.99",
        "5.97",
        "0.60",
        "5.37",
    ]
    assert (str(priced.tax), str(priced.total)) == ("0.54", "5.91")
    assert (cart.subtotal, cart.discount_total, cart.tax_total, cart.total) == (
        Decimal("5.97"),
        Decimal("0.60"),
        Decimal("0.54"),
        Decimal("5.91"),
    )


def test_unit_price_is_the_catalog_price_at_the_currency_minor_unit_as_amazon_showed_it() -> None:
    # A 1.995 catalog price reaches Amazon as 2.00 (half-up): 3 × 2.00 = 6.00, not 3 × 1.995 = 5.985 → 5.99.
    cart = price(line("li-1", product("GUM", "1.995"), "3"))
    assert (str(cart.lines[0].unit_price), str(cart.lines[0].gross)) == ("2.00", "6.00")


@pytest.mark.parametrize(
    ("unit", "unit_price", "quantity", "gross"),
    [
        (SaleUnit.KG, "3.99", "0.532", "2.12"),  # 2.12268 → 2.12
        (SaleUnit.LB, "2.49", "1.25", "3.11"),  # 3.1125 → 3.11
        (SaleUnit.KG, "3.99", "0.005", "0.02"),  # 0.01995 → 0.02
        (SaleUnit.KG, "0.20", "0.125", "0.03"),  # 0.025 → 0.03: the tie goes up
        (SaleUnit.G, "0.02", "250", "5.00"),  # 250 g × 0.02
        (SaleUnit.OZ, "0.35", "12.5", "4.38"),  # 4.375 → 4.38
        (SaleUnit.L, "1.10", "1.5", "1.65"),
    ],
)
def test_weight_items_are_priced_by_decimal_quantity_rounded_per_line(
    unit: SaleUnit, unit_price: str, quantity: str, gross: str
) -> None:
    cart = price(line("li-1", product("LOOSE", unit_price, unit), quantity))
    assert (str(cart.lines[0].gross), cart.lines[0].unit, cart.lines[0].quantity) == (gross, unit, Decimal(quantity))
    assert str(cart.total) == gross


def test_a_whole_quantity_sent_as_decimal_text_is_fine_for_items_sold_each() -> None:
    # Amazon sends "2.0" for two units (SPEC §10.2): 2 × 1.99 = 3.98.
    assert str(price(line("li-1", COLA, "2.0")).lines[0].gross) == "3.98"


@pytest.mark.parametrize(
    ("item", "quantity", "message"),
    [
        (COLA, Decimal("1.5"), "Line li-9: COLA is sold by the unit, so its quantity must be whole (got 1.5)."),
        (COLA, Decimal("0"), "Line li-9: quantity Decimal('0') of COLA is not a positive Decimal."),
        (COLA, Decimal("-1"), "Line li-9: quantity Decimal('-1') of COLA is not a positive Decimal."),
        (COLA, 1.0, "Line li-9: quantity 1.0 of COLA is not a positive Decimal."),
        (COLA, Decimal("NaN"), "Line li-9: quantity Decimal('NaN') of COLA is not a positive Decimal."),
        (product("BAD", "-0.01"), Decimal(1), "Line li-9: product BAD has no usable price (Decimal('-0.01'))."),
        (PricedProduct(sku="FLOAT", price=1.99), Decimal(1), "Line li-9: product FLOAT has no usable price (1.99)."),  # type: ignore[arg-type]
    ],
)
def test_a_line_that_cannot_be_priced_is_refused_naming_it(item: PricedProduct, quantity: Any, message: str) -> None:
    with pytest.raises(CartLineError) as raised:
        CartLine("li-9", item, quantity)
    assert (raised.value.message, raised.value.line_id, raised.value.sku) == (message, "li-9", item.sku)


# --- The rounding rule ------------------------------------------------------------------------------


def test_discounts_are_rounded_per_line_and_the_cart_sums_the_rounded_lines() -> None:
    # Three 0.25 drinks, 10 % off each: 0.025 → 0.03 per line (half-up), so 0.09 off in all — rounding
    # the cart's 0.075 once would give 0.08. Nets 0.22 × 3 = 0.66 = 0.75 − 0.09.
    drinks = [product(f"D{n}", "0.25", category="Drinks") for n in range(3)]
    cart = price(
        *(line(f"li-{n}", item, "1") for n, item in enumerate(drinks)),
        promotions=[percent_off(skus=frozenset(), categories=frozenset({"Drinks"}))],
    )
    assert [str(priced.discount_total) for priced in cart.lines] == ["0.03", "0.03", "0.03"]
    assert (str(cart.subtotal), str(cart.discount_total), str(cart.total)) == ("0.75", "0.09", "0.66")


def test_an_empty_cart_prices_to_zero() -> None:
    cart = price(promotions=[percent_off()])
    assert (cart.lines, cart.promotions) == ((), ())
    assert [str(amount) for amount in (cart.subtotal, cart.discount_total, cart.tax_total, cart.total)] == ["0.00"] * 4


# --- Currencies -----------------------------------------------------------------------------------


def test_zero_decimal_currency_rounds_to_whole_yen() -> None:
    # 3 × 198 = 594; 10 % = 59.4 → 59; net 535; tax 10 % = 53.5 → 54 (half-up); total 589.
    store = store_pricing(currency="JPY", time_zone="Asia/Tokyo")
    cart = price(line("li-1", product("COLA", "198", tax_code="STD"), "3"), promotions=[percent_off()], store=store)
    priced = cart.lines[0]
    assert [str(a) for a in (priced.gross, priced.discount_total, priced.net, priced.tax, priced.total)] == [
        "594",
        "59",
        "535",
        "54",
        "589",
    ]
    assert [str(a) for a in (cart.subtotal, cart.discount_total, cart.tax_total, cart.total)] == [
        "594",
        "59",
        "54",
        "589",
    ]


def test_zero_decimal_currency_unit_price_is_whole_yen() -> None:
    # 99.5 → 100 yen (half-up), × 2 = 200.
    store = store_pricing(currency="JPY", time_zone="Asia/Tokyo")
    cart = price(line("li-1", product("GUM", "99.5"), "2"), store=store)
    assert (str(cart.lines[0].unit_price), str(cart.total)) == ("100", "200")


def test_three_decimal_currency_rounds_to_the_fils() -> None:
    # BHD: 3 × 1.250 = 3.750; 15 % = 0.5625 → 0.563; net 3.187; VAT 10 % = 0.3187 → 0.319; total 3.506.
    store = store_pricing(currency="BHD", time_zone="Asia/Bahrain")
    cart = price(
        line("li-1", product("COLA", "1.250", tax_code="STD"), "3"), promotions=[percent_off(percent="15")], store=store
    )
    assert [str(a) for a in (cart.subtotal, cart.discount_total, cart.tax_total, cart.total)] == [
        "3.750",
        "0.563",
        "0.319",
        "3.506",
    ]


def test_three_decimal_currency_unit_price_keeps_three_places() -> None:
    # KWD: 0.1235 → 0.124 (half-up); 2 × 0.124 = 0.248.
    store = store_pricing(currency="KWD", time_zone="Asia/Kuwait")
    cart = price(line("li-1", product("GUM", "0.1235"), "2"), store=store)
    assert (str(cart.lines[0].unit_price), str(cart.total)) == ("0.124", "0.248")


# --- Windows, on the store's clock --------------------------------------------------------------------


def is_applied(promotion: Promotion, at: datetime, store: StorePricing = US) -> bool:
    return bool(price(line("li-1", COLA, "1"), promotions=[promotion], store=store, at=at).promotions)


def test_dated_window_is_half_open() -> None:
    starts = datetime(2025, 6, 1, tzinfo=NEW_YORK)  # = 2025-06-01 04:00 UTC
    ends = datetime(2025, 6, 8, tzinfo=NEW_YORK)
    promotion = percent_off(starts_at=starts, ends_at=ends)
    assert is_applied(promotion, datetime(2025, 6, 1, 3, 59, 59, tzinfo=UTC)) is False  # before
    assert is_applied(promotion, datetime(2025, 6, 1, 4, 0, tzinfo=UTC)) is True  # at the start
    assert is_applied(promotion, ends - timedelta(microseconds=1)) is True
    assert is_applied(promotion, ends) is False  # the end is not in it
    assert is_applied(promotion, datetime(2025, 7, 1, tzinfo=UTC)) is False  # after


def test_open_ended_windows() -> None:
    assert is_applied(percent_off(starts_at=datetime(2025, 1, 1, tzinfo=UTC)), AT) is True
    assert is_applied(percent_off(ends_at=datetime(2025, 1, 1, tzinfo=UTC)), AT) is False


def test_days_of_week_are_read_on_the_store_clock() -> None:
    fridays = percent_off(days_of_week=frozenset({4}))
    # Saturday 02:30 UTC is Friday 22:30 in New York.
    assert is_applied(fridays, datetime(2025, 6, 7, 2, 30, tzinfo=UTC)) is True
    assert is_applied(fridays, datetime(2025, 6, 7, 14, 0, tzinfo=UTC)) is False  # Saturday 10:00 there
    # The same moment in a Tokyo store is Saturday 11:30.
    tokyo = store_pricing(store_id="JP-1", time_zone="Asia/Tokyo", tax_rates={})
    assert is_applied(fridays, datetime(2025, 6, 7, 2, 30, tzinfo=UTC), store=tokyo) is False


def test_time_of_day_window_is_half_open_on_the_store_clock() -> None:
    happy_hour = percent_off(time_from=time(16, 0), time_to=time(18, 0))
    assert is_applied(happy_hour, datetime(2025, 6, 3, 19, 59, tzinfo=UTC)) is False  # 15:59 in New York
    assert is_applied(happy_hour, datetime(2025, 6, 3, 20, 0, tzinfo=UTC)) is True  # 16:00
    assert is_applied(happy_hour, datetime(2025, 6, 3, 21, 30, tzinfo=UTC)) is True  # 17:30
    assert is_applied(happy_hour, datetime(2025, 6, 3, 22, 0, tzinfo=UTC)) is False  # 18:00


@pytest.mark.parametrize(
    ("local", "applied"),
    [
        (datetime(2025, 6, 6, 21, 59, tzinfo=NEW_YORK), False),  # Friday, before the window
        (datetime(2025, 6, 6, 22, 0, tzinfo=NEW_YORK), True),  # Friday 22:00
        (datetime(2025, 6, 6, 23, 30, tzinfo=NEW_YORK), True),
        (datetime(2025, 6, 7, 1, 30, tzinfo=NEW_YORK), True),  # Saturday 01:30: still Friday night
        (datetime(2025, 6, 7, 2, 0, tzinfo=NEW_YORK), False),  # Saturday 02:00: over
        (datetime(2025, 6, 8, 1, 30, tzinfo=NEW_YORK), False),  # Sunday 01:30 belongs to Saturday night
        (datetime(2025, 6, 6, 1, 30, tzinfo=NEW_YORK), False),  # Friday 01:30 belongs to Thursday night
    ],
)
def test_time_window_across_midnight_belongs_to_the_day_it_starts(local: datetime, applied: bool) -> None:
    friday_night = percent_off(days_of_week=frozenset({4}), time_from=time(22, 0), time_to=time(2, 0))
    assert is_applied(friday_night, local.astimezone(UTC)) is applied


def test_promotion_limited_to_other_stores_does_not_apply() -> None:
    assert is_applied(percent_off(store_ids=frozenset({"US-2"})), AT) is False
    assert is_applied(percent_off(store_ids=frozenset({"US-1", "US-2"})), AT) is True


def test_pricing_needs_an_aware_moment() -> None:
    with pytest.raises(PricingError, match="aware datetime"):
        price(line("li-1", COLA, "1"), at=datetime(2025, 6, 3, 14, 31))  # noqa: DTZ001


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"starts_at": datetime(2025, 6, 1)}, "aware datetimes"),  # noqa: DTZ001
        ({"starts_at": AT, "ends_at": AT}, "ends before it starts"),
        ({"days_of_week": frozenset({7})}, "0 \\(Monday\\) to 6 \\(Sunday\\)"),
        ({"time_from": time(9)}, "needs both its start and its end"),
        ({"time_from": time(9), "time_to": time(9)}, "starts when it ends is empty"),
        ({"time_from": time(9, tzinfo=UTC), "time_to": time(10)}, "carry no time zone"),
    ],
)
def test_an_inconsistent_window_is_refused(fields: dict[str, Any], message: str) -> None:
    with pytest.raises(PromotionError, match=message):
        percent_off(**fields)


# --- The index --------------------------------------------------------------------------------------


def as_list(promotions: list[Promotion]) -> list[Promotion]:
    return promotions


# The engine matches promotions to lines two ways: through a prebuilt index, or from the plain list.
MATCHING = pytest.mark.parametrize("given", [as_list, PromotionIndex], ids=["list", "index"])


@MATCHING
def test_a_promotion_matching_a_line_several_ways_applies_once(given: Any) -> None:
    # Targets the SKU, the category and the brand of the cola: 10 % once, 0.199 → 0.20.
    everywhere = percent_off(categories=frozenset({"Drinks"}), brands=frozenset({"Acme"}))
    cart = price(line("li-1", COLA, "1"), line("li-2", COLA, "2"), promotions=given([everywhere]))
    # Second line: 10 % of 3.98 = 0.398 → 0.40.
    assert [[(d.promotion_id, d.amount) for d in priced.discounts] for priced in cart.lines] == [
        [(1, Decimal("0.20"))],
        [(1, Decimal("0.40"))],
    ]


@MATCHING
def test_a_promotion_without_targets_applies_to_every_product(given: Any) -> None:
    # 10 % off everything: cola 0.199 → 0.20, coffee 0.899 → 0.90.
    cart = price(
        line("li-1", COLA, "1"),
        line("li-2", product("COFFEE", "8.99"), "1"),
        promotions=given([percent_off(skus=frozenset())]),
    )
    assert [str(priced.discount_total) for priced in cart.lines] == ["0.20", "0.90"]


@MATCHING
def test_lines_a_promotion_matches_by_different_targets_keep_cart_order(given: Any) -> None:
    # 2 for 3.00 on the brand Acme or the SKU WATER: cola (Acme, 1.99) on line 1 and water (0.99) on
    # line 2 form one group: 2.98 ≤ 3.00 — no saving. Add chips (Acme, 2.49) on line 3: dearest first,
    # chips + cola = 4.48 → saving 1.48; chips 1.48 × 2.49 / 4.48 = 0.822589…, cola 0.657410…;
    # floors 0.82 + 0.65 = 1.47, the cent to cola (0.007410 > 0.002589): chips 0.82, cola 0.66.
    water = product("WATER", "0.99", category="Drinks", brand="Springs")
    chips = product("CHIPS", "2.49", category="Snacks", brand="Acme")
    multi_buy = Promotion(
        id=1,
        name="2 for 3.00",
        kind=PromotionKind.MULTI_BUY,
        skus=frozenset({"WATER"}),
        brands=frozenset({"Acme"}),
        buy_quantity=2,
        amount=Decimal("3.00"),
    )
    lines = (line("li-1", COLA, "1"), line("li-2", water, "1"), line("li-3", chips, "1"))
    assert price(*lines[:2], promotions=given([multi_buy])).discount_total == Decimal("0.00")
    cart = price(*lines, promotions=given([multi_buy]))
    assert [str(priced.discount_total) for priced in cart.lines] == ["0.66", "0.00", "0.82"]


def test_a_prebuilt_index_prices_like_the_list_and_can_be_reused() -> None:
    promotions = [percent_off(1, "10"), percent_off(2, "5", skus=frozenset({"COFFEE"}))]
    index = PromotionIndex(promotions)
    carts = [
        (line("li-1", COLA, "2"),),
        (line("li-1", product("COFFEE", "8.99"), "1"), line("li-2", COLA, "1")),
    ]
    for lines in carts:
        assert price(*lines, promotions=index) == price(*lines, promotions=promotions)


def test_promotion_ids_must_be_unique() -> None:
    with pytest.raises(PromotionError, match="Promotion id 1 is given twice"):
        PromotionIndex([percent_off(1), percent_off(1, "20")])
    with pytest.raises(PromotionError, match="Promotion id 1 is given twice"):
        price(line("li-1", COLA, "1"), promotions=[percent_off(1), percent_off(1, "20")])


def test_priced_lines_and_discounts_are_the_frozen_dataclasses_their_constructors_give() -> None:
    # The engine builds them without __init__ (orders/pricing/types.py); they must not differ in any way.
    cart = price(line("li-1", COLA, "2"), promotions=[percent_off()])
    priced, discount = cart.lines[0], cart.lines[0].discounts[0]
    for instance in (priced, discount):
        cls = type(instance)
        assert vars(instance).keys() == {field.name for field in dataclasses.fields(cls)}
        rebuilt = cls(**vars(instance))
        assert (rebuilt, hash(rebuilt), repr(rebuilt)) == (instance, hash(instance), repr(instance))
        assert dataclasses.replace(instance) == instance
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(instance, "amount", Decimal(0))  # noqa: B010 (the field name is the point)


# --- Invariants over many random carts ---------------------------------------------------------------


def random_promotion(rng: random.Random, id: int, skus: list[str]) -> Promotion:
    kind = rng.choice(list(PromotionKind))
    fields: dict[str, Any] = {"priority": rng.randint(0, 3), "is_exclusive": rng.random() < 0.2}
    if rng.random() < 0.5:
        fields["skus"] = frozenset(rng.sample(skus, 4))
    else:
        fields["categories"] = frozenset({rng.choice(["A", "B", "C"])})
    if kind is PromotionKind.PERCENT_OFF:
        fields["percent"] = Decimal(rng.choice(["5", "12.5", "33", "100"]))
    elif kind in (PromotionKind.AMOUNT_OFF, PromotionKind.FIXED_PRICE):
        fields["amount"] = Decimal(rng.choice(["0.10", "0.99", "2.50"]))
    elif kind is PromotionKind.MULTI_BUY:
        fields.update(buy_quantity=rng.randint(2, 4), amount=Decimal(rng.choice(["1.00", "3.33", "5.00"])))
    elif kind is PromotionKind.BUY_X_GET_Y:
        fields.update(buy_quantity=rng.randint(1, 3), get_quantity=rng.randint(1, 2))
    else:
        fields["minimum_spend"] = Decimal(rng.choice(["0", "5.00", "20.00"]))
        fields["amount" if rng.random() < 0.5 else "percent"] = Decimal(rng.choice(["1", "3", "7"]))
    return Promotion(id=id, name=f"random {id}", kind=kind, **fields)


def test_random_carts_always_add_up_and_never_discount_a_unit_twice() -> None:
    rng = random.Random(20250603)
    store = store_pricing(tax_rates={"STD": Decimal("0.0875"), "LOW": Decimal("0.02")})
    products = [
        PricedProduct(
            sku=f"P{n}",
            price=Decimal(rng.randint(1, 1500)) / 100,
            unit=SaleUnit.KG if n % 5 == 0 else SaleUnit.EACH,
            tax_code=rng.choice(["STD", "LOW", "EXEMPT"]),
            category=rng.choice(["A", "B", "C"]),
        )
        for n in range(30)
    ]
    skus = [item.sku for item in products]
    for _ in range(150):
        promotions = [random_promotion(rng, id, skus) for id in range(rng.randint(0, 8))]
        lines = [
            CartLine(
                f"li-{n}",
                item,
                Decimal(rng.randint(1, 3000)) / 1000 if item.unit is SaleUnit.KG else Decimal(rng.randint(1, 7)),
            )
            for n, item in enumerate(rng.sample(products, rng.randint(1, 12)))
        ]
        cart = cart_price(lines=lines, store=store, promotions=promotions, at=AT)
        by_promotion: dict[int, Decimal] = defaultdict(Decimal)
        for priced in cart.lines:
            assert priced.net >= 0
            assert priced.discount_total == sum((d.amount for d in priced.discounts), Decimal(0))
            assert priced.net == priced.gross - priced.discount_total
            assert priced.total == priced.net + priced.tax
            line_units = [d.quantity for d in priced.discounts if PROMOTION_KINDS[d.kind].scope is Scope.LINE]
            assert sum(line_units, Decimal(0)) <= priced.quantity
            for discount in priced.discounts:
                assert discount.amount > 0
                by_promotion[discount.promotion_id] += discount.amount
        assert {p.promotion_id: p.amount for p in cart.promotions} == by_promotion
        assert cart.subtotal == sum((priced.gross for priced in cart.lines), Decimal(0))
        assert cart.discount_total == sum((priced.discount_total for priced in cart.lines), Decimal(0))
        assert cart.tax_total == sum((priced.tax for priced in cart.lines), Decimal(0))
        assert cart.total == sum((priced.total for priced in cart.lines), Decimal(0))
        assert cart.total == cart.subtotal - cart.discount_total + cart.tax_total
        # The same promotions in another order price the same cart the same way.
        assert cart_price(lines=lines, store=store, promotions=promotions[::-1], at=AT) == cart
