"""What Amazon's Upload Catalog receives for a product, its fingerprint, and the store's item stream."""

from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings

from catalog.amazon_items import catalog_item, currency_places, fingerprint, item_fingerprint, price_text, row_hash
from catalog.models import Product, ProductStatus, Store
from catalog.selectors.products import amazon_catalog_items
from tests.catalog.helpers import AMAZON_HEADER, run_import, write_csv

ALL_SYNC_FIELDS = frozenset({"standard_price", "brand_name", "product_tax_code", "product_category"})


def cola_item(**changes: object) -> dict[str, object]:
    fields: dict[str, object] = {
        "store_id": "STORE-1",
        "sku": "SKU-1",
        "name": "Acme Cola 330ml",
        "barcodes": [("036000291452", "UPC")],
        "price": Decimal("1.49"),
        "places": 2,
        "brand": "Acme",
        "tax_code": "A_GEN_TAX",
        "category": "Beverages",
    }
    fields.update(changes)
    return catalog_item(**fields)  # type: ignore[arg-type]


# --- currency and price --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("currency", "places"), [("USD", 2), ("EUR", 2), ("JPY", 0), ("jpy", 0), ("KWD", 3), ("XYZ", 2)]
)
def test_currency_places_follow_iso_4217_minor_units(currency: str, places: int) -> None:
    assert currency_places(currency) == places


@pytest.mark.parametrize(
    ("price", "places", "text"),
    [
        (Decimal("1.49"), 2, "1.49"),
        (Decimal("1.490"), 2, "1.49"),
        (Decimal("1.005"), 2, "1.01"),
        (Decimal("2.5"), 0, "3"),
        (Decimal("0.5"), 0, "1"),
        (Decimal("7"), 2, "7.00"),
        (Decimal("0"), 2, "0.00"),
        (Decimal("1.2345"), 3, "1.235"),
    ],
)
def test_price_text_uses_the_currency_places_rounding_half_up(price: Decimal, places: int, text: str) -> None:
    assert price_text(price, places) == text


def test_no_price_is_blank_text() -> None:
    assert price_text(None, 2) == ""


# --- one item ------------------------------------------------------------------------------------


def test_item_with_one_barcode_has_no_additional_information() -> None:
    assert cola_item() == {
        "item_sku": "SKU-1",
        "external_product_id": "036000291452",
        "external_product_id_type": "UPC",
        "item_name": "Acme Cola 330ml",
        "store_id": "STORE-1",
        "standard_price": "1.49",
        "brand_name": "Acme",
        "product_tax_code": "A_GEN_TAX",
        "product_category": "Beverages",
    }


def test_item_lists_every_barcode_after_the_first_as_additional() -> None:
    item = cola_item(barcodes=[("036000291452", "UPC"), ("4006381333931", "EAN"), ("96385074", "EAN8")])

    assert item["external_product_id"] == "036000291452"
    assert item["additional_external_product_information"] == [
        {"external_product_id": "4006381333931", "external_product_id_type": "EAN"},
        {"external_product_id": "96385074", "external_product_id_type": "EAN8"},
    ]


def test_item_leaves_out_empty_optional_fields() -> None:
    item = catalog_item(
        store_id="STORE-1", sku="SKU-3", name="Bananas (loose)", barcodes=[("4011", "PLU")], price=None, places=2
    )

    assert item == {
        "item_sku": "SKU-3",
        "external_product_id": "4011",
        "external_product_id_type": "PLU",
        "item_name": "Bananas (loose)",
        "store_id": "STORE-1",
    }


def test_zero_price_is_sent_not_left_out() -> None:
    assert cola_item(price=Decimal("0"))["standard_price"] == "0.00"


def test_item_with_subcategory_sends_it() -> None:
    assert cola_item(subcategory="Soda")["product_subcategory"] == "Soda"


# --- fingerprint ---------------------------------------------------------------------------------


def test_fingerprint_is_forty_hex_characters_and_stable() -> None:
    first = fingerprint(cola_item(), ALL_SYNC_FIELDS)

    assert len(first) == 40
    assert int(first, 16) >= 0
    assert fingerprint(cola_item(), ALL_SYNC_FIELDS) == first


