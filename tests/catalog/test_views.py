"""Staff catalog screens through the test client: permissions per role, filters, the import flow."""

from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from catalog.models import ImportJob, ImportStatus, MappingProfile, Product, Store
from tests.catalog.helpers import run_import, write_csv
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

COLA = ["SKU-1", "Acme Cola 330ml", "036000291452", "UPC", "4006381333931:EAN", "1.49", "Acme", "Beverages"]
WATER = ["SKU-2", "Harbor Water 500ml", "4000000000013", "", "", "0.99", "Harbor", "Water"]
BAD = ["SKU-3", "Broken Barcode", "036000291453", "", "", "1.00", "", ""]


@pytest.fixture
def catalog(store: Store, tmp_path: Path) -> Store:
    run_import(store, write_csv(tmp_path / "seed.csv", [COLA, WATER]))
    return store


@pytest.mark.parametrize(
    "url_name",
    [
        "home",
        "catalog:product_list",
        "catalog:import_list",
        "catalog:import_create",
        "catalog:mapping_list",
        "catalog:sync_overview",
        "operations:settings",
        "entry:overview",
        "orders:overview",
    ],
)
def test_anonymous_is_sent_to_sign_in(client: Client, url_name: str) -> None:
    response = client.get(reverse(url_name))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login") + "?next=")


@pytest.mark.parametrize(
    ("role_fixture", "url_name", "expected"),
    [
        ("viewer", "catalog:product_list", 200),
        ("viewer", "catalog:import_list", 200),
        ("viewer", "catalog:import_create", 403),
        ("viewer", "catalog:mapping_create", 403),
        ("viewer", "catalog:store_create", 403),
        ("catalog_manager", "catalog:import_create", 200),
        ("catalog_manager", "catalog:mapping_create", 200),
        ("catalog_manager", "catalog:store_create", 403),
        ("store_manager", "catalog:import_create", 403),
        ("store_manager", "entry:overview", 200),
        ("admin_user", "catalog:store_create", 200),
        ("admin_user", "catalog:import_create", 200),
    ],
)
def test_each_role_sees_only_what_it_may(
    request: pytest.FixtureRequest, role_fixture: str, url_name: str, expected: int
) -> None:
    user: User = request.getfixturevalue(role_fixture)
    response = client_for(user).get(reverse(url_name))

    assert response.status_code == expected


def test_product_list_searches_sku_name_and_padded_barcode(catalog: Store, viewer_client: Client) -> None:
    url = reverse("catalog:product_list")

    def skus(query: str) -> list[str]:
        return [product.sku for product in viewer_client.get(url, {"q": query}).context["products"]]

    assert skus("SKU-2") == ["SKU-2"]
    assert skus("cola") == ["SKU-1"]
    assert skus("0036000291452") == ["SKU-1"]  # EAN-13 padding of the UPC-A
    assert skus("4006381333931") == ["SKU-1"]
    assert skus("nothing-like-this") == []


def test_product_list_filters_category_and_sync_state(catalog: Store, viewer_client: Client) -> None:
    url = reverse("catalog:product_list")
    Product.objects.filter(sku="SKU-2").update(synced_fingerprint="0" * 40)

    water_only = viewer_client.get(url, {"category": "Water"}).context["products"]
    pending = viewer_client.get(url, {"sync": "pending"}).context["products"]
    never = viewer_client.get(url, {"sync": "never"}).context["products"]

    assert [product.sku for product in water_only] == ["SKU-2"]
    assert [product.sku for product in pending] == ["SKU-2"]
    assert [product.sku for product in never] == ["SKU-1"]


def test_product_list_paginates_fifty_per_page(store: Store, tmp_path: Path, viewer_client: Client) -> None:
    from catalog.demo import ERP_COLUMNS, erp_rows, write_erp_csv

    profile = MappingProfile.objects.create(name="ERP", columns=ERP_COLUMNS)
    run_import(
        store, tmp_path / "erp.csv" if write_erp_csv(tmp_path / "erp.csv", erp_rows(60)) else tmp_path, profile=profile
    )

    first = viewer_client.get(reverse("catalog:product_list"))
    second = viewer_client.get(reverse("catalog:product_list"), {"page": 2})

    assert first.context["page"].paginator.count == 60
    assert len(first.context["products"]) == 50
    assert len(second.context["products"]) == 10


