"""Shared set-up for the payments tests: a store with prices and tax, a shopper let in at the gate
(through the real Identity Connector, or recorded as it records an admission), and Create
Purchases bodies for that trip."""

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.test import Client, TestCase
from django.utils import timezone

from catalog.models import Product, Store
from entry.models import GateDecisionKind, GateEvent, GateReason, Shopper, VisitorType
from entry.services.shoppers import payment_method_add, shopper_create
from jwo_admin.core.deadline import pool_shutdown
from orders.models import PaymentAuthorisation, Purchase, StorePayment, TaxRate
from orders.services.payments.holds import hold_request
from tests.entry.conftest import gate_body, identity_key_for

PURCHASES_URL = "/v1/order/purchases"
IDENTITY_URL = "/v1/identity/identity-keys"


def payments_store() -> Store:
    """USD, tax added at 10 % (GENERAL); a 50.00 hold; cola 2.00, cheese 30.00."""
    store = Store.objects.create(store_id="PAY_STORE", name="Pay Store", currency="USD")
    StorePayment.objects.create(store=store, preauthorisation_amount=Decimal("50.00"))
    TaxRate.objects.create(store=store, tax_code="GENERAL", rate=Decimal("0.10"), is_default=True)
    Product.objects.create(store=store, sku="COLA", name="Cola", price=Decimal("2.00"), tax_code="GENERAL")
    Product.objects.create(store=store, sku="CHEESE", name="Cheese", price=Decimal("30.00"), tax_code="GENERAL")
    return store


def card_shopper(external_id: str, card_reference: str, *, visitor_type: str = VisitorType.SHOPPER) -> Shopper:
    shopper = shopper_create(
        external_id=external_id,
        name=f"Shopper {external_id}",
        email=f"{external_id}@example.com",
        visitor_type=visitor_type,
        password="shopper-pass-123",
    )
    payment_method_add(
        shopper=shopper,
        provider_reference=card_reference,
        expiry_month=12,
        expiry_year=2099,
        brand="Visa",
        last4="4242",
    )
    return shopper


@contextmanager
def on_commit_run() -> Iterator[list[Any]]:
    """Run the callbacks queued with ``transaction.on_commit`` inside the block when it ends, as a
    commit would (tests on the rolled-back ``db`` fixture never commit). Under ``transactional_db``
    they already run at once."""
    with TestCase.captureOnCommitCallbacks(execute=True) as callbacks:
        yield callbacks


def enter(client: Client, key: str, shopper: Shopper, store: Store, identity_key: str = "") -> tuple[str, Any]:
    """Let the shopper in through the Identity Connector; waits for the hold to be placed."""
    event_id = str(uuid.uuid4())
    response = client.post(
        IDENTITY_URL,
        data=gate_body(identity_key or identity_key_for(shopper), store_id=store.store_id, event_id=event_id),
        content_type="application/json",
        headers={settings.JWO_CONNECTOR_KEY_HEADER: key},
    )
    pool_shutdown()  # the hold is requested on the connector's background pool: let it finish
    return event_id, response


def admitted(store: Store, shopper: Shopper, *, event_id: str = "", place_hold: bool = True) -> str:
    """The gate's admission as the Identity Connector records it, then what it announces: the hold
    is requested and (``place_hold``) its gateway call made. Returns the gate's authEvent.id."""
    event_id = event_id or str(uuid.uuid4())
    GateEvent.objects.create(
        auth_event_id=event_id,
        store=store,
        store_ref=store.store_id,
        decision=GateDecisionKind.ADMITTED,
        reason=GateReason.ADMITTED,
        status_code=200,
        response_body={"visitorDetails": {"id": shopper.external_id, "type": shopper.visitor_type}},
        shopper=shopper,
        visitor_type=shopper.visitor_type,
        latency_ms=1.0,
    )
    if place_hold:
        with on_commit_run():
            hold_request(auth_event_id=event_id)
    return event_id


def hold_of(event_id: str) -> PaymentAuthorisation:
    return PaymentAuthorisation.objects.get(auth_event_id=event_id)


def purchase_body(
    store: Store,
    shopper: Shopper,
    event_id: str,
    items: list[tuple[str, str]],
    *,
    scan_type: str = "SHOPPER",
    ended_at: datetime | None = None,
) -> dict[str, Any]:
    end = ended_at or timezone.now()
    return {
        "requestId": str(uuid.uuid4()),
        "idempotentShoppingTripId": str(uuid.uuid4()),
        "storeId": store.store_id,
        "shoppingTrip": {
            "startTime": (end - timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "endTime": end.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "authEvents": [
                {
                    "id": event_id,
                    "timestamp": (end - timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%SZ"),
                    "location": "ENTRY",
                    "payloadType": "SCAN_CODE",
                    "scanResult": {"id": shopper.external_id, "type": scan_type},
                }
            ],
        },
        "cartItems": [
            {"id": sku, "type": "SKU", "quantity": {"value": quantity, "unit": "unit"}, "lineItemId": f"li-{n}"}
            for n, (sku, quantity) in enumerate(items)
        ],
    }


def buy(client: Client, key: str, body: dict[str, Any]) -> Any:
    return client.post(
        PURCHASES_URL, data=body, content_type="application/json", headers={settings.JWO_CONNECTOR_KEY_HEADER: key}
    )


def bought(key: str, body: dict[str, Any], *, settle: bool = True) -> Purchase:
    """Create Purchases through the connector; its settlement hand-off runs as after a commit
    unless ``settle`` is False (the hand-off lost, as in a broker outage)."""
    if settle:
        with on_commit_run():
            response = buy(Client(), key, body)
    else:
        response = buy(Client(), key, body)
    assert response.status_code == 201, response.content
    return Purchase.objects.get(trip_id=body["idempotentShoppingTripId"])
