"""What a purchase line keeps of its pricing: one rule for Create Purchases and the bad-cart repricing.

Create Purchases stores a new purchase's lines in one insert (``purchase_store.purchase_insert``);
the bad-cart repricing updates the lines of a cart staff resolved (``bad_carts.bad_cart_reprice``).
Both store what :func:`purchase_lines_priced` makes of the priced cart, so a cart priced when
Amazon sent it and one repriced by staff keep the same figures and discounts.
"""

from collections.abc import Sequence
from decimal import Decimal
from typing import Any, Final

from orders.pricing.cart import SentCartPrice, SentLine
from orders.services.purchase_store import LINE_POSITION

ZERO: Final = Decimal(0)
PROBLEM_LENGTH: Final = 255  # PurchaseLine.problem's max_length

# The line fields pricing sets; the others say what Amazon sent and which product the line is.
PRICED_LINE_FIELDS: Final = (
    "priced_quantity",
    "priced_unit",
    "problem",
    "unit_price",
    "gross",
    "discount_total",
    "net",
    "tax_code",
    "tax_rate",
    "tax",
    "total",
)


def purchase_lines_priced(
    *, lines: Sequence[SentLine], outcome: SentCartPrice
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """What each of ``lines`` (as priced into ``outcome``) stores, in their order: its
    :data:`PRICED_LINE_FIELDS` — its quantity in its product's sale unit, its amounts (zero when it
    was not priced) or why it was not — and a row for every discount of the priced lines, naming its
    line's position under ``LINE_POSITION`` (``PurchaseLineDiscount`` fields otherwise)."""
    by_position = {int(line.line_id): line for line in outcome.cart.lines} if outcome.cart else {}
    values: list[dict[str, Any]] = []
    discounts: list[dict[str, Any]] = []
    for sent in lines:
        position = sent.position
        line = by_position.get(position)
        priced_quantity = outcome.quantities.get(position)
        values.append(
            {
                "priced_quantity": priced_quantity,
                "priced_unit": sent.product.unit.value if sent.product and priced_quantity is not None else "",
                "problem": outcome.line_problems.get(position, "")[:PROBLEM_LENGTH],
                "unit_price": line.unit_price if line else None,
                "gross": line.gross if line else ZERO,
                "discount_total": line.discount_total if line else ZERO,
                "net": line.net if line else ZERO,
                "tax_code": line.tax_code if line else "",
                "tax_rate": line.tax_rate if line else ZERO,
                "tax": line.tax if line else ZERO,
                "total": line.total if line else ZERO,
            }
        )
        if line is not None:
            discounts.extend(
                {
                    LINE_POSITION: position,
                    "promotion_id": discount.promotion_id,
                    "promotion_name": discount.promotion_name,
                    "kind": str(discount.kind),
                    "quantity": discount.quantity,
                    "amount": discount.amount,
                }
                for discount in line.discounts
            )
    return values, discounts
