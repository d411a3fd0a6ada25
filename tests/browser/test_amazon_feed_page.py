"""The Amazon feed page in headless Chromium: a store manager sees the day's differences and a
parked event, retries it once its store exists, and a viewer's retry is refused with nothing changed."""

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from catalog.models import Store
from catalog.services.staff_stores import staff_member_create
from jwo_admin.core.roles import STORE_MANAGER, VIEWER
from orders.models import AmazonFeedEvent, AmazonTrip, AmazonTripLine, FeedStatus
from tests.conftest import PASSWORD, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CART = (
    '{"eventId": "ev-far", "eventType": "CART", "shoppingTripId": "trip-far", "storeId": "TEST_STORE_002", '
    '"eventTime": "2026-03-02T15:30:00Z", "cartItems": [{"id": "COLA", "quantity": {"value": "1"}}]}'
)


def test_a_store_manager_sees_the_differences_and_retries_a_parked_event(page: Any, live_server: Any) -> None:
    store = Store.objects.create(store_id="TEST_STORE_001", name="Test Store")
    trip = AmazonTrip.objects.create(trip_id="trip-lost", store=store, ended_at=datetime(2026, 3, 2, 15, tzinfo=UTC))
    AmazonTripLine.objects.create(trip=trip, line_id="li-1", sku="COLA", quantity=Decimal(1))
    event = AmazonFeedEvent.objects.create(
        event_id="ev-far", body=CART, status=FeedStatus.PARKED, attempts=3, error="No store of ours"
    )
    staff_member_create(username="manager", password=PASSWORD, role=STORE_MANAGER, all_stores=True)
    sign_in(page, live_server.url, "manager")

    page.click("nav >> text=Orders")
    page.click("nav.subnav >> text=Amazon feed")
    page.select_option("select[name=store]", "TEST_STORE_001")
    page.fill("input[name=day]", "2026-03-02")
    page.click("form.filters button")

    row = page.locator('[data-kind="amazon_trip_without_purchase"][data-trip="trip-lost"]')
    assert "Amazon reported this trip but we received no purchase for it." in row.inner_text()
    assert "Parked for staff" in page.locator('[data-event="ev-far"]').inner_text()
    Store.objects.create(store_id="TEST_STORE_002", name="Other Store")
    page.click('[data-event="ev-far"] button')
    page.wait_for_selector("text=Event ev-far: Read.")
    event.refresh_from_db()
    assert (event.status, event.attempts) == ("done", 1)
    assert AmazonTrip.objects.filter(trip_id="trip-far").exists()


def test_a_viewer_sees_the_parked_event_without_a_retry_button(page: Any, live_server: Any) -> None:
    event = AmazonFeedEvent.objects.create(
        event_id="ev-bad", body="{nope", status=FeedStatus.PARKED, attempts=3, error="The event is not JSON"
    )
    staff_member_create(username="looker", password=PASSWORD, role=VIEWER, all_stores=True)
    sign_in(page, live_server.url, "looker")

    page.goto(f"{live_server.url}/orders/amazon-feed/?problems=on")

    row = page.locator('[data-event="ev-bad"]')
    assert "The event is not JSON" in row.inner_text()
    assert row.locator("button").count() == 0
    event.refresh_from_db()
    assert (event.status, event.attempts) == ("parked", 3)
