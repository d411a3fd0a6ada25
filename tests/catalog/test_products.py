"""Staff edits of one product (service and Django admin): Amazon's rules, fingerprint, history."""

from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from catalog.models import Product, ProductChange, Store
from catalog.services.products import product_update
from tests.catalog.helpers import COLA, WATER, run_import, write_csv
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def cola(store: Store, tmp_path: Path) -> Product:
    run_import(store, write_csv(tmp_path / "c.csv", [COLA, WATER]))
    return Product.objects.get(sku="SKU-1")


def test_edit_records_history_and_refreshes_fingerprint(cola: Product, catalog_manager: User) -> None:
    before = cola.amazon_fingerprint

    product_update(product_id=cola.pk, changed_by=catalog_manager, name="Acme Cola Can 330ml", price=Decimal("1.59"))

    cola.refresh_from_db()
    assert (cola.name, cola.price, cola.import_hash) == ("Acme Cola Can 330ml", Decimal("1.590"), "")
    assert cola.amazon_fingerprint != before
    change = ProductChange.objects.get()
    assert (change.source, change.changed_by, change.changes) == (
        "staff",
        catalog_manager,
        {"name": ["Acme Cola 330ml", "Acme Cola Can 330ml"], "price": ["1.49", "1.59"]},
    )


def test_edit_breaking_amazons_rules_is_refused_and_saves_nothing(cola: Product) -> None:
    with pytest.raises(ValidationError) as refused:
        product_update(product_id=cola.pk, name="", category="x" * 51)

    assert set(refused.value.message_dict) == {"name", "category"}
    cola.refresh_from_db()
    assert (cola.name, cola.category) == ("Acme Cola 330ml", "Beverages")
    assert ProductChange.objects.count() == 0


def test_sku_cannot_be_edited_here(cola: Product) -> None:
    with pytest.raises(ValidationError) as refused:
        product_update(product_id=cola.pk, sku="OTHER")

    assert refused.value.message_dict == {"sku": ["This field cannot be changed here."]}
    assert Product.objects.get(pk=cola.pk).sku == "SKU-1"


def test_admin_edit_goes_through_the_rules(cola: Product, admin_user: User) -> None:
    client = client_for(admin_user)
    url = reverse("admin:catalog_product_change", args=[cola.pk])
    data = {
        "name": "Acme Cola 330ml",
        "brand": "Acme",
        "price": "1.49",
        "tax_code": "",
        "category": "y" * 51,
        "subcategory": "",
        "unit": "each",
        "status": "active",
        "barcodes-TOTAL_FORMS": "0",
        "barcodes-INITIAL_FORMS": "0",
        "barcodes-MIN_NUM_FORMS": "0",
        "barcodes-MAX_NUM_FORMS": "0",
    }

    refused = client.post(url, data)
    data["category"] = "Soft drinks"
    saved = client.post(url, data)

    assert refused.status_code == 200
    assert list(refused.context["adminform"].form.errors) == ["category"]
    assert saved.status_code == 302
    assert Product.objects.get(pk=cola.pk).category == "Soft drinks"
    assert ProductChange.objects.get().changes == {"category": ["Beverages", "Soft drinks"]}


def test_admin_exports_products_with_their_barcodes(cola: Product, admin_user: User) -> None:
    client: Client = client_for(admin_user)

    response = client.post(
        reverse("admin:catalog_product_export"),
        {
            "format": "0",
            "resource": "0",
            **{f"productresource_{name}": "on" for name in ("id", "store", "sku", "name", "barcodes")},
        },
    )

    assert response.status_code == 200
    assert response.content.decode().splitlines() == [
        "id,store_id,sku,name,barcodes",
        f"{cola.pk},TEST_STORE_001,SKU-1,Acme Cola 330ml,036000291452:UPC|4006381333931:EAN",
        f"{cola.pk + 1},TEST_STORE_001,SKU-2,Harbor Water 500ml,4000000000013:EAN",
    ]
