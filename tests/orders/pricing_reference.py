"""The pricing engine as it was before issue 20's speed work, kept verbatim as the reference the
equivalence test (``test_pricing_equivalence.py``) and ``bench/purchases.py`` compare the engine with.

Its promotions module (benefits, windows, the index) and its engine, in one file; nothing here is
used by the application. Do not "improve" it: it is the definition of the results the engine must
give, and the speed the engine is measured against.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from types import MappingProxyType
from typing import Final

from jwo_admin.core.money import allocate_money, minor_unit, round_half_up
from orders.pricing.tax import tax_calculate, tax_rate_resolve
from orders.pricing.types import (
    ONE_HUNDRED,
    AppliedPromotion,
    CartLine,
    LineDiscount,
    PricedCart,
    PricedLine,
    PricingError,
    Promotion,
    PromotionError,
    PromotionKind,
    SaleUnit,
    StorePricing,
    frozen_build,
)

ZERO: Final = Decimal(0)


class Scope(StrEnum):
    LINE = "line"  # uses units of the lines, before any basket promotion
    BASKET = "basket"  # discounts the lines' net after the line promotions


@dataclass(slots=True)
class LineState:
    """A cart line while the engine applies promotions (mutable, internal to one ``cart_price`` call)."""

    index: int
    line: CartLine
    unit_price: Decimal
    gross: Decimal
    is_each: bool
    available: Decimal  # units (or the weight) no line promotion has used yet
    net: Decimal  # gross − the discounts so far
    tax_code: str
    tax_rate: Decimal
    discounts: list[LineDiscount] = field(default_factory=list)
    is_touched: bool = False  # some promotion used its units or discounted it
    is_locked: bool = False  # an exclusive promotion touched it: no other promotion may


# What a promotion gives one line: (the line, the quantity it uses, the rounded discount — 0 if the
# units were only used). A plain tuple: there are hundreds per cart and it never leaves the engine.
Award = tuple[LineState, Decimal, Decimal]


Benefit = Callable[[Promotion, Sequence[LineState], Decimal], list[Award]]


@dataclass(frozen=True, slots=True)
class KindRule:
    scope: Scope
    benefit: Benefit


# --- Per-unit kinds -----------------------------------------------------------------------------


def _per_unit(lines: Sequence[LineState], unit: Decimal, saving: Callable[[Decimal], Decimal]) -> list[Award]:
    awards = []
    for line in lines:
        per_unit = saving(line.unit_price)
        if per_unit > 0:
            amount = round_half_up(line.available * per_unit, unit)
            if amount:
                awards.append((line, line.available, amount))
    return awards


def percent_off(promotion: Promotion, lines: Sequence[LineState], unit: Decimal) -> list[Award]:
    fraction = (promotion.percent or ZERO) / ONE_HUNDRED
    return _per_unit(lines, unit, lambda price: price * fraction)


def amount_off(promotion: Promotion, lines: Sequence[LineState], unit: Decimal) -> list[Award]:
    amount = promotion.amount or ZERO
    return _per_unit(lines, unit, lambda price: min(amount, price))


def fixed_price(promotion: Promotion, lines: Sequence[LineState], unit: Decimal) -> list[Award]:
    amount = promotion.amount or ZERO
    return _per_unit(lines, unit, lambda price: price - amount)


# --- Group kinds --------------------------------------------------------------------------------

Piece = tuple[LineState, int]  # so many units of one line


def _runs(lines: Sequence[LineState]) -> list[Piece]:
    """The whole units still free on ``each`` lines, dearest first, ties in cart order (a stable sort)."""
    runs = [(line, int(line.available)) for line in lines if line.is_each and line.available >= 1]
    runs.sort(key=lambda run: -run[0].unit_price)
    return runs


def _groups(runs: Iterable[Piece], size: int) -> Iterator[tuple[list[Piece], int]]:
    """Consecutive groups of ``size`` units from ``runs``: (pieces of the group, how many times in a row it repeats).

    A run holding many groups' worth of one line yields them at once, so a line of 10,000 units
    costs one step. The incomplete tail is not yielded.
    """
    pieces: list[Piece] = []
    filled = 0
    for line, count in runs:
        while count:
            if not filled and count >= size:
                times = count // size
                yield [(line, size)], times
                count -= times * size
                continue
            take = min(count, size - filled)
            pieces.append((line, take))
            filled += take
            count -= take
            if filled == size:
                yield pieces, 1
                pieces, filled = [], 0


def _shared(
    savings: dict[int, Decimal], used: dict[int, int], lines: Sequence[LineState], unit: Decimal
) -> list[Award]:
    """One promotion's exact savings per line → rounded once in total, shared out by largest remainder."""
    by_index = {line.index: line for line in lines}
    indexes = sorted(used)
    weights = [savings.get(index, ZERO) for index in indexes]
    amounts = allocate_money(sum(weights, ZERO), weights, unit)
    return [(by_index[index], Decimal(used[index]), amount) for index, amount in zip(indexes, amounts, strict=True)]


