"""Tax: a line's rate from the store's rates by tax code, and the tax on an amount. Pure functions.

* The rate of a line is the store's rate for the product's tax code, or for the store's
  ``default_tax_code`` when the product has none. An exempt code has rate 0. A code the store has
  no rate for — or no code and no store default — raises :class:`~orders.pricing.types.TaxCodeError`
  naming the line and SKU: an item whose tax cannot be determined is an error, never a guess.
* Stores whose shelf prices include tax: the tax is extracted from the amount,
  ``tax = amount − amount / (1 + rate)`` (computed as ``amount × rate / (1 + rate)``, the same number).
  Stores that add tax: ``tax = amount × rate``. The engine rounds it half-up per line.
"""

from decimal import Decimal
from typing import Final

from orders.pricing.types import StorePricing, TaxCodeError

ZERO: Final = Decimal(0)
ONE: Final = Decimal(1)


def tax_rate_resolve(*, store: StorePricing, tax_code: str, line_id: str, sku: str) -> tuple[str, Decimal]:
    """The tax code that applies to a line (its own, else the store's default) and its rate.

    Raises ``TaxCodeError`` when the line has no code and the store no default, or when the code
    is neither rated nor exempt in the store.
    """
    code = tax_code or store.default_tax_code
    if not code:
        raise TaxCodeError(
            f"Line {line_id}: product {sku} has no tax code and store {store.store_id} has no default tax code.",
            line_id=line_id,
            sku=sku,
            tax_code="",
        )
    rate = store.tax_rates.get(code)
    if rate is not None:
        return code, rate
    if code in store.exempt_tax_codes:
        return code, ZERO
    raise TaxCodeError(
        f"Line {line_id}: product {sku} has tax code {code!r}, which store {store.store_id} has no rate for.",
        line_id=line_id,
        sku=sku,
        tax_code=code,
    )


def tax_calculate(amount: Decimal, rate: Decimal, *, prices_include_tax: bool) -> Decimal:
    """The tax on ``amount`` at ``rate`` (a fraction), unrounded: extracted from it, or to add to it.

    >>> tax_calculate(Decimal("10.00"), Decimal("0.2"), prices_include_tax=False)
    Decimal('2.000')
    >>> tax_calculate(Decimal("12.00"), Decimal("0.2"), prices_include_tax=True)
    Decimal('2.00')
    >>> tax_calculate(Decimal("10.00"), Decimal("0.2"), prices_include_tax=True)
    Decimal('1.666666666666666666666666667')
    >>> tax_calculate(Decimal("5.00"), Decimal("0"), prices_include_tax=True)
    Decimal('0')
    """
    if not rate:
        return ZERO
    if prices_include_tax:
        return amount * rate / (ONE + rate)
    return amount * rate
