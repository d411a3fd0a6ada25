"""The bad-cart queue: purchases with items we could not resolve (or price) when Amazon sent them.

Staff map each unknown line to a product — optionally remembering the mapping as an
``ItemAlias`` so the next cart with that item resolves by itself — then reprice (the same engine,
the store's rules at the moment the trip ended), then charge; or write the cart off. Every step
leaves an audit entry with who and why. Nothing is charged before staff say so.
"""

from decimal import Decimal

from django.db import transaction
from django.db.models import Q

from catalog.models import Product
from entry.models import PaymentMethod, Shopper
from jwo_admin.core.exceptions import ApplicationError
from orders.models import (
    ItemAlias,
    PaymentIssue,
    PaymentStatus,
    Purchase,
    PurchaseAudit,
    PurchaseAuditAction,
    PurchaseLine,
    PurchaseLineDiscount,
    PurchaseStatus,
)
from orders.pricing import types
from orders.pricing.cart import SentLine, cart_price_sent
from orders.pricing.units import QUANTITY_PLACES, quantity_text
from orders.purchase_request import stored_auth_events, visitor_event
from orders.selectors.pricing import (
    PRICED_PRODUCT_FIELDS,
    product_priced,
    quantity_unit_aliases,
    store_pricing,
    store_promotion_index,
)
from orders.services.payments.dispatch import payment_plan, purchase_created
from orders.services.payments.issues import issues_resolve, open_issues_for
from orders.services.payments.settlement import release_hold
from orders.services.purchase_lines import PRICED_LINE_FIELDS, purchase_lines_priced
from orders.services.purchase_store import LINE_POSITION

QUANTITY_QUANTUM = Decimal(1).scaleb(-QUANTITY_PLACES)


def _locked_bad_cart(purchase_pk: int) -> Purchase:
    purchase = Purchase.objects.select_for_update(of=("self",)).select_related("store").get(pk=purchase_pk)
    if purchase.status != PurchaseStatus.BAD_CART or purchase.payment_status != PaymentStatus.ON_HOLD:
        raise ApplicationError(f"{purchase.purchase_id} is not in the bad-cart queue any more.")
    return purchase


def _audit(purchase: Purchase, user_pk: int | None, action: PurchaseAuditAction, detail: str) -> None:
    PurchaseAudit.objects.create(purchase=purchase, user_id=user_pk, action=action, detail=detail[:500])


def bad_cart_line_map(
    *, purchase_pk: int, line_pk: int, product_pk: int, remember: bool, user_pk: int | None
) -> PurchaseLine:
    """Resolve one line to a product of the purchase's store; ``remember`` keeps the mapping."""
    with transaction.atomic():
        purchase = _locked_bad_cart(purchase_pk)
        line = PurchaseLine.objects.filter(pk=line_pk, purchase=purchase).first()
        if line is None:
            raise ApplicationError("That line is not part of this purchase.")
        product = Product.objects.filter(pk=product_pk, store_id=purchase.store_id).first()
        if product is None:
            raise ApplicationError("Choose a product of this purchase's store.")
        line.product = product
        line.sku = product.sku
        line.name = product.name
        line.matched_by = "staff" + (" (remembered as an item alias)" if remember else "")
        line.is_resolved = True
        line.priced_quantity = None  # converted again into this product's unit when repriced
        line.priced_unit = ""
        line.problem = ""
        line.save(
            update_fields=[
                "product",
                "sku",
                "name",
                "matched_by",
                "is_resolved",
                "priced_quantity",
                "priced_unit",
                "problem",
            ]
        )
        if remember:
            ItemAlias.objects.update_or_create(
                store_id=purchase.store_id,
                item_id=line.item_id,
                defaults={"product": product, "created_by_id": user_pk},
            )
        _audit(
            purchase,
            user_pk,
            PurchaseAuditAction.LINE_MAPPED,
            f"line {line.position + 1} ({line.item_id}) → {product.sku} {product.name}"
            + (" (remembered for later carts)" if remember else ""),
        )
    return line


