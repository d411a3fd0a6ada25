"""Create Purchases (SPEC §10): price a trip's cart once, keep it, and answer every delivery alike.

Idempotent on ``idempotentShoppingTripId`` (a unique ``Purchase.trip_id``): the first delivery
prices and stores the purchase; every later one — sequential, or concurrent (its insert waits on
the first and then inserts nothing) — gets the stored answer and only counts itself, as a
conflict for staff when its cart differs from the first.

* An empty cart is a purchase with status *empty* and ``{"purchaseId": ""}`` (SPEC §10.3).
* A line that resolves to no product (by SKU, then by an item alias staff made, then by
  barcode), or a cart the engine cannot price (a missing price, an unknown tax code), makes a
  *bad cart*: the lines that can be priced are, the answer is still 201 with a purchaseId so
  Amazon does not retry forever, and nothing is charged until staff resolve it.

A new purchase costs two statements on PostgreSQL, in autocommit: one read of the store, the trip,
the shopper, the hold, the pricing inputs' versions and the cart's products
(``selectors.purchase_context``); one insert of the purchase, its lines and their discounts
(``purchase_store.purchase_insert``). A replay costs the read and one update.
"""

import secrets
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError
from django.utils import timezone

from catalog.models import Store
from jwo_admin.core.exceptions import ApplicationError
from orders.models import PurchaseStatus
from orders.pricing.cart import SentCartPrice, SentLine, cart_price_sent
from orders.purchase_request import AuthEvent, PurchaseRequest, purchase_request_fingerprint, visitor_event
from orders.selectors.pricing import (
    CartProduct,
    PurchaseContext,
    purchase_context,
    quantity_unit_aliases,
    store_pricing_cached,
    store_promotion_index_cached,
)
from orders.services.payments.dispatch import payment_plan, purchase_created
from orders.services.purchase_lines import purchase_lines_priced
from orders.services.purchase_store import purchase_insert, purchase_replay_count, purchase_stored


class UnknownStore(ApplicationError):
    """The request names a store we do not have."""


@dataclass(frozen=True)
class PurchaseAnswer:
    purchase_id: str  # "" for an empty cart
    purchase_pk: int
    is_replay: bool


def _replay(*, trip_id: str, fingerprint: str) -> PurchaseAnswer | None:
    """The stored answer for this trip, counting the delivery (one update; no lock needed)."""
    stored = purchase_replay_count(trip_id=trip_id, fingerprint=fingerprint)
    if stored is None:
        return None
    return PurchaseAnswer(stored[1]["purchaseId"], stored[0], True)


def purchase_create(
    *, request: PurchaseRequest, raw: dict[str, Any], store: Store | None = None, simulation_run_id: int | None = None
) -> PurchaseAnswer:
    """Price and keep the trip's purchase, or answer a replay with the first answer.

    The store is the one the request names (``storeId``), or ``store`` when given; UnknownStore
    when there is none (nothing is stored). ``simulation_run_id`` marks a store simulation run's
    purchase. A new purchase has its money settled once it is
    committed (``purchase_created``)."""
    fingerprint = purchase_request_fingerprint(raw)
    shopper_event = visitor_event(request.auth_events)
    context = purchase_context(
        store_id=store.store_id if store is not None else request.store_id,
        trip_id=request.trip_id,
        shopper_ref=shopper_event.scan_result_id if shopper_event else "",
        auth_event_ids=[event.id for event in request.auth_events],
        items=request.items,
    )
    if context is None:
        raise UnknownStore(f"No store {request.store_id!r}.")
    if context.stored_purchase_pk is not None:
        replay = _replay(trip_id=request.trip_id, fingerprint=fingerprint)
        if replay is not None:
            return replay
    stored = _purchase_store(
        request=request,
        raw=raw,
        context=context,
        fingerprint=fingerprint,
        shopper_event=shopper_event,
        simulation_run_id=simulation_run_id,
    )
    if stored is None:  # a concurrent delivery stored the trip first
        replay = _replay(trip_id=request.trip_id, fingerprint=fingerprint)
        if replay is None:
            raise IntegrityError(f"trip {request.trip_id}: neither stored nor found")
        return replay
    pk, purchase_id = stored
    purchase_created(pk)
    return PurchaseAnswer(purchase_id, pk, False)


def _sent_lines(request: PurchaseRequest, products: list[CartProduct | None]) -> list[SentLine]:
    return [
        SentLine(position, item.id, item.quantity, item.unit, product.priced if product else None)
        for position, (item, product) in enumerate(zip(request.items, products, strict=True))
    ]


