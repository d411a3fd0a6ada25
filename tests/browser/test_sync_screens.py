"""The sync screens in headless Chromium against the fake Amazon: test connectivity, sync a store,
follow it to the end through htmx polling, and read Amazon's rejection."""

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from catalog.models import AmazonCall, InboundMessage, Store, SyncRun
from catalog.services.notifications import notifications_consume
from jwo_admin.core.roles import CATALOG_MANAGER
from jwo_admin.core.services import staff_user_create
from tests.catalog.helpers import COLA, JUICE, WATER, run_import, write_csv
from tests.conftest import PASSWORD, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

REJECTION = "external_product_id failed validation: check digit or format not accepted"


@pytest.fixture
def results_reader(fake_amazon: Any) -> Iterator[None]:
    """What the beat task does in production: read Amazon's notifications while the test runs."""
    stop = threading.Event()

    def consume() -> None:
        try:
            while not stop.is_set():
                notifications_consume(seconds=0.5, stop_when_empty=False)
        finally:
            connection.close()

    reader = threading.Thread(target=consume, name="notifications", daemon=True)
    reader.start()
    try:
        yield
    finally:
        stop.set()
        reader.join(timeout=10)


def test_catalog_manager_syncs_a_store_and_sees_amazons_rejection(
    page: Any, live_server: Any, store: Store, fake_amazon: Any, results_reader: None, tmp_path: Path
) -> None:
    run_import(store, write_csv(tmp_path / "seed.csv", [COLA, WATER, JUICE]))
    fake_amazon.amazon.knobs.reject_skus = {"SKU-2"}
    fake_amazon.amazon.knobs.rate_limit = 1000  # the calls are counted below; no 429 from earlier tests' calls
    staff_user_create(username="cat", password=PASSWORD, role=CATALOG_MANAGER)
    sign_in(page, live_server.url, "cat")

    page.click("nav >> text=Sync")
    page.click("#test-connectivity")
    page.wait_for_selector("#connectivity-amazon")
    assert page.inner_text("#connectivity-amazon").startswith("Amazon: Success: signed call answered in ")
    assert page.inner_text("#connectivity-queue") == "Queue: Success: 0 messages waiting"

    assert page.inner_text('[data-testid="sync-TEST_STORE_001"]') == "Sync 3 to Amazon"
    page.click('[data-testid="sync-TEST_STORE_001"]')
    page.wait_for_selector("#sync-status >> text=Done")
    page.wait_for_load_state("load")  # "Done" comes with a reload: the tables below it are parsed by now

    run = SyncRun.objects.get()
    assert page.url == f"{live_server.url}/catalog/sync/runs/{run.pk}/"
    assert (page.inner_text("#sync-accepted"), page.inner_text("#sync-rejected"), page.inner_text("#sync-failed")) == (
        "2",
        "1",
        "0",
    )
    rows = page.locator("#item-table tbody tr")
    assert rows.count() == 3
    rejected = rows.nth(0).inner_text()
    assert rejected.split("\t")[0] == "SKU-2"
    assert "Rejected by Amazon" in rejected
    assert f"INVALID_BARCODE {REJECTION}" in rejected
    assert page.locator("#retry-failed").inner_text() == "Retry the 1 rejected and failed items"
    assert (
        run.status,
        run.items_accepted,
        run.items_rejected,
        run.requested_by.username if run.requested_by else "",
    ) == (
        "done",
        2,
        1,
        "cat",
    )
    assert list(InboundMessage.objects.values_list("status", flat=True)) == ["applied"]
    assert set(AmazonCall.objects.values_list("operation", "outcome")) == {
        ("connectivity", "invalid_body"),
        ("upload", "accepted"),
    }
