"""Upload and Archive request validation, with Amazon's exact error bodies (SPEC §B)."""

from typing import Any

INVALID_BODY = {"message": "Invalid request body"}
ALL_STORES_WRONG = {"errorMsg": "One or more StoreID's present in the request is incorrect"}
MIXED_STORES = {
    "errorMsg": "List of store ID's present in the request are either incorrect/not associated with same retailer"
}
MAX_ITEMS = 10_000
MAX_ADDITIONAL = 50
LIMITS = {
    "item_sku": 255,
    "external_product_id": 255,
    "external_product_id_type": 255,
    "item_name": 255,
    "store_id": 255,
    "standard_price": 10,
    "brand_name": 255,
    "product_tax_code": 255,
    "product_category": 50,
    "product_subcategory": 50,
}
REQUIRED = ("item_sku", "external_product_id", "item_name", "store_id")


def _printable_ascii(text: str) -> bool:
    """The catalog guidance: item names without "Type 1 High ASCII" or other special characters."""
    return text.isascii() and text.isprintable()


def _valid_item(item: Any) -> bool:
    if not isinstance(item, dict):
        return False
    for name in REQUIRED:
        if not isinstance(item.get(name), str) or not item[name]:
            return False
    if not _printable_ascii(item["item_name"]):
        return False
    for name, limit in LIMITS.items():
        value = item.get(name)
        if value is not None and (not isinstance(value, str) or len(value) > limit):
            return False
    extra = item.get("additional_external_product_information")
    if extra is not None:
        if not isinstance(extra, list) or len(extra) > MAX_ADDITIONAL:
            return False
        for entry in extra:
            if not isinstance(entry, dict) or not isinstance(entry.get("external_product_id"), str):
                return False
    return True


def check_upload(body: Any, known_stores: set[str] | None) -> dict[str, str] | None:
    """None when the upload is acceptable, else the 400 body Amazon would send."""
    if not isinstance(body, dict) or not isinstance(body.get("catalogItems"), list):
        return INVALID_BODY
    items = body["catalogItems"]
    if not items or len(items) > MAX_ITEMS or not all(_valid_item(item) for item in items):
        return INVALID_BODY
    if known_stores is not None:
        stores = {item["store_id"] for item in items}
        if not stores & known_stores:
            return ALL_STORES_WRONG
        if stores - known_stores:
            return MIXED_STORES
    return None


def check_archive(body: Any, known_stores: set[str] | None) -> dict[str, str] | None:
    if not isinstance(body, dict):
        return INVALID_BODY
    skus, stores = body.get("itemSkus"), body.get("allApplicableStores")
    if not isinstance(skus, list) or not skus or len(skus) > MAX_ITEMS or not all(isinstance(s, str) for s in skus):
        return INVALID_BODY
    if not isinstance(stores, list) or not all(isinstance(s, str) for s in stores):
        return INVALID_BODY
    if known_stores is not None and set(stores) != known_stores:
        return {"errorMsg": f"allApplicableStores must list every store of the retailer: {sorted(known_stores)}"}
    return None


# SPEC §B: the barcode formats Amazon takes, by declared type (undeclared: any of them).
BARCODE_SHAPES = {"UPC": (12, 8), "EAN": (13,), "EAN8": (8,), "ISBN": (10,), "GTIN": (14,)}


def barcode_problem(value: Any, declared: Any) -> str | None:
    """Why Amazon would not take this barcode for its declared type (checked per item at ingestion,
    so it shows in the report), or None."""
    if not isinstance(value, str) or not value:
        return "external_product_id is missing"
    kind = declared if isinstance(declared, str) and declared else ""
    if kind == "PLU":
        return None if value.isdigit() else f"PLU {value} is not an integer"
    if kind == "ISBN":
        ok = len(value) == 10 and value[:9].isdigit() and (value[9].isdigit() or value[9] in "Xx")
        return None if ok else f"ISBN {value} must have 10 characters"
    if not value.isdigit():
        return f"barcode {value} must contain only digits"
    lengths = BARCODE_SHAPES.get(kind) if kind else (8, 10, 12, 13, 14)
    if lengths is None:
        return f"external_product_id_type {kind} is not one of UPC, ISBN, EAN, EAN8, GTIN, PLU"
    if len(value) not in lengths:
        expected = " or ".join(str(length) for length in lengths)
        return f"{kind or 'barcode'} {value} must have {expected} digits, not {len(value)}"
    return None


def item_barcode_problem(item: dict[str, Any]) -> str | None:
    """The first barcode of the item (primary, then additional) Amazon would not take, or None."""
    problem = barcode_problem(item.get("external_product_id"), item.get("external_product_id_type"))
    if problem:
        return problem
    for entry in item.get("additional_external_product_information") or []:
        problem = barcode_problem(entry.get("external_product_id"), entry.get("external_product_id_type"))
        if problem:
            return problem
    return None
