"""Finance in headless Chromium: the settlement page of Kiritimati's 7 Dec shows the figures
worked out by hand (``tests/orders/settlement_world.py``) and downloads the day as XLSX."""

import io
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from openpyxl import load_workbook

from catalog.models import Store
from catalog.services.staff_stores import staff_stores_set
from jwo_admin.core.roles import VIEWER
from jwo_admin.core.services import staff_user_create
from tests.conftest import PASSWORD, sign_in
from tests.orders.settlement_world import settlement_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_staff_read_a_store_days_settlement_and_download_it_as_xlsx(
    page: Any, live_server: Any, other_store: Store
) -> None:
    world = settlement_world(other_store)
    staff_user_create(username="finance", password=PASSWORD, role=VIEWER)
    staff_stores_set(user=User.objects.get(username="finance"), all_stores=False, stores=[world.store])
    sign_in(page, live_server.url, "finance")

    page.goto(f"{live_server.url}/orders/settlement/?store={world.store.pk}&day=2026-12-07")
    assert page.inner_text("#settlement-day") == "Monday 2026-12-07"
    assert page.inner_text("#settlement-trips .trips") == "4"
    money = page.locator("#settlement-AUD")
    assert money.locator(".gross").inner_text() == "24.00"
    assert money.locator(".total").inner_text() == "22.65"
    assert money.locator(".captured").inner_text() == "7.55"
    assert money.locator(".outstanding").inner_text() == "8.80"
    assert money.locator(".written-off").inner_text() == "6.30"
    assert money.locator(".refunds").inner_text() == "−3.15"
    assert "Other Store" not in page.content()

    with page.expect_download() as download:
        page.click("#export-settlement-xlsx")
    sheet = load_workbook(io.BytesIO(Path(download.value.path()).read_bytes()), read_only=True).active  # no suffix
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert download.value.suggested_filename.startswith("settlement-days-")
    assert rows[0][:3] == ["store_id", "day", "currency"]
    assert rows[1][0] == "KIRITIMATI"
    assert rows[1][3:15] == [4, 4, 3, 24, 3, 1.65, 22.65, 3.15, 7.55, 0, 8.8, 6.3]

    page.click("#next-day")
    assert page.inner_text("#settlement-day") == "Tuesday 2026-12-08"
    assert page.inner_text("#settlement-empty") == "No purchases this day."
