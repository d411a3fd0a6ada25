"""Cart quantities converted into the product's sale unit: every pair worked out by hand, the edges
of rounding, what cannot be converted, the alias table, and properties over many quantities."""

import doctest
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orders.pricing import units
from orders.pricing.cart import SentLine, cart_price_sent
from orders.pricing.types import PricedProduct, Promotion, PromotionKind, SaleUnit, StorePricing
from orders.pricing.units import QuantityUnitError, aliases_with, quantity_in_sale_unit, unit_find

AT = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)
STORE = StorePricing(
    store_id="S1", currency="USD", prices_include_tax=False, time_zone="UTC", tax_rates={"FOOD": Decimal("0")}
)


def test_doctests_pass() -> None:
    failed, attempted = doctest.testmod(units)
    assert (failed, attempted > 0) == (0, True)


@pytest.mark.parametrize(
    ("value", "unit", "sale_unit", "expected"),
    [
        # mass → kg: 1 lb = 0.45359237 kg, 1 oz = 0.028349523125 kg, exactly
        ("1.5", "lb", SaleUnit.KG, "0.680389"),  # 0.680388555 → half-up at the 6th place
        ("2", "lb", SaleUnit.KG, "0.907185"),  # 0.90718474
        ("16", "oz", SaleUnit.KG, "0.453592"),  # 0.45359237
        ("1", "oz", SaleUnit.KG, "0.028350"),  # 0.028349523125
        ("250", "g", SaleUnit.KG, "0.250000"),
        ("1", "mg", SaleUnit.KG, "0.000001"),
        ("0.75", "kg", SaleUnit.KG, "0.750000"),
        # mass → g, lb, oz
        ("0.5", "kg", SaleUnit.G, "500.000000"),
        ("1", "lb", SaleUnit.G, "453.592370"),
        ("1", "oz", SaleUnit.G, "28.349523"),  # 28.349523125
        ("1", "kg", SaleUnit.LB, "2.204623"),  # 2.2046226218…
        ("500", "g", SaleUnit.LB, "1.102311"),  # 1.1023113109…
        ("8", "oz", SaleUnit.LB, "0.500000"),
        ("1", "lb", SaleUnit.OZ, "16.000000"),
        ("100", "g", SaleUnit.OZ, "3.527396"),  # 3.5273961949…
        # volume → l
        ("750", "ml", SaleUnit.L, "0.750000"),
        ("33", "cl", SaleUnit.L, "0.330000"),
        ("5", "dl", SaleUnit.L, "0.500000"),
        ("1", "gal", SaleUnit.L, "3.785412"),  # 3.785411784
        ("1", "qt", SaleUnit.L, "0.946353"),  # 0.946352946
        ("1", "pt", SaleUnit.L, "0.473176"),  # 0.473176473
        ("12", "fl oz", SaleUnit.L, "0.354882"),  # 0.35488235475
        # count
        ("2.0", "unit", SaleUnit.EACH, "2.000000"),
        ("3", "each", SaleUnit.EACH, "3.000000"),
        ("1", "EA", SaleUnit.EACH, "1.000000"),
        ("4", "Pcs", SaleUnit.EACH, "4.000000"),
    ],
)
def test_each_unit_pair_converts_exactly_and_rounds_half_up_at_six_places(
    value: str, unit: str, sale_unit: SaleUnit, expected: str
) -> None:
    assert quantity_in_sale_unit(Decimal(value), unit, sale_unit) == Decimal(expected)


def test_unit_strings_are_read_case_insensitively_with_spaces_collapsed() -> None:
    assert unit_find(" LBS ") == unit_find("lb") == unit_find("Pound")
    assert unit_find("Fl  Oz") == unit_find("fl oz") == unit_find("FLOZ")
    assert unit_find("oz") != unit_find("fl oz")  # an ounce of weight is not a fluid ounce