def test_product_detail_shows_barcodes_and_history(catalog: Store, tmp_path: Path, viewer_client: Client) -> None:
    repriced = [*COLA]
    repriced[5] = "1.99"
    run_import(catalog, write_csv(tmp_path / "b.csv", [repriced]))
    product = Product.objects.get(sku="SKU-1")

    response = viewer_client.get(reverse("catalog:product_detail", args=[product.pk]))

    body = response.content.decode()
    assert response.status_code == 200
    assert "036000291452" in body
    assert "4006381333931" in body
    assert [change.changes for change in response.context["product"].changes.all()] == [{"price": ["1.49", "1.99"]}]


def test_import_upload_previews_then_applies(
    store: Store, catalog_client: Client, catalog_manager: User, django_capture_on_commit_callbacks
) -> None:
    content = write_csv(Path("/tmp") / "jwo-view-upload.csv", [COLA, BAD]).read_bytes()  # noqa: S108
    upload = SimpleUploadedFile("catalog.csv", content, content_type="text/csv")
    profile = MappingProfile.objects.get(is_builtin=True)

    with django_capture_on_commit_callbacks(execute=True):
        response = catalog_client.post(
            reverse("catalog:import_create"), {"store": store.pk, "profile": profile.pk, "file": upload}
        )

    preview = ImportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("catalog:import_detail", args=[preview.pk])
    assert (preview.status, preview.is_dry_run, preview.rows_new, preview.rows_rejected) == ("previewed", True, 1, 1)
    assert preview.created_by == catalog_manager
    assert Product.objects.count() == 0
    page = catalog_client.get(response["Location"])
    assert [problem.sku for problem in page.context["rejections"]] == ["SKU-3"]

    with django_capture_on_commit_callbacks(execute=True):
        applied = catalog_client.post(reverse("catalog:import_confirm", args=[preview.pk]))

    job = ImportJob.objects.exclude(pk=preview.pk).get()
    assert applied["Location"] == reverse("catalog:import_detail", args=[job.pk])
    assert (job.status, job.is_dry_run, job.rows_new, job.preview_of_id) == ("applied", False, 1, preview.pk)
    assert list(Product.objects.values_list("sku", flat=True)) == ["SKU-1"]


def test_import_refuses_non_table_upload_with_field_error(store: Store, catalog_client: Client) -> None:
    upload = SimpleUploadedFile("catalog.pdf", b"%PDF-1.4", content_type="application/pdf")
    profile = MappingProfile.objects.get(is_builtin=True)

    response = catalog_client.post(
        reverse("catalog:import_create"), {"store": store.pk, "profile": profile.pk, "file": upload}
    )

    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["file"]
    assert ImportJob.objects.count() == 0


def test_confirming_twice_applies_once(
    store: Store, tmp_path: Path, catalog_client: Client, django_capture_on_commit_callbacks
) -> None:
    preview = run_import(store, write_csv(tmp_path / "c.csv", [COLA]), dry_run=True)

    with django_capture_on_commit_callbacks(execute=True):
        catalog_client.post(reverse("catalog:import_confirm", args=[preview.pk]))
    second = catalog_client.post(reverse("catalog:import_confirm", args=[preview.pk]))
    detail = catalog_client.get(reverse("catalog:import_detail", args=[preview.pk]))

    assert detail.context["applied_as"].status == ImportStatus.APPLIED
    assert "apply-import" not in detail.content.decode()
    assert second.status_code == 302
    assert ImportJob.objects.filter(is_dry_run=False).count() == 1
    assert Product.objects.count() == 1


def test_problems_csv_lists_rejections_and_neutralises_formulas(
    store: Store, tmp_path: Path, viewer_client: Client
) -> None:
    formula = ["=HYPERLINK(1)", "Evil", "4000000000020", "", "", "1.00", "", ""]
    job = run_import(store, write_csv(tmp_path / "c.csv", [BAD, formula]))

    response = viewer_client.get(reverse("catalog:import_problems_csv", args=[job.pk]))

    content: bytes = b"".join(response.streaming_content)  # type: ignore[attr-defined]
    lines = content.decode().splitlines()
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert lines[0] == (
        "row,sku,field,kind,message,item_sku,item_name,external_product_id,external_product_id_type,"
        "additional_external_product_information,standard_price,brand_name,product_category"
    )
    assert lines[1] == (
        '2,SKU-3,external_product_id,rejected,"UPC check digit should be 2, not 3",'
        "SKU-3,Broken Barcode,036000291453,,,1.00,,"
    )
    assert lines[2].startswith("3,'=HYPERLINK(1),item_sku,rejected,")
    assert lines[2].endswith(",'=HYPERLINK(1),Evil,4000000000020,,,1.00,,")
    assert len(lines) == 3


