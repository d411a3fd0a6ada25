"""The sync screens in headless Chromium against the fake Amazon: test connectivity, sync a store,
follow it to the end through htmx polling, and read Amazon's rejection."""

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from catalog.models import AmazonCall, InboundMessage, Store, SyncRun
from catalog.services.notifications import notifications_consume
from catalog.services.staff_stores import staff_member_create
from catalog.services.sync_plan import sync_follow_up_request, sync_plan, sync_run_fill
from jwo_admin.core.roles import CATALOG_MANAGER
from tests.catalog.helpers import COLA, JUICE, WATER, run_import, write_csv
from tests.catalog.sync_helpers import drive
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
    staff_member_create(username="cat", password=PASSWORD, role=CATALOG_MANAGER, all_stores=True)
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
    assert page.locator("#retry-failed").inner_text() == "Retry the 1 rejected item"
    assert page.inner_text("#retry-note") == (
        "Rejected items need fixing first: Amazon refuses them again until their product changes "
        "(its message below says what to fix)."
    )
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
        ("connectivity", "ok"),
        ("upload", "accepted"),
        ("report", "ok"),
    }


def test_catalog_manager_confirms_amazons_subscription_from_the_sync_page(
    page: Any, live_server: Any, store: Store, fake_amazon: Any
) -> None:
    envelope = fake_amazon.amazon.subscription_announce()
    notifications_consume(seconds=1, stop_when_empty=True)
    message = InboundMessage.objects.get()
    staff_member_create(username="cat", password=PASSWORD, role=CATALOG_MANAGER, all_stores=True)
    sign_in(page, live_server.url, "cat")

    page.click("nav >> text=Sync")
    notice = page.locator(f"#subscription-{message.pk}")
    assert "Amazon's topic asks to confirm our queue's subscription." in notice.inner_text()
    assert f"SubscribeURL: {envelope['SubscribeURL']}" in notice.inner_text()
    page.click(f"#confirm-subscription-{message.pk}")
    page.wait_for_selector(f"text=Subscription to {fake_amazon.resources.topic_arn} confirmed.")

    message.refresh_from_db()
    assert (message.status, message.confirmed_by.username if message.confirmed_by else "") == ("confirmed", "cat")
    assert fake_amazon.amazon.subscription_confirmed is True
    assert page.locator(f"#subscription-{message.pk}").count() == 0


def test_the_run_page_shows_split_batches_and_the_follow_up_sync(
    page: Any, live_server: Any, store: Store, fake_amazon: Any, settings: Any, tmp_path: Path
) -> None:
    run_import(store, write_csv(tmp_path / "seed.csv", [COLA, WATER, JUICE]))
    settings.JWO_SQS_WAIT_SECONDS = 0
    knobs = fake_amazon.amazon.knobs
    knobs.rate_limit = 1000
    first = sync_plan(store=store)  # only to learn the size of the three items' body
    whole = len(first.batches.get().request_body)
    first.delete()
    knobs.payload_limit_bytes = whole * 3 // 4  # two items fit, not three
    knobs.gateway_500_rate = 1.0  # and then API Gateway fails every call
    run = drive(sync_plan(store=store))
    staff_member_create(username="cat", password=PASSWORD, role=CATALOG_MANAGER, all_stores=True)
    sign_in(page, live_server.url, "cat")

    page.goto(f"{live_server.url}/catalog/sync/runs/{run.pk}/")
    statuses = [row.inner_text().split("\t")[3] for row in page.locator("#batch-table tbody tr").all()]
    assert statuses == ["Split in two", "Failed (half of 1)", "Failed (half of 1)"]
    assert page.inner_text("#follow-up").startswith(
        "Some batches got no answer from Amazon: a follow-up sync of their items is due at "
    )

    knobs.gateway_500_rate = 0.0
    SyncRun.objects.filter(pk=run.pk).update(follow_up_at=timezone.now())
    follow_up = sync_follow_up_request(run_id=run.pk)
    assert follow_up is not None
    sync_run_fill(run_id=follow_up.pk)
    drive(SyncRun.objects.get(pk=follow_up.pk))
    page.reload()

    assert page.locator("#follow-up").count() == 0
    assert (
        page.inner_text(f"#follow-up-{follow_up.pk}")
        == f"Follow-up sync #{follow_up.pk} sends 3 of these items again: done."
    )
    page.click(f"#follow-up-{follow_up.pk} >> a")
    assert page.inner_text("h1 + p").split(" · ")[2].startswith(f"follow-up 1 of #{run.pk}")
    assert page.inner_text("#sync-accepted") == "3"