@pytest.mark.parametrize(
    ("value", "unit", "sale_unit", "reason"),
    [
        ("1", "unit", SaleUnit.KG, 'unit "unit" cannot be priced per kg (a count, not a weight)'),
        ("2", "each", SaleUnit.L, 'unit "each" cannot be priced per l (a count, not a volume)'),
        ("1", "kg", SaleUnit.EACH, 'unit "kg" cannot be priced per item (a weight, not a count)'),
        ("1", "ml", SaleUnit.G, 'unit "ml" cannot be priced per g (a volume, not a weight)'),
        ("1", "bag", SaleUnit.KG, 'unit "bag" cannot be priced per kg (not a unit we know)'),
        ("1", "", SaleUnit.EACH, 'unit "" cannot be priced per item (not a unit we know)'),
        ("2.5", "unit", SaleUnit.EACH, '2.5 "unit" cannot be priced per item (a count must be whole)'),
        ("0.4", "mg", SaleUnit.KG, '0.4 "mg" is less than 0.000001 kg, too little to price'),
    ],
)
def test_what_cannot_be_converted_says_why_and_is_never_guessed(
    value: str, unit: str, sale_unit: SaleUnit, reason: str
) -> None:
    with pytest.raises(QuantityUnitError) as refused:
        quantity_in_sale_unit(Decimal(value), unit, sale_unit)

    assert str(refused.value) == reason


def test_a_deployment_adds_its_own_unit_strings_and_a_wrong_one_is_refused() -> None:
    aliases = aliases_with({"Kilo Gram": "kg", "BX": "each"})

    assert quantity_in_sale_unit(Decimal("2"), "kilo gram", SaleUnit.KG, aliases) == Decimal("2.000000")
    assert quantity_in_sale_unit(Decimal("3"), "bx", SaleUnit.EACH, aliases) == Decimal("3.000000")
    with pytest.raises(QuantityUnitError):
        quantity_in_sale_unit(Decimal("3"), "bx", SaleUnit.EACH)  # not in the default table
    with pytest.raises(ValueError, match="'crate' names 'box'"):
        aliases_with({"crate": "box"})


def _product(price: str, unit: SaleUnit, sku: str = "P1") -> PricedProduct:
    return PricedProduct(sku=sku, price=Decimal(price), unit=unit, tax_code="FOOD")


def _price(lines: list[SentLine], promotions: list[Promotion] | None = None) -> tuple[Decimal, dict[int, str]]:
    outcome = cart_price_sent(lines=lines, store=STORE, promotions=promotions or [], at=AT)
    assert outcome.cart is not None
    return outcome.cart.total, outcome.line_problems


def test_pounds_of_a_per_kg_product_are_priced_per_kg() -> None:
    apples = _product("6.79", SaleUnit.KG)

    total, problems = _price([SentLine(0, "P1", Decimal("1.5"), "lb", apples)])

    # 1.5 lb = 0.680389 kg × 6.79 = 4.61984131 → 4.62 (not 1.5 × 6.79 = 10.19)
    assert (total, problems) == (Decimal("4.62"), {})


def test_rounding_at_the_edge_of_the_minor_unit() -> None:
    cheese = _product("10.00", SaleUnit.KG)

    # 1 oz = 0.028349523125 kg → 0.028350 kg × 10.00 = 0.2835 → 0.28 (half-up at the cent: 0.2835 → 0.28)
    # 0.05 lb = 0.0226796185 kg → 0.022680 kg × 10.00 = 0.2268 → 0.23
    # 45 g = 0.045 kg × 10.00 = 0.45 exactly
    assert _price([SentLine(0, "P1", Decimal("1"), "oz", cheese)])[0] == Decimal("0.28")
    assert _price([SentLine(0, "P1", Decimal("0.05"), "lb", cheese)])[0] == Decimal("0.23")
    assert _price([SentLine(0, "P1", Decimal("45"), "g", cheese)])[0] == Decimal("0.45")
    # 0.0005 kg × 10.00 = 0.005 → 0.01 (half-up), 0.000499 kg × 10.00 = 0.00499 → 0.00
    assert _price([SentLine(0, "P1", Decimal("0.5"), "g", cheese)])[0] == Decimal("0.01")
    assert _price([SentLine(0, "P1", Decimal("0.499"), "g", cheese)])[0] == Decimal("0.00")


def test_a_line_that_cannot_be_converted_is_left_out_and_the_rest_priced() -> None:
    apples = _product("6.79", SaleUnit.KG, "APPLE")
    cola = _product("1.99", SaleUnit.EACH, "COLA")

    total, problems = _price(
        [
            SentLine(0, "APPLE", Decimal("1"), "unit", apples),
            SentLine(1, "COLA", Decimal("2"), "unit", cola),
            SentLine(2, "COLA", Decimal("1.5"), "unit", cola),
        ]
    )

    assert total == Decimal("3.98")  # the two colas alone
    assert problems == {
        0: 'unit "unit" cannot be priced per kg (a count, not a weight)',
        2: '1.5 "unit" cannot be priced per item (a count must be whole)',
    }


