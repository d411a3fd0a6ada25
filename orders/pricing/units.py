"""A cart line's quantity in the product's sale unit, converted exactly — or the reason it cannot be.

Amazon sends each line's ``quantity`` as ``{"value": "1.5", "unit": "lb"}`` (SPEC §10.2): the value a
decimal string, the unit a free string ("unit" for count items is the only one published). A
product is priced per its own sale unit (each, kg, g, lb, oz, l), so the line's quantity is
converted into that unit before pricing: 1.5 lb of a product at 6.79/kg is 0.680389 kg → 4.62,
never 1.5 × 6.79.

* Conversions are exact ``Decimal`` arithmetic on the international definitions (1 lb =
  0.45359237 kg, 1 oz = 1/16 lb, 1 US fl oz = 29.5735295625 ml, 1 US gallon = 3.785411784 l), then
  rounded half-up to :data:`QUANTITY_PLACES` (6), the places a purchase line keeps: the priced
  quantity is stored and can be multiplied out by hand.
* A unit of another kind than the product's (a count for a per-kg product, a weight for an
  item sold by the unit), a unit string we do not know, or a fractional count of an item sold by
  the unit is refused with a sentence staff can act on — the line becomes a bad-cart line, never
  a guess.
* [INFERRED] Amazon has not published its list of unit strings. :data:`DEFAULT_ALIASES` maps the
  strings we expect (case-insensitive, spaces collapsed) to our units; a deployment adds its own
  with ``JWO_QUANTITY_UNIT_ALIASES`` (read by ``orders.selectors.pricing.quantity_unit_aliases``).

Pure Python, like the rest of ``orders.pricing``: no database, no settings.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, localcontext
from enum import StrEnum
from typing import Final

from orders.pricing.types import SaleUnit

QUANTITY_PLACES: Final = 6
_QUANTUM: Final = Decimal(1).scaleb(-QUANTITY_PLACES)


class Dimension(StrEnum):
    COUNT = "count"
    MASS = "mass"
    VOLUME = "volume"


@dataclass(frozen=True, slots=True)
class Unit:
    """A unit we can convert: its kind and how many base units (1 item, 1 kg, 1 l) one of it is."""

    name: str
    dimension: Dimension
    factor: Decimal


_POUND: Final = Decimal("0.45359237")  # kg, exactly (international pound, 1959)
_US_GALLON: Final = Decimal("3.785411784")  # l, exactly (231 cubic inches)

UNITS: Final[Mapping[str, Unit]] = {
    unit.name: unit
    for unit in (
        Unit("each", Dimension.COUNT, Decimal(1)),
        Unit("kg", Dimension.MASS, Decimal(1)),
        Unit("g", Dimension.MASS, Decimal("0.001")),
        Unit("mg", Dimension.MASS, Decimal("0.000001")),
        Unit("lb", Dimension.MASS, _POUND),
        Unit("oz", Dimension.MASS, _POUND / 16),  # 0.028349523125, exact
        Unit("l", Dimension.VOLUME, Decimal(1)),
        Unit("dl", Dimension.VOLUME, Decimal("0.1")),
        Unit("cl", Dimension.VOLUME, Decimal("0.01")),
        Unit("ml", Dimension.VOLUME, Decimal("0.001")),
        Unit("gal", Dimension.VOLUME, _US_GALLON),
        Unit("qt", Dimension.VOLUME, _US_GALLON / 4),
        Unit("pt", Dimension.VOLUME, _US_GALLON / 8),
        Unit("fl oz", Dimension.VOLUME, _US_GALLON / 128),  # 0.0295735295625, exact
    )
}

# [INFERRED] The strings Amazon may send in ``quantity.unit``, lower-case, mapped to a unit above.
DEFAULT_ALIASES: Final[Mapping[str, str]] = {
    **dict.fromkeys(
        ("unit", "units", "each", "ea", "pc", "pcs", "piece", "pieces", "count", "ct", "item", "items"), "each"
    ),
    **dict.fromkeys(("kg", "kgs", "kilo", "kilos", "kilogram", "kilograms", "kilogramme", "kilogrammes"), "kg"),
    **dict.fromkeys(("g", "gr", "grs", "gram", "grams", "gramme", "grammes"), "g"),
    **dict.fromkeys(("mg", "milligram", "milligrams"), "mg"),
    **dict.fromkeys(("lb", "lbs", "pound", "pounds"), "lb"),
    **dict.fromkeys(("oz", "ounce", "ounces"), "oz"),
    **dict.fromkeys(("l", "lt", "ltr", "litre", "litres", "liter", "liters"), "l"),
    **dict.fromkeys(("dl", "decilitre", "decilitres", "deciliter", "deciliters"), "dl"),
    **dict.fromkeys(("cl", "centilitre", "centilitres", "centiliter", "centiliters"), "cl"),
    **dict.fromkeys(("ml", "millilitre", "millilitres", "milliliter", "milliliters"), "ml"),
    **dict.fromkeys(("gal", "gallon", "gallons"), "gal"),
    **dict.fromkeys(("qt", "quart", "quarts"), "qt"),
    **dict.fromkeys(("pt", "pint", "pints"), "pt"),
    **dict.fromkeys(("fl oz", "floz", "fl_oz", "fl. oz", "fl. oz.", "fluid ounce", "fluid ounces"), "fl oz"),
}

# How a message names the sale unit: "per kg", "per item".
SALE_UNIT_WORDS: Final[Mapping[SaleUnit, str]] = {unit: unit.value for unit in SaleUnit} | {SaleUnit.EACH: "item"}


class QuantityUnitError(ValueError):
    """The line's quantity cannot be priced in the product's sale unit; ``str()`` says why."""


def quantity_text(quantity: Decimal) -> str:
    """A quantity without trailing zeros, never in exponent form.

    >>> quantity_text(Decimal("2.000000")), quantity_text(Decimal("0.750000")), quantity_text(Decimal("10"))
    ('2', '0.75', '10')
    """
    return format(quantity.normalize(), "f")


def unit_key(text: str) -> str:
    """An alias table's key: lower case, surrounding spaces dropped, inner runs of spaces as one."""
    return " ".join(text.lower().split())


