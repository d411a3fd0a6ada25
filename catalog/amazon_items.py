"""Exactly what Amazon's Upload Catalog receives for a product, and its fingerprint.

The fingerprint hashes the item as Amazon would get it, limited to the fields that must trigger an
upload (SPEC §7: SKU, barcodes and name always; price, brand, tax code and category per the
``JWO_SYNC_FIELDS`` setting). Same item → same fingerprint, so the sync sends only real changes.
"""

import hashlib
from collections.abc import Collection, Iterable, Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from catalog import rules
from catalog.barcodes import BarcodeType

ALWAYS_SYNCED = (
    "item_sku",
    "store_id",
    "item_name",
    "external_product_id",
    "external_product_id_type",
    "additional_external_product_information",
)
OPTIONAL_SYNC_FIELDS = ("standard_price", "brand_name", "product_tax_code", "product_category", "product_subcategory")

MAX_UPLOAD_ITEMS = 10_000  # SPEC §4.1: items per Upload Catalog request

# Minor units of the currencies we expect; others default to 2 (ISO 4217).
CURRENCY_PLACES = {"JPY": 0, "KRW": 0, "ISK": 0, "BHD": 3, "KWD": 3, "OMR": 3, "JOD": 3, "TND": 3}


def currency_places(currency: str) -> int:
    return CURRENCY_PLACES.get(currency.upper(), 2)


def price_text(price: Decimal | None, places: int) -> str:
    """The price as Amazon receives it: a string with the currency's decimal places, half-up."""
    if price is None:
        return ""
    return str(price.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP))


def name_sent(name: str, suggested_name: str, *, send_clean_names: bool) -> str:
    """The ``item_name`` Amazon receives: the product's name, or — when it holds characters Amazon
    rejects and the store sends clean names — the suggested printable-ASCII one (catalog.rules)."""
    return suggested_name if send_clean_names and suggested_name else name


def catalog_item(
    *,
    store_id: str,
    sku: str,
    name: str,
    barcodes: Sequence[tuple[str, str]],
    price: Decimal | None,
    places: int,
    brand: str = "",
    tax_code: str = "",
    category: str = "",
    subcategory: str = "",
) -> dict[str, Any]:
    """One Upload Catalog item (SPEC §4.2); empty optional fields are left out, all values strings."""
    primary_value, primary_type = barcodes[0]
    item: dict[str, Any] = {
        "item_sku": sku,
        "external_product_id": primary_value,
        "external_product_id_type": primary_type,
        "item_name": name,
        "store_id": store_id,
    }
    if len(barcodes) > 1:
        item["additional_external_product_information"] = [
            {"external_product_id": value, "external_product_id_type": kind} for value, kind in barcodes[1:]
        ]
    optional = {
        "standard_price": price_text(price, places),
        "brand_name": brand,
        "product_tax_code": tax_code,
        "product_category": category,
        "product_subcategory": subcategory,
    }
    item.update({key: value for key, value in optional.items() if value})
    return item


def fingerprint(item: dict[str, Any], sync_fields: Collection[str]) -> str:
    """SHA-1 of the item's synced fields in a canonical form (sorted keys; unit and record
    separators between values, which no catalog field may contain)."""
    parts = []
    for key in sorted(item):
        if key in ALWAYS_SYNCED or key in sync_fields:
            value = item[key]
            if isinstance(value, list):  # additional barcodes
                value = "\x1e".join(
                    f"{entry['external_product_id']}:{entry.get('external_product_id_type', '')}" for entry in value
                )
            parts.append(f"{key}={value}")
    return hashlib.sha1("\x1f".join(parts).encode(), usedforsecurity=False).hexdigest()


def item_fingerprint(
    *,
    store_id: str,
    sku: str,
    name: str,
    barcodes: Sequence[tuple[str, str]],
    price: str,
    brand: str,
    tax_code: str,
    category: str,
    subcategory: str,
    sync_fields: Collection[str],
) -> str:
    """``fingerprint(catalog_item(...), sync_fields)`` without building the item: the same text,
    written out in ``fingerprint``'s sorted key order (an import runs this for every row; a test
    pins the two together). ``price`` is the price as Amazon receives it (``price_text``)."""
    parts = []
    if len(barcodes) > 1:
        listed = "\x1e".join(f"{value}:{kind}" for value, kind in barcodes[1:])
        parts.append(f"additional_external_product_information={listed}")
    if brand and "brand_name" in sync_fields:
        parts.append(f"brand_name={brand}")
    primary_value, primary_type = barcodes[0]
    parts.append(f"external_product_id={primary_value}")
    parts.append(f"external_product_id_type={primary_type}")
    parts.append(f"item_name={name}")
    parts.append(f"item_sku={sku}")
    if category and "product_category" in sync_fields:
        parts.append(f"product_category={category}")
    if subcategory and "product_subcategory" in sync_fields:
        parts.append(f"product_subcategory={subcategory}")
    if tax_code and "product_tax_code" in sync_fields:
        parts.append(f"product_tax_code={tax_code}")
    if price and "standard_price" in sync_fields:
        parts.append(f"standard_price={price}")
    parts.append(f"store_id={store_id}")
    return hashlib.sha1("\x1f".join(parts).encode(), usedforsecurity=False).hexdigest()


def row_hash(values: Iterable[Any]) -> str:
    """Hash of one import row's mapped values: an identical row needs no checking or writing."""
    encoded = "\x1f".join(map(str, values)).encode()  # str() of a str is the same text
    return hashlib.sha1(encoded, usedforsecurity=False).hexdigest()


def upload_json_schema() -> dict[str, dict[str, Any]]:
    """JSON Schemas of what we send to Upload Catalog (SPEC §B, §4), from the same constants the
    import's checks use; published as components of our OpenAPI document."""

    def text(limit: int, *, required_text: bool = False) -> dict[str, Any]:
        return {"type": "string", "maxLength": limit, **({"minLength": 1} if required_text else {})}

    barcode_type = {"type": "string", "enum": [kind.value for kind in BarcodeType]}
    item = {
        "type": "object",
        "description": "One Upload Catalog item as we send it: all values strings, empty optional fields left out.",
        "required": ["item_sku", "external_product_id", "item_name", "store_id"],
        "properties": {
            "item_sku": text(rules.MAX_SKU_LENGTH, required_text=True),
            "external_product_id": text(255, required_text=True),
            "external_product_id_type": barcode_type,
            "additional_external_product_information": {
                "type": "array",
                "maxItems": rules.MAX_ADDITIONAL_BARCODES,
                "items": {
                    "type": "object",
                    "required": ["external_product_id"],
                    "properties": {
                        "external_product_id": text(255, required_text=True),
                        "external_product_id_type": barcode_type,
                    },
                },
            },
            "item_name": text(rules.MAX_NAME_LENGTH, required_text=True),
            "store_id": text(255, required_text=True),
            "standard_price": text(rules.MAX_PRICE_LENGTH),
            "brand_name": text(rules.MAX_BRAND_LENGTH),
            "product_tax_code": text(rules.MAX_TAX_CODE_LENGTH),
            "product_category": text(rules.MAX_CATEGORY_LENGTH),
            "product_subcategory": text(rules.MAX_SUBCATEGORY_LENGTH),
        },
    }
    upload = {
        "type": "object",
        "required": ["catalogItems"],
        "properties": {
            "catalogItems": {
                "type": "array",
                "maxItems": MAX_UPLOAD_ITEMS,
                "items": {"$ref": "#/components/schemas/AmazonCatalogItem"},
            }
        },
    }
    return {"AmazonCatalogItem": item, "AmazonCatalogUpload": upload}
