"""What the pricing engine takes and gives: frozen dataclasses, checked when they are built.

Inputs: the store's pricing context (:class:`StorePricing`), the cart's lines (:class:`CartLine`, each
carrying its :class:`PricedProduct`) and the store's promotions (:class:`Promotion`). Outputs: a
:class:`PricedCart` of :class:`PricedLine` with their :class:`LineDiscount`. A selector gathers the
inputs from the database in a few queries; nothing here touches it (STYLE §8).

Conventions:

* Money and quantities are ``Decimal`` (a ``float`` is refused). A tax rate is a fraction
  (``Decimal("0.2")`` for 20 %); a promotion's ``percent`` is a percentage (``Decimal("10")``).
* An ``each`` product is sold in whole units, so its quantity must be a whole number (``"2.0"`` is
  fine, as Amazon sends it, SPEC §10.2); weight and volume products (kg, g, lb, oz, l) take any
  positive decimal quantity, priced per that unit.
* A promotion targets the products whose SKU, category or brand is listed in ``skus``,
  ``categories`` or ``brands`` (any one match is enough; exact, case-sensitive strings). A
  promotion with no target at all applies to every product of the store — a spend-and-save on the
  whole basket, or "10 % off everything".
* A promotion's store ids limit it to those stores; none means every store of the retailer.
* Dates: ``starts_at <= local time < ends_at`` (either end open when ``None``), read on the
  store's clock like everything else in a window: the ends are wall-clock times, their date and
  time of day count and their time zone does not (they are stored as UTC), so "from 1 December
  09:00" starts at 09:00 in New York for a New York store and at 09:00 in Berlin for a Berlin one.
  Days of week (0 = Monday … 6 = Sunday, as ``datetime.weekday``) and the time of day
  ``time_from <= local time < time_to`` are read on the store's clock (its IANA time zone). A time
  window whose end is earlier than its start runs across midnight, and its hours after midnight
  belong to the day it started: Friday 22:00-02:00 covers Saturday 01:30, not Sunday 01:30.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, time
from decimal import Decimal
from enum import StrEnum
from types import MappingProxyType
from typing import Final, NoReturn, TypeGuard
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from jwo_admin.core.exceptions import ApplicationError

ONE_HUNDRED: Final = Decimal(100)
DAYS_OF_WEEK: Final = frozenset(range(7))


class PricingError(ApplicationError):
    """The cart cannot be priced; the message says which line, product or promotion and why."""


class PromotionError(PricingError):
    """A promotion whose definition is inconsistent (missing value, percentage above 100, ...)."""


class CartLineError(PricingError):
    """A cart line that cannot be priced as sent (bad quantity, missing or negative price)."""

    def __init__(self, message: str, *, line_id: str, sku: str) -> None:
        super().__init__(message, {"line_id": line_id, "sku": sku})
        self.line_id = line_id
        self.sku = sku


class TaxCodeError(PricingError):
    """A line whose tax cannot be determined: its tax code is unknown, or it has none and the store no default."""

    def __init__(self, message: str, *, line_id: str, sku: str, tax_code: str) -> None:
        super().__init__(message, {"line_id": line_id, "sku": sku, "tax_code": tax_code})
        self.line_id = line_id
        self.sku = sku
        self.tax_code = tax_code


class SaleUnit(StrEnum):
    """How a product is sold; the values of ``catalog.models.SaleUnit``."""

    EACH = "each"
    KG = "kg"
    G = "g"
    LB = "lb"
    OZ = "oz"
    L = "l"


class PromotionKind(StrEnum):
    """The benefits retailers run; ``orders.pricing.promotions.PROMOTION_KINDS`` maps each to its rule."""

    PERCENT_OFF = "percent_off"  # percent off each targeted unit
    AMOUNT_OFF = "amount_off"  # amount off each targeted unit (or kg, lb, ...), at most its price
    FIXED_PRICE = "fixed_price"  # each targeted unit at ``amount`` (never dearer than its price)
    MULTI_BUY = "multi_buy"  # ``buy_quantity`` targeted units for ``amount`` ("3 for 5.00")
    BUY_X_GET_Y = "buy_x_get_y"  # of each buy+get targeted units, the ``get`` cheapest free (or ``percent`` off)
    SPEND_AND_SAVE = "spend_and_save"  # targeted basket ≥ ``minimum_spend``: ``amount`` or ``percent`` off it


@dataclass(frozen=True, slots=True)
class KindFields:
    """What a kind of promotion takes: its name for staff, the value fields it needs and those it may have.

    Any other value field must be empty. The staff form (``orders.forms.PromotionForm``) reads this
    table and :func:`promotion_value_problems` rather than a copy of them, so a promotion staff may
    save is exactly one the engine accepts.
    """

    label: str
    required: frozenset[str]
    optional: frozenset[str] = frozenset()


PROMOTION_KIND_FIELDS: Final[Mapping[PromotionKind, KindFields]] = MappingProxyType(
    {
        PromotionKind.PERCENT_OFF: KindFields("Percent off each unit", frozenset({"percent"})),
        PromotionKind.AMOUNT_OFF: KindFields("Amount off each unit", frozenset({"amount"})),
        PromotionKind.FIXED_PRICE: KindFields("Fixed price per unit", frozenset({"amount"})),
        PromotionKind.MULTI_BUY: KindFields("Multi-buy (N for a price)", frozenset({"buy_quantity", "amount"})),
        PromotionKind.BUY_X_GET_Y: KindFields(
            "Buy X get Y (free or percent off)", frozenset({"buy_quantity", "get_quantity"}), frozenset({"percent"})
        ),
        PromotionKind.SPEND_AND_SAVE: KindFields(
            "Spend and save (basket)", frozenset({"minimum_spend"}), frozenset({"amount", "percent"})
        ),
    }
)
VALUE_FIELDS: Final = ("percent", "amount", "buy_quantity", "get_quantity", "minimum_spend")


class ValueProblem(StrEnum):
    """What is wrong with one value field of a promotion (:func:`promotion_value_problems`)."""

    MISSING = "missing"  # the kind needs it and it is empty
    UNUSED = "unused"  # the kind has no use for it and it is filled
    PERCENT_OUT_OF_RANGE = "percent_out_of_range"  # not a Decimal above 0 and at most 100
    NEGATIVE = "negative"  # an amount or minimum spend that is not a Decimal ≥ 0
    AMOUNT_OFF_ZERO = "amount_off_zero"  # an amount off of 0 takes nothing off
    AMOUNT_AND_PERCENT = "amount_and_percent"  # a spend and save with both (reported on ``percent``)
    NEITHER_AMOUNT_NOR_PERCENT = "neither_amount_nor_percent"  # a spend and save with neither (on ``amount``)
    NOT_WHOLE = "not_whole"  # a quantity that is not a whole number ≥ 1


def promotion_value_problems(*, kind: PromotionKind, values: Mapping[str, object]) -> list[tuple[str, ValueProblem]]:
    """Every problem of a ``kind`` promotion's value fields (``values``: :data:`VALUE_FIELDS`, ``None``
    when empty), as (field, problem) in the order they are checked: fields needed but empty (in
    name order), fields filled but of no use (in name order), then the values themselves. A field
    of no use is not checked further: staff are told to empty it, not to correct it.
    """
    rule = PROMOTION_KIND_FIELDS[kind]
    present = {name for name in VALUE_FIELDS if values.get(name) is not None}
    unused = present - rule.required - rule.optional
    problems = [(name, ValueProblem.MISSING) for name in sorted(rule.required - present)]
    problems += [(name, ValueProblem.UNUSED) for name in sorted(unused)]
    used = {name: None if name in unused else values.get(name) for name in VALUE_FIELDS}
    percent, amount, minimum_spend = used["percent"], used["amount"], used["minimum_spend"]
    if percent is not None and not (_is_decimal(percent) and 0 < percent <= ONE_HUNDRED):
        problems.append(("percent", ValueProblem.PERCENT_OUT_OF_RANGE))
    if amount is not None and not (_is_decimal(amount) and amount >= 0):
        problems.append(("amount", ValueProblem.NEGATIVE))
    elif kind == PromotionKind.AMOUNT_OFF and amount == 0:
        problems.append(("amount", ValueProblem.AMOUNT_OFF_ZERO))
    if minimum_spend is not None and not (_is_decimal(minimum_spend) and minimum_spend >= 0):
        problems.append(("minimum_spend", ValueProblem.NEGATIVE))
    if kind == PromotionKind.SPEND_AND_SAVE and amount is not None and percent is not None:
        problems.append(("percent", ValueProblem.AMOUNT_AND_PERCENT))
    elif kind == PromotionKind.SPEND_AND_SAVE and amount is None and percent is None:
        problems.append(("amount", ValueProblem.NEITHER_AMOUNT_NOR_PERCENT))
    for name in ("buy_quantity", "get_quantity"):
        quantity = used[name]
        if quantity is not None and (isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 1):
            problems.append((name, ValueProblem.NOT_WHOLE))
    return problems


def _is_decimal(value: object) -> TypeGuard[Decimal]:
    return isinstance(value, Decimal) and value.is_finite()


def _is_aware(value: datetime) -> bool:
    return value.tzinfo is not None and value.utcoffset() is not None


@dataclass(frozen=True, slots=True)
class StorePricing:
    """A store's pricing context: currency, whether shelf prices include tax, clock, and tax rates.

    ``tax_rates`` maps a tax code to its rate (a fraction); ``exempt_tax_codes`` are codes taxed at 0
    on purpose. A product without a tax code is taxed under ``default_tax_code`` if the store has
    one; otherwise — or if its code is neither rated nor exempt — pricing raises ``TaxCodeError``.
    """

    store_id: str
    currency: str
    prices_include_tax: bool
    time_zone: str
    tax_rates: Mapping[str, Decimal]
    exempt_tax_codes: frozenset[str] = frozenset()
    default_tax_code: str = ""
    zone: ZoneInfo = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if len(self.currency) != 3 or not self.currency.isalpha() or not self.currency.isupper():
            raise PricingError(f"Store {self.store_id}: currency {self.currency!r} is not an ISO 4217 code.")
        try:
            zone = ZoneInfo(self.time_zone)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise PricingError(f"Store {self.store_id}: unknown time zone {self.time_zone!r}.") from error
        object.__setattr__(self, "zone", zone)
        for code, rate in self.tax_rates.items():
            if not _is_decimal(rate) or rate < 0:
                raise PricingError(f"Store {self.store_id}: tax rate {rate!r} of {code!r} is not a Decimal ≥ 0.")
        both = self.exempt_tax_codes & self.tax_rates.keys()
        if both:
            raise PricingError(f"Store {self.store_id}: tax codes {sorted(both)} are both rated and exempt.")
        if self.default_tax_code and not (
            self.default_tax_code in self.tax_rates or self.default_tax_code in self.exempt_tax_codes
        ):
            raise PricingError(f"Store {self.store_id}: default tax code {self.default_tax_code!r} has no rate.")


@dataclass(frozen=True, slots=True)
class PricedProduct:
    """A product as the store sells it: SKU, shelf price per ``unit``, tax code and what promotions target."""

    sku: str
    price: Decimal
    unit: SaleUnit = SaleUnit.EACH
    tax_code: str = ""
    category: str = ""
    subcategory: str = ""
    brand: str = ""
    name: str = ""


@dataclass(frozen=True, slots=True)
class CartLine:
    """One line of the cart Amazon sent (SPEC §10.1): our line id, the product it resolved to, and the quantity."""

    line_id: str
    product: PricedProduct
    quantity: Decimal

    def __post_init__(self) -> None:
        sku = self.product.sku
        price = self.product.price
        if not _is_decimal(price) or price < 0:
            raise CartLineError(
                f"Line {self.line_id}: product {sku} has no usable price ({price!r}).", line_id=self.line_id, sku=sku
            )
        quantity = self.quantity
        if not _is_decimal(quantity) or quantity <= 0:
            raise CartLineError(
                f"Line {self.line_id}: quantity {quantity!r} of {sku} is not a positive Decimal.",
                line_id=self.line_id,
                sku=sku,
            )
        if self.product.unit is SaleUnit.EACH and quantity != quantity.to_integral_value():
            raise CartLineError(
                f"Line {self.line_id}: {sku} is sold by the unit, so its quantity must be whole (got {quantity}).",
                line_id=self.line_id,
                sku=sku,
            )


@dataclass(frozen=True, slots=True)
class Promotion:
    """A promotion of the store: its kind and value fields, targets, window, priority and exclusivity.

    Value fields by kind (others must be ``None``):

    * ``percent_off``: ``percent`` (0 < p ≤ 100) off each targeted unit;
    * ``amount_off``: ``amount`` (> 0) off each targeted unit, at most the unit's price;
    * ``fixed_price``: each targeted unit at ``amount`` (≥ 0) when that is below its price;
    * ``multi_buy``: each group of ``buy_quantity`` targeted units for ``amount`` ("3 for 5.00");
    * ``buy_x_get_y``: in each group of ``buy_quantity`` + ``get_quantity`` targeted units, the
      ``get_quantity`` cheapest free — or ``percent`` off them when ``percent`` is set;
    * ``spend_and_save``: when the targeted lines come to ``minimum_spend`` or more, ``amount`` off
      them (at most their total) or ``percent`` off them — exactly one of the two.

    Higher ``priority`` is applied first. ``is_exclusive``: see ``orders/pricing/engine.py``.
    """

    id: int
    name: str
    kind: PromotionKind
    skus: frozenset[str] = frozenset()
    categories: frozenset[str] = frozenset()
    brands: frozenset[str] = frozenset()
    percent: Decimal | None = None
    amount: Decimal | None = None
    buy_quantity: int | None = None
    get_quantity: int | None = None
    minimum_spend: Decimal | None = None
    store_ids: frozenset[str] = frozenset()
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    days_of_week: frozenset[int] = frozenset()
    time_from: time | None = None
    time_to: time | None = None
    priority: int = 0
    is_exclusive: bool = False

    @property
    def has_targets(self) -> bool:
        return bool(self.skus or self.categories or self.brands)

    def __post_init__(self) -> None:
        if self.kind not in PROMOTION_KIND_FIELDS:
            self._refuse(f"kind {self.kind!r} is not one of {', '.join(PromotionKind)}")
        object.__setattr__(self, "kind", PromotionKind(self.kind))
        problems = promotion_value_problems(kind=self.kind, values={name: getattr(self, name) for name in VALUE_FIELDS})
        if problems:
            self._refuse(self._value_reason(problems))
        self._check_targets_and_window()

    def _value_reason(self, problems: list[tuple[str, ValueProblem]]) -> str:
        """The first problem, said for the log and the connector: every needed field at once, else
        every unused one, else the first bad value."""
        for grouped, reason in ((ValueProblem.MISSING, "needs"), (ValueProblem.UNUSED, "has no use for")):
            names = [name for name, problem in problems if problem is grouped]
            if names:
                return f"a {self.kind} promotion {reason} {', '.join(names)}"
        name, problem = problems[0]
        value = getattr(self, name)
        if problem is ValueProblem.PERCENT_OUT_OF_RANGE:
            return f"percent {value!r} is not a Decimal above 0 and at most 100"
        if problem is ValueProblem.NEGATIVE:
            return f"{name.replace('_', ' ')} {value!r} is not a Decimal ≥ 0"
        if problem is ValueProblem.AMOUNT_OFF_ZERO:
            return "an amount off of 0 takes nothing off"
        if problem is ValueProblem.NOT_WHOLE:
            return f"{name} {value!r} is not a whole number ≥ 1"
        return "a spend_and_save promotion takes either an amount or a percent off, not both or neither"

    def _check_targets_and_window(self) -> None:
        if "" in self.skus or "" in self.categories or "" in self.brands:
            self._refuse("an empty SKU, category or brand would match products that have none")
        for moment in (self.starts_at, self.ends_at):
            if moment is not None and not _is_aware(moment):
                self._refuse("its start and end must be aware datetimes")
        if self.starts_at is not None and self.ends_at is not None and self.starts_at >= self.ends_at:
            self._refuse("it ends before it starts")
        if not self.days_of_week <= DAYS_OF_WEEK:
            self._refuse("days of week are 0 (Monday) to 6 (Sunday)")
        if (self.time_from is None) != (self.time_to is None):
            self._refuse("a time-of-day window needs both its start and its end")
        if self.time_from is not None and self.time_from == self.time_to:
            self._refuse("a time-of-day window that starts when it ends is empty")
        if any(moment is not None and moment.tzinfo is not None for moment in (self.time_from, self.time_to)):
            self._refuse("its time-of-day window is on the store's clock, so its times carry no time zone")

    def _refuse(self, reason: str) -> NoReturn:
        raise PromotionError(f"Promotion {self.id} ({self.name}): {reason}.", {"promotion_id": self.id})


# The outputs below are built by the engine without ``__init__``: a frozen dataclass's ``__init__``
# sets each field through ``object.__setattr__``, and a priced line and its discounts are built for
# every line of every cart (a priced line cost more than the rest of its line's arithmetic). So the
# engine hands each instance its ``__dict__`` whole, as pydantic's ``model_construct`` does; hence no
# ``__slots__`` and no ``__post_init__`` here. The result is the same frozen, comparable, hashable
# instance ``cls(**fields)`` gives (tests/orders/test_pricing_engine.py checks it).
@dataclass(frozen=True)
class LineDiscount:
    """One promotion's discount on one line: the promotion (its name copied), the quantity it used, the amount."""

    promotion_id: int
    promotion_name: str
    kind: PromotionKind
    quantity: Decimal
    amount: Decimal