def test_fingerprint_does_not_depend_on_key_order() -> None:
    item = cola_item()
    reversed_item = dict(reversed(list(item.items())))

    assert fingerprint(reversed_item, ALL_SYNC_FIELDS) == fingerprint(item, ALL_SYNC_FIELDS)


@pytest.mark.parametrize(
    "change",
    [
        {"sku": "SKU-1B"},
        {"name": "Acme Cola 330ml Can"},
        {"store_id": "STORE-2"},
        {"barcodes": [("4006381333931", "EAN")]},
        {"barcodes": [("036000291452", "UPC"), ("96385074", "EAN8")]},
    ],
)
def test_always_synced_field_changes_the_fingerprint_whatever_the_settings(change: dict[str, object]) -> None:
    assert fingerprint(cola_item(**change), frozenset()) != fingerprint(cola_item(), frozenset())


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"price": Decimal("1.59")}, "standard_price"),
        ({"brand": "Harbor"}, "brand_name"),
        ({"tax_code": "A_FOOD_GEN"}, "product_tax_code"),
        ({"category": "Soda"}, "product_category"),
        ({"subcategory": "Cola"}, "product_subcategory"),
    ],
)
def test_optional_field_changes_the_fingerprint_only_when_synced(change: dict[str, object], field: str) -> None:
    others = frozenset({"standard_price", "brand_name", "product_tax_code", "product_category", "product_subcategory"})
    others -= {field}

    assert fingerprint(cola_item(**change), others) == fingerprint(cola_item(), others)
    assert fingerprint(cola_item(**change), {field}) != fingerprint(cola_item(), {field})


def test_price_that_rounds_the_same_keeps_the_fingerprint() -> None:
    assert fingerprint(cola_item(price=Decimal("1.490")), ALL_SYNC_FIELDS) == fingerprint(
        cola_item(price=Decimal("1.49")), ALL_SYNC_FIELDS
    )


ITEM_VARIANTS: list[dict[str, object]] = [
    {},
    {"barcodes": [("036000291452", "UPC"), ("4006381333931", "EAN"), ("96385074", "EAN8")]},
    {"barcodes": [("4011", "PLU"), ("036000291452", "UPC")], "price": None},
    {"brand": "", "tax_code": "", "category": ""},
    {"subcategory": "Soda", "price": Decimal("0")},
    {"places": 0, "price": Decimal("120")},
    {"places": 3, "price": Decimal("1.235"), "store_id": "STORE-ZZ", "name": "Tea; 20 = bags"},
]
SYNC_FIELD_SETS = [
    frozenset(),
    ALL_SYNC_FIELDS,
    ALL_SYNC_FIELDS | {"product_subcategory"},
    frozenset({"standard_price"}),
    frozenset({"brand_name", "product_subcategory"}),
]


@pytest.mark.parametrize("sync_fields", SYNC_FIELD_SETS)
@pytest.mark.parametrize("change", ITEM_VARIANTS)
def test_item_fingerprint_equals_the_fingerprint_of_the_built_item(
    change: dict[str, object], sync_fields: frozenset[str]
) -> None:
    fields: dict[str, object] = {
        "store_id": "STORE-1",
        "sku": "SKU-1",
        "name": "Acme Cola 330ml",
        "barcodes": [("036000291452", "UPC")],
        "price": Decimal("1.49"),
        "places": 2,
        "brand": "Acme",
        "tax_code": "A_GEN_TAX",
        "category": "Beverages",
        "subcategory": "",
        **change,
    }
    built = fingerprint(catalog_item(**fields), sync_fields)  # type: ignore[arg-type]
    price = fields.pop("price")
    places = fields.pop("places")
    direct = item_fingerprint(
        **fields,  # type: ignore[arg-type]
        price=price_text(price, places),  # type: ignore[arg-type]
        sync_fields=sync_fields,
    )
    assert direct == built


def test_row_hash_keeps_cell_boundaries() -> None:
    assert row_hash(("ab", "c")) != row_hash(("a", "bc"))
    assert row_hash(("a", "b")) == row_hash(["a", "b"])
    assert len(row_hash(("a",))) == 40


