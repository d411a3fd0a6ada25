"""Staff edits of one product: validated to Amazon's rules, fingerprinted, and recorded in history."""

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Prefetch

from catalog.amazon_items import catalog_item, currency_places, fingerprint, name_sent
from catalog.models import Barcode, Product, ProductChange, ProductStatus, SaleUnit, Store
from catalog.rules import ItemInput, ValidItem, validate_item

EDITABLE_FIELDS = ("name", "brand", "price", "tax_code", "category", "subcategory", "unit", "status")


def product_fingerprint(product: Product, barcodes: list[tuple[str, str]]) -> str:
    """The fingerprint of what Amazon would receive for this product as it stands."""
    store = product.store
    item = catalog_item(
        store_id=store.store_id,
        sku=product.sku,
        name=name_sent(product.name, product.suggested_name, send_clean_names=store.send_clean_names),
        barcodes=barcodes,
        price=product.price,
        places=currency_places(store.currency),
        brand=product.brand,
        tax_code=product.tax_code,
        category=product.category,
        subcategory=product.subcategory,
    )
    return fingerprint(item, frozenset(settings.JWO_SYNC_FIELDS))


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return str(value)


def product_prepare(*, product: Product, **fields: Any) -> list[tuple[str, str]]:
    """Apply ``fields`` to an unsaved copy in memory and check it against Amazon's rules.

    Raises ValidationError naming the field; returns the product's barcodes (value, type).
    """
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationError(dict.fromkeys(sorted(unknown), "This field cannot be changed here."))
    for name, value in fields.items():
        setattr(product, name, value)
    if product.unit not in SaleUnit.values:
        raise ValidationError({"unit": f"Choose one of {', '.join(SaleUnit.values)}."})
    if product.status not in ProductStatus.values:
        raise ValidationError({"status": "Choose active or archived."})
    barcodes = list(product.barcodes.order_by("position").values_list("value", "type"))
    checked = validate_item(
        ItemInput(
            sku=product.sku,
            name=product.name,
            brand=product.brand,
            price="" if product.price is None else _text(product.price),
            tax_code=product.tax_code,
            category=product.category,
            subcategory=product.subcategory,
            barcodes=tuple((value, kind) for value, kind in barcodes),
        ),
        price_places=currency_places(product.store.currency),
    )
    if not isinstance(checked, ValidItem):
        raise ValidationError({_FORM_FIELDS.get(error.field, error.field): error.message for error in checked})
    product.price = checked.price
    product.warnings = list(checked.warnings)
    product.suggested_name = checked.suggested_name or ""
    return barcodes


# Amazon's field names → ours, so form errors land on the right input.
_FORM_FIELDS = {
    "item_name": "name",
    "brand_name": "brand",
    "standard_price": "price",
    "product_tax_code": "tax_code",
    "product_category": "category",
    "product_subcategory": "subcategory",
}


@transaction.atomic
def product_update(*, product_id: int, changed_by: Any = None, **fields: Any) -> Product:
    """Change a product's editable fields. Raises ValidationError naming the field when Amazon's
    rules refuse the result; otherwise saves, refreshes the fingerprint and records what changed."""
    product = Product.objects.select_for_update().select_related("store").get(pk=product_id)
    before = {name: _text(getattr(product, name)) for name in EDITABLE_FIELDS}
    barcodes = product_prepare(product=product, **fields)
    product.amazon_fingerprint = product_fingerprint(product, barcodes)
    product.import_hash = ""  # the next import re-checks this row instead of trusting its hash
    product.full_clean()
    product.save()
    after = {name: _text(getattr(product, name)) for name in EDITABLE_FIELDS}
    diff = {name: [before[name], after[name]] for name in EDITABLE_FIELDS if before[name] != after[name]}
    if diff:
        ProductChange.objects.create(
            product=product, source=ProductChange.Source.STAFF, changed_by=changed_by, changes=diff
        )
    return product


def products_fingerprint_refresh(*, store: Store) -> int:
    """Recompute the fingerprints of the store's products whose Amazon name depends on the store's
    *send clean names* setting (those with a suggested name), after it changed: what Amazon is to
    receive changed, so they count as changed for the next sync. Returns how many were refreshed."""
    products = (
        Product.objects.filter(store=store)
        .exclude(suggested_name="")
        .select_related("store")
        .prefetch_related(Prefetch("barcodes", queryset=Barcode.objects.order_by("position")))
    )
    changed: list[Product] = []
    for product in products.iterator(chunk_size=2000):
        product.amazon_fingerprint = product_fingerprint(
            product, [(barcode.value, barcode.type) for barcode in product.barcodes.all()]
        )
        changed.append(product)
    Product.objects.bulk_update(changed, ["amazon_fingerprint"], batch_size=2000)
    return len(changed)
