"""The product editing screens through the client: catalog managers change products, other roles
are refused with nothing changed; bulk actions act on the filtered selection; exports read back
with formula-like cells neutralised (the catalog list's and the Django admin's alike)."""

import csv
import io
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from openpyxl import load_workbook

from catalog.admin import ProductAdmin
from catalog.models import Barcode, ImportJob, Product, ProductChange, Store, SyncRun
from catalog.resources import ProductResource
from tests.catalog.helpers import COLA, JUICE, WATER, run_import, write_csv
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

FORMULA = '=HYPERLINK("http://example.com/x","Click")'
NEW_EAN = "4000000000037"


@pytest.fixture
def seeded(store: Store, tmp_path: Path) -> ImportJob:
    return run_import(store, write_csv(tmp_path / "seed.csv", [COLA, WATER, JUICE]))


def _state() -> tuple[Any, ...]:
    """Everything an editing request could change."""
    products = list(Product.objects.order_by("sku").values_list("sku", "name", "price", "category", "status"))
    barcodes = list(Barcode.objects.order_by("product__sku", "position").values_list("value", "type"))
    return products, barcodes, ProductChange.objects.count(), SyncRun.objects.count()


def test_catalog_manager_edits_a_product_and_the_page_says_who(
    seeded: ImportJob, catalog_client: Client, catalog_manager: User
) -> None:
    cola = Product.objects.get(sku="SKU-1")
    form = catalog_client.get(f"/catalog/products/{cola.pk}/edit/")
    assert form.status_code == 200
    assert form.context["form"].initial["price"] == "1.49"

    response = catalog_client.post(
        f"/catalog/products/{cola.pk}/edit/",
        {"name": "Acme Cola 330ml", "brand": "Acme", "price": "1.59", "unit": "each", "category": "Beverages"},
    )

    assert (response.status_code, response["Location"]) == (302, f"/catalog/products/{cola.pk}/")
    assert Product.objects.get(pk=cola.pk).price == Decimal("1.590")
    assert ProductChange.objects.get(product=cola).changes == {"price": ["1.49", "1.59"]}
    page = catalog_client.get(f"/catalog/products/{cola.pk}/").content.decode()
    assert f"Edited by {catalog_manager.username}" in page
    assert "<strong>price</strong>: 1.49 → 1.59" in page
    assert f'Created by import <a href="/catalog/imports/{seeded.pk}/">#{seeded.pk}</a>' in page


def test_an_edit_the_import_refuses_shows_the_reason_on_the_field(seeded: ImportJob, catalog_client: Client) -> None:
    cola = Product.objects.get(sku="SKU-1")
    before = _state()

    response = catalog_client.post(
        f"/catalog/products/{cola.pk}/edit/", {"name": "Acme Cola 330ml", "price": "1,59", "unit": "each"}
    )

    assert response.status_code == 200
    assert response.context["form"].errors == {
        "price": [
            "standard_price must not contain thousands separators or a decimal comma; write it like 1234.50 "
            "(got '1,59')"
        ]
    }
    assert _state() == before


def test_catalog_manager_creates_a_product(store: Store, seeded: ImportJob, catalog_client: Client) -> None:
    response = catalog_client.post(
        "/catalog/products/new/",
        {"store": store.pk, "sku": "SKU-9", "barcode": NEW_EAN, "name": "Green Tea", "price": "2.50", "unit": "each"},
    )

    tea = Product.objects.get(sku="SKU-9")
    assert (response.status_code, response["Location"]) == (302, f"/catalog/products/{tea.pk}/")
    assert (tea.name, str(tea.price), tea.created_by.username if tea.created_by else "") == (
        "Green Tea",
        "2.500",
        "catalog",
    )
    assert "Created by catalog" in catalog_client.get(response["Location"]).content.decode()