def multi_buy(promotion: Promotion, lines: Sequence[LineState], unit: Decimal) -> list[Award]:
    size, group_price = promotion.buy_quantity or 1, promotion.amount or ZERO
    savings: dict[int, Decimal] = {}
    used: dict[int, int] = {}
    for pieces, times in _groups(_runs(lines), size):
        shelf = sum((line.unit_price * count for line, count in pieces), ZERO)
        if shelf <= group_price:
            break
        saving = (shelf - group_price) * times
        for line, count in pieces:
            savings[line.index] = savings.get(line.index, ZERO) + saving * line.unit_price * count / shelf
            used[line.index] = used.get(line.index, 0) + count * times
    return _shared(savings, used, lines, unit)


def buy_x_get_y(promotion: Promotion, lines: Sequence[LineState], unit: Decimal) -> list[Award]:
    get = promotion.get_quantity or 1
    size = (promotion.buy_quantity or 1) + get
    fraction = (promotion.percent or ONE_HUNDRED) / ONE_HUNDRED
    savings: dict[int, Decimal] = {}
    used: dict[int, int] = {}
    for pieces, times in _groups(_runs(lines), size):
        free_left = get
        group_saving = ZERO
        for line, count in reversed(pieces):  # the cheapest units of the group come last
            free = min(count, free_left)
            saving = line.unit_price * free * fraction * times
            savings[line.index] = savings.get(line.index, ZERO) + saving
            group_saving += saving
            free_left -= free
            if not free_left:
                break
        if not group_saving:
            break  # the cheapest units are free already; later groups are no dearer
        for line, count in pieces:
            used[line.index] = used.get(line.index, 0) + count * times
    return _shared(savings, used, lines, unit)


# --- Basket kind --------------------------------------------------------------------------------


def spend_and_save(promotion: Promotion, lines: Sequence[LineState], unit: Decimal) -> list[Award]:
    nets = [line.net for line in lines]  # after the discounts before this one
    basket = sum(nets, ZERO)
    if basket <= 0 or basket < (promotion.minimum_spend or ZERO):
        return []
    if promotion.amount is not None:
        total = min(promotion.amount, basket)
    else:
        total = round_half_up(basket * (promotion.percent or ZERO) / ONE_HUNDRED, unit)
    amounts = allocate_money(total, nets, unit)
    return [(line, line.line.quantity, amount) for line, amount in zip(lines, amounts, strict=True) if amount]


PROMOTION_KINDS: Final[Mapping[PromotionKind, KindRule]] = MappingProxyType(
    {
        PromotionKind.PERCENT_OFF: KindRule(Scope.LINE, percent_off),
        PromotionKind.AMOUNT_OFF: KindRule(Scope.LINE, amount_off),
        PromotionKind.FIXED_PRICE: KindRule(Scope.LINE, fixed_price),
        PromotionKind.MULTI_BUY: KindRule(Scope.LINE, multi_buy),
        PromotionKind.BUY_X_GET_Y: KindRule(Scope.LINE, buy_x_get_y),
        PromotionKind.SPEND_AND_SAVE: KindRule(Scope.BASKET, spend_and_save),
    }
)