def aliases_with(extra: Mapping[str, str]) -> dict[str, str]:
    """The default aliases with ``extra`` on top (keys normalised); ValueError names an alias whose
    unit is not one of :data:`UNITS`."""
    merged = dict(DEFAULT_ALIASES)
    for alias, unit in extra.items():
        if unit not in UNITS:
            raise ValueError(f"quantity unit alias {alias!r} names {unit!r}, which is not one of {', '.join(UNITS)}")
        merged[unit_key(alias)] = unit
    return merged


def unit_find(text: str, aliases: Mapping[str, str] = DEFAULT_ALIASES) -> Unit | None:
    """The unit ``text`` means, or None when the alias table does not know it."""
    name = aliases.get(unit_key(text))
    return UNITS[name] if name is not None else None


def quantity_in_sale_unit(
    value: Decimal, unit_text: str, sale_unit: SaleUnit, aliases: Mapping[str, str] = DEFAULT_ALIASES
) -> Decimal:
    """``value`` of ``unit_text`` expressed in ``sale_unit``, rounded half-up to 6 places.

    >>> quantity_in_sale_unit(Decimal("1.5"), "lb", SaleUnit.KG)
    Decimal('0.680389')
    >>> quantity_in_sale_unit(Decimal("250"), "G", SaleUnit.KG)
    Decimal('0.250000')
    >>> quantity_in_sale_unit(Decimal("2.0"), "unit", SaleUnit.EACH)
    Decimal('2.000000')
    >>> quantity_in_sale_unit(Decimal("1"), "unit", SaleUnit.KG)
    Traceback (most recent call last):
    ...
    orders.pricing.units.QuantityUnitError: unit "unit" cannot be priced per kg (a count, not a weight)

    Raises QuantityUnitError when it cannot be converted (see the module's docstring).
    """
    per = SALE_UNIT_WORDS[sale_unit]
    sent = unit_find(unit_text, aliases)
    if sent is None:
        raise QuantityUnitError(f'unit "{unit_text}" cannot be priced per {per} (not a unit we know)')
    target = UNITS[sale_unit.value]
    if sent.dimension is not target.dimension:
        raise QuantityUnitError(
            f'unit "{unit_text}" cannot be priced per {per} '
            f"(a {_DIMENSION_NOUNS[sent.dimension]}, not a {_DIMENSION_NOUNS[target.dimension]})"
        )
    if target.dimension is Dimension.COUNT and value != value.to_integral_value():
        raise QuantityUnitError(f'{value} "{unit_text}" cannot be priced per {per} (a count must be whole)')
    with localcontext() as context:
        context.prec = 50  # far beyond any quantity of ≤ 10 characters times a factor: exact before rounding
        converted = (value * sent.factor / target.factor).quantize(_QUANTUM, rounding=ROUND_HALF_UP)
    if converted <= 0:
        raise QuantityUnitError(f'{value} "{unit_text}" is less than {_QUANTUM} {target.name}, too little to price')
    return converted


_DIMENSION_NOUNS: Final = {Dimension.COUNT: "count", Dimension.MASS: "weight", Dimension.VOLUME: "volume"}
