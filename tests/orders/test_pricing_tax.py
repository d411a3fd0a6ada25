"""Tax: rates by tax code per store, exempt codes, tax-inclusive and tax-exclusive stores, unknown codes refused.

Every expected amount is worked out by hand in the comment beside it.
"""

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from orders.pricing.engine import cart_price
from orders.pricing.tax import tax_calculate, tax_rate_resolve
from orders.pricing.types import (
    CartLine,
    PricedCart,
    PricedProduct,
    PricingError,
    Promotion,
    PromotionKind,
    StorePricing,
    TaxCodeError,
)

AT = datetime(2025, 6, 3, 14, 31, 47, tzinfo=UTC)


def us_store(**changes: Any) -> StorePricing:
    """Shelf prices before tax; 10 % standard rate, food exempt."""
    fields: dict[str, Any] = {
        "store_id": "US-1",
        "currency": "USD",
        "prices_include_tax": False,
        "time_zone": "America/New_York",
        "tax_rates": {"STD": Decimal("0.10")},
        "exempt_tax_codes": frozenset({"FOOD"}),
    }
    fields.update(changes)
    return StorePricing(**fields)


def eu_store(**changes: Any) -> StorePricing:
    """Shelf prices include VAT: 20 % standard, 5.5 % reduced, Z exempt."""
    fields: dict[str, Any] = {
        "store_id": "FR-1",
        "currency": "EUR",
        "prices_include_tax": True,
        "time_zone": "Europe/Paris",
        "tax_rates": {"A": Decimal("0.20"), "B": Decimal("0.055")},
        "exempt_tax_codes": frozenset({"Z"}),
    }
    fields.update(changes)
    return StorePricing(**fields)


def line(line_id: str, sku: str, price: str, quantity: str, tax_code: str) -> CartLine:
    return CartLine(line_id, PricedProduct(sku=sku, price=Decimal(price), tax_code=tax_code), Decimal(quantity))


def price(store: StorePricing, *lines: CartLine, promotions: tuple[Promotion, ...] = ()) -> PricedCart:
    return cart_price(lines=lines, store=store, promotions=promotions, at=AT)


def amounts(cart: PricedCart) -> list[tuple[str, str, str, str]]:
    return [(str(line.gross), str(line.net), str(line.tax), str(line.total)) for line in cart.lines]


def totals(cart: PricedCart) -> tuple[str, str, str, str]:
    return str(cart.subtotal), str(cart.discount_total), str(cart.tax_total), str(cart.total)


# --- tax_calculate --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "rate", "inclusive", "expected"),
    [
        ("10.00", "0.2", False, Decimal("2.000")),  # 10.00 × 0.2
        ("12.00", "0.2", True, Decimal("2.00")),  # 12.00 − 12.00 / 1.2 = 12.00 − 10.00
        ("0.598", "0", True, Decimal("0")),  # exempt: nothing to extract
        ("3.45", "0.055", True, Decimal("0.1798578199052132701421800948")),  # 3.45 × 0.055 / 1.055
        ("9.98", "0.10", False, Decimal("0.9980")),  # 9.98 × 0.10
    ],
)
def test_tax_calculate_extracts_or_adds_at_full_precision(
    amount: str, rate: str, inclusive: bool, expected: Decimal
) -> None:
    result = tax_calculate(Decimal(amount), Decimal(rate), prices_include_tax=inclusive)
    assert (result, str(result)) == (expected, str(expected))


def test_tax_rate_of_a_code_its_exemption_and_the_store_default() -> None:
    store = us_store(default_tax_code="STD")
    assert tax_rate_resolve(store=store, tax_code="STD", line_id="li-1", sku="S") == ("STD", Decimal("0.10"))
    assert tax_rate_resolve(store=store, tax_code="FOOD", line_id="li-1", sku="S") == ("FOOD", Decimal(0))
    assert tax_rate_resolve(store=store, tax_code="", line_id="li-1", sku="S") == ("STD", Decimal("0.10"))


# --- Stores that add tax --------------------------------------------------------------------------


def test_tax_exclusive_store_adds_tax_per_line_rounded_half_up() -> None:
    cart = price(
        us_store(),
        line("li-1", "SOAP", "4.99", "2", "STD"),  # 9.98; tax 0.998 → 1.00; total 10.98
        line("li-2", "BREAD", "3.49", "1", "FOOD"),  # exempt: tax 0.00; total 3.49
        line("li-3", "GUM", "0.35", "3", "STD"),  # 1.05; tax 0.105 → 0.11 (half-up); total 1.16
    )
    assert amounts(cart) == [
        ("9.98", "9.98", "1.00", "10.98"),
        ("3.49", "3.49", "0.00", "3.49"),
        ("1.05", "1.05", "0.11", "1.16"),
    ]
    assert [(line.tax_code, line.tax_rate) for line in cart.lines] == [
        ("STD", Decimal("0.10")),
        ("FOOD", Decimal(0)),
        ("STD", Decimal("0.10")),
    ]
    # Tax is the sum of the rounded lines: 1.00 + 0.00 + 0.11 = 1.11 (rounding the cart's
    # 0.998 + 0.105 = 1.103 once would give 1.10). Total 14.52 + 1.11 = 15.63 = 10.98 + 3.49 + 1.16.
    assert totals(cart) == ("14.52", "0.00", "1.11", "15.63")
    assert cart.prices_include_tax is False


