"""Price a cart: ``cart_price(*, lines, store, promotions, at) -> PricedCart``. Pure: no database, no clock.

Order of work, and the rules the README quotes:

1. **Unit price and gross.** A line's unit price is the catalog price rounded half-up to the
   currency's minor unit — exactly the ``standard_price`` Amazon received and showed the shopper
   (``catalog.amazon_items.price_text``). ``gross`` = quantity × unit price, rounded half-up per
   line (only weight lines can have a fraction to round: 0.532 kg × 3.99 = 2.12268 → 2.12).
   Each line's tax rate is resolved first (``tax.py``): a line whose tax cannot be determined
   fails the whole cart before anything else is computed.
2. **Line promotions** (percent off, amount off, fixed price, multi-buy, buy X get Y), one at a
   time in order of **priority, highest first, then id, lowest first** (the older promotion wins a
   tie, whatever order they were passed in). Each unit is used by at most one line promotion; how
   each kind uses units and rounds is in ``promotions.py``.
3. **Basket promotions** (spend-and-save), after every line promotion, in the same order; each
   sees the lines' net after the discounts before it and allocates its discount back to its lines.
4. **Exclusive promotions.** A promotion *touches* a line when it uses some of its units (a
   buy-X-get-Y's paying units included) or, for a basket promotion, gives it a discount. An
   exclusive promotion only considers lines no promotion has touched yet, and the lines it touches
   get no other promotion afterwards — no line promotion on their remaining units, no basket
   promotion. So an exclusive promotion is never combined with another on the same line; which
   one wins is decided by the order above (priority, then id). A stackable promotion combines with
   other stackable ones on the same line (on other units) and with basket promotions.
5. **Rounding.** Every amount is computed at full ``Decimal`` precision and rounded half-up to the
   currency's minor unit (``jwo_admin.core.money``) once per line: the gross, each discount (per
   unit kinds: per line; multi-buy, buy X get Y and basket discounts: rounded once for the
   promotion and shared out over its lines by largest remainder, so the parts add up to it), and
   the tax. ``net`` = gross − discounts. Tax is on the net: extracted from it when the store's
   prices include tax (``total`` = ``net``), added to it otherwise (``total`` = ``net`` + ``tax``).
   The cart's subtotal, discount total, tax total and total are **sums of the rounded line
   amounts**, so the lines always add up to the cart.
6. **Windows** are read at ``at`` (an aware datetime: the shopping trip's end) on the store's clock;
   see ``types.py``.

Speed: no line is checked against every promotion. Given the store's
:class:`~orders.pricing.promotions.PromotionIndex` (built once when its promotions are loaded, and
reused for every cart), each line finds its promotions with three dict lookups (SKU, category,
brand). Given a plain list, the cart's lines are indexed by SKU, category and brand instead and
each promotion's targets intersected with them once per cart. Either way only the promotions some
line matches are checked for their window and applied.
"""

from collections.abc import Iterable, Sequence
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from operator import itemgetter
from typing import Final

from jwo_admin.core.money import minor_unit, round_half_up
from orders.pricing.promotions import (
    PROMOTION_KINDS,
    LineState,
    PromotionIndex,
    Rank,
    Scope,
    clock_read,
    promotion_rank,
    promotions_unique,
    window_is_open,
)
from orders.pricing.tax import tax_rate_resolve
from orders.pricing.types import (
    AppliedPromotion,
    CartLine,
    LineDiscount,
    PricedCart,
    PricedLine,
    PricingError,
    Promotion,
    SaleUnit,
    StorePricing,
)

ZERO: Final = Decimal(0)
ONE: Final = Decimal(1)


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
    if isinstance(promotions, PromotionIndex):
        states, matched = _line_states(lines, store, unit, promotions)
        ranks: dict[int, Rank] | None = promotions.ranks
    else:
        states = _line_states(lines, store, unit, None)[0]
        matched = _matched_by_scan(states, promotions_unique(promotions))
        ranks = None
    line_promotions, basket_promotions = _ordered_active(matched, store, at, ranks)
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


Matched = dict[int, tuple[Promotion, list[LineState]]]  # promotion id → (promotion, its lines in cart order)


