"""Staff read every time on the store's clock with its zone, in headless Chromium: a Kiritimati
(UTC+14) purchase at 23:30 UTC on 6 December shows as 13:30 on 7 December with the zone named on
hover; the charts say which clock their hours use, and a chart with nothing to draw says so."""

from datetime import UTC, datetime
from typing import Any

import pytest

from catalog.models import Store
from catalog.services.staff_stores import staff_member_create
from jwo_admin.core.roles import VIEWER
from tests.conftest import PASSWORD, sign_in
from tests.orders.test_views import make_purchase

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_staff_see_store_times_with_their_zone_and_charts_name_their_clock(
    page: Any, live_server: Any, db: None
) -> None:
    kiritimati = Store.objects.create(
        store_id="KIRITIMATI", name="Kiritimati", currency="AUD", time_zone="Pacific/Kiritimati"
    )
    purchase = make_purchase(kiritimati, at=datetime(2026, 12, 6, 23, 30, tzinfo=UTC), total="2630.00")
    staff_member_create(username="viewer", password=PASSWORD, role=VIEWER, all_stores=True)
    sign_in(page, live_server.url, "viewer")

    page.goto(f"{live_server.url}/orders/purchases/")
    row = page.locator("#purchase-table tbody tr").first
    moment = row.locator("time")
    assert moment.inner_text() == "7 Dec 2026 13:30:00 +14"
    assert moment.get_attribute("title") == "Pacific/Kiritimati"
    assert "2,630.00 AUD" in row.inner_text()
    assert purchase.purchase_id in row.inner_text()

    page.goto(f"{live_server.url}/entry/?store={kiritimati.pk}")
    assert page.inner_text(".charts-zone") == "Hours in Pacific/Kiritimati."
    assert page.get_attribute("#gate-traffic-chart", "data-x-title") == "Hour (Pacific/Kiritimati)"
    page.wait_for_selector("#gate-traffic-chart[hidden]", state="attached")
    assert page.locator(".chart-empty").first.inner_text() == "No data yet"
