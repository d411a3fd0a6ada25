"""A debt settled at the counter from the payment-issue queue, in headless Chromium: the queue
shows what is owed; the counter payment closes the shopper's issues and reinstates them; a viewer
is offered no button."""

from decimal import Decimal
from typing import Any

import pytest

from catalog.models import Store
from catalog.services.staff_stores import staff_member_create
from entry.models import Shopper, ShopperStatus
from jwo_admin.core.connector_keys import connector_key_create
from jwo_admin.core.roles import STORE_MANAGER, VIEWER
from orders.models import PaymentIssue, PaymentStatus, Purchase, PurchaseAudit
from tests.conftest import PASSWORD, sign_in
from tests.orders.payment_helpers import admitted, bought, card_shopper, payments_store, purchase_body

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def debt(transactional_db: None) -> Purchase:
    """Three colas (6.60 USD) on a card that declines: the hold and the charge refused."""
    store: Store = payments_store()
    staff_member_create(username="manager", password=PASSWORD, role=STORE_MANAGER, all_stores=True)
    staff_member_create(username="looker", password=PASSWORD, role=VIEWER, all_stores=True)
    shopper = card_shopper("cust-owes", "pm_owes_0002")
    key = connector_key_create(name="gateway")[1]
    purchase = bought(key, purchase_body(store, shopper, admitted(store, shopper), [("COLA", "3")]))
    assert (purchase.payment_status, purchase.total) == (PaymentStatus.FAILED, Decimal("6.600"))
    return purchase


def test_a_debt_is_settled_at_the_counter_from_the_queue(page: Any, live_server: Any, debt: Purchase) -> None:
    sign_in(page, live_server.url, "manager")
    page.goto(f"{live_server.url}/orders/payment-issues/")
    row = page.locator(f'#issue-queue tr:has(a[href="/orders/purchases/{debt.pk}/"])')
    assert f"{debt.purchase_id} (6.60 USD)" in " ".join(row.inner_text().split())

    row.locator('input[name="note"]').fill("Paid cash")
    row.locator(f'button[data-settle-counter="{debt.pk}"]').click()

    page.wait_for_url(f"{live_server.url}/orders/purchases/{debt.pk}/")
    assert page.inner_text(".message-success") == "Recorded as paid at the counter."
    debt.refresh_from_db()
    assert debt.payment_status == PaymentStatus.PAID_AT_COUNTER
    assert not PaymentIssue.objects.filter(status="open").exists()
    assert Shopper.objects.get(external_id="cust-owes").status == ShopperStatus.ACTIVE
    assert PurchaseAudit.objects.filter(purchase=debt, action="paid_at_counter", user__username="manager").exists()
    page.goto(f"{live_server.url}/orders/payment-issues/")
    assert "No open payment issues." in page.inner_text("#issue-queue")


def test_a_viewer_sees_the_debt_but_no_counter_button(page: Any, live_server: Any, debt: Purchase) -> None:
    sign_in(page, live_server.url, "looker")
    page.goto(f"{live_server.url}/orders/payment-issues/")

    assert f"{debt.purchase_id} (6.60 USD)" in " ".join(page.inner_text("#issue-queue").split())
    assert page.locator("button[data-settle-counter]").count() == 0
    debt.refresh_from_db()
    assert debt.payment_status == PaymentStatus.FAILED