def _priced_product(product: Product) -> types.PricedProduct:
    """The product as Create Purchases prices it (``product_priced``); one without a price is for
    staff to fix in the catalog before the cart is repriced."""
    if product.price is None:
        raise ApplicationError(f"{product.sku} has no price in this store: give it one in the catalog first.")
    return product_priced(values=[getattr(product, name) for name in PRICED_PRODUCT_FIELDS])


def bad_cart_line_quantity_set(
    *, purchase_pk: int, line_pk: int, quantity: Decimal, user_pk: int | None
) -> PurchaseLine:
    """Settle the quantity of a line whose unit could not be converted (a count for a per-kg
    product, a unit we do not know), in its product's sale unit, as staff read it off the trip."""
    with transaction.atomic():
        purchase = _locked_bad_cart(purchase_pk)
        line = PurchaseLine.objects.select_related("product").filter(pk=line_pk, purchase=purchase).first()
        if line is None:
            raise ApplicationError("That line is not part of this purchase.")
        if line.product is None:
            raise ApplicationError("Map this line to a product first.")
        unit = types.SaleUnit(line.product.unit)
        if not quantity.is_finite() or quantity <= 0 or quantity != quantity.quantize(QUANTITY_QUANTUM):
            raise ApplicationError("The quantity must be above 0, with at most 6 decimal places.")
        if unit is types.SaleUnit.EACH and quantity != quantity.to_integral_value():
            raise ApplicationError(f"{line.product.sku} is sold by the item: the quantity must be whole.")
        line.priced_quantity = quantity
        line.priced_unit = unit.value
        line.problem = ""
        line.save(update_fields=["priced_quantity", "priced_unit", "problem"])
        _audit(
            purchase,
            user_pk,
            PurchaseAuditAction.QUANTITY_SET,
            f"line {line.position + 1} ({line.item_id}): {quantity_text(line.quantity)} {line.unit} "
            f"taken as {quantity_text(quantity)} {unit.value}",
        )
    return line


def bad_cart_reprice(*, purchase_pk: int, user_pk: int | None) -> Purchase:
    """Price the whole cart again once every line is resolved, as Create Purchases prices a cart
    (``cart_price_sent``: each quantity in its product's sale unit); the purchase stays on hold
    until staff charge it, so the new figures can be checked first."""
    with transaction.atomic():
        purchase = _locked_bad_cart(purchase_pk)
        lines = list(purchase.lines.select_related("product").order_by("position"))
        unresolved = [line for line in lines if line.product is None]
        if unresolved:
            raise ApplicationError(
                "Map every unknown item first: line(s) " + ", ".join(str(line.position + 1) for line in unresolved)
            )
        sent = [
            SentLine(
                line.position,
                line.item_id,
                line.quantity,
                line.unit,
                _priced_product(line.product),
                line.priced_quantity if line.priced_unit == line.product.unit else None,
            )
            for line in lines
            if line.product is not None
        ]
        outcome = cart_price_sent(
            lines=sent,
            store=store_pricing(store=purchase.store),
            promotions=store_promotion_index(store=purchase.store),
            at=purchase.ended_at,
            aliases=quantity_unit_aliases(),
        )
        if outcome.problems or outcome.cart is None:
            raise ApplicationError(f"Still cannot price this cart: {'; '.join(outcome.problems)}")
        # What each line keeps of its pricing, as Create Purchases keeps it (every line is priced here).
        priced, discounts = purchase_lines_priced(lines=sent, outcome=outcome)
        PurchaseLineDiscount.objects.filter(line__purchase=purchase).delete()
        for line, values in zip(lines, priced, strict=True):
            for name, value in values.items():
                setattr(line, name, value)
        PurchaseLine.objects.bulk_update(lines, PRICED_LINE_FIELDS)
        by_position = {line.position: line for line in lines}
        PurchaseLineDiscount.objects.bulk_create(
            PurchaseLineDiscount(line=by_position[row.pop(LINE_POSITION)], **row) for row in discounts
        )
        previous = purchase.total
        cart = outcome.cart
        purchase.subtotal = cart.subtotal
        purchase.discount_total = cart.discount_total
        purchase.tax_total = cart.tax_total
        purchase.total = cart.total
        purchase.problem = ""
        purchase.status = PurchaseStatus.PRICED
        purchase.save(update_fields=["subtotal", "discount_total", "tax_total", "total", "problem", "status"])
        _audit(purchase, user_pk, PurchaseAuditAction.REPRICED, f"total {previous} → {cart.total} {purchase.currency}")
    return purchase