# --- Which promotions apply -----------------------------------------------------------------------


def promotion_is_active(promotion: Promotion, *, store_id: str, at: datetime, local: datetime) -> bool:
    """Whether ``promotion`` runs in ``store_id`` at ``at`` (aware), ``local`` being ``at`` on the store's clock.

    See ``orders/pricing/types.py`` for the window rules (half-open, across midnight).
    """
    if promotion.store_ids and store_id not in promotion.store_ids:
        return False
    wall = local.replace(tzinfo=None)  # the window's dates are wall-clock times on the store's clock
    if (promotion.starts_at is not None and wall < promotion.starts_at.replace(tzinfo=None)) or (
        promotion.ends_at is not None and wall >= promotion.ends_at.replace(tzinfo=None)
    ):
        return False
    day = local.weekday()
    if promotion.time_from is not None and promotion.time_to is not None:
        now = local.time()
        if promotion.time_from < promotion.time_to:
            if not promotion.time_from <= now < promotion.time_to:
                return False
        elif now < promotion.time_to:
            day = (day - 1) % 7  # after midnight: still the evening that started the window
        elif now < promotion.time_from:
            return False
    return not promotion.days_of_week or day in promotion.days_of_week


class PromotionIndex:
    """A store's promotions indexed by SKU, category and brand, so a line finds its few candidates at once.

    Build it once per store and reuse it across carts (treat it as read-only); ``cart_price`` also
    takes a plain list and then matches it against the cart instead. Promotion ids must be unique.
    ``everywhere`` holds the promotions without targets (every product).
    """

    __slots__ = ("by_brand", "by_category", "by_sku", "everywhere", "promotions")

    def __init__(self, promotions: Iterable[Promotion]) -> None:
        self.promotions: tuple[Promotion, ...] = promotions_unique(promotions)
        self.by_sku: dict[str, list[Promotion]] = {}
        self.by_category: dict[str, list[Promotion]] = {}
        self.by_brand: dict[str, list[Promotion]] = {}
        self.everywhere: tuple[Promotion, ...] = tuple(p for p in self.promotions if not p.has_targets)
        for promotion in self.promotions:
            for index, keys in (
                (self.by_sku, promotion.skus),
                (self.by_category, promotion.categories),
                (self.by_brand, promotion.brands),
            ):
                for key in keys:
                    index.setdefault(key, []).append(promotion)


def promotions_unique(promotions: Iterable[Promotion]) -> tuple[Promotion, ...]:
    """``promotions`` as a tuple, refusing an id given twice (ids order the promotions and name their discounts)."""
    result = tuple(promotions)
    if len({promotion.id for promotion in result}) != len(result):
        seen: set[int] = set()
        for promotion in result:
            if promotion.id in seen:
                raise PromotionError(f"Promotion id {promotion.id} is given twice.", {"promotion_id": promotion.id})
            seen.add(promotion.id)
    return result


def cart_price(
    *,
    lines: Sequence[CartLine],
    store: StorePricing,
    promotions: PromotionIndex | Iterable[Promotion],
    at: datetime,
) -> PricedCart:
    """Price ``lines`` in ``store`` at ``at`` with the store's ``promotions`` (see the module docstring).

    Raises ``TaxCodeError`` for a line whose tax cannot be determined, ``PricingError`` for a naive
    ``at``, ``PromotionError`` for promotion ids given twice. Lines are checked when built
    (``CartLineError``), promotions too (``PromotionError``).
    """
    if at.tzinfo is None or at.utcoffset() is None:
        raise PricingError("Pricing needs an aware datetime: the moment the shopping trip ended.")
    unit = minor_unit(store.currency)
    states = _line_states(lines, store, unit)
    if isinstance(promotions, PromotionIndex):
        matched = _matched_by_index(states, promotions)
    else:
        matched = _matched_by_scan(states, promotions_unique(promotions))
    line_promotions, basket_promotions = _ordered_active(matched, store, at)
    applied: dict[int, Decimal] = {}
    for promotion, candidates in line_promotions:
        usable = [
            state
            for state in candidates
            if state.available and not state.is_locked and not (promotion.is_exclusive and state.is_touched)
        ]
        if usable:
            _apply(promotion, Scope.LINE, usable, unit, applied)
    for promotion, candidates in basket_promotions:
        usable = [
            state for state in candidates if not state.is_locked and not (promotion.is_exclusive and state.is_touched)
        ]
        if usable:
            _apply(promotion, Scope.BASKET, usable, unit, applied)
    return _priced_cart(states, store, unit, line_promotions + basket_promotions, applied)