@dataclass(frozen=True)
class PricedLine:
    """A priced cart line, every amount rounded to the currency's minor unit.

    ``gross`` = quantity × ``unit_price``; ``net`` = ``gross`` − ``discount_total``; ``tax`` is included
    in ``net`` when the store's prices include tax (then ``total`` = ``net``), added otherwise
    (``total`` = ``net`` + ``tax``).
    """

    line_id: str
    sku: str
    unit: SaleUnit
    quantity: Decimal
    unit_price: Decimal
    gross: Decimal
    discounts: tuple[LineDiscount, ...]
    discount_total: Decimal
    net: Decimal
    tax_code: str
    tax_rate: Decimal
    tax: Decimal
    total: Decimal


@dataclass(frozen=True, slots=True)
class AppliedPromotion:
    """A promotion that gave a discount in the cart, with its total over the lines (what a purchase snapshots)."""

    promotion_id: int
    promotion_name: str
    kind: PromotionKind
    amount: Decimal


@dataclass(frozen=True, slots=True)
class PricedCart:
    """The priced cart: its lines and the sums of their rounded amounts (so the lines always add up).

    ``subtotal`` = Σ gross, ``discount_total`` = Σ discounts, ``tax_total`` = Σ tax, ``total`` = Σ line
    totals — that is subtotal − discounts (+ tax when the store adds it).
    """

    currency: str
    prices_include_tax: bool
    lines: tuple[PricedLine, ...]
    promotions: tuple[AppliedPromotion, ...]
    subtotal: Decimal
    discount_total: Decimal
    tax_total: Decimal
    total: Decimal
