"""Plain rows: a new product whose row needs no explanation is checked in one tight pass, and
gets exactly what the full check gives it (products, barcodes, history, the row report)."""

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from catalog.barcodes import parse_barcode, plain_gs1
from catalog.importing.checker import Checker, StoreContext
from catalog.importing.mapping import ColumnMap, ProfileSpec
from catalog.importing.pgstream import PRODUCT_FIELDS as IMPORTED_FIELDS
from catalog.importing.readers import open_table
from catalog.models import Barcode, ImportJob, ImportRowError, Product, ProductChange, Store
from catalog.rules import ItemInput, ValidItem, plain_price, validate_item
from catalog.selectors.products import existing_catalog
from tests.catalog.helpers import run_import, write_csv

# sku, name, barcode, barcode type, additional barcodes, price, brand, category (AMAZON_HEADER)
ROWS = [
    ["P-1", "Plain Cola 330ml", "036000291452", "", "4006381333931", "1.49", "Acme", "Beverages"],  # 2: plain
    ["P-2", "Plain Water", "4000000000013", "", "", "0.5", "Harbor", "Water"],  # 3: plain, price 0.50
    ["D-1", "Declared Cola", "012345678905", "UPC", "", "2", "", ""],  # 4: a declared type: full check
    ["W-1", "Café Crème", "4000000000020", "", "", "2.99", "", ""],  # 5: warning, suggested name
    ["B-1", "Bad Price", "4000000000037", "", "", "1,99", "", ""],  # 6: rejected, decimal comma
    ["P-1", "Same SKU again", "4000000000044", "", "", "", "", ""],  # 7: rejected, SKU on row 2
    ["S-1", "Takes a barcode", "4000000000013", "", "", "", "", ""],  # 8: rejected, barcode of row 3
    ["E-8", "Eight digits", "96385074", "EAN8", "", "", "", ""],  # 9: an EAN-8: full check
    ["X-1", "", "4000000000051", "", "", "", "", ""],  # 10: rejected, no name
    ["P-3", "Plain Juice", "4000000000068", "", "", "", "", ""],  # 11: plain, no price
    ["Z-1", "Same code twice", "5000000000043", "", "5000000000043", "3", "", ""],  # 12: warning, one dropped
]
PLAIN_ROWS = [2, 3, 11]
PRODUCT_FIELDS = (*IMPORTED_FIELDS, "amazon_fingerprint", "synced_fingerprint", "import_hash")


def _check(store: Store, path: Path, *, plain_pass: bool = True) -> tuple[Any, list[Any]]:
    reader = open_table(path)
    try:
        checker = Checker(
            reader=reader,
            columns=ColumnMap(reader.headers, ProfileSpec.amazon()),
            existing=existing_catalog(store=store),
            context=StoreContext(store_id=store.store_id, price_places=2, sync_fields=frozenset({"standard_price"})),
            plain_pass=plain_pass,
        )
        result = checker.run()
        rows = list(result.spooled_rows())
        result.close()
    finally:
        reader.close()
    return result, rows


def _stored(store: Store, job: ImportJob) -> dict[str, Any]:
    products = {
        product["sku"]: product
        for product in Product.objects.filter(store=store).values(*PRODUCT_FIELDS, "created_by_import", "last_import")
    }
    assert {(product["created_by_import"], product["last_import"]) for product in products.values()} == {
        (job.pk, job.pk)
    }
    return {
        "job": (job.status, job.rows_total, job.rows_new, job.rows_rejected, job.rows_warned),
        "products": {sku: {name: product[name] for name in PRODUCT_FIELDS} for sku, product in products.items()},
        "barcodes": sorted(
            Barcode.objects.filter(store=store).values_list(
                "product__sku", "value", "type", "match_key", "is_primary", "position"
            )
        ),
        "report": list(
            ImportRowError.objects.filter(job=job)
            .order_by("pk")
            .values_list("row_number", "sku", "field", "message", "is_warning", "original_row")
        ),
        "history": ProductChange.objects.filter(product__store=store).count(),
    }


