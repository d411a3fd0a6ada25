"""A shopper's page in headless Chromium: their purchases and spend load into it (htmx, no inline
script), and each purchase opens its own page."""

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from catalog.models import Store
from catalog.services.staff_stores import staff_member_create
from jwo_admin.core.roles import VIEWER
from orders.models import PaymentStatus
from tests.browser.test_content_security_policy import RECORD_VIOLATIONS
from tests.conftest import PASSWORD, sign_in
from tests.entry.conftest import make_shopper
from tests.orders.test_views import make_purchase

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_shopper_page_loads_their_purchases_and_spend(
    page: Any, live_server: Any, store: Store, settings: Any
) -> None:
    settings.TIME_ZONE = "UTC"
    shopper = make_shopper("cust-spend")
    purchase = make_purchase(
        store,
        at=datetime(2025, 3, 10, 13, 5, tzinfo=UTC),
        total="4.18",
        payment_status=PaymentStatus.CAPTURED,
        shopper=shopper,
        captured_total=Decimal("4.18"),
        refunded_total=Decimal("1.00"),
    )
    staff_member_create(username="watcher", password=PASSWORD, role=VIEWER, all_stores=True)
    page.add_init_script(RECORD_VIOLATIONS)
    sign_in(page, live_server.url, "watcher")

    page.goto(f"{live_server.url}/entry/shoppers/{shopper.pk}/")

    row = page.wait_for_selector(f'#shopper-purchases tr[data-purchase="{purchase.pk}"]', timeout=10_000)
    assert row is not None
    assert page.url == f"{live_server.url}/entry/shoppers/{shopper.pk}/"
    assert page.locator("#shopper-purchases h2").all_inner_texts() == ["Purchases"]  # swapped in, not nested
    assert page.locator("#shopper-purchases article").all_inner_texts() == [
        "1\npurchase",
        "3.18 USD\nspent (after refunds)",
    ]
    cells = page.locator(f'tr[data-purchase="{purchase.pk}"] td').all_inner_texts()
    assert cells == [
        "10 Mar 2025 13:05:00 UTC",
        purchase.purchase_id,
        "TEST_STORE_001",
        "4.18 USD",
        "Priced",
        "Charged",
    ]
    assert page.evaluate("window.__csp") == []

    page.click(f"#shopper-purchases >> text={purchase.purchase_id}")
    page.wait_for_url(f"{live_server.url}/orders/purchases/{purchase.pk}/")
