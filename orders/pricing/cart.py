"""A cart as Amazon sent it, priced: each line's quantity put in its product's sale unit, then the engine.

Create Purchases, *Try a cart* and the bad-cart reprice all price through :func:`cart_price_sent`,
so a cart is priced the same way wherever staff or Amazon look at it. A line that cannot be
priced — no product, a unit that is not its product's kind, a fractional count — is named in
``problems`` with its reason and left out; the other lines are priced together (a bad cart keeps
them). Pure: the products, the store's pricing and promotions are gathered by the caller.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from orders.pricing.engine import cart_price
from orders.pricing.promotions import PromotionIndex
from orders.pricing.types import CartLine, PricedCart, PricedProduct, PricingError, Promotion, StorePricing
from orders.pricing.units import DEFAULT_ALIASES, QuantityUnitError, quantity_in_sale_unit

UNKNOWN_ITEM = "no product with this SKU or barcode"


@dataclass(frozen=True, slots=True)
class SentLine:
    """One cart line: its position in the cart, the item id and quantity as sent, and the product it
    resolved to (None: unknown). ``priced_quantity``, when given, is the quantity in the product's
    sale unit that staff settled on for a line whose unit could not be converted."""

    position: int
    item_id: str
    quantity: Decimal
    unit: str
    product: PricedProduct | None
    priced_quantity: Decimal | None = None


@dataclass(frozen=True)
class SentCartPrice:
    """``quantities``: each priceable line's quantity in its product's sale unit, by position;
    ``line_problems``: why each other line was left out, by position; ``cart``: the priced lines
    (None, with ``problem``, when the engine refused them: a missing price, an unknown tax code)."""

    quantities: dict[int, Decimal]
    line_problems: dict[int, str]
    item_ids: dict[int, str]
    cart: PricedCart | None
    problem: str = ""

    @property
    def problems(self) -> list[str]:
        """Every reason the cart is not priced whole, in line order, the engine's last:
        ``line 2 (SKU0000009): unit "unit" cannot be priced per kg (a count, not a weight)``."""
        return [
            f"line {position + 1} ({self.item_ids[position]}): {self.line_problems[position]}"
            for position in sorted(self.line_problems)
        ] + ([self.problem] if self.problem else [])


def cart_price_sent(
    *,
    lines: Sequence[SentLine],
    store: StorePricing,
    promotions: PromotionIndex | Iterable[Promotion],
    at: datetime,
    aliases: Mapping[str, str] = DEFAULT_ALIASES,
) -> SentCartPrice:
    """Convert each line's quantity into its product's sale unit (``units.quantity_in_sale_unit``)
    and price the lines that can be priced, each under its position as line id."""
    quantities: dict[int, Decimal] = {}
    line_problems: dict[int, str] = {}
    item_ids = {line.position: line.item_id for line in lines}
    for line in lines:
        if line.product is None:
            line_problems[line.position] = UNKNOWN_ITEM
        elif line.priced_quantity is not None:
            quantities[line.position] = line.priced_quantity
        else:
            try:
                quantities[line.position] = quantity_in_sale_unit(line.quantity, line.unit, line.product.unit, aliases)
            except QuantityUnitError as refusal:
                line_problems[line.position] = str(refusal)
    try:
        cart = cart_price(
            lines=[
                CartLine(line_id=str(line.position), product=line.product, quantity=quantities[line.position])
                for line in lines
                if line.product is not None and line.position in quantities
            ],
            store=store,
            promotions=promotions,
            at=at,
        )
    except PricingError as error:
        return SentCartPrice(quantities, line_problems, item_ids, None, error.message)
    return SentCartPrice(quantities, line_problems, item_ids, cart)
