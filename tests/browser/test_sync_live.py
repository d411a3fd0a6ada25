"""A running sync's page in headless Chromium: its tables follow the run without a reload, and
the retry button offers the failed items, the rejected ones only when asked."""

from pathlib import Path
from typing import Any

import pytest

from catalog.models import Product, Store, SyncItem, SyncRun, UploadBatch
from catalog.services.staff_stores import staff_member_create
from jwo_admin.core.roles import CATALOG_MANAGER
from tests.catalog.helpers import COLA, JUICE, WATER, run_import, write_csv
from tests.conftest import PASSWORD, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

REJECTION = "external_product_id failed validation"


def test_tables_follow_a_running_sync_and_the_retry_sends_only_the_failed_items(
    page: Any, live_server: Any, store: Store, fake_amazon: Any, tmp_path: Path
) -> None:
    run_import(store, write_csv(tmp_path / "seed.csv", [COLA, WATER, JUICE]))
    fake_amazon.amazon.knobs.rate_limit = 1000
    run = SyncRun.objects.create(store=store, status="sending", items_total=3)
    batch = UploadBatch.objects.create(sync_run=run, sequence=1, body=b"", item_count=3)
    for product in Product.objects.order_by("sku"):
        SyncItem.objects.create(sync_run=run, batch=batch, product=product, sku=product.sku, reason="new")
    staff_member_create(username="cat", password=PASSWORD, role=CATALOG_MANAGER, all_stores=True)
    sign_in(page, live_server.url, "cat")
    page.goto(f"{live_server.url}/catalog/sync/runs/{run.pk}/")
    assert page.locator("#item-table >> text=Pending").count() == 3
    page.evaluate("document.body.dataset.loadedOnce = 'yes'")  # gone if the page reloads

    run.items.filter(sku="SKU-1").update(result="failed", message="Amazon did not answer")
    run.items.filter(sku="SKU-2").update(result="rejected", code="INVALID_BARCODE", message=REJECTION)
    run.items.filter(sku="SKU-3").update(result="accepted")
    UploadBatch.objects.filter(pk=batch.pk).update(status="done", processing_status="DONE")
    page.wait_for_selector("#item-table >> text=Rejected by Amazon")

    assert page.evaluate("document.body.dataset.loadedOnce") == "yes"
    assert page.inner_text("#sync-status") == "Sending"
    assert "DONE" in page.inner_text("#batch-table")
    assert page.locator("#item-table >> text=Pending").count() == 0

    SyncRun.objects.filter(pk=run.pk).update(status="done", items_accepted=1, items_rejected=1, items_failed=1)
    page.wait_for_selector("#retry-failed")  # the run ended: the page reloaded with its buttons
    assert page.inner_text("#retry-failed") == "Retry the 1 failed item"
    assert page.inner_text("#retry-note") == (
        "Rejected items need fixing first: Amazon refuses them again until their product changes "
        "(its message below says what to fix). Failed items had no fault of their own and can be sent again now."
    )
    assert page.inner_text("label:has(#retry-include-rejected)").strip() == "Also send the 1 rejected item again"
    assert page.is_checked("#retry-include-rejected") is False

    page.click("#retry-failed")
    page.wait_for_selector(f"hgroup >> text=retries #{run.pk}")

    retry = SyncRun.objects.get(retry_of=run)
    assert page.url == f"{live_server.url}/catalog/sync/runs/{retry.pk}/"
    assert retry.retry_includes_rejected is False
    assert list(retry.items.values_list("sku", "reason")) == [("SKU-1", "retry")]
