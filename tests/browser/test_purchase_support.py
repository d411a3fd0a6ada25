"""Answering a shopper about a purchase, in headless Chromium: find it by the card's last four
digits, give back part of it and see what is left, send the receipt again, and charge again with
the outcome appearing on the page without a reload."""

from decimal import Decimal
from typing import Any

import pytest
from django.core import mail

from catalog.models import Store
from catalog.services.staff_stores import staff_member_create
from entry.models import PaymentMethod, Shopper
from entry.services.shoppers import payment_method_add
from jwo_admin.core.connector_keys import connector_key_create
from jwo_admin.core.roles import STORE_MANAGER
from orders.models import PaymentStatus, Purchase, PurchaseAudit, Refund
from tests.conftest import PASSWORD, sign_in
from tests.orders.payment_helpers import admitted, bought, card_shopper, payments_store, purchase_body

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def shop(transactional_db: None) -> Store:
    store = payments_store()  # USD, 10 % tax added; cola 2.00, cheese 30.00
    staff_member_create(username="manager", password=PASSWORD, role=STORE_MANAGER, all_stores=True)
    return store


def buys(store: Store, shopper: Shopper, items: list[tuple[str, str]]) -> Purchase:
    key = connector_key_create(name=f"gateway {shopper.external_id}")[1]
    return bought(key, purchase_body(store, shopper, admitted(store, shopper), items))


def words(text: str) -> str:
    return " ".join(text.split())


def test_a_purchase_is_found_by_the_last_four_digits_of_its_card(page: Any, live_server: Any, shop: Store) -> None:
    ann = card_shopper("cust-ann", "pm_ann_4242")
    bob = card_shopper("cust-bob", "pm_bob_5555")
    PaymentMethod.objects.filter(shopper=bob).update(last4="5555")
    buys(shop, ann, [("COLA", "1")])
    bobs = buys(shop, bob, [("CHEESE", "1")])
    sign_in(page, live_server.url, "manager")

    page.goto(f"{live_server.url}/orders/purchases/")
    assert page.locator("#purchase-table tbody tr").count() == 2
    page.fill("#id_q", "5555")
    page.click("form[role=search] button[type=submit]")

    page.wait_for_url(f"{live_server.url}/orders/purchases/?q=5555**")
    assert page.inner_text("#purchase-count") == "1 purchase match."
    rows = page.locator("#purchase-table tbody tr")
    assert rows.count() == 1
    assert rows.nth(0).get_attribute("data-purchase") == str(bobs.pk)
    assert bobs.purchase_id in rows.nth(0).inner_text()


def test_part_of_a_purchase_is_refunded_and_the_page_shows_what_is_left(
    page: Any, live_server: Any, shop: Store
) -> None:
    purchase = buys(shop, card_shopper("cust-ann", "pm_ann_4242"), [("CHEESE", "1")])  # 30.00 + 3.00 tax
    sign_in(page, live_server.url, "manager")
    page.goto(f"{live_server.url}/orders/purchases/{purchase.pk}/")
    assert words(page.inner_text("#refund-remaining")) == "Left to refund: 33.00 USD"

    page.fill("#id_amount", "10.50")
    page.fill("#id_reason", "Cheese past its date")
    page.click("#refund-amount")

    page.wait_for_selector(".message-success")
    assert page.inner_text(".message-success") == "Refund of 10.50 USD: Pending."
    page.reload()  # the gateway has answered on the worker by now
    assert words(page.inner_text("#refund-remaining")) == "Left to refund: 22.50 USD"
    assert words(page.locator("#refund-table tbody tr").nth(0).inner_text()).split(" UTC ", 1)[1] == (
        "10.50 USD whole purchase Other: Cheese past its date Refunded manager"
    )

    # more than is left: refused on the field, nothing given back
    page.fill("#id_amount", "22.51")
    page.fill("#id_reason", "Too much")
    page.click("#refund-amount")
    page.wait_for_selector("#refund-amount-error")
    assert page.inner_text("#refund-amount-error") == "At most 22.50 USD is left to refund."
    assert list(Refund.objects.values_list("amount", "status")) == [(Decimal("10.500"), "succeeded")]
    assert Purchase.objects.get(pk=purchase.pk).refunded_total == Decimal("10.500")


def test_the_receipt_is_sent_again_from_the_purchase_page(page: Any, live_server: Any, shop: Store) -> None:
    purchase = buys(shop, card_shopper("cust-ann", "pm_ann_4242"), [("COLA", "1")])
    assert [message.to for message in mail.outbox] == [["cust-ann@example.com"]]  # sent once when charged
    sign_in(page, live_server.url, "manager")
    page.goto(f"{live_server.url}/orders/purchases/{purchase.pk}/")

    page.click("#resend-receipt button")

    page.wait_for_selector(".message-success")
    assert page.inner_text(".message-success") == (
        f"The receipt of {purchase.purchase_id} is on its way to cust-ann@example.com."
    )
    assert [message.to for message in mail.outbox] == [["cust-ann@example.com"], ["cust-ann@example.com"]]
    assert mail.outbox[1].subject == f"Your receipt from Pay Store: {purchase.purchase_id}"
    audit = page.locator("#audit-table tbody tr").last.locator("td").all_inner_texts()
    assert audit[1:] == ["manager", "Receipt sent again", "to cust-ann@example.com"]
    assert PurchaseAudit.objects.filter(action="receipt_resent").values_list("user__username", flat=True).get() == (
        "manager"
    )


def test_charge_again_shows_its_outcome_without_a_reload(page: Any, live_server: Any, shop: Store) -> None:
    ann = card_shopper("cust-ann", "pm_ann_9995")  # refused by the sandbox: no funds
    purchase = buys(shop, ann, [("COLA", "1")])
    assert purchase.payment_status == PaymentStatus.FAILED
    payment_method_add(shopper=ann, provider_reference="pm_ann_new_4242", expiry_month=1, expiry_year=2099)
    sign_in(page, live_server.url, "manager")
    page.goto(f"{live_server.url}/orders/purchases/{purchase.pk}/")
    assert words(page.inner_text("#payment-outcome")) == f"Payment issue {purchase.purchase_id}: Insufficient funds."
    page.evaluate("window.samePage = true")  # gone if the page were loaded again

    with page.expect_response(f"**/orders/purchases/{purchase.pk}/charge/") as charging:
        page.click("#charge")
    assert "Waiting for the payment gateway" in charging.value.text()  # answered before the gateway

    page.wait_for_selector("#payment-live[data-settled] >> text=taken from the card")  # polled until charged
    assert words(page.inner_text("#payment-outcome")) == "Charged 2.20 USD taken from the card."
    assert page.inner_text("#payment-status") == "Charged"
    assert page.evaluate("window.samePage") is True
    assert page.url == f"{live_server.url}/orders/purchases/{purchase.pk}/"
    purchase.refresh_from_db()
    assert (purchase.payment_status, purchase.captured_total) == (PaymentStatus.CAPTURED, Decimal("2.200"))