def _line_states(lines: Sequence[CartLine], store: StorePricing, unit: Decimal) -> list[LineState]:
    """Each line's tax code and rate (or the error), unit price and gross; nothing is used or discounted yet."""
    states = []
    known_codes: dict[str, tuple[str, Decimal]] = {}
    each = SaleUnit.EACH
    for position, line in enumerate(lines):
        product = line.product
        code_rate = known_codes.get(product.tax_code)
        if code_rate is None:
            code_rate = tax_rate_resolve(store=store, tax_code=product.tax_code, line_id=line.line_id, sku=product.sku)
            known_codes[product.tax_code] = code_rate
        tax_code, tax_rate = code_rate
        quantity = line.quantity
        # round_half_up (jwo_admin.core.money), inlined: this loop runs for every line of every cart.
        unit_price = product.price.quantize(unit, rounding=ROUND_HALF_UP)
        gross = (quantity * unit_price).quantize(unit, rounding=ROUND_HALF_UP)
        # Positional, in field order (index, line, unit_price, gross, is_each, available, net, tax_code,
        # tax_rate): the hot path.
        states.append(
            LineState(position, line, unit_price, gross, product.unit is each, quantity, gross, tax_code, tax_rate)
        )
    return states


Matched = dict[int, tuple[Promotion, list[LineState]]]  # promotion id → (promotion, its lines in cart order)


def _matched_by_index(states: list[LineState], index: PromotionIndex) -> Matched:
    """Each line looks its promotions up in the store's index: three dict lookups per line."""
    by_sku, by_category, by_brand = index.by_sku, index.by_category, index.by_brand
    matched: Matched = {}
    for state in states:
        product = state.line.product
        found = by_sku.get(product.sku)
        by_its_category = by_category.get(product.category)
        by_its_brand = by_brand.get(product.brand)
        if by_its_category or by_its_brand:
            found = [*(found or ()), *(by_its_category or ()), *(by_its_brand or ())]
        if found:
            for promotion in found:
                entry = matched.get(promotion.id)
                if entry is None:
                    matched[promotion.id] = (promotion, [state])
                elif entry[1][-1] is not state:  # not already matched by another of its targets
                    entry[1].append(state)
    for promotion in index.everywhere:
        matched[promotion.id] = (promotion, states)
    return matched


def _matched_by_scan(states: list[LineState], promotions: Sequence[Promotion]) -> Matched:
    """Without an index: the cart's lines are indexed by SKU, category and brand once, and each
    promotion's targets are intersected with them (a set intersection runs over the smaller side)."""
    by_sku: dict[str, list[LineState]] = {}
    by_category: dict[str, list[LineState]] = {}
    by_brand: dict[str, list[LineState]] = {}
    for state in states:
        product = state.line.product
        by_sku.setdefault(product.sku, []).append(state)
        if product.category:
            by_category.setdefault(product.category, []).append(state)
        if product.brand:
            by_brand.setdefault(product.brand, []).append(state)
    dimensions = (
        (frozenset(by_sku), by_sku, "skus"),
        (frozenset(by_category), by_category, "categories"),
        (frozenset(by_brand), by_brand, "brands"),
    )
    matched: Matched = {}
    for promotion in promotions:
        if not promotion.has_targets:
            matched[promotion.id] = (promotion, states)
            continue
        found: dict[int, LineState] = {}
        for cart_keys, lines_by, attribute in dimensions:
            targets = getattr(promotion, attribute)
            if targets and not cart_keys.isdisjoint(targets):
                for key in cart_keys.intersection(targets):
                    for state in lines_by[key]:
                        found[state.index] = state
        if found:
            matched[promotion.id] = (promotion, [found[index] for index in sorted(found)])
    return matched


