"""Create Purchases' one entry point: every path of a call is a decision, without HTTP."""

import copy
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.db import OperationalError

from catalog.models import Product, Store
from orders.models import Purchase, PurchaseStatus, TaxRate
from orders.services.purchase_calls import PurchaseDecision, PurchaseOutcome, purchase_call_decide

SPEC_EXAMPLE = json.loads((Path(__file__).parent.parent / "fixtures" / "create_purchases.json").read_text())


def body(**changes: Any) -> dict[str, Any]:
    sent = copy.deepcopy(SPEC_EXAMPLE)
    sent["storeId"] = "TEST_STORE_001"
    sent["cartItems"] = [{"id": "SKU-COLA", "type": "SKU", "quantity": {"value": "1", "unit": "unit"}}]
    sent.update(changes)
    return sent


@pytest.fixture
def cola(store: Store) -> Product:
    TaxRate.objects.create(store=store, tax_code="FOOD", rate=Decimal("0.05"))
    return Product.objects.create(store=store, sku="SKU-COLA", name="Cola", price=Decimal("1.99"), tax_code="FOOD")


def test_a_new_trip_is_stored_and_its_replay_gets_the_same_purchase_id(cola: Product) -> None:
    new = purchase_call_decide(body=body())
    replay = purchase_call_decide(body=body(requestId="00000000-0000-4000-8000-000000000001"))

    stored = Purchase.objects.get()
    assert (new, replay) == (
        PurchaseDecision(PurchaseOutcome.NEW, purchase_id=stored.purchase_id),
        PurchaseDecision(PurchaseOutcome.REPLAY, purchase_id=stored.purchase_id),
    )
    assert (stored.status, stored.total) == (PurchaseStatus.PRICED, Decimal("2.09"))


def test_an_empty_cart_is_stored_without_a_purchase_number(store: Store) -> None:
    decision = purchase_call_decide(body=body(cartItems=[]))

    assert decision == PurchaseDecision(PurchaseOutcome.EMPTY, purchase_id="")
    assert Purchase.objects.get().purchase_id == ""


@pytest.mark.parametrize(
    ("kwargs", "field", "message"),
    [
        ({"body": None, "unreadable": "not JSON"}, "body", "Invalid body: not JSON"),
        ({"body": []}, "body", "Invalid body: Invalid data. Expected a dictionary, but got list."),
        ({"body": body(storeId="NO-SUCH-STORE")}, "storeId", "Invalid storeId"),
        (
            {"body": body(cartItems=[{"id": "A", "type": "SKU"}])},
            "cartItems[0].quantity",
            "Invalid cartItems[0].quantity: This field is required.",
        ),
    ],
)
def test_a_body_at_fault_or_an_unknown_store_is_refused_and_nothing_is_stored(
    store: Store, kwargs: dict[str, Any], field: str, message: str
) -> None:
    decision = purchase_call_decide(**kwargs)

    assert decision == PurchaseDecision(PurchaseOutcome.REFUSED, field=field, message=message)
    assert not Purchase.objects.exists()


def test_a_database_failure_before_the_call_is_taken_asks_for_a_retry(db: None) -> None:
    decision = purchase_call_decide(body=None, failure=OperationalError("the server closed the connection"))

    assert decision == PurchaseDecision(PurchaseOutcome.UNAVAILABLE)
    assert not Purchase.objects.exists()
