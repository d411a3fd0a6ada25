"""The dashboard draws its charts and refreshes itself: a cart that arrives while it is open shows
up without a reload."""

from datetime import timedelta
from typing import Any

import pytest

from catalog.services.staff_stores import staff_member_create
from jwo_admin.core.roles import VIEWER
from tests.conftest import PASSWORD, sign_in
from tests.operations.test_alerts import purchase

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_dashboard_draws_its_charts_and_shows_new_alerts_without_a_reload(
    page: Any, live_server: Any, store: Any, settings: Any
) -> None:
    settings.JWO_ALERT_UNPRICED_MINUTES = 5
    staff_member_create(username="watcher", password=PASSWORD, role=VIEWER, all_stores=True)
    sign_in(page, live_server.url, "watcher")

    page.wait_for_function("document.querySelectorAll('canvas[data-drawn]').length === 6")
    # Nothing has happened yet: each chart says so instead of drawing empty axes.
    assert page.evaluate("Object.keys(Chart.instances).length") == 0
    assert page.locator(".chart-empty").all_inner_texts() == ["No data yet"] * 6
    assert page.is_visible("#no-alerts")

    purchase(store, status="bad_cart", age=timedelta(minutes=10))
    page.wait_for_selector('[data-alert="unpriced"]', timeout=15_000)  # the live part polls every 10 s
    assert page.url == f"{live_server.url}/"
    assert page.inner_text('[data-alert="unpriced"] a') == "1 cart received more than 5 min ago not priced (bad carts)"
    page.wait_for_function("document.querySelectorAll('canvas[data-drawn]').length === 6")
    # The bad cart is drawn per hour on the purchases and open-work charts; the four others stay empty.
    assert page.evaluate("Object.keys(Chart.instances).length") >= 2
    assert page.locator(".chart-empty").count() == 4
