"""An import preview's problems in headless Chromium: staff see their ERP's own column names."""

from pathlib import Path
from typing import Any

import pytest

from catalog.demo import ERP_COLUMNS, ERP_PROFILE_NAME, sample_problem_rows, write_erp_csv
from catalog.models import MappingProfile, Product, Store
from catalog.services.staff_stores import staff_member_create
from jwo_admin.core.roles import CATALOG_MANAGER
from tests.conftest import PASSWORD, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_preview_names_the_files_column_beside_our_field(page: Any, live_server: Any, tmp_path: Path) -> None:
    MappingProfile.objects.create(name=ERP_PROFILE_NAME, columns=ERP_COLUMNS)
    Store.objects.create(store_id="TEST_STORE_001", name="Test Store")
    staff_member_create(username="cat", password=PASSWORD, role=CATALOG_MANAGER, all_stores=True)
    sample = tmp_path / "sample.csv"
    write_erp_csv(sample, sample_problem_rows(1))
    sign_in(page, live_server.url, "cat")

    page.click("text=Catalog")
    page.click("text=Import a file")
    page.select_option("#id_profile", label=ERP_PROFILE_NAME)
    page.set_input_files("#id_file", str(sample))
    page.click("text=Check file")

    page.wait_for_selector("#import-status >> text=Previewed")
    assert page.inner_text("#rejections-table thead").strip() == "Row\tSKU\tColumn (field)\tReason"
    fields = page.locator("#rejections-table tbody tr td:nth-child(3)").all_inner_texts()
    assert fields[0] == "EAN (external_product_id)"
    assert "DESCRIPTION (item_name)" in fields
    assert "RETAIL_PRICE (standard_price)" in fields
    with page.expect_download() as download:
        page.click("#download-problems")
    header = Path(download.value.path()).read_text().splitlines()[0]
    assert header == (
        "row,sku,field,kind,message,ITEM_NO,DESCRIPTION,BRAND,EAN,ALT_BARCODES,RETAIL_PRICE,TAX_CLASS,DEPT,SUBDEPT,UOM"
    )
    assert Product.objects.count() == 0