def _line_states(
    lines: Sequence[CartLine], store: StorePricing, unit: Decimal, index: PromotionIndex | None
) -> tuple[list[LineState], Matched]:
    """Each line's tax code and rate (or the error), unit price and gross; nothing is used or discounted yet.

    Given the store's ``index``, the same pass finds each line's promotions there (three dict
    lookups), while its product is at hand; the promotions matched are returned (else empty).
    """
    states: list[LineState] = []
    append = states.append
    known_codes: dict[str, tuple[str, Decimal]] = {}
    each = SaleUnit.EACH
    half_up = ROUND_HALF_UP
    matched: Matched = {}
    by_sku, by_category, by_brand = (
        (index.by_sku, index.by_category, index.by_brand) if index is not None else ({}, {}, {})
    )
    for position, line in enumerate(lines):
        product = line.product
        code_rate = known_codes.get(product.tax_code)
        if code_rate is None:
            code_rate = tax_rate_resolve(store=store, tax_code=product.tax_code, line_id=line.line_id, sku=product.sku)
            known_codes[product.tax_code] = code_rate
        quantity = line.quantity
        # round_half_up (jwo_admin.core.money), inlined: this loop runs for every line of every cart.
        # The rounding is passed by position: as a keyword it costs CPython's decimal module more than
        # the rounding itself.
        unit_price = product.price.quantize(unit, half_up)
        gross = (quantity * unit_price).quantize(unit, half_up)
        # Positional, in field order (index, line, unit_price, gross, is_each, available, net, tax_code,
        # tax_rate): the hot path.
        state = LineState(position, line, unit_price, gross, product.unit is each, quantity, gross, *code_rate)
        append(state)
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
    if index is not None:
        for promotion in index.everywhere:
            matched[promotion.id] = (promotion, states)
    return states, matched


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


def _ordered_active(
    matched: Matched, store: StorePricing, at: datetime, ranks: dict[int, Rank] | None
) -> tuple[Candidates, Candidates]:
    """The matched promotions active at ``at``, by priority then id: the line ones, then the basket ones.

    ``ranks``: the store index's prepared order, scope and window of each promotion (None: a plain list).
    """
    clock = clock_read(at.astimezone(store.zone))
    store_id = store.store_id
    ranked = []
    for entry in matched.values():
        rank = ranks[entry[0].id] if ranks is not None else promotion_rank(entry[0])
        if window_is_open(rank[2], store_id, clock):
            ranked.append((rank[0], rank[1], entry))
    ranked.sort(key=itemgetter(0))
    line_promotions = [entry for _, is_basket, entry in ranked if not is_basket]
    basket_promotions = [entry for _, is_basket, entry in ranked if is_basket]
    return line_promotions, basket_promotions


def _apply(
    promotion: Promotion, scope: Scope, usable: list[LineState], unit: Decimal, applied: dict[int, Decimal]
) -> None:
    awards = PROMOTION_KINDS[promotion.kind].benefit(promotion, usable, unit)
    promotion_id, name, kind, is_exclusive = promotion.id, promotion.name, promotion.kind, promotion.is_exclusive
    is_line = scope is Scope.LINE
    total = ZERO
    new, set_dict = object.__new__, object.__setattr__  # built without __init__ (orders/pricing/types.py says why)
    for state, quantity, amount in awards:
        if is_line:
            state.available -= quantity
        elif not amount:
            continue  # a basket promotion touches only the lines it discounts
        state.is_touched = True
        if is_exclusive:
            state.is_locked = True
        if amount:
            discount = new(LineDiscount)
            set_dict(
                discount,
                "__dict__",
                {
                    "promotion_id": promotion_id,
                    "promotion_name": name,
                    "kind": kind,
                    "quantity": quantity,
                    "amount": amount,
                },
            )
            state.discounts.append(discount)
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
    priced: list[PricedLine] = []
    append = priced.append
    subtotal = discount_total = tax_total = total = zero
    new, set_dict = object.__new__, object.__setattr__  # built without __init__, as above
    half_up = ROUND_HALF_UP
    for state in states:
        line = state.line
        product = line.product
        gross, net, rate = state.gross, state.net, state.tax_rate
        if net < 0:  # cannot happen by the rules in promotions.py; never charge a negative line
            raise PricingError(f"Line {line.line_id}: discounts {gross - net} exceed its price {gross}.")
        tax = zero
        if rate:  # tax_calculate (tax.py), inlined with the same operations in the same order
            tax = (net * rate / (ONE + rate) if inclusive else net * rate).quantize(unit, half_up)
        line_total = net if inclusive else net + tax
        discounts = state.discounts
        discounted = gross - net if discounts else zero
        priced_line = new(PricedLine)
        set_dict(
            priced_line,
            "__dict__",
            {
                "line_id": line.line_id,
                "sku": product.sku,
                "unit": product.unit,
                "quantity": line.quantity,
                "unit_price": state.unit_price,
                "gross": gross,
                "discounts": tuple(discounts),
                "discount_total": discounted,
                "net": net,
                "tax_code": state.tax_code,
                "tax_rate": rate,
                "tax": tax,
                "total": line_total,
            },
        )
        append(priced_line)
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
