"""Staff edits of one product (create, edit, barcodes, suggested name): checked with the import's rules
(catalog.rules), fingerprinted, and recorded in the product's history with who made them."""

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Prefetch

from catalog.amazon_items import catalog_item, currency_places, fingerprint, name_sent
from catalog.barcodes import BarcodeError, parse_barcode
from catalog.models import Barcode, Product, ProductChange, ProductStatus, SaleUnit, Store
from catalog.rules import ItemInput, ValidItem, validate_item
from jwo_admin.core.exceptions import ApplicationError

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


def _barcode_text(barcodes: list[tuple[str, str]]) -> list[str]:
    """Barcodes as the history shows them (the import's form): "value (TYPE)", primary first."""
    return [f"{value} ({kind})" for value, kind in barcodes]


def product_check(
    *, product: Product, barcodes: Sequence[tuple[str, str | None]] | None = None, **fields: Any
) -> ValidItem:
    """Apply ``fields`` (and ``barcodes``, primary first, when given) to ``product`` in memory and
    check the result with the import's rules (catalog.rules.validate_item: name, price at the
    currency's places, barcodes with their check digits). Raises ValidationError naming the field;
    sets the price, warnings and suggested name the rules derive."""
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationError(dict.fromkeys(sorted(unknown), "This field cannot be changed here."))
    for name, value in fields.items():
        setattr(product, name, value)
    if product.unit not in SaleUnit.values:
        raise ValidationError({"unit": f"Choose one of {', '.join(SaleUnit.values)}."})
    if product.status not in ProductStatus.values:
        raise ValidationError({"status": "Choose active or archived."})
    if barcodes is None:
        barcodes = list(product.barcodes.order_by("position").values_list("value", "type")) if product.pk else []
    checked = validate_item(
        ItemInput(
            sku=product.sku,
            name=product.name,
            brand=product.brand,
            price="" if product.price is None else _text(product.price),
            tax_code=product.tax_code,
            category=product.category,
            subcategory=product.subcategory,
            barcodes=tuple((value, kind or None) for value, kind in barcodes),
        ),
        price_places=currency_places(product.store.currency),
    )
    if not isinstance(checked, ValidItem):
        errors: dict[str, list[str]] = {}
        for error in checked:
            errors.setdefault(_FORM_FIELDS.get(error.field, _barcode_field(error.field)), []).append(error.message)
        raise ValidationError(errors)
    product.sku, product.name, product.brand = checked.sku, checked.name, checked.brand
    product.tax_code, product.category, product.subcategory = checked.tax_code, checked.category, checked.subcategory
    product.price = checked.price
    product.warnings = list(checked.warnings)
    product.suggested_name = checked.suggested_name or ""
    return checked


def product_prepare(*, product: Product, **fields: Any) -> list[tuple[str, str]]:
    """Apply ``fields`` to an unsaved copy in memory and check it against Amazon's rules.

    Raises ValidationError naming the field; returns the product's barcodes (value, type).
    """
    checked = product_check(product=product, **fields)
    return [(barcode.value, barcode.type.value) for barcode in checked.barcodes]


def _barcode_field(field: str) -> str:
    """Amazon's barcode fields all land on the form's barcode input; anything else keeps its name."""
    return "barcodes" if field.startswith(("external_product_id", "additional_external")) else field


# Amazon's field names → ours, so form errors land on the right input.
_FORM_FIELDS = {
    "item_sku": "sku",
    "item_name": "name",
    "brand_name": "brand",
    "standard_price": "price",
    "product_tax_code": "tax_code",
    "product_category": "category",
    "product_subcategory": "subcategory",
}


def _barcodes_free(product: Product, checked: ValidItem) -> None:
    """The import's store-wide rule: one barcode belongs to one product of the store."""
    owners = Barcode.objects.filter(store=product.store, match_key__in=[code.match_key for code in checked.barcodes])
    if product.pk:
        owners = owners.exclude(product_id=product.pk)
    taken = dict(owners.values_list("match_key", "product__sku"))
    if taken:
        raise ValidationError(
            {
                "barcodes": [
                    f"Barcode {code.value} already belongs to SKU {taken[code.match_key]}."
                    for code in checked.barcodes
                    if code.match_key in taken
                ]
            }
        )


def _barcodes_write(product: Product, checked: ValidItem) -> None:
    product.barcodes.all().delete()
    Barcode.objects.bulk_create(
        Barcode(
            store_id=product.store_id,
            product=product,
            value=code.value,
            type=code.type.value,
            match_key=code.match_key,
            is_primary=position == 0,
            position=position,
        )
        for position, code in enumerate(checked.barcodes)
    )


def _sent_barcodes(checked: ValidItem) -> list[tuple[str, str]]:
    return [(code.value, code.type.value) for code in checked.barcodes]


