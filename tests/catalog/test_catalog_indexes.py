"""The catalog tables' indexes, pinned: every index costs every imported row (a fresh import is
judged against PostgreSQL's own COPY), so each one here has a query that reads it, and a new one
is a decision, not a side effect of a field option (bench/profiles/catalog_import.txt lists them)."""

import pytest
from django.db import connection

from catalog.models import Barcode, Product

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
    # The model also declares barcode_one_primary (one primary barcode per product), but the
    # database has not had it since migration 0003: altering ``product`` to db_index=False dropped
    # every single-column index on product_id, that partial one included. Restoring it is a
    # decision of its own (a unique index on half the barcodes, paid by every import): this test
    # then gains its line.
    assert _indexes(Barcode) == {
        ("id",): True,
        ("store_id", "match_key"): True,  # a scanned barcode → its product (gate, search, import claims)
        ("product_id", "position"): True,  # a product's barcodes in order; deleting a product's barcodes
    }