def purchase_charge(*, purchase_pk: int, user_pk: int | None) -> Purchase:
    """Release a repriced cart (or retry a failed charge): settle it now, as Create Purchases would.
    A trip whose gate hold belongs to someone else is charged to the purchase's shopper once staff
    say so here (the audit's ``charge`` entry is what settlement reads)."""
    with transaction.atomic():
        purchase = Purchase.objects.select_for_update(of=("self",)).select_related("shopper").get(pk=purchase_pk)
        if purchase.status != PurchaseStatus.PRICED or purchase.payment_status not in (
            PaymentStatus.ON_HOLD,
            PaymentStatus.FAILED,
        ):
            raise ApplicationError(f"{purchase.purchase_id} has nothing waiting to be charged.")
        event = visitor_event(stored_auth_events(purchase.request_body))
        scan_type = event.scan_result_type if event else ""
        purchase.payment_status = payment_plan(
            status=purchase.status,
            scan_result_type=scan_type,
            visitor_ref=purchase.visitor_ref,
            recorded_type=purchase.shopper.visitor_type if purchase.shopper else "",
        ).payment_status
        purchase.save(update_fields=["payment_status"])
        _audit(
            purchase,
            user_pk,
            PurchaseAuditAction.CHARGE,
            f"released for payment ({purchase.get_payment_status_display()})",
        )
        purchase_created(purchase.pk)
    purchase.refresh_from_db()
    return purchase


def purchase_charge_newest_card(*, purchase_pk: int, user_pk: int | None) -> Purchase:
    """Settle a debt on the card the shopper added last (they replaced the one that was declined):
    the audit says which card and who asked, then the charge is retried as *Charge* retries it."""
    purchase = Purchase.objects.select_related("shopper").get(pk=purchase_pk)
    if purchase.status != PurchaseStatus.PRICED or purchase.payment_status != PaymentStatus.FAILED:
        raise ApplicationError(f"{purchase.purchase_id} has no unpaid charge to settle.")
    card = (
        PaymentMethod.objects.filter(shopper_id=purchase.shopper_id).order_by("-created_at", "-id").first()
        if purchase.shopper_id is not None
        else None
    )
    if card is None:
        raise ApplicationError("The shopper has no card on file: ask them to add one, or take payment at the counter.")
    with transaction.atomic():  # refused by purchase_charge: no audit entry either
        _audit(purchase, user_pk, PurchaseAuditAction.NEW_CARD, f"charge the newest card, {card}")
        return purchase_charge(purchase_pk=purchase_pk, user_pk=user_pk)