@transaction.atomic
def product_update(
    *,
    product_id: int,
    changed_by: Any = None,
    barcodes: Sequence[tuple[str, str | None]] | None = None,
    **fields: Any,
) -> Product:
    """Change a product's editable fields and, given ``barcodes`` (value, type or None to infer;
    primary first), replace its barcodes. The import's rules apply (ValidationError naming the
    field, nothing saved); otherwise saves, refreshes the fingerprint and records what changed
    and who changed it (one history row; none when nothing changed)."""
    product = Product.objects.select_for_update().select_related("store").get(pk=product_id)
    before = {name: _text(getattr(product, name)) for name in EDITABLE_FIELDS}
    barcodes_before = _barcode_text(list(product.barcodes.order_by("position").values_list("value", "type")))
    checked = product_check(product=product, barcodes=barcodes, **fields)
    if barcodes is not None:
        _barcodes_free(product, checked)
    product.amazon_fingerprint = product_fingerprint(product, _sent_barcodes(checked))
    product.import_hash = ""  # the next import re-checks this row instead of trusting its hash
    product.full_clean()
    product.save()
    after = {name: _text(getattr(product, name)) for name in EDITABLE_FIELDS}
    diff: dict[str, list[Any]] = {
        name: [before[name], after[name]] for name in EDITABLE_FIELDS if before[name] != after[name]
    }
    if barcodes is not None:
        barcodes_after = _barcode_text(_sent_barcodes(checked))
        if barcodes_after != barcodes_before:
            _barcodes_write(product, checked)
            diff["barcodes"] = [barcodes_before, barcodes_after]
    if diff:
        ProductChange.objects.create(
            product=product, source=ProductChange.Source.STAFF, changed_by=changed_by, changes=diff
        )
    return product


@transaction.atomic
def product_create(
    *, store: Store, sku: str, barcodes: Sequence[tuple[str, str | None]], created_by: Any = None, **fields: Any
) -> Product:
    """A new product of ``store``, checked with the import's rules (SKU characters, name, price,
    barcodes with their check digits, one barcode per product in the store). Raises
    ValidationError naming the field, nothing saved. The product records who created it."""
    product = Product(store=store, sku=sku, created_by=created_by)
    checked = product_check(product=product, barcodes=barcodes, **fields)
    if Product.objects.filter(store=store, sku=product.sku).exists():
        raise ValidationError({"sku": f"SKU {product.sku} already exists in {store.name}."})
    _barcodes_free(product, checked)
    product.amazon_fingerprint = product_fingerprint(product, _sent_barcodes(checked))
    product.full_clean()
    product.save()
    _barcodes_write(product, checked)
    return product


def product_name_use_suggested(*, product_id: int, changed_by: Any = None) -> Product:
    """Rename the product to its suggested clean name (what Amazon accepts); receipts then show it
    too. Raises ApplicationError when the product has no suggestion."""
    suggested = Product.objects.values_list("suggested_name", flat=True).get(pk=product_id)
    if not suggested:
        raise ApplicationError("This product's name has nothing Amazon rejects: there is no suggested name.")
    return product_update(product_id=product_id, changed_by=changed_by, name=suggested)


def _barcode_entries(product_id: int) -> list[tuple[int, str, str]]:
    return list(Barcode.objects.filter(product_id=product_id).order_by("position").values_list("pk", "value", "type"))


def _barcode_keys(product_id: int) -> set[str]:
    return set(Barcode.objects.filter(product_id=product_id).values_list("match_key", flat=True))


def barcode_add(*, product_id: int, value: str, kind: str | None = None, changed_by: Any = None) -> Product:
    """Add a barcode after the product's others, checked as the import checks it (``kind`` None:
    inferred from the digits). Raises ValidationError on the ``barcodes`` field."""
    entries = _barcode_entries(product_id)
    try:
        key = parse_barcode(value.strip(), kind or None).match_key
    except BarcodeError:
        key = ""  # product_update reports the error in the import's words
    if key and key in _barcode_keys(product_id):
        raise ValidationError({"barcodes": f"Barcode {value.strip()} is already on this product."})
    barcodes = [(code, code_type) for _, code, code_type in entries]
    return product_update(
        product_id=product_id, changed_by=changed_by, barcodes=[*barcodes, (value.strip(), kind or None)]
    )


def barcode_remove(*, product_id: int, barcode_id: int, changed_by: Any = None) -> Product:
    """Remove one barcode; the next one becomes primary. A product keeps at least one (the rules
    require a primary barcode). Raises Barcode.DoesNotExist for a barcode of another product."""
    entries = _barcode_entries(product_id)
    if barcode_id not in {pk for pk, _, _ in entries}:
        raise Barcode.DoesNotExist
    barcodes = [(code, code_type) for pk, code, code_type in entries if pk != barcode_id]
    return product_update(product_id=product_id, changed_by=changed_by, barcodes=barcodes)


def barcode_retype(*, product_id: int, barcode_id: int, kind: str, changed_by: Any = None) -> Product:
    """Declare another type for one barcode (UPC, EAN, …), checked as the import checks it."""
    entries = _barcode_entries(product_id)
    if barcode_id not in {pk for pk, _, _ in entries}:
        raise Barcode.DoesNotExist
    barcodes = [(code, kind if pk == barcode_id else code_type) for pk, code, code_type in entries]
    return product_update(product_id=product_id, changed_by=changed_by, barcodes=barcodes)


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
