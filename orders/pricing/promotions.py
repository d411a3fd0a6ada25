"""Each promotion kind's benefit, dispatched through ``PROMOTION_KINDS`` (an explicit registry, STYLE §8).

A benefit only computes: given a promotion and the lines it may still use, it returns an
``Award`` per line — the quantity it uses and the discount, already rounded. The engine
decides which lines a promotion may use and applies the awards (``engine.py``). Rules by kind:

* **Line kinds** use units; a unit used by one line promotion is used up for every other line
  promotion (a unit is never discounted twice).

  - ``percent_off``, ``amount_off``, ``fixed_price`` (per unit): every unit still free on each
    targeted line, with the line's discount = units × per-unit saving, **rounded half-up per
    line**. The per-unit saving is ``percent`` % of the unit price, ``min(amount, unit price)``, or
    ``unit price − amount`` (nothing when the fixed price is not lower: a fixed price never raises
    a price). On a weight line (kg, lb, ...) the "units" are its whole quantity, e.g. 0.532 kg,
    and the saving is per kg (lb, ...): these kinds apply to it proportionally. A line whose
    saving rounds to nothing keeps its units for other promotions.
  - ``multi_buy`` ("N for P") and ``buy_x_get_y`` (groups): only whole units of ``each`` lines —
    weight lines never join a group. The targeted units not used yet, mixed SKUs allowed, are ranked by
    unit price, dearest first (ties in cart order), and cut into consecutive groups of N (of X+Y);
    an incomplete last group is left at shelf price for other promotions. A multi-buy group
    costs P: its saving (shelf total − P) is shared over its units in proportion to their prices;
    groups stop at the first one that would not save (the rest are cheaper still). In a
    buy-X-get-Y group the Y cheapest units are free (or ``percent`` % off); the X units pay full
    price but are used up too (they qualified). The promotion's whole saving is **rounded
    half-up once and shared out over its lines by largest remainder** (``allocate_money``), so
    "3 for 5.00" costs exactly 5.00 however the three units are spread over lines.

* **Basket kind** ``spend_and_save``: after every line promotion, if the net (gross − discounts
  so far) of the lines it may use reaches ``minimum_spend``, it takes ``amount`` off (at most
  that net) or ``percent`` % of it (rounded half-up), allocated back to those lines in proportion
  to their net by largest remainder. It uses no units: a basket discount stacks on line discounts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, time
from decimal import Decimal
from enum import StrEnum
from types import MappingProxyType
from typing import Final

from jwo_admin.core.money import allocate_money, round_half_up
from orders.pricing.types import (
    ONE_HUNDRED,
    CartLine,
    LineDiscount,
    Promotion,
    PromotionError,
    PromotionKind,
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


# A promotion's window as the check reads it: store ids, start and end as wall-clock (naive) times,
# time of day from and to, days of week. A store's index prepares them once.
Window = tuple[frozenset[str], datetime | None, datetime | None, time | None, time | None, frozenset[int]]
Clock = tuple[datetime, int, time]  # the moment on the store's clock: wall-clock (naive), weekday, time of day


def promotion_window(promotion: Promotion) -> Window:
    starts_at, ends_at = promotion.starts_at, promotion.ends_at
    return (
        promotion.store_ids,
        # the window's dates are wall-clock times on the store's clock: their time zone does not count
        None if starts_at is None else starts_at.replace(tzinfo=None),
        None if ends_at is None else ends_at.replace(tzinfo=None),
        promotion.time_from,
        promotion.time_to,
        promotion.days_of_week,
    )


def clock_read(local: datetime) -> Clock:
    """``local`` (a moment on the store's clock) as :func:`window_is_open` reads it, once per cart."""
    return local.replace(tzinfo=None), local.weekday(), local.time()


def window_is_open(window: Window, store_id: str, clock: Clock) -> bool:
    """Whether a promotion of ``window`` (:func:`promotion_window`) runs in ``store_id`` at ``clock``
    (:func:`clock_read` of the moment on the store's clock). See ``orders/pricing/types.py`` for the
    window rules (half-open, across midnight)."""
    store_ids, starts_at, ends_at, time_from, time_to, days_of_week = window
    if store_ids and store_id not in store_ids:
        return False
    wall, day, now = clock
    if (starts_at is not None and wall < starts_at) or (ends_at is not None and wall >= ends_at):
        return False
    if time_from is not None and time_to is not None:
        if time_from < time_to:
            if not time_from <= now < time_to:
                return False
        elif now < time_to:
            day = (day - 1) % 7  # after midnight: still the evening that started the window
        elif now < time_from:
            return False
    return not days_of_week or day in days_of_week


Rank = tuple[object, bool, Window]  # a sort key (comparable within one index or list), is basket, window


class PromotionIndex:
    """A store's promotions indexed by SKU, category and brand, so a line finds its few candidates at once.

    Build it once per store and reuse it across carts (treat it as read-only); ``cart_price`` also
    takes a plain list and then matches it against the cart instead. Promotion ids must be unique.
    ``everywhere`` holds the promotions without targets (every product).
    """

    __slots__ = ("by_brand", "by_category", "by_sku", "everywhere", "promotions", "ranks")

    def __init__(self, promotions: Iterable[Promotion]) -> None:
        self.promotions: tuple[Promotion, ...] = promotions_unique(promotions)
        self.by_sku: dict[str, list[Promotion]] = {}
        self.by_category: dict[str, list[Promotion]] = {}
        self.by_brand: dict[str, list[Promotion]] = {}
        self.everywhere: tuple[Promotion, ...] = tuple(p for p in self.promotions if not p.has_targets)
        # Per promotion id: its place in the order promotions apply in (priority, highest first, then
        # id), whether it is a basket promotion, and its window, prepared for window_is_open.
        self.ranks: dict[int, Rank] = {
            promotion.id: (place, PROMOTION_KINDS[promotion.kind].scope is Scope.BASKET, promotion_window(promotion))
            for place, promotion in enumerate(sorted(self.promotions, key=promotion_order))
        }
        for promotion in self.promotions:
            for index, keys in (
                (self.by_sku, promotion.skus),
                (self.by_category, promotion.categories),
                (self.by_brand, promotion.brands),
            ):
                for key in keys:
                    index.setdefault(key, []).append(promotion)


def promotion_order(promotion: Promotion) -> tuple[int, int]:
    """The order promotions apply in: priority, highest first, then id, lowest first."""
    return -promotion.priority, promotion.id


def promotion_rank(promotion: Promotion) -> Rank:
    """What a :class:`PromotionIndex` prepares of a promotion it does not hold (a plain list): see there."""
    return (
        promotion_order(promotion),
        PROMOTION_KINDS[promotion.kind].scope is Scope.BASKET,
        promotion_window(promotion),
    )


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
