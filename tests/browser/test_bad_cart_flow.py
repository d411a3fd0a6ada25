"""The bad-cart flow end to end in headless Chromium: Amazon sends a cart with an item the catalog
does not know to the connector over HTTP; it is answered 201 and held; a store manager finds it in
the queue, maps the item (remembered), reprices and charges it; the shopper's receipt shows it."""

import json
import urllib.request
import uuid
from decimal import Decimal
from typing import Any

import pytest
from django.conf import settings

from catalog.models import Store
from catalog.services.staff_stores import staff_member_create
from jwo_admin.core.connector_keys import connector_key_create
from jwo_admin.core.roles import STORE_MANAGER
from orders.models import ItemAlias, PaymentStatus, Purchase, PurchaseStatus, SandboxCharge
from tests.conftest import PASSWORD, sign_in
from tests.orders.payment_helpers import card_shopper, payments_store, purchase_body

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def post_cart(base_url: str, key: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(  # noqa: S310 - our own live server
        f"{base_url}/v1/order/purchases",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", settings.JWO_CONNECTOR_KEY_HEADER: key},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        return response.status, json.loads(response.read())


def test_a_store_manager_resolves_a_bad_cart_and_charges_it(page: Any, live_server: Any, db: None) -> None:
    store: Store = payments_store()
    shopper = card_shopper("cust-browser", "pm_browser_4242")
    key = connector_key_create(name="gateway")[1]
    body = purchase_body(store, shopper, str(uuid.uuid4()), [("COLA", "2"), ("RET-CHEESE-9", "1")])

    status, answer = post_cart(live_server.url, key, body)

    purchase = Purchase.objects.get()
    assert (status, answer) == (201, {"purchaseId": purchase.purchase_id})
    assert (purchase.status, purchase.payment_status) == (PurchaseStatus.BAD_CART, PaymentStatus.ON_HOLD)
    staff_member_create(username="manager", password=PASSWORD, role=STORE_MANAGER, all_stores=True)
    sign_in(page, live_server.url, "manager")

    page.click("nav >> text=Orders")
    page.click("nav.subnav >> text=Bad carts")
    page.click(f'[data-purchase="{purchase.purchase_id}"] a')
    page.fill('[data-map-line="2"] input[name="product"]', "CHEESE")
    page.click('[data-map-line="2"] button')
    page.wait_for_selector("text=Line 2 is now CHEESE Cheese.")
    assert page.locator("[data-map-line]").count() == 0
    page.click("#reprice")
    page.wait_for_selector("text=Repriced: 37.40 USD. Check the figures, then charge.")
    assert page.inner_text("#purchase-total") == "37.40"
    page.click("#charge")
    page.wait_for_selector("#payment-live[data-settled] >> text=taken from the card")  # polled until charged

    purchase.refresh_from_db()
    assert (purchase.status, purchase.payment_status, purchase.captured_total) == (
        PurchaseStatus.PRICED,
        PaymentStatus.CAPTURED,
        Decimal("37.400"),
    )
    assert page.inner_text("#payment-status") == "Charged"
    assert list(SandboxCharge.objects.filter(kind="capture").values_list("amount", flat=True)) == [Decimal("37.400")]
    assert list(ItemAlias.objects.values_list("item_id", "product__sku")) == [("RET-CHEESE-9", "CHEESE")]

    page.click("nav.subnav >> text=Bad carts")
    page.wait_for_selector("text=No bad carts: every cart resolved.")
    page.goto(f"{live_server.url}/orders/purchases/{purchase.pk}/")
    page.click("#receipt-link")
    page.wait_for_url(f"{live_server.url}/receipts/{purchase.receipt_token}/")
    assert page.inner_text('[data-total="total"]') == "37.40"
