"""Money: each currency's minor unit and the one rounding rule everything priced here follows.

The rule:

* Amounts are ``Decimal`` built from strings, never ``float``.
* Arithmetic runs at full ``Decimal`` precision; an amount is rounded only where it is charged or
  shown: **half-up** (ties away from zero, as on a till) **to the currency's minor unit**
  (:func:`quantize_money`). The minor units are ISO 4217's: 0 decimals for JPY, KRW, ISK; 3 for
  BHD, KWD, OMR, JOD, TND; 2 for every other code. They are the same as the places the catalog
  sends Amazon prices with (``catalog.amazon_items.CURRENCY_PLACES``; a test keeps the two equal).
* One amount shared out between several lines (a basket discount, a multi-buy saving) is rounded
  once and then split by :func:`allocate_money` (largest remainder), so the parts always add up to
  the rounded whole and no part is more than one minor unit away from its exact share.

Where pricing applies the rule (per line, then sums) is written down in ``orders/pricing/engine.py``.
"""

import operator
from collections.abc import Sequence
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from types import MappingProxyType
from typing import Final

# ISO 4217 minor units that differ from the usual 2; the same values as catalog.amazon_items.
CURRENCY_PLACES: Final = MappingProxyType(
    {"JPY": 0, "KRW": 0, "ISK": 0, "BHD": 3, "KWD": 3, "OMR": 3, "JOD": 3, "TND": 3}
)
DEFAULT_PLACES: Final = 2

_MINOR_UNITS: dict[str, Decimal] = {}


def currency_places(currency: str) -> int:
    """Decimal places of the currency's minor unit (ISO 4217); unlisted codes have 2.

    >>> currency_places("USD"), currency_places("jpy"), currency_places("KWD")
    (2, 0, 3)
    """
    return CURRENCY_PLACES.get(currency.upper(), DEFAULT_PLACES)


def minor_unit(currency: str) -> Decimal:
    """The currency's smallest amount, as the exponent ``quantize`` takes.

    >>> minor_unit("EUR"), minor_unit("JPY"), minor_unit("BHD")
    (Decimal('0.01'), Decimal('1'), Decimal('0.001'))
    """
    unit = _MINOR_UNITS.get(currency)
    if unit is None:
        unit = _MINOR_UNITS[currency] = Decimal(1).scaleb(-currency_places(currency))
    return unit


def round_half_up(amount: Decimal, unit: Decimal) -> Decimal:
    """``amount`` rounded half-up (ties away from zero) to a multiple of ``unit`` (see :func:`minor_unit`).

    >>> round_half_up(Decimal("0.125"), Decimal("0.01"))
    Decimal('0.13')
    >>> round_half_up(Decimal("-0.125"), Decimal("0.01"))
    Decimal('-0.13')
    >>> round_half_up(Decimal("0.1249999"), Decimal("0.01"))
    Decimal('0.12')
    >>> round_half_up(Decimal("2"), Decimal("0.01"))
    Decimal('2.00')
    """
    return amount.quantize(unit, ROUND_HALF_UP)  # by position: a keyword costs the decimal module more


def quantize_money(amount: Decimal, currency: str) -> Decimal:
    """``amount`` rounded half-up to the minor unit of ``currency``: the one rounding rule.

    >>> quantize_money(Decimal("2.345"), "USD")
    Decimal('2.35')
    >>> quantize_money(Decimal("2.3449"), "USD")
    Decimal('2.34')
    >>> quantize_money(Decimal("-2.345"), "EUR")
    Decimal('-2.35')
    >>> quantize_money(Decimal("150.5"), "JPY")
    Decimal('151')
    >>> quantize_money(Decimal("1.2345"), "KWD")
    Decimal('1.235')
    """
    return round_half_up(amount, minor_unit(currency))


def allocate_money(total: Decimal, weights: Sequence[Decimal], unit: Decimal) -> list[Decimal]:
    """Split ``total`` (rounded half-up to ``unit`` first) into parts proportional to ``weights``.

    Largest remainder: each part is its exact share ``total × weight / Σ weights`` rounded down to
    ``unit``; the units left over (fewer than there are parts) go one each to the parts whose
    dropped fraction is largest — on a tie, to the earlier part. So the parts
    add up to the rounded total exactly, each is within one ``unit`` of its exact share, and no
    part exceeds its exact share rounded up (a line is never given more discount than it can take).
    ``total`` and the weights must not be negative; a zero total gives zero parts.

    >>> allocate_money(Decimal("10.00"), [Decimal("1"), Decimal("1"), Decimal("1")], Decimal("0.01"))
    [Decimal('3.34'), Decimal('3.33'), Decimal('3.33')]
    >>> allocate_money(Decimal("5"), [Decimal("60.00"), Decimal("40.00")], Decimal("0.01"))
    [Decimal('3.00'), Decimal('2.00')]
    >>> allocate_money(Decimal("0.05"), [Decimal("1.00"), Decimal("3.00")], Decimal("0.01"))
    [Decimal('0.01'), Decimal('0.04')]
    >>> allocate_money(Decimal("0"), [Decimal("0"), Decimal("0")], Decimal("1"))
    [Decimal('0'), Decimal('0')]
    """
    total = round_half_up(total, unit)
    if total < 0 or (weights and min(weights) < 0):
        raise ValueError("allocate_money: the total and the weights must not be negative")
    if total == 0:
        return [total] * len(weights)
    weight_sum = sum(weights, Decimal(0))
    if weight_sum == 0:
        raise ValueError(f"allocate_money: cannot share {total} out over zero weights")
    shares = [total * weight / weight_sum for weight in weights]
    parts = [share.quantize(unit, ROUND_DOWN) for share in shares]
    left_over = int((total - sum(parts, Decimal(0))) / unit)
    if left_over:
        # Largest dropped fraction first; the sort is stable (also reversed), so on a tie the earlier part wins.
        dropped = list(map(operator.sub, shares, parts))
        for index in sorted(range(len(parts)), key=dropped.__getitem__, reverse=True)[:left_over]:
            parts[index] += unit
    return parts