ERP_HEADER = ["ITEM_NO", "Description", "EAN", "Price", "Extra"]


def test_problems_name_the_files_own_column_and_the_csv_repeats_the_row_as_read(
    store: Store, tmp_path: Path, viewer_client: Client
) -> None:
    profile = MappingProfile.objects.create(
        name="ERP", columns={"sku": "item_no", "name": "Description", "barcode": "EAN", "price": "Price"}
    )
    rows = [
        ["SKU-3", "Broken Barcode", "036000291453", "1.00", "=SUM(A1)"],
        ["SKU-4", "Free Water", "4000000000013", "-1", "+note"],
    ]
    job = run_import(store, write_csv(tmp_path / "erp.csv", rows, header=ERP_HEADER), dry_run=True, profile=profile)

    page = viewer_client.get(reverse("catalog:import_detail", args=[job.pk]))
    response = viewer_client.get(reverse("catalog:import_problems_csv", args=[job.pk]))

    html = page.content.decode()
    assert "<th>Column (field)</th>" in html
    assert '<td class="mono">EAN (external_product_id)</td>' in html
    assert '<td class="mono">Price (standard_price)</td>' in html
    content: bytes = b"".join(response.streaming_content)  # type: ignore[attr-defined]
    assert content.decode().splitlines() == [
        "row,sku,field,kind,message,ITEM_NO,Description,EAN,Price,Extra",
        '2,SKU-3,EAN (external_product_id),rejected,"UPC check digit should be 2, not 3",'
        "SKU-3,Broken Barcode,036000291453,1.00,'=SUM(A1)",
        "3,SKU-4,Price (standard_price),rejected,standard_price must not be negative (got '-1'),"
        "SKU-4,Free Water,4000000000013,'-1,'+note",
    ]


def test_progress_partial_asks_htmx_to_reload_when_finished(
    store: Store, tmp_path: Path, viewer_client: Client
) -> None:
    job = run_import(store, write_csv(tmp_path / "c.csv", [COLA]), dry_run=True)

    response = viewer_client.get(reverse("catalog:import_progress", args=[job.pk]))

    assert response.status_code == 200
    assert response["HX-Refresh"] == "true"


def test_amazon_export_is_upload_catalog_json(catalog: Store, viewer_client: Client) -> None:
    import json

    response = viewer_client.get(reverse("catalog:amazon_export", args=[catalog.pk]))

    body = json.loads(b"".join(response.streaming_content))  # type: ignore[attr-defined]
    assert body["catalogItems"][0] == {
        "item_sku": "SKU-1",
        "external_product_id": "036000291452",
        "external_product_id_type": "UPC",
        "additional_external_product_information": [
            {"external_product_id": "4006381333931", "external_product_id_type": "EAN"}
        ],
        "item_name": "Acme Cola 330ml",
        "store_id": "TEST_STORE_001",
        "standard_price": "1.49",
        "brand_name": "Acme",
        "product_category": "Beverages",
    }
    assert [item["item_sku"] for item in body["catalogItems"]] == ["SKU-1", "SKU-2"]


def test_mapping_profile_create_saves_columns(catalog_client: Client) -> None:
    data = {
        "name": "SAP export",
        "description": "",
        "list_separator": ";",
        "csv_delimiter": ";",
        "column_sku": "MATNR",
        "column_name": "MAKTX",
        "column_barcode": "EAN11",
        "column_price": "KBETR",
        "additional_columns": "EAN_2, EAN_3",
    }

    response = catalog_client.post(reverse("catalog:mapping_create"), data)

    profile = MappingProfile.objects.get(name="SAP export")
    assert response.status_code == 302
    assert profile.columns == {"sku": "MATNR", "name": "MAKTX", "barcode": "EAN11", "price": "KBETR"}
    assert profile.additional_barcode_columns == ["EAN_2", "EAN_3"]


def test_builtin_mapping_profile_cannot_be_edited(catalog_client: Client) -> None:
    profile = MappingProfile.objects.get(is_builtin=True)
    data = {"name": "Renamed", "list_separator": "|", "column_sku": "a", "column_name": "b", "column_barcode": "c"}

    response = catalog_client.post(reverse("catalog:mapping_update", args=[profile.pk]), data)

    assert response.status_code == 200
    assert MappingProfile.objects.get(pk=profile.pk).name == "Amazon field names"
