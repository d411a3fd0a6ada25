"""The entry screens in headless Chromium: the gate log shows a new call without a reload, and a
store manager blocks a shopper from the detail page."""

from typing import Any

import pytest

from catalog.models import Store
from catalog.services.staff_stores import staff_member_create
from entry.models import GateDecisionKind, GateEvent, GateReason, ScanKey, ShopperStatus
from entry.services.shoppers import scan_key_issue
from jwo_admin.core.roles import STORE_MANAGER, VIEWER
from tests.conftest import PASSWORD, sign_in
from tests.entry.conftest import make_shopper

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _record(store: Store, **fields: Any) -> GateEvent:
    values: dict[str, Any] = {
        "store": store,
        "store_ref": store.store_id,
        "decision": GateDecisionKind.ADMITTED,
        "reason": GateReason.ADMITTED,
        "status_code": 200,
        "response_body": {},
        "latency_ms": 8.0,
    }
    return GateEvent.objects.create(**{**values, **fields})


def test_gate_log_shows_a_new_call_without_a_reload(page: Any, live_server: Any, store: Store) -> None:
    shopper = make_shopper("cust-live")
    first = _record(store, shopper=shopper, visitor_type=shopper.visitor_type)
    staff_member_create(username="watcher", password=PASSWORD, role=VIEWER, all_stores=True)
    sign_in(page, live_server.url, "watcher")

    page.click("nav >> text=Entry")
    page.click("nav.subnav >> text=Gate log")
    page.wait_for_selector(f'tr[data-event="{first.pk}"]')
    assert page.locator("#gate-log-rows tr").count() == 1
    page.evaluate("window.__sameDocument = true")

    # when: the gate calls while the page is open
    late = _record(
        store,
        decision=GateDecisionKind.REFUSED,
        reason=GateReason.FORGED,
        status_code=403,
        detail="MAC does not match",
        key_fingerprint="feedfacecafe0001",
    )

    # then: it appears on top within a few polls, in the same document
    row = page.wait_for_selector(f'tr[data-event="{late.pk}"]', timeout=10_000)
    assert row is not None
    assert page.evaluate("window.__sameDocument") is True
    assert page.locator("#gate-log-rows tr").count() == 2
    cells = page.locator("#gate-log-rows tr").nth(0).locator("td").all_inner_texts()
    assert cells[1:] == [
        "TEST_STORE_001",
        "Refused",
        "Forged or altered code",
        "MAC does not match",
        "—",
        "—",
        "8.0",
        "403",
        "0",
        "feedfacecafe0001",
    ]


def test_store_manager_blocks_a_shopper_from_the_detail_page(page: Any, live_server: Any) -> None:
    shopper = make_shopper("cust-block")
    scan_key_issue(shopper=shopper)
    staff_member_create(username="manager", password=PASSWORD, role=STORE_MANAGER, all_stores=True)
    sign_in(page, live_server.url, "manager")

    page.goto(f"{live_server.url}/entry/shoppers/?q=cust-block")
    page.click("#shopper-table >> text=Shopper cust-block")
    assert page.inner_text("#shopper-status") == "Active"
    assert page.inner_text("#active-codes") == "1"

    page.fill("#block-form input[name=reason]", "stolen card reported")
    asked: list[str] = []

    def answer_ok(dialog: Any) -> None:
        asked.append(dialog.message)
        dialog.accept()

    page.once("dialog", answer_ok)
    page.click("#block-shopper")

    page.wait_for_selector("#shopper-status >> text=Blocked")
    assert asked == [
        "Block Shopper cust-block? Their codes are revoked and the gate refuses them until someone unblocks them."
    ]
    assert page.url == f"{live_server.url}/entry/shoppers/{shopper.pk}/"
    assert page.inner_text(".message-success") == (
        "Shopper cust-block blocked: stolen card reported. Their codes no longer open the gate."
    )
    assert page.inner_text("#active-codes") == "0"
    assert page.inner_text("#status-reason") == "Reason: stolen card reported"
    assert page.locator("#block-form").count() == 0
    assert page.inner_text("#reinstate-shopper") == "Unblock"
    shopper.refresh_from_db()
    assert (shopper.status, shopper.status_reason) == (ShopperStatus.BLOCKED, "stolen card reported")
    assert ScanKey.objects.filter(shopper=shopper, revoked_at__isnull=True).count() == 0
