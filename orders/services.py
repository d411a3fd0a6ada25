"""Create Purchases (SPEC §10): price a trip's cart once, keep it, and answer every delivery alike.

Idempotent on ``idempotentShoppingTripId`` (a unique ``Purchase.trip_id``): the first delivery
prices and stores the purchase in one transaction; every later one — sequential, or concurrent
(its insert waits on the first and then fails the unique constraint) — gets the stored answer and
only counts itself, as a conflict for staff when its cart differs from the first.

* An empty cart is a purchase with status *empty* and ``{"purchaseId": ""}`` (SPEC §10.3).
* A line that resolves to no product (by SKU, then by barcode), or a cart the engine cannot price
  (a missing price, an unknown tax code), makes a *bad cart*: the lines that can be priced are,
  the answer is still 201 with a purchaseId so Amazon does not retry forever, and nothing is
  charged until staff resolve it.
"""

import secrets
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F

from catalog.models import Product, Store
from entry.models import Shopper
from orders.models import PaymentAuthorisation, Purchase, PurchaseLine, PurchaseLineDiscount, PurchaseStatus
from orders.payments.dispatch import initial_payment_status, purchase_created
from orders.pricing import types
from orders.pricing.engine import cart_price
from orders.purchase_request import PurchaseRequest, purchase_request_fingerprint
from orders.selectors import cart_products, store_pricing, store_promotion_index


@dataclass(frozen=True)
class PurchaseAnswer:
    status: int
    body: dict[str, Any]
    purchase_pk: int
    is_replay: bool


def _replay(*, trip_id: str, fingerprint: str) -> PurchaseAnswer | None:
    """The stored answer for this trip, counting the delivery; None for a trip not seen yet.

    One read and, for a replay, one update whose counters are incremented in SQL: no lock needed,
    and a new trip (the common case) costs a single indexed read."""
    row = Purchase.objects.filter(trip_id=trip_id).values_list("pk", "request_fingerprint", "response_body").first()
    if row is None:
        return None
    pk, first_fingerprint, body = row
    conflict = int(first_fingerprint != fingerprint)
    Purchase.objects.filter(pk=pk).update(replays=F("replays") + 1, conflicts=F("conflicts") + conflict)
    return PurchaseAnswer(201, body, pk, True)


def purchase_create(*, request: PurchaseRequest, raw: dict[str, Any], store: Store) -> PurchaseAnswer:
    """Price and keep the trip's purchase, or answer a replay with the first answer. 201 either way."""
    fingerprint = purchase_request_fingerprint(raw)
    replay = _replay(trip_id=request.trip_id, fingerprint=fingerprint)
    if replay is not None:
        return replay
    try:
        with transaction.atomic():
            purchase = _purchase_store(request=request, raw=raw, store=store, fingerprint=fingerprint)
    except IntegrityError:
        replay = _replay(trip_id=request.trip_id, fingerprint=fingerprint)  # a concurrent delivery won
        if replay is None:
            raise
        return replay
    purchase_created(purchase.pk)
    return PurchaseAnswer(201, purchase.response_body, purchase.pk, False)


def _shopper(request: PurchaseRequest) -> tuple[Shopper | None, str, str]:
    """The trip's shopper (the first auth event that names one), its id as sent, and its type."""
    event = next((event for event in request.auth_events if event.scan_result_id), None)
    if event is None:
        return None, "", ""
    ref = event.scan_result_id
    return Shopper.objects.filter(external_id=ref).first(), ref, event.scan_result_type


def _hold(request: PurchaseRequest) -> PaymentAuthorisation | None:
    """The hold placed when the gate admitted this trip's shopper (by the gate's authEvent.id)."""
    ids = [event.id for event in request.auth_events]
    return PaymentAuthorisation.objects.filter(auth_event_id__in=ids).order_by("created_at").first()


def _priced_product(product: Product) -> types.PricedProduct:
    return types.PricedProduct(
        sku=product.sku,
        price=product.price,  # type: ignore[arg-type]  # a missing price is refused by CartLine
        unit=types.SaleUnit(product.unit),
        tax_code=product.tax_code,
        category=product.category,
        subcategory=product.subcategory,
        brand=product.brand,
        name=product.name,
    )