def _purchase_store(
    *,
    request: PurchaseRequest,
    raw: dict[str, Any],
    context: PurchaseContext,
    fingerprint: str,
    shopper_event: AuthEvent | None,
    simulation_run_id: int | None,
) -> tuple[int, str] | None:
    """Price the cart and insert the purchase; (pk, purchase id), or None if the trip was stored
    meanwhile. ``shopper_event``: the first auth event that names the shopper (its id as sent is
    kept, its type decides how the purchase is paid)."""
    status = PurchaseStatus.EMPTY
    outcome: SentCartPrice | None = None
    lines: list[dict[str, Any]] = []
    discounts: list[dict[str, Any]] = []
    if not request.is_empty_cart:
        sent = _sent_lines(request, context.products)
        outcome = cart_price_sent(
            lines=sent,
            store=store_pricing_cached(terms=context.store, tax_version=context.tax_version),
            promotions=store_promotion_index_cached(store_pk=context.store.pk, version=context.promotion_version),
            at=request.end_time,
            aliases=quantity_unit_aliases(),
        )
        lines, discounts = _line_rows(request, context.products, sent, outcome)
        status = PurchaseStatus.BAD_CART if outcome.problems else PurchaseStatus.PRICED
    visitor_ref = shopper_event.scan_result_id if shopper_event else ""
    plan = payment_plan(
        status=status,
        scan_result_type=shopper_event.scan_result_type if shopper_event else "",
        visitor_ref=visitor_ref,
        recorded_type=context.shopper_visitor_type,
    )
    purchase: dict[str, Any] = {
        "created_at": timezone.now(),
        "trip_id": request.trip_id,
        "store_id": context.store.pk,
        "status": str(status),
        # the shopper the trip names; when it names none, the one its gate hold was placed for
        "shopper_id": context.shopper_pk if visitor_ref else context.authorisation_shopper_pk,
        "visitor_ref": visitor_ref,
        "started_at": request.start_time,
        "ended_at": request.end_time,
        "currency": context.store.currency,
        "request_body": raw,
        "request_fingerprint": fingerprint,
        "problem": "; ".join(outcome.problems)[:500] if outcome else "",
        "payment_status": str(plan.payment_status),
        "flag_reason": plan.flag[:255],
        "authorisation_id": context.authorisation_pk,
        "receipt_token": secrets.token_urlsafe(24),
        "simulation_run_id": simulation_run_id,
    }
    if outcome is not None and outcome.cart is not None:
        purchase.update(
            subtotal=outcome.cart.subtotal,
            discount_total=outcome.cart.discount_total,
            tax_total=outcome.cart.tax_total,
            total=outcome.cart.total,
        )
    stored = purchase_insert(purchase=purchase, is_numbered=not request.is_empty_cart, lines=lines, discounts=discounts)
    if stored is not None or purchase["authorisation_id"] is None or purchase_stored(trip_id=request.trip_id):
        return stored
    # Another trip took the same hold at the same moment: a hold pays once, so this one goes
    # without it (settlement opens a payment issue saying whose it was).
    purchase["authorisation_id"] = None
    return purchase_insert(purchase=purchase, is_numbered=not request.is_empty_cart, lines=lines, discounts=discounts)


def _line_rows(
    request: PurchaseRequest, products: list[CartProduct | None], sent: list[SentLine], outcome: SentCartPrice
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Every line as sent, with its product, how it was found and what it keeps of its pricing
    (``purchase_lines_priced``, as a repriced bad cart keeps it), and every discount of the priced
    lines (naming its line by position)."""
    priced, discounts = purchase_lines_priced(lines=sent, outcome=outcome)
    lines: list[dict[str, Any]] = []
    for position, (item, product) in enumerate(zip(request.items, products, strict=True)):
        lines.append(
            {
                "position": position,
                "line_item_id": item.line_item_id,
                "item_id": item.id,
                "item_type": item.type,
                "external_identifiers": [
                    {"id": identifier, "type": kind} for identifier, kind in item.external_identifiers
                ],
                "product_id": product.pk if product else None,
                "sku": product.priced.sku if product else "",
                "name": product.priced.name if product else "",
                "matched_by": product.matched_by if product else "",
                "quantity": item.quantity,
                "unit": item.unit,
                "is_resolved": product is not None,
                **priced[position],
            }
        )
    return lines, discounts
