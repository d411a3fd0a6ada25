"""The catalog tables' indexes, pinned: every index costs every imported row (a fresh import is
judged against PostgreSQL's own COPY), so each one here has a query that reads it, and a new one
is a decision, not a side effect of a field option (bench/profiles/catalog_import.txt lists them)."""

import pytest
from django.db import IntegrityError, connection, transaction

from catalog.models import Barcode, Product, Store

pytestmark = pytest.mark.django_db


def _indexes(model: type[Product] | type[Barcode]) -> dict[tuple[str, ...], bool]:
    """Indexed column lists of the model's table → whether the index is unique (a primary key or
    unique constraint is an index too: PostgreSQL maintains one for it)."""
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, model._meta.db_table)
    return {
        tuple(spec["columns"]): bool(spec["unique"])
        for spec in constraints.values()
        if spec["index"] or spec["unique"] or spec["primary_key"]
    }


def test_product_indexes_are_the_ones_queries_read(require_postgres: None) -> None:
    assert _indexes(Product) == {
        ("id",): True,  # the primary key: every product page, barcodes' foreign key
        ("store_id", "sku"): True,  # SKU per store: the import's lookup, the sync, every store filter
        ("store_id", "name"): False,  # the product list sorted by name within a store
        ("store_id", "category"): False,  # the category filter and the store's category list
    }


def test_barcode_indexes_are_the_ones_queries_read(require_postgres: None) -> None:
    assert _indexes(Barcode) == {
        ("id",): True,
        ("store_id", "match_key"): True,  # a scanned barcode → its product (gate, search, import claims)
        ("product_id", "position"): True,  # a product's barcodes in order; deleting a product's barcodes
        ("product_id",): True,  # barcode_one_primary (partial: primary barcodes only): integrity, no reader
    }


def test_a_second_primary_barcode_for_a_product_is_refused_by_the_database(store: Store) -> None:
    """Migration 0003 had dropped it on PostgreSQL; 0017 restores it (SQLite kept it)."""
    product = Product.objects.create(store=store, sku="ONE", name="One")
    Barcode.objects.create(
        store=store, product=product, value="4006381333931", type="EAN", match_key="04006381333931", is_primary=True
    )

    with pytest.raises(IntegrityError), transaction.atomic():
        Barcode.objects.create(
            store=store,
            product=product,
            value="036000291452",
            type="UPC",
            match_key="00036000291452",
            is_primary=True,
            position=1,
        )

    assert list(Barcode.objects.filter(product=product).values_list("value", "is_primary")) == [("4006381333931", True)]
