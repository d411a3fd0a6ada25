"""Catalog managers' edits through the services: the import's rules, the exact effects, and the
product's history naming who (or which import or sync) made each change."""

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError

from catalog.models import Barcode, ImportJob, Product, ProductChange, Store, SyncRun
from catalog.services import product_bulk
from catalog.services.products import (
    barcode_add,
    barcode_remove,
    barcode_retype,
    product_create,
    product_name_use_suggested,
    product_update,
)
from catalog.services.sync_plan import SyncAlreadyRunning, product_send_request, sync_run_fill
from jwo_admin.core.exceptions import ApplicationError
from tests.catalog.helpers import COLA, JUICE, WATER, run_import, write_csv

pytestmark = pytest.mark.django_db

NEW_EAN = "4000000000037"  # 400000000003 + its check digit 7


@pytest.fixture
def seeded(store: Store, tmp_path: Path) -> ImportJob:
    return run_import(store, write_csv(tmp_path / "seed.csv", [COLA, WATER, JUICE]))


def _barcodes(sku: str) -> list[tuple[str, str, bool]]:
    return list(
        Barcode.objects.filter(product__sku=sku).order_by("position").values_list("value", "type", "is_primary")
    )


def test_create_checks_the_import_rules_and_records_who_created_it(
    store: Store, seeded: ImportJob, catalog_manager: User
) -> None:
    product = product_create(
        store=store,
        sku="SKU-9",
        barcodes=[(NEW_EAN, None)],
        created_by=catalog_manager,
        name=" Green Tea 20 bags ",
        brand="Leaf",
        price="2.50",
        unit="each",
        tax_code="",
        category="Tea",
        subcategory="",
    )

    product.refresh_from_db()
    assert (product.name, product.price, product.created_by, product.created_by_import) == (
        "Green Tea 20 bags",
        Decimal("2.500"),
        catalog_manager,
        None,
    )
    assert product.amazon_fingerprint != ""
    assert product.synced_fingerprint == ""  # new: the next sync sends it
    assert _barcodes("SKU-9") == [(NEW_EAN, "EAN", True)]
    assert Barcode.objects.get(product=product).match_key == "0" + NEW_EAN
    assert ProductChange.objects.filter(product=product).count() == 0


def test_imported_products_say_which_import_created_them(seeded: ImportJob) -> None:
    assert list(Product.objects.order_by("sku").values_list("created_by_import_id", flat=True)) == [seeded.pk] * 3


@pytest.mark.parametrize(
    ("sku", "barcode", "price", "errors"),
    [
        ("SKU-9", "4000000000038", "2.50", {"barcodes": ["EAN check digit should be 7, not 8"]}),
        ("SKU-9", "4000000000013", "2.50", {"barcodes": ["Barcode 4000000000013 already belongs to SKU SKU-2."]}),
        ("SKU-1", NEW_EAN, "2.50", {"sku": ["SKU SKU-1 already exists in Test Store."]}),
        ("SKU 9", NEW_EAN, "2,50", {"sku": ["(found ' ')"], "price": ["write it like 1234.50 (got '2,50')"]}),
    ],
)
def test_create_refuses_what_the_import_refuses_and_saves_nothing(
    store: Store, seeded: ImportJob, sku: str, barcode: str, price: str, errors: dict[str, list[str]]
) -> None:
    with pytest.raises(ValidationError) as refused:
        product_create(store=store, sku=sku, barcodes=[(barcode, None)], name="Tea", price=price)

    assert set(refused.value.message_dict) == set(errors)
    for field, fragments in errors.items():
        assert all(fragment in " ".join(refused.value.message_dict[field]) for fragment in fragments), (
            refused.value.message_dict
        )
    assert Product.objects.count() == 3
    assert Barcode.objects.count() == 4


def test_edit_typed_price_is_checked_at_the_currency_places_and_recorded_with_who(
    seeded: ImportJob, catalog_manager: User
) -> None:
    cola = Product.objects.get(sku="SKU-1")

    product_update(product_id=cola.pk, changed_by=catalog_manager, price="2.75", category="Soft drinks")

    change = ProductChange.objects.get(product=cola, source="staff")
    assert (change.changed_by, change.changes) == (
        catalog_manager,
        {"price": ["1.49", "2.75"], "category": ["Beverages", "Soft drinks"]},
    )
    with pytest.raises(ValidationError) as refused:
        product_update(product_id=cola.pk, changed_by=catalog_manager, price="2.755")
    assert refused.value.message_dict == {"price": ["standard_price must have at most 2 decimal places (got '2.755')"]}
    assert Product.objects.get(pk=cola.pk).price == Decimal("2.750")
    assert ProductChange.objects.filter(product=cola, source="staff").count() == 1


def test_add_remove_and_retype_barcodes_with_the_import_rules(seeded: ImportJob, catalog_manager: User) -> None:
    cola = Product.objects.get(sku="SKU-1")
    fingerprint = cola.amazon_fingerprint

    barcode_add(product_id=cola.pk, value=f" {NEW_EAN} ", changed_by=catalog_manager)
    primary = Barcode.objects.get(product=cola, is_primary=True)
    barcode_remove(product_id=cola.pk, barcode_id=primary.pk, changed_by=catalog_manager)

    assert _barcodes("SKU-1") == [("4006381333931", "EAN", True), (NEW_EAN, "EAN", False)]
    cola.refresh_from_db()
    assert cola.amazon_fingerprint != fingerprint
    history = [change.changes for change in ProductChange.objects.filter(product=cola).order_by("id")]
    assert history == [
        {
            "barcodes": [
                ["036000291452 (UPC)", "4006381333931 (EAN)"],
                ["036000291452 (UPC)", "4006381333931 (EAN)", f"{NEW_EAN} (EAN)"],
            ]
        },
        {
            "barcodes": [
                ["036000291452 (UPC)", "4006381333931 (EAN)", f"{NEW_EAN} (EAN)"],
                ["4006381333931 (EAN)", f"{NEW_EAN} (EAN)"],
            ]
        },
    ]
    assert set(ProductChange.objects.filter(product=cola).values_list("changed_by__username", flat=True)) == {
        catalog_manager.username
    }


