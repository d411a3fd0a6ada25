"""The reconciliation queue in headless Chromium: a Store manager resolves a missing cart with a
note; the item leaves the open queue and, listed as resolved, says who decided and what."""

from typing import Any

import pytest
from django.contrib.auth.models import User

from catalog.models import Store
from orders.models import ReconciliationItem
from tests.browser.test_content_security_policy import RECORD_VIOLATIONS
from tests.conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_store_manager_resolves_an_item_with_a_note(
    page: Any, live_server: Any, store: Store, store_manager: User
) -> None:
    item = ReconciliationItem.objects.create(
        store=store,
        store_day="2025-03-10",
        kind="missing_cart",
        trip_id="ev-lost-1",
        reason="Admitted at gate event ev-lost-1; no purchase came 2 h after the day's last gate event.",
    )
    page.add_init_script(RECORD_VIOLATIONS)
    sign_in(page, live_server.url, "storemgr")

    page.goto(f"{live_server.url}/orders/reconciliation/")
    row = page.locator(f'tr[data-item="{item.pk}"]')
    assert row.locator("td").nth(2).inner_text() == "Missing cart (admitted, no purchase)"
    row.get_by_label("What was decided about ev-lost-1").fill("Shopper walked out with nothing; hold released")
    row.get_by_role("button", name="Resolve").click()

    page.wait_for_url(f"{live_server.url}/orders/reconciliation/")
    assert page.locator("#reconciliation-queue tbody td").all_inner_texts() == ["Nothing to reconcile here."]
    item.refresh_from_db()
    assert (item.status, item.resolution_note, item.resolved_by) == (
        "resolved",
        "Shopper walked out with nothing; hold released",
        store_manager,
    )
    page.goto(f"{live_server.url}/orders/reconciliation/?status=resolved")
    status = page.locator(f'tr[data-item="{item.pk}"] td').nth(7).inner_text()
    assert status.startswith("Resolved Shopper walked out with nothing; hold released — storemgr, ")
    assert page.evaluate("window.__csp") == []
