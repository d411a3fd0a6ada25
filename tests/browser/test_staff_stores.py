"""Staff see their own stores, and admins manage staff users on the staff page: a store manager
of one store sees nothing of the other in lists and on the dashboard; an admin invites a staff
user whose emailed link sets the password; deactivating asks first."""

import re
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core import mail

from catalog.models import Product, Store
from catalog.services.staff_stores import staff_member_create
from jwo_admin.core.roles import ADMIN, STORE_MANAGER
from tests.conftest import PASSWORD, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _products(store: Store, other_store: Store) -> None:
    Product.objects.create(store=store, sku="ALPHA-1", name="Alpha Cola", price=Decimal("2.00"))
    Product.objects.create(store=other_store, sku="BRAVO-1", name="Bravo Cola", price=Decimal("3.00"))


def test_a_store_manager_of_one_store_sees_only_that_store(
    page: Any, live_server: Any, store: Store, other_store: Store
) -> None:
    _products(store, other_store)
    staff_member_create(username="alpha", password=PASSWORD, role=STORE_MANAGER, all_stores=False, stores=[store])
    sign_in(page, live_server.url, "alpha")

    dashboard = page.inner_text("main")
    page.goto(f"{live_server.url}/catalog/")
    products = page.inner_text("main")
    stores_offered = page.locator("select[name=store] option").all_inner_texts()

    assert "Test Store" in dashboard
    assert "Other Store" not in dashboard
    assert "ALPHA-1" in products
    assert "BRAVO-1" not in products
    assert [text for text in stores_offered if "Store" in text] == ["Test Store (TEST_STORE_001)"]


def test_an_admin_invites_a_staff_user_who_sets_a_password_and_sees_only_their_store(
    page: Any, live_server: Any, store: Store, other_store: Store
) -> None:
    _products(store, other_store)
    staff_member_create(username="boss", password=PASSWORD, role=ADMIN, all_stores=True)
    sign_in(page, live_server.url, "boss")

    # when: the admin invites a store manager of the other store
    page.goto(f"{live_server.url}/operations/staff/")
    page.fill("#id_email", "bravo.manager@example.com")
    page.select_option("#id_role", STORE_MANAGER)
    page.check(f"#invite-form input[name=stores][value='{other_store.pk}']")
    page.click("#invite-form button[type=submit]")
    page.wait_for_selector(".message-success")

    row = page.locator('tr[data-user="bravo.manager@example.com"]')
    assert row.locator(".role").inner_text() == STORE_MANAGER
    assert row.locator(".stores").inner_text() == "Other Store"
    assert [message.to for message in mail.outbox] == [["bravo.manager@example.com"]]
    link = re.search(r"http://\S+/accounts/password/\S+/", str(mail.outbox[0].body))
    assert link is not None

    # when: the invited user follows the link and chooses a password
    page.context.clear_cookies()
    page.goto(link.group(0))
    page.fill("#id_new_password1", "bravo-new-pass-42")
    page.fill("#id_new_password2", "bravo-new-pass-42")
    page.click("#password-set-form button[type=submit]")
    page.click("#sign-in-link")
    page.fill("#id_username", "bravo.manager@example.com")
    page.fill("#id_password", "bravo-new-pass-42")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")

    # then: they see their store only
    page.goto(f"{live_server.url}/catalog/")
    products = page.inner_text("main")
    assert "BRAVO-1" in products
    assert "ALPHA-1" not in products


def test_deactivating_a_staff_user_asks_first(page: Any, live_server: Any, store: Store) -> None:
    staff_member_create(username="boss", password=PASSWORD, role=ADMIN, all_stores=True)
    staff_member_create(username="leaver", password=PASSWORD, role=STORE_MANAGER, all_stores=True)
    sign_in(page, live_server.url, "boss")
    page.goto(f"{live_server.url}/operations/staff/")
    button = 'tr[data-user="leaver"] form[data-confirm] button'
    asked: list[str] = []

    def answer_cancel(dialog: Any) -> None:
        asked.append(dialog.message)
        dialog.dismiss()

    # when: the admin cancels
    page.once("dialog", answer_cancel)
    page.click(button)

    # then: nothing changed
    assert asked == ["Deactivate leaver? They can no longer sign in until someone reactivates them."]
    assert User.objects.get(username="leaver").is_active is True

    # when: they say OK
    page.once("dialog", lambda dialog: dialog.accept())
    page.click(button)
    page.wait_for_selector(".message-success")

    # then: the user is inactive and cannot sign in
    assert page.locator('tr[data-user="leaver"] .active').inner_text() == "no"
    assert User.objects.get(username="leaver").is_active is False
    page.context.clear_cookies()
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "leaver")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("[role=alert]")
    assert page.url.startswith(f"{live_server.url}/accounts/login/")