def test_tax_exclusive_store_taxes_the_net_after_discounts() -> None:
    # 2 × 5.00 = 10.00; 10 % off → 1.00; net 9.00; tax 9.00 × 0.10 = 0.90; total 9.90.
    ten_off = Promotion(
        id=1, name="10% off soap", kind=PromotionKind.PERCENT_OFF, skus=frozenset({"SOAP"}), percent=Decimal(10)
    )
    cart = price(us_store(), line("li-1", "SOAP", "5.00", "2", "STD"), promotions=(ten_off,))
    assert amounts(cart) == [("10.00", "9.00", "0.90", "9.90")]
    assert totals(cart) == ("10.00", "1.00", "0.90", "9.90")


# --- Stores whose prices include tax --------------------------------------------------------------


def test_tax_inclusive_store_extracts_tax_from_each_line() -> None:
    cart = price(
        eu_store(),
        line("li-1", "WINE", "2.99", "1", "A"),  # tax 2.99 × 0.2 / 1.2 = 0.498333… → 0.50; total 2.99
        line("li-2", "MILK", "1.15", "3", "B"),  # 3.45; tax 3.45 × 0.055 / 1.055 = 0.179857… → 0.18; total 3.45
        line("li-3", "BOOK", "5.00", "1", "Z"),  # exempt: tax 0.00; total 5.00
    )
    assert amounts(cart) == [
        ("2.99", "2.99", "0.50", "2.99"),
        ("3.45", "3.45", "0.18", "3.45"),
        ("5.00", "5.00", "0.00", "5.00"),
    ]
    # The shopper pays the shelf prices: total = subtotal = 2.99 + 3.45 + 5.00 = 11.44; tax 0.68 of it.
    assert totals(cart) == ("11.44", "0.00", "0.68", "11.44")
    assert cart.prices_include_tax is True


def test_tax_inclusive_store_extracts_tax_from_the_net_after_discounts() -> None:
    # 12.00 incl. 20 %; 10 % off → 1.20; net 10.80; tax 10.80 × 0.2 / 1.2 = 1.80; total 10.80.
    ten_off = Promotion(
        id=1, name="-10%", kind=PromotionKind.PERCENT_OFF, skus=frozenset({"WINE"}), percent=Decimal(10)
    )
    cart = price(eu_store(), line("li-1", "WINE", "12.00", "1", "A"), promotions=(ten_off,))
    assert amounts(cart) == [("12.00", "10.80", "1.80", "10.80")]
    assert totals(cart) == ("12.00", "1.20", "1.80", "10.80")


def test_zero_decimal_currency_tax_in_whole_yen() -> None:
    store = StorePricing(
        store_id="JP-1",
        currency="JPY",
        prices_include_tax=True,
        time_zone="Asia/Tokyo",
        tax_rates={"FOOD8": Decimal("0.08"), "STD10": Decimal("0.10")},
    )
    cart = price(
        store,
        line("li-1", "ONIGIRI", "162", "1", "FOOD8"),  # 162 × 0.08 / 1.08 = 12 exactly
        line("li-2", "BATTERY", "398", "2", "STD10"),  # 796 × 0.10 / 1.10 = 72.3636… → 72
    )
    assert amounts(cart) == [("162", "162", "12", "162"), ("796", "796", "72", "796")]
    assert totals(cart) == ("958", "0", "84", "958")


# --- A tax that cannot be determined is an error ----------------------------------------------------


def test_unknown_tax_code_fails_the_cart_naming_the_line_and_sku() -> None:
    with pytest.raises(TaxCodeError) as raised:
        price(
            us_store(),
            line("li-1", "SOAP", "4.99", "1", "STD"),
            line("li-2", "CIGARS", "19.99", "1", "TOBACCO"),
        )
    error = raised.value
    assert (error.line_id, error.sku, error.tax_code) == ("li-2", "CIGARS", "TOBACCO")
    assert error.message == "Line li-2: product CIGARS has tax code 'TOBACCO', which store US-1 has no rate for."
    assert error.extra == {"line_id": "li-2", "sku": "CIGARS", "tax_code": "TOBACCO"}


def test_missing_tax_code_without_a_store_default_fails() -> None:
    with pytest.raises(TaxCodeError) as raised:
        price(us_store(), line("li-7", "MYSTERY", "1.00", "1", ""))
    assert (raised.value.line_id, raised.value.sku, raised.value.tax_code) == ("li-7", "MYSTERY", "")
    assert raised.value.message == "Line li-7: product MYSTERY has no tax code and store US-1 has no default tax code."


def test_missing_tax_code_takes_the_store_default() -> None:
    # 1.00 at the default STD 10 %: tax 0.10, total 1.10.
    cart = price(us_store(default_tax_code="STD"), line("li-7", "MYSTERY", "1.00", "1", ""))
    assert amounts(cart) == [("1.00", "1.00", "0.10", "1.10")]
    assert (cart.lines[0].tax_code, cart.lines[0].tax_rate) == ("STD", Decimal("0.10"))


def test_a_code_is_never_guessed_even_when_its_name_looks_like_a_known_one() -> None:
    with pytest.raises(TaxCodeError, match="'std'"):
        price(us_store(), line("li-1", "SOAP", "4.99", "1", "std"))


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"default_tax_code": "NOPE"}, "default tax code 'NOPE' has no rate"),
        ({"exempt_tax_codes": frozenset({"STD"})}, r"tax codes \['STD'\] are both rated and exempt"),
        ({"tax_rates": {"STD": Decimal("-0.1")}}, "is not a Decimal ≥ 0"),
        ({"tax_rates": {"STD": 0.1}}, "is not a Decimal ≥ 0"),
        ({"time_zone": "Mars/Olympus_Mons"}, "unknown time zone"),
        ({"currency": "usd"}, "is not an ISO 4217 code"),
    ],
)
def test_store_pricing_context_is_checked_when_built(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(PricingError, match=message):
        us_store(**changes)