def _import_twice(store: Store, path: Path, settings: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """The same file into the same fresh store: through the full check only, then as imports run."""
    settings.JWO_IMPORT_PLAIN_PASS = False
    slow = _stored(store, run_import(store, path))
    Product.objects.filter(store=store).delete()  # the store is fresh again
    settings.JWO_IMPORT_PLAIN_PASS = True
    return slow, _stored(store, run_import(store, path))


def test_plain_rows_are_checked_in_their_own_pass(store: Store, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "c.csv", ROWS)

    fast, _ = _check(store, path)
    slow, _ = _check(store, path, plain_pass=False)

    assert (fast.plain, fast.new) == (len(PLAIN_ROWS), 7)  # P-1, P-2 and P-3 of the seven new rows
    assert (slow.plain, slow.new) == (0, 7)


def test_check_gives_plain_rows_what_the_full_check_gives(store: Store, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "c.csv", ROWS)
    slow, slow_rows = _check(store, path, plain_pass=False)
    fast, fast_rows = _check(store, path)

    assert fast_rows == slow_rows
    assert [row[0] for row in fast_rows] == [2, 3, 4, 5, 9, 11, 12]
    assert fast.problems == slow.problems
    assert (fast.rows_total, fast.new, fast.rejected, fast.warned) == (11, 7, 4, 2)
    assert (slow.rows_total, slow.new, slow.rejected, slow.warned) == (11, 7, 4, 2)
    assert fast_rows[1][2][3] == "0.50"  # P-2's price as Amazon receives it


def test_fresh_import_stores_what_the_full_check_stores(store: Store, tmp_path: Path, settings: Any) -> None:
    slow, fast = _import_twice(store, write_csv(tmp_path / "c.csv", ROWS), settings)

    assert fast == slow
    assert fast["job"] == ("applied", 11, 7, 4, 2)
    assert fast["products"]["P-2"]["price"] == Decimal("0.500")
    assert fast["barcodes"][:2] == [
        ("D-1", "012345678905", "UPC", "00012345678905", True, 0),
        ("E-8", "96385074", "EAN8", "00000096385074", True, 0),
    ]
    assert [(row, sku, is_warning) for row, sku, _, _, is_warning, _ in fast["report"]] == [
        (5, "W-1", True),
        (6, "B-1", False),
        (7, "P-1", False),
        (8, "S-1", False),
        (10, "X-1", False),
        (12, "Z-1", True),
    ]
    assert fast["history"] == 0  # a new product's history is "Created by import #N", its created_by_import


@pytest.mark.django_db(transaction=True)
def test_streamed_fresh_import_stores_what_the_full_check_stores(
    require_postgres: None, tmp_path: Path, settings: Any
) -> None:
    store = Store.objects.create(store_id="TEST_STORE_001", name="Test Store", currency="USD")
    slow, fast = _import_twice(store, write_csv(tmp_path / "c.csv", ROWS), settings)

    assert fast == slow
    assert fast["job"] == ("applied", 11, 7, 4, 2)
    assert len(fast["barcodes"]) == 8  # P-1 has two; D-1, E-8, P-2, P-3, W-1 and Z-1 one each


@pytest.mark.parametrize(
    ("text", "places", "expected"),
    [
        ("4.99", 2, "4.99"),
        ("007.5", 2, "7.50"),
        (".5", 2, "0.50"),
        ("5.", 0, "5"),
        ("5.0", 0, "5"),
        ("12.340", 2, "12.34"),
        ("0", 3, "0.000"),
        ("", 2, ""),
        ("1.234", 2, None),
        ("-1", 2, None),
        ("+1", 2, None),
        ("1e3", 2, None),
        ("1,99", 2, None),
        (".", 2, None),
        ("١٢", 2, None),
        ("12345678.9", 2, None),
    ],
)
def test_plain_price_is_the_price_amazon_receives(text: str, places: int, expected: str | None) -> None:
    assert plain_price(text, places) == expected


@given(st.from_regex(r"[0-9]{0,9}(\.[0-9]{0,4})?", fullmatch=True), st.integers(min_value=0, max_value=3))
def test_plain_price_agrees_with_the_full_rules(text: str, places: int) -> None:
    plain = plain_price(text, places)
    if plain is None:
        return
    item = validate_item(
        ItemInput(sku="S", name="N", price=text, barcodes=(("4000000000013", None),)), price_places=places
    )
    assert isinstance(item, ValidItem)
    assert plain == ("" if item.price is None else str(item.price))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("036000291452", ("UPC", "00036000291452")),
        ("4006381333931", ("EAN", "04006381333931")),
        ("10036000291459", ("GTIN", "10036000291459")),
        ("036000291453", None),  # wrong check digit
        ("000000000000", None),  # all zeros
        ("96385074", None),  # 8 digits: an EAN-8 or a UPC-E, for parse_barcode to tell
        ("03600029145A", None),
    ],
)
def test_plain_gs1_keys_full_length_codes(text: str, expected: tuple[str, str] | None) -> None:
    assert plain_gs1(text) == expected


@given(st.from_regex(r"[0-9]{11,15}", fullmatch=True))
def test_plain_gs1_agrees_with_parse_barcode(text: str) -> None:
    plain = plain_gs1(text)
    if plain is None:
        return
    barcode = parse_barcode(text)
    assert (barcode.type.value, barcode.match_key, barcode.value, barcode.warning) == (*plain, text, "")