@pytest.mark.parametrize(
    ("action", "message"),
    [
        ("add_taken", "Barcode 4000000000013 already belongs to SKU SKU-2."),
        ("add_twice", "Barcode 4006381333931 is already on this product."),
        ("add_bad_digit", "EAN check digit should be 7, not 8"),
        ("retype_wrong", "UPC must have 12 or 8 digits, got 13; it looks like a valid EAN"),
        ("remove_last", "external_product_id (the primary barcode) is required"),
    ],
)
def test_barcode_edits_the_import_refuses_change_nothing(seeded: ImportJob, action: str, message: str) -> None:
    cola, water = Product.objects.get(sku="SKU-1"), Product.objects.get(sku="SKU-2")
    before = (_barcodes("SKU-1"), _barcodes("SKU-2"))

    edits = {
        "add_taken": lambda: barcode_add(product_id=cola.pk, value="4000000000013"),
        "add_twice": lambda: barcode_add(product_id=cola.pk, value="4006381333931", kind="EAN"),
        "add_bad_digit": lambda: barcode_add(product_id=cola.pk, value="4000000000038"),
        "retype_wrong": lambda: barcode_retype(product_id=water.pk, barcode_id=water.barcodes.get().pk, kind="UPC"),
        "remove_last": lambda: barcode_remove(product_id=water.pk, barcode_id=water.barcodes.get().pk),
    }

    with pytest.raises(ValidationError) as refused:
        edits[action]()

    assert message in " ".join(refused.value.messages)
    assert (_barcodes("SKU-1"), _barcodes("SKU-2")) == before
    assert ProductChange.objects.count() == 0


def test_use_the_suggested_name(store: Store, tmp_path: Path, catalog_manager: User) -> None:
    run_import(store, write_csv(tmp_path / "c.csv", [["SKU-7", "Café Crème 250g", NEW_EAN, "", "", "3.10", "", ""]]))
    coffee = Product.objects.get(sku="SKU-7")
    assert coffee.suggested_name == "Cafe Creme 250g"

    product_name_use_suggested(product_id=coffee.pk, changed_by=catalog_manager)

    coffee.refresh_from_db()
    assert (coffee.name, coffee.suggested_name, coffee.warnings) == ("Cafe Creme 250g", "", [])
    assert ProductChange.objects.get(product=coffee, source="staff").changes == {
        "name": ["Café Crème 250g", "Cafe Creme 250g"]
    }
    with pytest.raises(ApplicationError):
        product_name_use_suggested(product_id=coffee.pk, changed_by=catalog_manager)
    assert ProductChange.objects.filter(product=coffee, source="staff").count() == 1


def test_bulk_archive_archives_the_active_ones_and_records_who(seeded: ImportJob, catalog_manager: User) -> None:
    Product.objects.filter(sku="SKU-3").update(status="archived")

    count = product_bulk.products_archive(products=Product.objects.all(), changed_by=catalog_manager)

    assert count == 2
    assert list(Product.objects.order_by("sku").values_list("status", flat=True)) == ["archived"] * 3
    assert sorted(
        ProductChange.objects.filter(source="staff").values_list("product__sku", "changed_by__username", "changes")
    ) == [
        ("SKU-1", catalog_manager.username, {"status": ["active", "archived"]}),
        ("SKU-2", catalog_manager.username, {"status": ["active", "archived"]}),
    ]


def test_bulk_category_change_refreshes_fingerprints(seeded: ImportJob, catalog_manager: User) -> None:
    before = dict(Product.objects.values_list("sku", "amazon_fingerprint"))

    count = product_bulk.products_category_set(
        products=Product.objects.filter(sku__in=["SKU-1", "SKU-2"]), category=" Drinks ", changed_by=catalog_manager
    )

    assert count == 2
    after = dict(Product.objects.values_list("sku", "amazon_fingerprint"))
    assert [after[sku] != before[sku] for sku in ("SKU-1", "SKU-2", "SKU-3")] == [True, True, False]
    assert list(Product.objects.order_by("sku").values_list("category", flat=True)) == ["Drinks", "Drinks", "Juice"]
    assert sorted(ProductChange.objects.values_list("product__sku", "changes")) == [
        ("SKU-1", {"category": ["Beverages", "Drinks"]}),
        ("SKU-2", {"category": ["Water", "Drinks"]}),
    ]
    with pytest.raises(ValidationError):
        product_bulk.products_category_set(products=Product.objects.all(), category="x" * 51)
    assert ProductChange.objects.count() == 2


def test_send_this_product_now_plans_a_sync_of_that_product_only(
    store: Store, seeded: ImportJob, catalog_manager: User, settings: Any
) -> None:
    water = Product.objects.get(sku="SKU-2")

    run = product_send_request(product=water, requested_by=catalog_manager)
    with pytest.raises(SyncAlreadyRunning):
        product_send_request(product=water, requested_by=catalog_manager)
    run = sync_run_fill(run_id=run.pk)

    assert (run.product, run.requested_by, run.items_total, run.reasons) == (water, catalog_manager, 1, {"new": 1})
    assert [item["item_sku"] for item in run.batches.get().payload["catalogItems"]] == ["SKU-2"]
    assert SyncRun.objects.count() == 1
