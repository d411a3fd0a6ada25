"""What staff see of a purchase's problems, in headless Chromium: a weight sent in pounds priced in
kilos on *Try a cart*; a trip nobody can be charged for, assigned to a shopper and charged from its
page; a receipt the mail server never took, sent again."""

import uuid
from decimal import Decimal
from typing import Any

import pytest
from django.test import override_settings

from catalog.models import Product, Store
from catalog.services.staff_stores import staff_member_create
from jwo_admin.core.connector_keys import connector_key_create
from jwo_admin.core.roles import STORE_MANAGER
from orders.models import PaymentStatus, Purchase, ReceiptStatus, SandboxCharge
from tests.conftest import PASSWORD, sign_in
from tests.orders.payment_helpers import admitted, bought, card_shopper, payments_store, purchase_body

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def shop(transactional_db: None) -> Store:
    store = payments_store()  # USD, 10 % tax added; cola 2.00
    Product.objects.create(store=store, sku="STEAK", name="Steak", price=Decimal("6.79"), unit="kg", tax_code="GENERAL")
    staff_member_create(username="manager", password=PASSWORD, role=STORE_MANAGER, all_stores=True)
    return store


def cells(page: Any, selector: str) -> list[str]:
    return [" ".join(text.split()) for text in page.locator(selector).all_inner_texts()]


def test_pounds_of_a_per_kg_item_show_their_conversion_on_try_a_cart(page: Any, live_server: Any, shop: Store) -> None:
    sign_in(page, live_server.url, "manager")
    page.goto(f"{live_server.url}/orders/try-a-cart/")
    page.select_option("#id_store", str(shop.pk))
    page.fill("#id_lines", "STEAK 1.5 lb")
    page.click("#price-cart")

    page.wait_for_selector("#tried-lines")
    # 1.5 lb = 0.680389 kg × 6.79 = 4.62; tax 10 % 0.46; total 5.08
    assert cells(page, "#tried-lines tbody tr:nth-child(1) td") == [
        "1",
        "STEAK",
        "STEAK Steak",
        "1.5 lb = 0.680389 kg × 6.79/kg",
        "6.79",
        "4.62",
        "—",
        "4.62",
        "0.46 GENERAL",
        "5.08",
    ]


def test_a_trip_nobody_can_be_charged_for_is_assigned_and_charged_from_its_page(
    page: Any, live_server: Any, shop: Store
) -> None:
    ann = card_shopper("cust-ann", "pm_ann_4242")
    key = connector_key_create(name="gateway")[1]
    body = purchase_body(shop, ann, str(uuid.uuid4()), [("COLA", "2")])
    body["shoppingTrip"]["authEvents"][0]["scanResult"] = {"id": "LOYAL-77", "type": "LOYALTY"}
    purchase = bought(key, body)
    sign_in(page, live_server.url, "manager")

    page.goto(f"{live_server.url}/orders/payment-issues/")
    assert "nobody yet" in page.inner_text("#issue-queue")
    page.click(f'#issue-queue a[href="/orders/purchases/{purchase.pk}/"]')
    page.wait_for_url(f"{live_server.url}/orders/purchases/{purchase.pk}/")
    assert "The trip names LOYAL-77, who is not one of our shoppers: nobody to charge." in page.inner_text("body")
    page.fill("#assign-shopper-input", "cust-ann@example.com")
    page.click("#assign-shopper button")
    page.wait_for_selector(".message-success")
    assert page.inner_text(".message-success") == (
        f"{purchase.purchase_id} is now Shopper cust-ann's (cust-ann); charge it when ready."
    )
    page.click("#charge")
    page.wait_for_selector("#payment-live[data-settled] >> text=taken from the card")  # polled until charged

    purchase.refresh_from_db()
    assert (purchase.shopper_id, purchase.payment_status, purchase.captured_total) == (
        ann.pk,
        PaymentStatus.CAPTURED,
        Decimal("4.400"),
    )
    assert list(SandboxCharge.objects.values_list("kind", "card_reference")) == [
        ("authorise", "pm_ann_4242"),
        ("capture", "pm_ann_4242"),
    ]
    assert page.inner_text("#payment-status") == "Charged"


def test_a_receipt_not_delivered_is_shown_and_sent_again(page: Any, live_server: Any, shop: Store) -> None:
    ann = card_shopper("cust-ann", "pm_ann_4242")
    key = connector_key_create(name="gateway")[1]
    with override_settings(EMAIL_BACKEND="tests.orders.mail_backends.UnreachableBackend", JWO_RECEIPT_RETRIES=1):
        purchase = bought(key, purchase_body(shop, ann, admitted(shop, ann), [("COLA", "1")]))
    sign_in(page, live_server.url, "manager")

    page.goto(f"{live_server.url}/orders/purchases/{purchase.pk}/")
    assert " ".join(page.inner_text("#purchase-receipt").split()).startswith(
        "not delivered Receipt not delivered: ConnectionRefusedError: [Errno 111] Connection refused (2 tries)"
    )
    page.click("#resend-receipt button")
    page.wait_for_selector(".message-success")

    assert page.inner_text(".message-success") == (
        f"The receipt of {purchase.purchase_id} is on its way to cust-ann@example.com."
    )
    purchase.refresh_from_db()
    assert purchase.receipt_status == ReceiptStatus.SENT
    assert Purchase.objects.filter(receipt_status=ReceiptStatus.FAILED).count() == 0
    assert " ".join(page.inner_text("#purchase-receipt").split()).startswith("sent to cust-ann@example.com")
