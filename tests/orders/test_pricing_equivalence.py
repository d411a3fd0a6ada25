"""The engine prices every cart exactly as recorded in ``pricing_golden.json`` (see ``pricing_golden.py``).

Random stores, promotions and 50-line carts, small carts with few promotions, and largest-remainder
ties go through ``cart_price`` with the store's index and with the plain list; each result must
match the recorded one digit for digit (the SHA-256 of its ``repr``; the totals and the sample
carts' lines are compared first, so a difference reads as amounts).
"""

from typing import Any

import pytest

from orders.pricing.promotions import PromotionIndex
from orders.pricing.types import PricedCart
from tests.orders.pricing_golden import (
    RANDOM_SEEDS,
    SMALL_SEEDS,
    Case,
    golden_load,
    priced,
    random_cases,
    record,
    small_cases,
    tie_cases,
)

GOLDEN = golden_load()


def assert_priced_as_recorded(cases: list[Case]) -> None:
    for key, lines, pricing, promotion_list, at in cases:
        for given in (PromotionIndex(promotion_list), promotion_list):
            got: dict[str, Any] = record(key, priced(lines, pricing, given, at))
            assert got == GOLDEN[key], key


def test_the_fixture_holds_every_case() -> None:
    keys = [case[0] for seed in RANDOM_SEEDS for case in random_cases(seed)]
    keys += [case[0] for seed in SMALL_SEEDS for case in small_cases(seed)]
    keys += [case[0] for case in tie_cases()]
    assert sorted(keys) == sorted(GOLDEN)
    assert len(keys) == 12 * 15 + 6 * 60 + 5


@pytest.mark.parametrize("seed", RANDOM_SEEDS)
def test_random_carts_price_exactly_as_recorded(seed: int) -> None:
    assert_priced_as_recorded(list(random_cases(seed)))


@pytest.mark.parametrize("seed", SMALL_SEEDS)
def test_small_carts_with_few_promotions_price_exactly_as_recorded(seed: int) -> None:
    # Few lines and promotions: more carts where one promotion's groups, thresholds and ties decide.
    assert_priced_as_recorded(list(small_cases(seed)))


def test_equal_nets_sharing_a_basket_discount_price_as_recorded() -> None:
    # Ties in the largest-remainder sharing: 3 lines of the same net share 10.00 (3.34, 3.33, 3.33),
    # and nets of different sizes whose shares leave the same remainder: 32.00 over 21.00, 3.00, 21.00
    # gives exact shares 14.9333…, 2.1333…, 14.9333… and one cent left; in allocate_money's 28 digits
    # the smaller share keeps one more 3, so it gets the cent: 14.93, 2.14, 14.93 (not 14.94, 2.13, 14.93).
    cases = list(tie_cases())
    assert_priced_as_recorded(cases)
    _, lines, pricing, promotion_list, at = cases[0]
    first = priced(lines, pricing, promotion_list, at)
    assert isinstance(first, PricedCart)
    assert [str(line.discount_total) for line in first.lines] == ["3.34", "3.33", "3.33"]
    _, lines, pricing, promotion_list, at = cases[-1]
    last = priced(lines, pricing, promotion_list, at)
    assert isinstance(last, PricedCart)
    assert [str(line.discount_total) for line in last.lines] == ["14.93", "2.14", "14.93"]


def test_a_changed_amount_is_caught() -> None:
    # The fixture compares digits, not values: 2.5 for 2.50 in one line is a different cart.
    key, lines, pricing, promotion_list, at = next(tie_cases())
    cart = priced(lines, pricing, promotion_list, at)
    assert isinstance(cart, PricedCart)
    assert record(key, cart) == GOLDEN[key]
    first = cart.lines[0]
    changed = PricedCart(
        **{
            **{name: getattr(cart, name) for name in cart.__dataclass_fields__},
            "lines": (type(first)(**{**first.__dict__, "gross": first.gross.normalize()}), *cart.lines[1:]),
        }
    )
    assert changed == cart
    assert record(key, changed)["sha256"] != GOLDEN[key]["sha256"]