def _purchase_store(*, request: PurchaseRequest, raw: dict[str, Any], store: Store, fingerprint: str) -> Purchase:
    shopper, visitor_ref, scan_result_type = _shopper(request)
    purchase = Purchase.objects.create(
        trip_id=request.trip_id,
        store=store,
        status=PurchaseStatus.EMPTY,
        shopper=shopper,
        visitor_ref=visitor_ref,
        started_at=request.start_time,
        ended_at=request.end_time,
        currency=store.currency,
        request_body=raw,
        request_fingerprint=fingerprint,
        response_body={"purchaseId": ""},
        authorisation=_hold(request),
        receipt_token=secrets.token_urlsafe(24),
        payment_status=initial_payment_status(status=PurchaseStatus.EMPTY, scan_result_type=scan_result_type),
    )
    if request.is_empty_cart:
        return purchase
    products = cart_products(store=store, items=request.items)
    problems = [
        f"line {position + 1} ({item.id}): no product with this SKU or barcode"
        for position, (item, product) in enumerate(zip(request.items, products, strict=True))
        if product is None
    ]
    priced: types.PricedCart | None = None
    try:
        lines = [
            types.CartLine(line_id=str(position), product=_priced_product(product), quantity=item.quantity)
            for position, (item, product) in enumerate(zip(request.items, products, strict=True))
            if product is not None
        ]
        priced = cart_price(
            lines=lines,
            store=store_pricing(store=store),
            promotions=store_promotion_index(store=store),
            at=request.end_time,
        )
    except types.PricingError as error:
        problems.append(error.message)
    by_position = {int(line.line_id): line for line in priced.lines} if priced else {}
    _lines_store(purchase, request, products, by_position)
    purchase.purchase_id = f"PO-{purchase.created_at:%Y%m%d}-{purchase.pk:08d}"
    purchase.status = PurchaseStatus.BAD_CART if problems else PurchaseStatus.PRICED
    purchase.payment_status = initial_payment_status(status=purchase.status, scan_result_type=scan_result_type)
    purchase.problem = "; ".join(problems)[:500]
    if priced is not None:
        purchase.subtotal = priced.subtotal
        purchase.discount_total = priced.discount_total
        purchase.tax_total = priced.tax_total
        purchase.total = priced.total
    purchase.response_body = {"purchaseId": purchase.purchase_id}
    purchase.save()
    return purchase


def _lines_store(
    purchase: Purchase,
    request: PurchaseRequest,
    products: list[Product | None],
    by_position: dict[int, types.PricedLine],
) -> None:
    """Every line, then every discount, in one insert each."""
    rows = []
    for position, (item, product) in enumerate(zip(request.items, products, strict=True)):
        priced = by_position.get(position)
        rows.append(
            PurchaseLine(
                purchase=purchase,
                position=position,
                line_item_id=item.line_item_id,
                item_id=item.id,
                item_type=item.type,
                external_identifiers=[
                    {"id": identifier, "type": kind} for identifier, kind in item.external_identifiers
                ],
                product=product,
                sku=product.sku if product else "",
                name=product.name if product else "",
                quantity=item.quantity,
                unit=item.unit,
                is_resolved=product is not None,
                unit_price=priced.unit_price if priced else None,
                gross=priced.gross if priced else Decimal(0),
                discount_total=priced.discount_total if priced else Decimal(0),
                net=priced.net if priced else Decimal(0),
                tax_code=priced.tax_code if priced else "",
                tax_rate=priced.tax_rate if priced else Decimal(0),
                tax=priced.tax if priced else Decimal(0),
                total=priced.total if priced else Decimal(0),
            )
        )
    lines = PurchaseLine.objects.bulk_create(rows)
    PurchaseLineDiscount.objects.bulk_create(
        PurchaseLineDiscount(
            line=line,
            promotion_id=discount.promotion_id,
            promotion_name=discount.promotion_name,
            kind=discount.kind,
            quantity=discount.quantity,
            amount=discount.amount,
        )
        for line in lines
        if line.position in by_position
        for discount in by_position[line.position].discounts
    )