# --- the store's items ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_store_items_stream_active_products_in_sku_order_with_all_barcodes(
    store: Store, other_store: Store, tmp_path: Path
) -> None:
    header = [*AMAZON_HEADER, "product_subcategory", "status"]
    rows = [
        ["SKU-2", "Harbor Water 500ml", "4000000000013", "", "", "0.99", "Harbor", "Beverages", "Water", ""],
        ["SKU-1", "Acme Cola 330ml", "036000291452", "UPC", "4006381333931:EAN|96385074:EAN8", "1.5", "", "", "", ""],
        ["SKU-3", "Bananas (loose)", "4011", "PLU", "", "", "", "Produce", "", "archived"],
    ]
    run_import(store, write_csv(tmp_path / "a.csv", rows, header=header))
    run_import(other_store, write_csv(tmp_path / "b.csv", [rows[0]], header=header))

    items = list(amazon_catalog_items(store=store))

    assert items == [
        {
            "item_sku": "SKU-1",
            "external_product_id": "036000291452",
            "external_product_id_type": "UPC",
            "item_name": "Acme Cola 330ml",
            "store_id": "TEST_STORE_001",
            "additional_external_product_information": [
                {"external_product_id": "4006381333931", "external_product_id_type": "EAN"},
                {"external_product_id": "96385074", "external_product_id_type": "EAN8"},
            ],
            "standard_price": "1.50",
        },
        {
            "item_sku": "SKU-2",
            "external_product_id": "4000000000013",
            "external_product_id_type": "EAN",
            "item_name": "Harbor Water 500ml",
            "store_id": "TEST_STORE_001",
            "standard_price": "0.99",
            "brand_name": "Harbor",
            "product_category": "Beverages",
            "product_subcategory": "Water",
        },
    ]


@pytest.mark.django_db
def test_store_items_of_archived_products_on_request(store: Store, tmp_path: Path) -> None:
    header = [*AMAZON_HEADER, "status"]
    rows = [
        ["SKU-1", "Acme Cola 330ml", "036000291452", "", "", "1.49", "", "", ""],
        ["SKU-3", "Bananas (loose)", "4011", "PLU", "", "", "", "Produce", "Archived"],
    ]
    run_import(store, write_csv(tmp_path / "a.csv", rows, header=header))

    items = list(amazon_catalog_items(store=store, status=ProductStatus.ARCHIVED))

    assert items == [
        {
            "item_sku": "SKU-3",
            "external_product_id": "4011",
            "external_product_id_type": "PLU",
            "item_name": "Bananas (loose)",
            "store_id": "TEST_STORE_001",
            "product_category": "Produce",
        }
    ]


@pytest.mark.django_db
def test_store_items_use_the_store_currency_places(tmp_path: Path) -> None:
    yen_store = Store.objects.create(store_id="TOKYO_001", name="Tokyo", currency="JPY")
    run_import(
        yen_store, write_csv(tmp_path / "a.csv", [["SKU-1", "Green Tea", "4000000000013", "", "", "150", "", ""]])
    )

    items = list(amazon_catalog_items(store=yen_store))

    assert [(item["item_sku"], item["standard_price"]) for item in items] == [("SKU-1", "150")]


@pytest.mark.django_db
def test_store_items_skip_a_product_without_barcodes(store: Store, tmp_path: Path) -> None:
    run_import(store, write_csv(tmp_path / "a.csv", [["SKU-1", "Acme Cola", "036000291452", "", "", "1.49", "", ""]]))
    Product.objects.create(store=store, sku="SKU-0", name="No Barcode Yet", amazon_fingerprint="0" * 40)

    items = list(amazon_catalog_items(store=store))

    assert [item["item_sku"] for item in items] == ["SKU-1"]


@pytest.mark.django_db
def test_stored_fingerprint_matches_the_streamed_item(store: Store, tmp_path: Path) -> None:
    run_import(
        store,
        write_csv(
            tmp_path / "a.csv", [["SKU-1", "Acme Cola", "036000291452", "UPC", "96385074:EAN8", "1.49", "Acme", ""]]
        ),
    )

    [item] = amazon_catalog_items(store=store)

    assert Product.objects.get().amazon_fingerprint == fingerprint(item, settings.JWO_SYNC_FIELDS)