def test_a_multi_buy_counts_items_not_pounds_and_an_amount_off_per_kg_follows_the_kilos() -> None:
    apples = _product("6.79", SaleUnit.KG, "APPLE")
    pears = _product("2.00", SaleUnit.EACH, "PEAR")
    three_for_five = Promotion(
        id=1,
        name="3 fruit for 5.00",
        kind=PromotionKind.MULTI_BUY,
        skus=frozenset({"APPLE", "PEAR"}),
        buy_quantity=3,
        amount=Decimal("5.00"),
    )
    apples_off = Promotion(
        id=2, name="1.00 off per kg", kind=PromotionKind.AMOUNT_OFF, skus=frozenset({"APPLE"}), amount=Decimal("1.00")
    )

    outcome = cart_price_sent(
        lines=[SentLine(0, "APPLE", Decimal("3"), "lb", apples), SentLine(1, "PEAR", Decimal("3"), "unit", pears)],
        store=STORE,
        promotions=[three_for_five, apples_off],
        at=AT,
    )

    assert outcome.cart is not None
    apple_line, pear_line = outcome.cart.lines
    # 3 lb = 1.360777 kg (1.36077711): gross × 6.79 = 9.23967… → 9.24; 1.00 off per kg: 1.360777 → 1.36
    assert (apple_line.quantity, apple_line.gross, apple_line.discount_total) == (
        Decimal("1.360777"),
        Decimal("9.24"),
        Decimal("1.36"),
    )
    # the 3 pears are one "3 for 5.00" group (6.00 → 5.00); 3 lb of apples are not 3 units
    assert (pear_line.gross, pear_line.discount_total) == (Decimal("6.00"), Decimal("1.00"))
    assert outcome.cart.total == Decimal("12.88")  # 9.24 − 1.36 + 6.00 − 1.00


# --- Properties -----------------------------------------------------------------------------------------
_prices = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("999.99"), places=2)


@settings(max_examples=300, deadline=None)
@given(grams=st.decimals(min_value=Decimal("0.001"), max_value=Decimal("99999.999"), places=3), price=_prices)
def test_the_same_mass_in_grams_or_kilos_costs_the_same(grams: Decimal, price: Decimal) -> None:
    product = _product(str(price), SaleUnit.KG)
    in_grams = _price([SentLine(0, "P1", grams, "g", product)])[0]
    in_kilos = _price([SentLine(0, "P1", grams / 1000, "kg", product)])[0]

    assert in_grams == in_kilos


@settings(max_examples=300, deadline=None)
@given(pounds=st.decimals(min_value=Decimal("0.01"), max_value=Decimal("999.99"), places=2), price=_prices)
def test_the_same_mass_in_pounds_ounces_or_grams_costs_the_same(pounds: Decimal, price: Decimal) -> None:
    """1 lb = 16 oz = 453.59237 g exactly: the same mass however it is written."""
    product = _product(str(price), SaleUnit.KG)
    in_pounds = _price([SentLine(0, "P1", pounds, "lb", product)])[0]
    in_ounces = _price([SentLine(0, "P1", pounds * 16, "oz", product)])[0]
    in_grams = _price([SentLine(0, "P1", pounds * Decimal("453.59237"), "g", product)])[0]

    assert in_pounds == in_ounces == in_grams


@settings(max_examples=300, deadline=None)
@given(pounds=st.decimals(min_value=Decimal("0.01"), max_value=Decimal("999.99"), places=2), price=_prices)
def test_a_converted_line_is_within_a_cent_of_the_exact_mass_times_the_price(pounds: Decimal, price: Decimal) -> None:
    product = _product(str(price), SaleUnit.KG)
    total = _price([SentLine(0, "P1", pounds, "lb", product)])[0]
    exact = pounds * Decimal("0.45359237") * price  # the true mass in kg, priced without rounding anything

    # rounding the kilos to 6 places moves the amount by at most 0.0000005 × 999.99 < 0.0005,
    # and rounding to the cent by at most 0.005: never a whole cent away
    assert abs(total - exact) < Decimal("0.0055")