def purchase_shopper_assign(*, purchase_pk: int, shopper_text: str, user_pk: int | None) -> Purchase:
    """Name the shopper a purchase is charged to — one nobody could be charged for (an id we do not
    know, a trip without one, another shopper's gate hold) — by their id or email. Their open
    payment issues for it become theirs; charging is a separate step (*Charge*)."""
    text = shopper_text.strip()
    shopper = (
        Shopper.objects.filter(Q(external_id=text) | Q(email__iexact=text)).order_by("pk").first() if text else None
    )
    if shopper is None:
        raise ApplicationError(f"No shopper with the id or email “{text}”.")
    with transaction.atomic():
        purchase = Purchase.objects.select_for_update(of=("self",)).get(pk=purchase_pk)
        if purchase.payment_status not in (PaymentStatus.FAILED, PaymentStatus.ON_HOLD):
            raise ApplicationError(f"{purchase.purchase_id} is not waiting for someone to pay it.")
        before = purchase.shopper.external_id if purchase.shopper else purchase.visitor_ref or "nobody"
        purchase.shopper = shopper
        purchase.save(update_fields=["shopper"])
        PaymentIssue.objects.filter(purchase=purchase, status=PaymentIssue.Status.OPEN, shopper__isnull=True).update(
            shopper=shopper
        )
        _audit(
            purchase,
            user_pk,
            PurchaseAuditAction.SHOPPER_ASSIGNED,
            f"charged to {shopper.external_id} (the trip named {before})",
        )
    return purchase


def purchase_write_off(*, purchase_pk: int, user_pk: int | None, reason: str) -> Purchase:
    """Give up on collecting: a bad cart is written off; a failed charge is not charged. The
    hold is released and the shopper's payment issues for it are closed."""
    reason = reason.strip()
    if not reason:
        raise ApplicationError("Say why the purchase is written off.")
    with transaction.atomic():
        purchase = Purchase.objects.select_for_update(of=("self",)).select_related("authorisation").get(pk=purchase_pk)
        if purchase.payment_status not in (PaymentStatus.ON_HOLD, PaymentStatus.FAILED, PaymentStatus.AT_COUNTER):
            raise ApplicationError(f"{purchase.purchase_id} has nothing outstanding to write off.")
        if purchase.status == PurchaseStatus.BAD_CART:
            purchase.status = PurchaseStatus.WRITTEN_OFF
        purchase.payment_status = PaymentStatus.NOT_CHARGED
        purchase.save(update_fields=["status", "payment_status"])
        _audit(
            purchase,
            user_pk,
            PurchaseAuditAction.WRITTEN_OFF,
            f"{purchase.total} {purchase.currency} not collected: {reason}",
        )
        issues_resolve(
            issues=open_issues_for(purchase=purchase, authorisation=purchase.authorisation),
            resolution=PaymentIssue.Resolution.WRITTEN_OFF,
            user_pk=user_pk,
            note=reason,
        )
    if purchase.authorisation is not None:
        release_hold(purchase.authorisation, purchase=purchase)
    return purchase


def purchase_paid_at_counter(*, purchase_pk: int, user_pk: int | None, note: str = "") -> Purchase:
    """The shopper paid in person (a cash shopper, or a settled payment issue)."""
    with transaction.atomic():
        purchase = Purchase.objects.select_for_update(of=("self",)).select_related("authorisation").get(pk=purchase_pk)
        if purchase.status != PurchaseStatus.PRICED or purchase.payment_status not in (
            PaymentStatus.AT_COUNTER,
            PaymentStatus.FAILED,
        ):
            raise ApplicationError(f"{purchase.purchase_id} is not waiting for a payment at the counter.")
        purchase.payment_status = PaymentStatus.PAID_AT_COUNTER
        purchase.save(update_fields=["payment_status"])
        hold = purchase.authorisation
        _audit(
            purchase,
            user_pk,
            PurchaseAuditAction.PAID_AT_COUNTER,
            f"{purchase.total} {purchase.currency} paid in store. {note}",
        )
        issues_resolve(
            issues=open_issues_for(purchase=purchase, authorisation=purchase.authorisation),
            resolution=PaymentIssue.Resolution.PAID_AT_COUNTER,
            user_pk=user_pk,
            note=note,
        )
    if hold is not None:
        release_hold(hold, purchase=purchase)
    return purchase


def bad_carts_open_count() -> int:
    return Purchase.objects.filter(status=PurchaseStatus.BAD_CART, payment_status=PaymentStatus.ON_HOLD).count()