def _editing_posts(product: Product) -> list[tuple[str, dict[str, str]]]:
    barcode = product.barcodes.get(is_primary=True)
    return [
        ("/catalog/products/new/", {"store": str(product.store_id), "sku": "SKU-9", "barcode": NEW_EAN, "name": "T"}),
        (f"/catalog/products/{product.pk}/edit/", {"name": "Changed", "unit": "each"}),
        (f"/catalog/products/{product.pk}/archive/", {}),
        (f"/catalog/products/{product.pk}/use-suggested-name/", {}),
        (f"/catalog/products/{product.pk}/send/", {}),
        (f"/catalog/products/{product.pk}/barcodes/", {"value": NEW_EAN}),
        (f"/catalog/products/{product.pk}/barcodes/{barcode.pk}/remove/", {}),
        (f"/catalog/products/{product.pk}/barcodes/{barcode.pk}/retype/", {"kind": "GTIN"}),
        ("/catalog/products/bulk/", {"action": "archive", "everything": "on"}),
        ("/catalog/products/bulk/", {"action": "export_csv", "everything": "on"}),
    ]


@pytest.mark.parametrize("role", ["viewer", "store_manager"])
def test_viewer_and_store_manager_are_refused_and_nothing_changes(
    seeded: ImportJob, role: str, request: pytest.FixtureRequest
) -> None:
    client = client_for(request.getfixturevalue(role))
    cola = Product.objects.get(sku="SKU-1")
    before = _state()

    answers = [client.post(path, form).status_code for path, form in _editing_posts(cola)]

    assert answers == [403] * 10
    assert _state() == before
    page = client.get(f"/catalog/products/{cola.pk}/").content.decode()
    assert ("edit-product" in page, "archive-product" in page, "send-product" in page, "barcode-add" in page) == (
        False,
        False,
        False,
        False,
    )
    assert "bulk-form" not in client.get("/catalog/").content.decode()


def test_archive_and_reactivate(seeded: ImportJob, catalog_client: Client, catalog_manager: User) -> None:
    juice = Product.objects.get(sku="SKU-3")

    catalog_client.post(f"/catalog/products/{juice.pk}/archive/")
    archived = Product.objects.get(pk=juice.pk).status
    catalog_client.post(f"/catalog/products/{juice.pk}/reactivate/")

    assert (archived, Product.objects.get(pk=juice.pk).status) == ("archived", "active")
    assert list(ProductChange.objects.order_by("id").values_list("changed_by__username", "changes")) == [
        ("catalog", {"status": ["active", "archived"]}),
        ("catalog", {"status": ["archived", "active"]}),
    ]


def test_bulk_archive_acts_only_on_ticked_rows_the_filter_shows(seeded: ImportJob, catalog_client: Client) -> None:
    ids = dict(Product.objects.values_list("sku", "pk"))

    response = catalog_client.post(
        "/catalog/products/bulk/",
        {"action": "archive", "ids": [ids["SKU-1"], ids["SKU-2"]], "category": "Water", "sort": "-price"},
    )

    assert (response.status_code, response["Location"]) == (302, "/catalog/?category=Water&sort=-price")
    assert dict(Product.objects.values_list("sku", "status")) == {
        "SKU-1": "active",  # ticked, but the list's filter (Water) did not show it
        "SKU-2": "archived",
        "SKU-3": "active",
    }
    assert list(ProductChange.objects.values_list("product__sku", flat=True)) == ["SKU-2"]


def test_bulk_category_change_on_everything_the_filter_matches(seeded: ImportJob, catalog_client: Client) -> None:
    catalog_client.post(
        "/catalog/products/bulk/", {"action": "category", "everything": "on", "q": "Acme", "new_category": "Soda"}
    )

    assert dict(Product.objects.values_list("sku", "category")) == {
        "SKU-1": "Soda",
        "SKU-2": "Water",
        "SKU-3": "Juice",
    }


def test_bulk_action_with_nothing_ticked_changes_nothing(seeded: ImportJob, catalog_client: Client) -> None:
    before = _state()

    response = catalog_client.post("/catalog/products/bulk/", {"action": "archive"}, follow=True)

    assert "Tick the products to act on" in response.content.decode()
    assert _state() == before


