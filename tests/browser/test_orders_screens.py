"""The orders screens in headless Chromium: a store manager creates a promotion through the form
(which shows only the values its kind takes), then tries a cart and sees the discount and the
curl command that sends the cart to the connector."""

import json
import shlex
from decimal import Decimal
from typing import Any

import pytest

from catalog.models import Product, Store
from catalog.services.staff_stores import staff_member_create
from jwo_admin.core.roles import STORE_MANAGER
from orders.models import Promotion, TaxRate
from orders.purchase_request import purchase_request_parse
from tests.conftest import PASSWORD, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_store_manager_creates_a_promotion_and_tries_a_cart_with_it(page: Any, live_server: Any, store: Store) -> None:
    TaxRate.objects.create(store=store, tax_code="GENERAL", rate=Decimal("0.10"))
    Product.objects.create(
        store=store, sku="SKU-CHIPS", name="Chips", price=Decimal("2.50"), tax_code="GENERAL", category="Snacks"
    )
    staff_member_create(username="manager", password=PASSWORD, role=STORE_MANAGER, all_stores=True)
    sign_in(page, live_server.url, "manager")

    # the promotion, through the form
    page.click("nav >> text=Orders")
    page.click("nav.subnav >> text=Promotions")
    page.click("#new-promotion")
    page.fill("#id_name", "2 snacks for 4.00")
    page.select_option("#id_kind", "multi_buy")
    assert page.is_hidden('[data-field="percent"]')
    assert page.is_disabled("#id_percent")
    assert page.is_visible('[data-field="buy_quantity"]')
    page.fill("#id_categories", "Snacks")
    page.fill("#id_buy_quantity", "2")
    page.fill("#id_amount", "4.00")
    page.check(f'input[name="stores"][value="{store.pk}"]')
    page.click("#save-promotion")

    page.wait_for_selector(".message-success")
    assert page.inner_text(".message-success") == "Promotion “2 snacks for 4.00” saved: 2 for 4.00."
    assert page.url == f"{live_server.url}/orders/promotions/"
    promotion = Promotion.objects.get()
    assert (promotion.kind, promotion.categories, promotion.buy_quantity, promotion.amount, promotion.percent) == (
        "multi_buy",
        ["Snacks"],
        2,
        Decimal("4.000"),
        None,
    )

    # the cart, priced with it
    page.click("nav.subnav >> text=Try a cart")
    page.select_option("#id_store", str(store.pk))
    page.fill("#id_lines", "SKU-CHIPS 3")
    page.click("#price-cart")

    page.wait_for_selector("#tried-lines")
    # 3 × 2.50 = 7.50; one group of two for 4.00 saves 1.00; net 6.50, tax 10 % 0.65, total 7.15
    cells = page.locator("#tried-lines tbody tr").nth(0).locator("td").all_inner_texts()
    assert [" ".join(cell.split()) for cell in cells] == [
        "1",
        "SKU-CHIPS",
        "SKU-CHIPS Chips",
        "3 unit",
        "2.50",
        "7.50",
        "−1.00 2 snacks for 4.00",
        "6.50",
        "0.65 GENERAL",
        "7.15",
    ]
    assert page.locator("#tried-totals tr").nth(3).inner_text().split() == ["Total", "7.15", "USD"]
    words = shlex.split(page.inner_text("#curl-command"))
    assert words[:9] == [
        "curl",
        "-sS",
        "-X",
        "POST",
        f"{live_server.url}/v1/order/purchases",
        "-H",
        "Content-Type: application/json",
        "-H",
        "X-JWO-Connector-Key: $JWO_CONNECTOR_KEY",
    ]
    body = json.loads(words[10])
    assert purchase_request_parse(body).store_id == "TEST_STORE_001"
    assert body["cartItems"] == [
        {"id": "SKU-CHIPS", "type": "SKU", "quantity": {"value": "3", "unit": "unit"}, "lineItemId": "li-1"}
    ]
    assert "Sending it twice gives one purchase" in page.inner_text("#tried-cart")
