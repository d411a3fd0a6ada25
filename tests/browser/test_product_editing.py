"""Product editing in headless Chromium: a catalog manager fixes a product Amazon rejected and sends
it again from its page, archives a selection from the catalog list; a viewer sees no way to edit."""

from pathlib import Path
from typing import Any

import pytest

from catalog.models import AmazonCall, Product, ProductChange, Store, SyncRun
from catalog.services.staff_stores import staff_member_create
from catalog.services.sync_plan import sync_plan
from jwo_admin.core.roles import CATALOG_MANAGER, VIEWER
from tests.browser.test_sync_screens import results_reader  # noqa: F401 - a fixture these tests use
from tests.catalog.helpers import COLA, JUICE, WATER, run_import, write_csv
from tests.catalog.sync_helpers import drive
from tests.conftest import PASSWORD, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.usefixtures("results_reader")
def test_catalog_manager_fixes_a_rejected_product_and_sends_it_now(
    page: Any,
    live_server: Any,
    store: Store,
    fake_amazon: Any,
    tmp_path: Path,
) -> None:
    run_import(store, write_csv(tmp_path / "seed.csv", [COLA, WATER, JUICE]))
    knobs = fake_amazon.amazon.knobs
    knobs.rate_limit = 1000
    knobs.reject_skus = {"SKU-2"}
    rejected_run = drive(sync_plan(store=store))
    knobs.reject_skus = set()
    water = Product.objects.get(sku="SKU-2")
    staff_member_create(username="cat", password=PASSWORD, role=CATALOG_MANAGER, all_stores=True)
    sign_in(page, live_server.url, "cat")

    page.goto(f"{live_server.url}/catalog/sync/runs/{rejected_run.pk}/")
    page.click('[data-testid="fix-SKU-2"]')
    assert page.url == f"{live_server.url}/catalog/products/{water.pk}/edit/"
    assert page.inner_text("#sync-error").startswith("Amazon refused this product last time: external_product_id")
    page.fill("#id_name", "Harbor Water 0.5L")
    page.click("#save-product")
    page.wait_for_url(f"{live_server.url}/catalog/products/{water.pk}/")
    history = page.inner_text("#history-table")
    assert "Edited by cat" in history
    assert "name: Harbor Water 500ml → Harbor Water 0.5L" in history
    assert f"Amazon, in sync #{rejected_run.pk}" in history

    page.click("#send-product")
    page.wait_for_selector("#sync-status >> text=Done")
    page.wait_for_load_state("load")

    resend = SyncRun.objects.exclude(pk=rejected_run.pk).get()
    assert page.url == f"{live_server.url}/catalog/sync/runs/{resend.pk}/"
    assert page.inner_text("#sync-accepted") == "1"
    assert (resend.product_id, resend.items_total, resend.items_accepted, resend.reasons) == (
        water.pk,
        1,
        1,
        {"new": 1},  # Amazon never accepted it: still new to Amazon
    )
    assert resend.requested_by == water.changes.get(source="staff").changed_by
    sent = resend.batches.get().payload["catalogItems"]
    assert [(item["item_sku"], item["item_name"]) for item in sent] == [("SKU-2", "Harbor Water 0.5L")]
    assert AmazonCall.objects.filter(batch__sync_run=resend, operation="upload", outcome="accepted").count() == 1
    water.refresh_from_db()
    assert (water.synced_fingerprint, water.sync_error) == (water.amazon_fingerprint, "")


def test_catalog_manager_archives_a_selection_from_the_list(
    page: Any, live_server: Any, store: Store, tmp_path: Path
) -> None:
    run_import(store, write_csv(tmp_path / "seed.csv", [COLA, WATER, JUICE]))
    ids = dict(Product.objects.values_list("sku", "pk"))
    staff_member_create(username="cat", password=PASSWORD, role=CATALOG_MANAGER, all_stores=True)
    sign_in(page, live_server.url, "cat")
    page.goto(f"{live_server.url}/catalog/?status=active")
    page.check(f'input[name=ids][value="{ids["SKU-1"]}"]')
    page.check(f'input[name=ids][value="{ids["SKU-3"]}"]')
    page.select_option("#bulk-form select[name=action]", "archive")
    asked: list[str] = []

    def answer(dialog: Any) -> None:
        asked.append(dialog.message)
        dialog.dismiss() if len(asked) == 1 else dialog.accept()

    page.on("dialog", answer)
    page.click("#bulk-apply")  # dismissed: nothing happens
    assert list(Product.objects.filter(status="archived")) == []
    page.click("#bulk-apply")
    page.wait_for_selector("text=Archived 2 products.")

    assert asked == ["Archive: apply to the ticked products (or all matching the filter)?"] * 2
    assert page.url == f"{live_server.url}/catalog/?status=active"
    assert [row.inner_text().split("\t")[1] for row in page.locator("#product-table tbody tr").all()] == ["SKU-2"]
    assert dict(Product.objects.values_list("sku", "status")) == {
        "SKU-1": "archived",
        "SKU-2": "active",
        "SKU-3": "archived",
    }
    assert sorted(ProductChange.objects.values_list("product__sku", "changed_by__username")) == [
        ("SKU-1", "cat"),
        ("SKU-3", "cat"),
    ]


def test_a_viewer_sees_no_edit_buttons(page: Any, live_server: Any, store: Store, tmp_path: Path) -> None:
    run_import(store, write_csv(tmp_path / "seed.csv", [COLA]))
    cola = Product.objects.get()
    staff_member_create(username="val", password=PASSWORD, role=VIEWER, all_stores=True)
    sign_in(page, live_server.url, "val")

    page.goto(f"{live_server.url}/catalog/")
    assert (page.locator("#bulk-form").count(), page.locator("input[name=ids]").count()) == (0, 0)
    assert page.locator("#new-product").count() == 0
    page.goto(f"{live_server.url}/catalog/products/{cola.pk}/")
    assert page.locator("#product-actions").count() == 0
    assert page.locator("#barcode-add").count() == 0
    assert page.inner_text("#history-created") == f"Created by import #{cola.created_by_import_id}"
    response = page.goto(f"{live_server.url}/catalog/products/{cola.pk}/edit/")
    assert response.status == 403
    assert "This page needs the Catalog manager or Admin role." in page.content()
