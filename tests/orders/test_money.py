"""Minor units and the one rounding rule (jwo_admin.core.money), with its doctests run here."""

import doctest
from decimal import Decimal

import pytest

from catalog import amazon_items
from jwo_admin.core import money
from jwo_admin.core.money import allocate_money, currency_places, minor_unit, quantize_money, round_half_up
from orders.pricing import tax

CENT = Decimal("0.01")


@pytest.mark.parametrize("module", [money, tax], ids=["money", "tax"])
def test_doctests_pass(module: object) -> None:
    failed, attempted = doctest.testmod(module, optionflags=doctest.ELLIPSIS)  # type: ignore[arg-type]
    assert (failed, attempted > 0) == (0, True)


def test_minor_units_are_the_ones_catalog_prices_are_sent_to_amazon_with() -> None:
    assert dict(money.CURRENCY_PLACES) == amazon_items.CURRENCY_PLACES
    for currency in ["USD", "EUR", "GBP", "JPY", "KRW", "ISK", "BHD", "KWD", "OMR", "JOD", "TND", "XYZ", "jpy"]:
        assert currency_places(currency) == amazon_items.currency_places(currency)


@pytest.mark.parametrize(
    ("currency", "unit"),
    [("USD", "0.01"), ("EUR", "0.01"), ("JPY", "1"), ("jpy", "1"), ("KWD", "0.001"), ("BHD", "0.001"), ("XYZ", "0.01")],
)
def test_minor_unit_follows_iso_4217(currency: str, unit: str) -> None:
    assert minor_unit(currency) == Decimal(unit)
    assert minor_unit(currency).as_tuple().exponent == Decimal(unit).as_tuple().exponent


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        ("2.345", "USD", "2.35"),  # the tie goes up
        ("2.3449999", "USD", "2.34"),
        ("2.365", "USD", "2.37"),  # half-up, not banker's half-even (2.36)
        ("-2.345", "USD", "-2.35"),  # ties away from zero
        ("0.005", "EUR", "0.01"),
        ("0.004", "EUR", "0.00"),
        ("1", "USD", "1.00"),
        ("150.5", "JPY", "151"),
        ("149.49", "JPY", "149"),
        ("1.2345", "KWD", "1.235"),
        ("1.2344", "BHD", "1.234"),
    ],
)
def test_quantize_money_rounds_half_up_to_the_minor_unit(amount: str, currency: str, expected: str) -> None:
    result = quantize_money(Decimal(amount), currency)
    assert (result, str(result)) == (Decimal(expected), expected)


def test_round_half_up_is_not_bankers_rounding() -> None:
    assert round_half_up(Decimal("0.125"), CENT) == Decimal("0.13")
    assert round_half_up(Decimal("0.135"), CENT) == Decimal("0.14")
    assert round_half_up(Decimal("2.5"), Decimal(1)) == Decimal("3")


def test_allocation_gives_the_left_over_cents_to_the_largest_dropped_fractions() -> None:
    # 10.00 over 30.00, 20.00, 50.00: exact shares 3.00, 2.00, 5.00: nothing left over.
    assert allocate_money(Decimal("10.00"), [Decimal("30"), Decimal("20"), Decimal("50")], CENT) == [
        Decimal("3.00"),
        Decimal("2.00"),
        Decimal("5.00"),
    ]
    # 1.00 over 1, 2, 4 (Σ 7): exact 0.142857…, 0.285714…, 0.571428… → floors 0.14 + 0.28 + 0.57 = 0.99;
    # one cent left; dropped fractions 0.002857, 0.005714, 0.001428 → the second line gets it.
    assert allocate_money(Decimal("1.00"), [Decimal("1"), Decimal("2"), Decimal("4")], CENT) == [
        Decimal("0.14"),
        Decimal("0.29"),
        Decimal("0.57"),
    ]


def test_allocation_breaks_ties_to_the_earlier_part() -> None:
    # 0.02 over 1, 3, 1, 3 (Σ 8): exact 0.0025, 0.0075, 0.0025, 0.0075 → floors all 0.00; two cents left;
    # the largest fractions are 0.0075 (parts 2 and 4) → one cent each.
    assert allocate_money(Decimal("0.02"), [Decimal(1), Decimal(3), Decimal(1), Decimal(3)], CENT) == [
        Decimal("0.00"),
        Decimal("0.01"),
        Decimal("0.00"),
        Decimal("0.01"),
    ]
    # 0.01 over 2, 2: exact 0.005 each, equal fractions → the earlier part.
    assert allocate_money(Decimal("0.01"), [Decimal(2), Decimal(2)], CENT) == [Decimal("0.01"), Decimal("0.00")]
    # 0.03 over 1, 1, 1, 1 (0.0075 each, floors 0.00): three cents to the first three.
    assert allocate_money(Decimal("0.03"), [Decimal(1)] * 4, CENT) == [CENT, CENT, CENT, Decimal("0.00")]


def test_allocation_never_gives_a_part_more_than_its_share_rounded_up() -> None:
    # 0.25 over 50 lines of 0.01 and one of 0.50 (Σ 1.00). Half-up per line with the remainder on
    # the largest line would round each small share (0.0025) to 0.00 and give the big line all 0.25,
    # twice its share. Largest remainder: shares 0.0025 (×50) and 0.125 → floors 0.00 (×50) and 0.12;
    # 0.25 − 0.12 = 13 cents left, to the largest dropped fractions: the big line's 0.005 first, then
    # twelve 0.0025s (a tie → the earliest lines).
    weights = [Decimal("0.01")] * 50 + [Decimal("0.50")]
    parts = allocate_money(Decimal("0.25"), weights, CENT)
    assert parts[50] == Decimal("0.13")
    assert parts[:12] == [CENT] * 12
    assert parts[12:50] == [Decimal("0.00")] * 38
    assert sum(parts) == Decimal("0.25")


def test_allocation_rounds_the_total_first_and_handles_zero() -> None:
    assert allocate_money(Decimal("0.995"), [Decimal(1)], CENT) == [Decimal("1.00")]
    assert allocate_money(Decimal("7"), [Decimal(1), Decimal(1)], Decimal(1)) == [Decimal(4), Decimal(3)]
    assert allocate_money(Decimal(0), [], CENT) == []
    assert allocate_money(Decimal(0), [Decimal(0)], CENT) == [Decimal("0.00")]


def test_allocation_refuses_what_it_cannot_share() -> None:
    with pytest.raises(ValueError, match="zero weights"):
        allocate_money(Decimal("1.00"), [Decimal(0), Decimal(0)], CENT)
    with pytest.raises(ValueError, match="must not be negative"):
        allocate_money(Decimal("-1.00"), [Decimal(1)], CENT)
    with pytest.raises(ValueError, match="must not be negative"):
        allocate_money(Decimal("1.00"), [Decimal(-1), Decimal(2)], CENT)
