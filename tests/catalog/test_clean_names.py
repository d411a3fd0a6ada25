"""Names with characters Amazon rejects (é, ™, curly quotes): Amazon is sent the suggested clean name,
the product keeps its own for receipts, staff see both — unless the store turns it off, which makes
the affected products changed for the next sync."""

from pathlib import Path
from typing import Any

import pytest
from django.db.models import F

from catalog.models import Product, Store
from catalog.selectors.sync import sync_preview
from catalog.services.stores import store_save
from catalog.services.sync_plan import sync_plan
from tests.catalog.helpers import COLA, run_import, write_csv
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

CAFE = ["SKU-9", "Café Crème™ “Noir” 250g", "4000000000013", "", "", "4.99", "Brûlerie", "Coffee"]


@pytest.fixture
def catalog(store: Store, tmp_path: Path) -> Store:
    run_import(store, write_csv(tmp_path / "c.csv", [COLA, CAFE]))
    return store


def sent_names(store: Store) -> dict[str, str]:
    run = sync_plan(store=store)
    return {item["item_sku"]: item["item_name"] for item in run.batches.get().payload["catalogItems"]}


def test_amazon_gets_the_clean_name_and_the_product_keeps_its_own(catalog: Store) -> None:
    cafe = Product.objects.get(sku="SKU-9")

    assert sent_names(catalog) == {"SKU-1": "Acme Cola 330ml", "SKU-9": 'Cafe Creme "Noir" 250g'}
    assert (cafe.name, cafe.suggested_name) == ("Café Crème™ “Noir” 250g", 'Cafe Creme "Noir" 250g')


def test_staff_see_both_names(catalog: Store, viewer: Any) -> None:
    cafe = Product.objects.get(sku="SKU-9")

    html = client_for(viewer).get(f"/catalog/products/{cafe.pk}/").content.decode()

    assert "Sent to Amazon as <strong>Cafe Creme &quot;Noir&quot; 250g</strong>" in html
    assert "receipts keep <strong>Café Crème™ “Noir” 250g</strong>" in html


def test_a_store_that_sends_names_unchanged_has_its_affected_products_changed_for_the_next_sync(
    catalog: Store,
) -> None:
    Product.objects.update(synced_fingerprint=F("amazon_fingerprint"))  # as if Amazon had accepted both
    assert sync_preview(store=catalog).total == 0

    catalog.send_clean_names = False
    store_save(store=catalog)

    preview = sync_preview(store=catalog)
    assert (preview.changed, [product.sku for product in preview.sample]) == (1, ["SKU-9"])
    assert sent_names(catalog) == {"SKU-9": "Café Crème™ “Noir” 250g"}
