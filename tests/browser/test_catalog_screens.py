"""The catalog screens in headless Chromium: sign in, import with preview, apply, find the product."""

from pathlib import Path
from typing import Any

import pytest

from catalog.demo import ERP_COLUMNS, ERP_PROFILE_NAME, erp_rows, sample_problem_rows, write_erp_csv
from catalog.models import ImportJob, MappingProfile, Product, Store
from catalog.services.staff_stores import staff_member_create
from jwo_admin.core.roles import CATALOG_MANAGER, VIEWER
from tests.conftest import PASSWORD, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def erp_store(db: None) -> Store:
    MappingProfile.objects.create(name=ERP_PROFILE_NAME, columns=ERP_COLUMNS)
    return Store.objects.create(store_id="TEST_STORE_001", name="Test Store")


def test_import_preview_shows_rejections_then_applies(
    page: Any, live_server: Any, erp_store: Store, tmp_path: Path
) -> None:
    staff_member_create(username="cat", password=PASSWORD, role=CATALOG_MANAGER, all_stores=True)
    sample = tmp_path / "sample.csv"
    write_erp_csv(sample, [*erp_rows(20, seed=3), *sample_problem_rows(100)])
    sign_in(page, live_server.url, "cat")

    page.click("text=Catalog")
    page.click("text=Import a file")
    page.select_option("#id_profile", label=ERP_PROFILE_NAME)
    page.set_input_files("#id_file", str(sample))
    page.click("text=Check file")

    page.wait_for_selector("#import-status")
    assert page.inner_text("#import-status") == "Previewed"
    assert page.inner_text("#count-new") == "21"
    assert page.inner_text("#count-rejected") == "5"
    rejected = page.locator("#rejections-table tbody tr")
    assert rejected.count() == 5
    assert "EAN check digit should be 1, not 2" in rejected.nth(0).inner_text()
    warnings = page.locator("#warnings-table tbody tr")
    assert warnings.count() == 1
    assert "suggested: 'Northwind Creme Brulee 2 pack'" in warnings.nth(0).inner_text()
    assert Product.objects.count() == 0

    page.click("#apply-import")
    page.wait_for_selector("#import-status >> text=Applied")
    assert page.inner_text("#count-new") == "21"
    assert Product.objects.count() == 21
    assert ImportJob.objects.filter(is_dry_run=False, status="applied").count() == 1

    product = Product.objects.exclude(barcodes__type="PLU").order_by("sku").first()
    assert product is not None
    barcode = product.barcodes.get(is_primary=True).value
    page.click("text=Catalog")
    page.fill("input[name=q]", barcode)
    page.click("form.filters button")
    page.wait_for_selector(f"#product-table >> text={product.sku}")
    assert page.locator("#product-table tbody tr").count() == 1
    page.click(f"text={product.sku}")
    assert barcode in page.inner_text("#barcode-table")


def test_viewer_sees_catalog_without_import_links(page: Any, live_server: Any, erp_store: Store) -> None:
    staff_member_create(username="view", password=PASSWORD, role=VIEWER, all_stores=True)
    sign_in(page, live_server.url, "view")

    page.click("text=Catalog")

    assert page.locator("text=Import a file").count() == 0
    response = page.goto(f"{live_server.url}/catalog/imports/new/")
    assert response.status == 403


def test_wrong_password_is_refused(page: Any, live_server: Any, db: None) -> None:
    staff_member_create(username="cat", password=PASSWORD, role=CATALOG_MANAGER, all_stores=True)
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "cat")
    page.fill("#id_password", "not-the-password")
    page.click("button[type=submit]")

    assert "Please enter a correct username and password" in page.inner_text("[role=alert]")
    assert page.url.endswith("/accounts/login/")


def test_mapping_profile_then_history_with_error_report(
    page: Any, live_server: Any, erp_store: Store, tmp_path: Path
) -> None:
    staff_member_create(username="cat", password=PASSWORD, role=CATALOG_MANAGER, all_stores=True)
    sample = tmp_path / "sap.csv"
    sample.write_text(
        "MATNR;MAKTX;EAN11\nM-1;Harbor Water 500ml;4000000000013\nM-2;Broken;4000000000014\n", encoding="utf-8"
    )
    sign_in(page, live_server.url, "cat")

    page.goto(f"{live_server.url}/catalog/mappings/new/")
    page.fill("#id_name", "SAP export")
    page.fill("#id_column_sku", "MATNR")
    page.fill("#id_column_name", "MAKTX")
    page.fill("#id_column_barcode", "EAN11")
    page.click("#mapping-form button[type=submit]")
    page.wait_for_selector("#mapping-table >> text=SAP export")
    assert "sku ← MATNR" in page.inner_text("#mapping-table")

    page.goto(f"{live_server.url}/catalog/imports/new/")
    page.select_option("#id_profile", label="SAP export")
    page.set_input_files("#id_file", str(sample))
    page.click("text=Check file")
    page.wait_for_selector("#import-status")
    page.click("text=Catalog")
    page.click("text=Import history")
    row = page.locator("#import-table tbody tr").first
    assert "sap.csv" in row.inner_text()
    assert "preview" in row.inner_text()
    with page.expect_download() as download:
        row.locator("text=1 (CSV)").click()
    report = Path(download.value.path()).read_text(encoding="utf-8").splitlines()
    assert len(report) == 2
    assert report[0] == "row,sku,field,kind,message,MATNR,MAKTX,EAN11"
    assert report[1] == (
        '3,M-2,EAN11 (external_product_id),rejected,"EAN check digit should be 3, not 4",M-2,Broken,4000000000014'
    )
    assert Product.objects.count() == 0
