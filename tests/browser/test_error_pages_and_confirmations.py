"""What staff see when a page refuses them or an action needs a second thought, in headless
Chromium: the 403 page names the role and keeps the navigation, the API docs page leads back, and
changing a store's gate default asks first (Cancel changes nothing)."""

from typing import Any

import pytest

from catalog.models import Store
from catalog.services.staff_stores import staff_member_create
from entry.models import GateDefault, StoreGate
from jwo_admin.core.roles import CATALOG_MANAGER, STORE_MANAGER
from tests.conftest import PASSWORD, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_refused_page_names_the_role_and_the_navigation_leads_on(page: Any, live_server: Any) -> None:
    staff_member_create(username="cataloguer", password=PASSWORD, role=CATALOG_MANAGER, all_stores=True)
    sign_in(page, live_server.url, "cataloguer")

    response = page.goto(f"{live_server.url}/orders/promotions/new/")

    assert response is not None
    assert response.status == 403
    assert page.title() == "Not allowed · jwo-admin"
    assert page.inner_text("h1") == "Your role does not allow this"
    assert page.inner_text("#role-needed") == "This page needs the Store manager or Admin role."
    assert page.inner_text("#your-roles").startswith("You are signed in as cataloguer, with the Catalog manager role.")
    page.click("nav >> text=Catalog")
    page.wait_for_url(f"{live_server.url}/catalog/")


def test_the_api_docs_page_leads_back_to_the_staff_site(page: Any, live_server: Any) -> None:
    staff_member_create(username="reader", password=PASSWORD, role=CATALOG_MANAGER, all_stores=True)
    sign_in(page, live_server.url, "reader")

    page.goto(f"{live_server.url}/api/docs/")
    page.wait_for_selector(".swagger-ui .info .title")
    page.click("#back-to-staff")

    page.wait_for_url(f"{live_server.url}/")


def test_changing_a_gate_default_asks_first_and_cancel_changes_nothing(
    page: Any, live_server: Any, store: Store
) -> None:
    staff_member_create(username="manager", password=PASSWORD, role=STORE_MANAGER, all_stores=True)
    sign_in(page, live_server.url, "manager")
    page.goto(f"{live_server.url}/entry/")
    page.select_option("[data-testid=gate-default-TEST_STORE_001]", GateDefault.OPEN)
    asked: list[str] = []

    def answer_cancel(dialog: Any) -> None:
        asked.append(dialog.message)
        dialog.dismiss()

    # when: staff cancel the question
    page.once("dialog", answer_cancel)
    page.click("#store-TEST_STORE_001 button[type=submit]")

    # then: nothing was sent
    assert asked == [
        "Set the gate default of Test Store (TEST_STORE_001) to Open (let the shopper in)? "
        "Whenever our identity connector cannot decide in time, the gate does this."
    ]
    assert page.locator(".message-success").count() == 0
    assert not StoreGate.objects.filter(store=store, default_decision=GateDefault.OPEN).exists()

    # when: they say OK
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#store-TEST_STORE_001 button[type=submit]")

    # then: it is saved
    page.wait_for_selector(".message-success")
    assert StoreGate.objects.get(store=store).default_decision == GateDefault.OPEN