def _formula_named(sku: str) -> None:
    Product.objects.filter(sku=sku).update(name=FORMULA, brand="+SUM(A1)", category="@cmd", subcategory="\t-1")


def test_export_of_the_selection_neutralises_formula_cells(seeded: ImportJob, catalog_client: Client) -> None:
    _formula_named("SKU-2")

    response = catalog_client.post(
        "/catalog/products/bulk/", {"action": "export_csv", "everything": "on", "status": "active", "q": "SKU-2"}
    )

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [(row["sku"], row["name"], row["brand"], row["category"], row["subcategory"]) for row in rows] == [
        ("SKU-2", "'" + FORMULA, "'+SUM(A1)", "'@cmd", "'\t-1")
    ]
    assert rows[0]["barcodes"] == "4000000000013:EAN"


def test_excel_export_neutralises_formula_cells(seeded: ImportJob, catalog_client: Client) -> None:
    _formula_named("SKU-2")
    ids = dict(Product.objects.values_list("sku", "pk"))

    response = catalog_client.post("/catalog/products/bulk/", {"action": "export_xlsx", "ids": [ids["SKU-2"]]})

    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None
    header, *rows = list(sheet.iter_rows(values_only=True))
    row = dict(zip(header, rows[0], strict=True))
    assert (len(rows), row["sku"], row["name"], row["brand"]) == (1, "SKU-2", "'" + FORMULA, "'+SUM(A1)")


def test_django_admin_export_uses_the_same_neutralising_resource(seeded: ImportJob, admin_user: User) -> None:
    _formula_named("SKU-2")
    assert ProductAdmin.resource_classes == [ProductResource]

    response = client_for(admin_user).post(
        "/admin/catalog/product/export/",
        {"format": "0", "resource": "0", "productresource_sku": "on", "productresource_name": "on"},
    )

    assert response.status_code == 200, response.content[:300]
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows == [
        ["sku", "name"],
        ["SKU-1", "Acme Cola 330ml"],
        ["SKU-2", "'" + FORMULA],
        ["SKU-3", "Golden Juice 1L"],
    ]


def test_sortable_columns_keep_the_filters_and_refuse_unknown_keys(seeded: ImportJob, viewer_client: Client) -> None:
    by_price = viewer_client.get("/catalog/", {"sort": "-price", "status": "active"})
    unknown = viewer_client.get("/catalog/", {"sort": "amazon_fingerprint"})

    assert [product.sku for product in by_price.context["products"]] == ["SKU-3", "SKU-1", "SKU-2"]
    assert by_price.context["sort_links"]["price"] == "?sort=price&status=active"
    assert by_price.context["sort_links"]["name"] == "?sort=name&status=active"
    assert [product.sku for product in unknown.context["products"]] == ["SKU-1", "SKU-2", "SKU-3"]


def test_rejected_sync_items_and_import_warnings_link_to_the_editor(
    store: Store, seeded: ImportJob, catalog_client: Client, viewer_client: Client, tmp_path: Path
) -> None:
    job = run_import(store, write_csv(tmp_path / "w.csv", [["SKU-7", "Café", NEW_EAN, "", "", "1.00", "", ""]]))
    coffee = Product.objects.get(sku="SKU-7")
    water = Product.objects.get(sku="SKU-2")
    run = SyncRun.objects.create(store=store, status="done")
    batch = run.batches.create(sequence=1, body=b"", item_count=1)
    run.items.create(batch=batch, product=water, sku="SKU-2", fingerprint="x", reason="new", result="rejected")

    import_page = catalog_client.get(f"/catalog/imports/{job.pk}/").content.decode()
    sync_page = catalog_client.get(f"/catalog/sync/runs/{run.pk}/").content.decode()

    assert f'<a href="/catalog/products/{coffee.pk}/edit/">SKU-7</a>' in import_page
    assert f'href="/catalog/products/{water.pk}/edit/"' in sync_page
    assert (
        f'href="/catalog/products/{water.pk}/edit/"'
        not in viewer_client.get(f"/catalog/sync/runs/{run.pk}/").content.decode()
    )
