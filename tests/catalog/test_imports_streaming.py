"""The PostgreSQL fast path: an import run outside any transaction (as a worker or the command
runs it) streams new products in on its own connection, and still writes all or nothing."""

from decimal import Decimal
from pathlib import Path

import pytest

from catalog.models import Barcode, ImportRowError, Product, ProductChange, Store
from tests.catalog.helpers import run_import, write_csv

pytestmark = pytest.mark.django_db(transaction=True)

COLA = [
    "SKU-1",
    "Acme Cola 330ml",
    "036000291452",
    "UPC",
    "4006381333931:EAN|96385074:EAN8",
    "1.49",
    "Acme",
    "Beverages",
]
WATER = ["SKU-2", "Harbor Water 500ml", "4000000000013", "", "", "0.99", "Harbor", "Beverages"]


@pytest.fixture
def pg_store(require_postgres: None, store: Store) -> Store:
    return store


def test_fresh_import_streams_products_and_barcodes(pg_store: Store, tmp_path: Path, settings) -> None:
    from catalog.importing import pgstream

    rows = [
        [f"S{n}", f"Product {n}", code, "", "", "1.00", "", ""]
        for n, code in ((n, f"41000{n:07d}") for n in range(1, 12))
    ]
    rows = [[*row[:2], row[2] + str(_check_digit(row[2])), *row[3:]] for row in rows]
    pgstream.CHUNK_ROWS, before = 4, pgstream.CHUNK_ROWS  # several chunks through the writer thread
    try:
        job = run_import(pg_store, write_csv(tmp_path / "c.csv", [COLA, WATER, *rows]))
    finally:
        pgstream.CHUNK_ROWS = before

    assert (job.status, job.rows_new, job.rows_rejected) == ("applied", 13, 0)
    assert Product.objects.count() == 13
    assert Barcode.objects.count() == 3 + 1 + 11
    cola = Product.objects.get(sku="SKU-1")
    assert (cola.price, cola.last_import_id, cola.synced_fingerprint) == (Decimal("1.490"), job.pk, "")
    assert list(cola.barcodes.values_list("value", "is_primary", "position")) == [
        ("036000291452", True, 0),
        ("4006381333931", False, 1),
        ("96385074", False, 2),
    ]


def _check_digit(body: str) -> int:
    from catalog.barcodes import gtin_check_digit

    return gtin_check_digit(body)


def test_changed_rows_and_moved_barcodes_are_written_after_the_stream(pg_store: Store, tmp_path: Path) -> None:
    run_import(pg_store, write_csv(tmp_path / "a.csv", [COLA, WATER]))
    thief = ["SKU-5", "New Cola", "96385074", "EAN8", "", "1.00", "", ""]  # takes a barcode from SKU-1…
    cola = [*COLA]
    cola[4] = "4006381333931:EAN"  # …which gives it up in the same file
    water = [*WATER]
    water[5] = "1.09"

    job = run_import(pg_store, write_csv(tmp_path / "b.csv", [thief, cola, water]))

    assert (job.status, job.rows_new, job.rows_changed, job.rows_rejected) == ("applied", 1, 2, 0)
    assert Barcode.objects.get(value="96385074").product.sku == "SKU-5"
    assert Product.objects.get(sku="SKU-2").price == Decimal("1.090")
    assert sorted(ProductChange.objects.values_list("product__sku", flat=True)) == ["SKU-1", "SKU-2"]
    assert ProductChange.objects.get(product__sku="SKU-2").changes == {"price": ["0.99", "1.09"]}


def test_strict_refusal_rolls_back_streamed_rows(pg_store: Store, tmp_path: Path) -> None:
    bad = ["SKU-9", "Broken", "036000291453", "", "", "1.00", "", ""]

    job = run_import(pg_store, write_csv(tmp_path / "c.csv", [COLA, WATER, bad]), strict=True)

    assert job.status == "refused"
    assert Product.objects.count() == 0
    assert Barcode.objects.count() == 0
    assert ImportRowError.objects.filter(job=job).count() == 1


def test_a_failure_while_writing_leaves_nothing_written(pg_store: Store, tmp_path: Path) -> None:
    from django.db import connection

    run_import(pg_store, write_csv(tmp_path / "a.csv", [WATER]))
    boom = ["BOOM", "Refused by the database", "4000000000020", "", "", "", "", ""]
    with connection.cursor() as cursor:  # the database itself refuses one row, mid-stream
        cursor.execute(
            "CREATE FUNCTION jwo_test_boom() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'boom'; END $$ "
            "LANGUAGE plpgsql; CREATE TRIGGER jwo_test_boom BEFORE INSERT ON catalog_product FOR EACH ROW "
            "WHEN (NEW.sku = 'BOOM') EXECUTE FUNCTION jwo_test_boom()"
        )
    try:
        job = run_import(pg_store, write_csv(tmp_path / "b.csv", [COLA, boom]))
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP TRIGGER jwo_test_boom ON catalog_product; DROP FUNCTION jwo_test_boom()")

    assert job.status == "failed"
    assert job.message.startswith("The import stopped on an unexpected error and wrote nothing")
    assert list(Product.objects.values_list("sku", flat=True)) == ["SKU-2"]
    assert Barcode.objects.count() == 1
    assert job.holds_store_lock is False


def test_text_that_copy_must_escape_arrives_as_it_was(pg_store: Store, tmp_path: Path) -> None:
    """Most rows go to COPY unescaped; one with a backslash or a tab in a field must be escaped."""
    tricky = ["SKU-9", "Back\\slash \\N Cola", "4000000000020", "", "", "1.00", "Tab\tBrand", "Drinks\\Soft"]
    job = run_import(pg_store, write_csv(tmp_path / "t.csv", [COLA, tricky]))

    assert (job.status, job.rows_new, job.rows_rejected) == ("applied", 2, 0)
    product = Product.objects.get(sku="SKU-9")
    assert (product.name, product.brand, product.category) == ("Back\\slash \\N Cola", "Tab\tBrand", "Drinks\\Soft")
    assert Product.objects.get(sku="SKU-1").name == "Acme Cola 330ml"