Candidates = list[tuple[Promotion, list[LineState]]]


def _ordered_active(matched: Matched, store: StorePricing, at: datetime) -> tuple[Candidates, Candidates]:
    """The matched promotions active at ``at``, by priority then id: the line ones, then the basket ones."""
    local = at.astimezone(store.zone)
    ordered = sorted(
        (
            entry
            for entry in matched.values()
            if promotion_is_active(entry[0], store_id=store.store_id, at=at, local=local)
        ),
        key=lambda entry: (-entry[0].priority, entry[0].id),
    )
    line_promotions = [entry for entry in ordered if PROMOTION_KINDS[entry[0].kind].scope is Scope.LINE]
    basket_promotions = [entry for entry in ordered if PROMOTION_KINDS[entry[0].kind].scope is Scope.BASKET]
    return line_promotions, basket_promotions


def _apply(
    promotion: Promotion, scope: Scope, usable: list[LineState], unit: Decimal, applied: dict[int, Decimal]
) -> None:
    awards = PROMOTION_KINDS[promotion.kind].benefit(promotion, usable, unit)
    promotion_id, name, kind, is_exclusive = promotion.id, promotion.name, promotion.kind, promotion.is_exclusive
    is_line = scope is Scope.LINE
    total = ZERO
    for state, quantity, amount in awards:
        if is_line:
            state.available -= quantity
        elif not amount:
            continue  # a basket promotion touches only the lines it discounts
        state.is_touched = True
        if is_exclusive:
            state.is_locked = True
        if amount:
            state.discounts.append(
                frozen_build(
                    LineDiscount,
                    {
                        "promotion_id": promotion_id,
                        "promotion_name": name,
                        "kind": kind,
                        "quantity": quantity,
                        "amount": amount,
                    },
                )
            )
            state.net -= amount
            total += amount
    if total:
        applied[promotion_id] = total


def _priced_cart(
    states: Sequence[LineState],
    store: StorePricing,
    unit: Decimal,
    candidates: Candidates,
    applied: dict[int, Decimal],
) -> PricedCart:
    inclusive = store.prices_include_tax
    zero = round_half_up(ZERO, unit)
    priced = []
    subtotal = discount_total = tax_total = total = zero
    for state in states:
        line = state.line
        product = line.product
        gross, net, rate = state.gross, state.net, state.tax_rate
        if net < 0:  # cannot happen by the rules in promotions.py; never charge a negative line
            raise PricingError(f"Line {line.line_id}: discounts {gross - net} exceed its price {gross}.")
        tax = tax_calculate(net, rate, prices_include_tax=inclusive).quantize(unit, ROUND_HALF_UP) if rate else zero
        line_total = net if inclusive else net + tax
        discounted = gross - net if state.discounts else zero
        priced.append(
            frozen_build(
                PricedLine,
                {
                    "line_id": line.line_id,
                    "sku": product.sku,
                    "unit": product.unit,
                    "quantity": line.quantity,
                    "unit_price": state.unit_price,
                    "gross": gross,
                    "discounts": tuple(state.discounts),
                    "discount_total": discounted,
                    "net": net,
                    "tax_code": state.tax_code,
                    "tax_rate": rate,
                    "tax": tax,
                    "total": line_total,
                },
            )
        )
        subtotal += gross
        discount_total += discounted
        tax_total += tax
        total += line_total
    promotions = tuple(
        AppliedPromotion(
            promotion_id=promotion.id,
            promotion_name=promotion.name,
            kind=promotion.kind,
            amount=applied[promotion.id],
        )
        for promotion, _ in candidates
        if promotion.id in applied
    )
    return PricedCart(
        currency=store.currency,
        prices_include_tax=inclusive,
        lines=tuple(priced),
        promotions=promotions,
        subtotal=subtotal,
        discount_total=discount_total,
        tax_total=tax_total,
        total=total,
    )
