"""The sales report in headless Chromium: Kiritimati's 7 Dec (``tests/orders/settlement_world.py``)
by product, category and hour of the store's clock, as worked out by hand there, with its three
charts drawn from the same figures; a wider range chosen in the form takes in the day before."""

from typing import Any

import pytest
from django.contrib.auth.models import User

from catalog.models import Store
from catalog.services.staff_stores import staff_stores_set
from jwo_admin.core.roles import VIEWER
from jwo_admin.core.services import staff_user_create
from tests.browser.test_content_security_policy import RECORD_VIOLATIONS
from tests.conftest import PASSWORD, sign_in
from tests.orders.settlement_world import FORMULA, settlement_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def table(page: Any, table_id: str) -> list[list[str]]:
    return [row.locator("td").all_inner_texts() for row in page.locator(f"#{table_id} tbody tr").all()]


def chart(page: Any, canvas_id: str) -> dict[str, Any]:
    """What Chart.js drew on the canvas: its labels and the gross per label."""
    return page.evaluate(
        "(id) => { const drawn = Chart.getChart(document.getElementById(id)).data;"
        " return {labels: drawn.labels, gross: drawn.datasets[0].data.map(Number)}; }",
        canvas_id,
    )


def test_staff_read_a_days_sales_by_product_category_and_hour_with_charts(
    page: Any, live_server: Any, other_store: Store
) -> None:
    world = settlement_world(other_store)
    staff_user_create(username="finance", password=PASSWORD, role=VIEWER)
    staff_stores_set(user=User.objects.get(username="finance"), all_stores=False, stores=[world.store])
    page.add_init_script(RECORD_VIOLATIONS)
    sign_in(page, live_server.url, "finance")

    page.goto(f"{live_server.url}/orders/sales/?store={world.store.pk}&date_from=2026-12-07&date_to=2026-12-07")

    # By hand: P1 (13:30) COLA 2 × 2.50 and BREAD 1 × 3.00; P2 (15:00) COLA 4 × 2.50; P3 (16:00)
    # BREAD 2 × 3.00; the empty cart, the day before, the simulated and the other store's are not sales.
    assert " ".join(page.inner_text("#sales-range").split()) == (
        "Kiritimati (KIRITIMATI), 2026-12-07 to 2026-12-07 (Pacific/Kiritimati): gross 24.00 AUD. See the purchases"
    )
    assert table(page, "sales-products") == [
        ["Cola (COLA)", "6", "2", "15.00"],
        [f"{FORMULA} (BREAD)", "3", "2", "9.00"],
    ]
    assert table(page, "sales-categories") == [["Drinks", "6", "2", "15.00"], ["Bakery", "3", "2", "9.00"]]
    hours = table(page, "sales-hours")
    assert [row[0] for row in hours] == [f"{hour:02d}:00" for hour in range(24)]
    assert [row for row in hours if row[2] != "0"] == [
        ["13:00", "3", "2", "8.00"],
        ["15:00", "4", "1", "10.00"],
        ["16:00", "2", "1", "6.00"],
    ]
    page.wait_for_function("document.querySelectorAll('canvas[data-drawn]').length === 3")
    assert chart(page, "products-chart") == {"labels": ["Cola (COLA)", f"{FORMULA} (BREAD)"], "gross": [15, 9]}
    assert chart(page, "categories-chart") == {"labels": ["Drinks", "Bakery"], "gross": [15, 9]}
    by_hour = chart(page, "hours-chart")
    assert by_hour["labels"] == [f"{hour:02d}:00" for hour in range(24)]
    assert {label: gross for label, gross in zip(by_hour["labels"], by_hour["gross"], strict=True) if gross} == {
        "13:00": 8,
        "15:00": 10,
        "16:00": 6,
    }
    assert page.evaluate("window.__csp") == []

    # The day before too: P5 at 23:30 on 6 Dec there, 40 colas (100.00).
    page.fill('input[name="date_from"]', "2026-12-06")
    page.click('form[aria-label="Sales range"] button[type=submit]')
    page.wait_for_url("**date_from=2026-12-06**")
    assert page.inner_text("#sales-gross") == "124.00 AUD"
    assert table(page, "sales-products")[0] == ["Cola (COLA)", "46", "3", "115.00"]
