"""Amazon Upload Catalog field rules for one item.

Pure Python (no Django) so imports, forms and the API can all share one definition of "Amazon will accept this".
Errors block the upload; warnings are things Amazon accepts or we can fix, shown to the clerk with a suggestion.
"""

from __future__ import annotations

import re
import string
import unicodedata
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Context, Decimal, InvalidOperation
from typing import Final, NamedTuple

from catalog.barcodes import Barcode, BarcodeError, parse_barcode

MAX_SKU_LENGTH: Final = 255
MAX_NAME_LENGTH: Final = 255
MAX_BRAND_LENGTH: Final = 255
MAX_TAX_CODE_LENGTH: Final = 255
MAX_CATEGORY_LENGTH: Final = 50
MAX_SUBCATEGORY_LENGTH: Final = 50
MAX_PRICE_LENGTH: Final = 10
MAX_RECEIPT_NAME_LENGTH: Final = 100
MAX_ADDITIONAL_BARCODES: Final = 50

SKU_FIELD: Final = "item_sku"
NAME_FIELD: Final = "item_name"
BARCODE_FIELD: Final = "external_product_id"
ADDITIONAL_BARCODES_FIELD: Final = "additional_external_product_information"
PRICE_FIELD: Final = "standard_price"
BRAND_FIELD: Final = "brand_name"
TAX_CODE_FIELD: Final = "product_tax_code"
CATEGORY_FIELD: Final = "product_category"
SUBCATEGORY_FIELD: Final = "product_subcategory"

_SKU_PATTERN: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_SKU_CHARACTERS: Final = frozenset(string.ascii_letters + string.digits + "._-")
_SKU_RULE: Final = (
    f"{SKU_FIELD} may only contain letters A-Z, digits 0-9, '.', '_' and '-' and must start with a letter or digit"
)
_PRICE_PATTERN: Final = re.compile(r"-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
_PRICE_SEPARATORS: Final = frozenset(",' _")
_NOT_A_NUMBER: Final = frozenset({"nan", "snan", "inf", "infinity"})

# Removed before NFKD, because NFKD would otherwise turn '™' into 'TM'.
_MARKS: Final = str.maketrans(dict.fromkeys("®©™℠"))
# Applied after NFKD: typographic punctuation that has an obvious ASCII spelling ('½' decomposes to '1⁄2').
_PUNCTUATION: Final = str.maketrans(
    dict.fromkeys("‘’‚‛", "'") | dict.fromkeys("“”„", '"') | dict.fromkeys("‐‑‒–—", "-") | {"⁄": "/"}
)


@dataclass(frozen=True, slots=True)
class ItemInput:
    """One catalog row as typed or imported; ``barcodes`` is (value, declared type) pairs, the first is primary."""

    sku: str
    name: str
    brand: str = ""
    price: str = ""
    tax_code: str = ""
    category: str = ""
    subcategory: str = ""
    barcodes: tuple[tuple[str, str | None], ...] = ()


@dataclass(frozen=True, slots=True)
class FieldError:
    """A problem that blocks the upload, keyed by Amazon's field name so it can be shown next to the right input."""

    field: str
    message: str


@dataclass(frozen=True, slots=True)
class ValidItem:
    """An item Amazon will accept, with whitespace stripped and barcodes parsed (primary first, duplicates dropped)."""

    sku: str
    name: str
    brand: str
    price: Decimal | None
    tax_code: str
    category: str
    subcategory: str
    barcodes: tuple[Barcode, ...]
    warnings: tuple[str, ...]
    suggested_name: str | None


_PRICE_CONTEXT: Final = Context(prec=28, rounding=ROUND_HALF_UP)
_QUANTUM: Final = {places: Decimal(1).scaleb(-places) for places in range(7)}


def _rounded_price(price: Decimal, places: int) -> Decimal:
    """``price`` at the currency's places, half-up, with enough precision for any length of number."""
    quantum = _QUANTUM.get(places) or Decimal(1).scaleb(-places)
    context = _PRICE_CONTEXT if price.adjusted() + places + 2 <= 28 else Context(prec=price.adjusted() + places + 2)
    return price.quantize(quantum, rounding=ROUND_HALF_UP, context=context)


def format_price(price: Decimal, places: int = 2) -> str:
    """The exact ``standard_price`` string Amazon receives: fixed-point, half-up, never exponent notation."""
    return f"{_rounded_price(price, places):f}"


def _is_clean(text: str) -> bool:
    """Amazon accepts printable ASCII only; control characters count as rejected too."""
    return text.isascii() and text.isprintable()


def clean_name(name: str) -> str | None:
    """Suggest an ASCII name Amazon accepts (marks removed, accents transliterated), or None if it is already fine."""
    if _is_clean(name):
        return None
    text = unicodedata.normalize("NFKD", name.translate(_MARKS)).translate(_PUNCTUATION)
    kept = "".join(" " if char.isspace() else char for char in text if char.isspace() or " " <= char <= "~")
    return " ".join(kept.split())


def _required(field: str, value: str) -> FieldError | None:
    return None if value else FieldError(field, f"{field} is required")


def _too_long(field: str, value: str, limit: int) -> FieldError | None:
    if len(value) <= limit:
        return None
    return FieldError(field, f"{field} must be at most {limit} characters (got {len(value)})")


def _sku_characters(sku: str) -> FieldError | None:
    """Name the offending characters, since 'invalid SKU' alone leaves a clerk guessing."""
    if not sku or _SKU_PATTERN.fullmatch(sku):
        return None
    bad = dict.fromkeys(char for char in sku if char not in _SKU_CHARACTERS)
    detail = f"found {', '.join(map(repr, bad))}" if bad else f"starts with {sku[0]!r}"
    return FieldError(SKU_FIELD, f"{_SKU_RULE} ({detail})")


def plain_price(text: str, places: int) -> str | None:
    """The price Amazon receives for a price written as plain digits with at most ``places``
    decimals (``4.99``, ``12``, ``.5``, blank for none): what :func:`validate_item` gives it,
    with text operations instead of ``Decimal`` (an import runs this for every row). None for
    anything else (a sign, an exponent, too many places or characters), which ``validate_item``
    must judge and explain."""
    if not text:
        return ""
    whole, _, fraction = text.partition(".")
    if not (whole or fraction) or not text.isascii():
        return None
    if (whole and not whole.isdigit()) or (fraction and not fraction.isdigit()):
        return None
    if len(fraction.rstrip("0")) > places:
        return None
    whole = whole.lstrip("0") or "0"
    formatted = f"{whole}.{fraction.ljust(places, '0')[:places]}" if places else whole
    return formatted if len(formatted) <= MAX_PRICE_LENGTH else None


def plain_text_fits(*, name: str, brand: str, tax_code: str, category: str, subcategory: str) -> bool:
    """Whether these (stripped) texts pass :func:`validate_item` with no error and no warning:
    a printable-ASCII name short enough for receipts, a printable-ASCII brand, and every field
    within Amazon's lengths. A row that fits needs no per-field checks."""
    return bool(
        name
        and len(name) <= MAX_RECEIPT_NAME_LENGTH
        and len(brand) <= MAX_BRAND_LENGTH
        and len(tax_code) <= MAX_TAX_CODE_LENGTH
        and len(category) <= MAX_CATEGORY_LENGTH
        and len(subcategory) <= MAX_SUBCATEGORY_LENGTH
        and name.isascii()
        and name.isprintable()
        and brand.isascii()
        and brand.isprintable()
    )


def plain_sku(sku: str) -> bool:
    """Whether a (stripped) SKU passes :func:`validate_item`'s SKU rules."""
    return len(sku) <= MAX_SKU_LENGTH and _SKU_PATTERN.fullmatch(sku) is not None


def _price_format_error(text: str) -> FieldError:
    """Explain why a price is not a plain number, naming the most likely spreadsheet mistake."""
    if any(unicodedata.category(char) == "Sc" for char in text):
        message = "must be a plain number without a currency symbol"
    elif text.lower().lstrip("+-") in _NOT_A_NUMBER:
        message = "must be a number"
    elif "e" in text.lower() and _parses_as_decimal(text):
        message = "must be written out in full, without an exponent"
    elif any(char in _PRICE_SEPARATORS for char in text) and not any(char.isalpha() for char in text):
        message = "must not contain thousands separators or a decimal comma; write it like 1234.50"
    else:
        message = "must be a number like 4.99, using only digits 0-9 and '.'"
    return FieldError(PRICE_FIELD, f"{PRICE_FIELD} {message} (got {text!r})")


def _parses_as_decimal(text: str) -> bool:
    try:
        Decimal(text)
    except InvalidOperation:
        return False
    return True


def _parse_price(text: str, places: int) -> Decimal | FieldError | None:
    """Blank means 'no price'; anything else must already be the plain decimal Amazon expects."""
    if not text:
        return None
    if _PRICE_PATTERN.fullmatch(text) is None:
        return _price_format_error(text)
    price = Decimal(text)
    if price < 0:
        return FieldError(PRICE_FIELD, f"{PRICE_FIELD} must not be negative (got {text!r})")
    if len(text.partition(".")[2].rstrip("0")) > places:
        return FieldError(PRICE_FIELD, f"{PRICE_FIELD} must have at most {places} decimal places (got {text!r})")
    rounded = _rounded_price(price.copy_abs(), places)  # copy_abs: '-0' is sent as 0.00, not -0.00
    formatted = f"{rounded:f}"
    if len(formatted) > MAX_PRICE_LENGTH:
        return FieldError(
            PRICE_FIELD,
            f"{PRICE_FIELD} must be at most {MAX_PRICE_LENGTH} characters as sent to Amazon "
            f"(got {formatted!r}, {len(formatted)} characters)",
        )
    return rounded


def _character_warning(field: str, value: str) -> tuple[str | None, str | None]:
    """Warn (rather than fail) about characters Amazon rejects, offering the cleaned text as the fix."""
    suggestion = clean_name(value)
    if suggestion is None:
        return None, None
    rejected = ", ".join(map(repr, dict.fromkeys(char for char in value if not _is_clean(char))))
    if not suggestion:
        return f"{field} contains only characters Amazon rejects ({rejected}); please rename it", None
    return f"{field} contains characters Amazon rejects ({rejected}); suggested: {suggestion!r}", suggestion


def _receipt_warning(name: str) -> str | None:
    if len(name) <= MAX_RECEIPT_NAME_LENGTH:
        return None
    return (
        f"{NAME_FIELD} is {len(name)} characters; receipts show 1-{MAX_RECEIPT_NAME_LENGTH} characters, "
        "so consider shortening it"
    )


def _additional_field(index: int) -> str:
    return f"{ADDITIONAL_BARCODES_FIELD}[{index}]"


class _BarcodeCheck(NamedTuple):
    """One item's barcodes, parsed: kept (primary first), errors, and warnings about dropped duplicates."""

    barcodes: list[Barcode]
    errors: list[FieldError]
    warnings: list[str]


def _barcode_field(index: int) -> str:
    """Amazon's field name for entry ``index`` of an item's barcodes (0 is the primary)."""
    return BARCODE_FIELD if index == 0 else _additional_field(index - 1)


def _check_barcodes(entries: tuple[tuple[str, str | None], ...]) -> _BarcodeCheck:
    """Blank additional entries (empty spreadsheet columns) are skipped; duplicates keep the first occurrence.

    One loop with plain locals, and field names built only for messages: this runs for every row of an import.
    """
    barcodes: list[Barcode] = []
    errors: list[FieldError] = []
    warnings: list[str] = []
    first_index_by_key: dict[str, int] = {}
    if not entries or not entries[0][0].strip():
        errors.append(FieldError(BARCODE_FIELD, f"{BARCODE_FIELD} (the primary barcode) is required"))
        start = 1
    else:
        start = 0
    kept = 0
    for index in range(start, len(entries)):
        value, declared_type = entries[index]
        if index and not value.strip():
            continue
        try:
            barcode = parse_barcode(value, declared_type)
        except BarcodeError as error:
            errors.append(FieldError(_barcode_field(index), str(error)))
            kept += index > 0
            continue
        first_index = first_index_by_key.setdefault(barcode.match_key, index)
        if first_index != index:
            warnings.append(
                f"{_barcode_field(index)} ({barcode.value}) is the same barcode as {_barcode_field(first_index)}; "
                "dropped it"
            )
            continue
        if barcode.warning:
            warnings.append(barcode.warning)
        barcodes.append(barcode)
        kept += index > 0
    if kept > MAX_ADDITIONAL_BARCODES:
        message = f"an item can have at most {MAX_ADDITIONAL_BARCODES} additional barcodes (got {kept})"
        errors.append(FieldError(ADDITIONAL_BARCODES_FIELD, message))
    return _BarcodeCheck(barcodes, errors, warnings)


def validate_item(item: ItemInput, *, price_places: int = 2) -> ValidItem | list[FieldError]:
    """Apply every Upload Catalog rule and report all problems at once, so a clerk can fix a row in one pass.

    Errors come back in a fixed field order: SKU, name, barcodes, price, then the optional text fields.
    """
    sku, name, brand = item.sku.strip(), item.name.strip(), item.brand.strip()
    tax_code, category, subcategory = item.tax_code.strip(), item.category.strip(), item.subcategory.strip()
    price = _parse_price(item.price.strip(), price_places)
    barcodes = _check_barcodes(item.barcodes)
    # Most rows pass every check: test that in one expression (an import runs this for every row)
    # and build the errors, in their fixed order, only when something failed.
    passes = (
        sku
        and name
        and not barcodes.errors
        and not isinstance(price, FieldError)
        and len(sku) <= MAX_SKU_LENGTH
        and len(name) <= MAX_NAME_LENGTH
        and len(brand) <= MAX_BRAND_LENGTH
        and len(tax_code) <= MAX_TAX_CODE_LENGTH
        and len(category) <= MAX_CATEGORY_LENGTH
        and len(subcategory) <= MAX_SUBCATEGORY_LENGTH
        and _SKU_PATTERN.fullmatch(sku)
    )
    if not passes:
        checks = (
            _required(SKU_FIELD, sku),
            _too_long(SKU_FIELD, sku, MAX_SKU_LENGTH),
            _sku_characters(sku),
            _required(NAME_FIELD, name),
            _too_long(NAME_FIELD, name, MAX_NAME_LENGTH),
            *barcodes.errors,
            price if isinstance(price, FieldError) else None,
            _too_long(BRAND_FIELD, brand, MAX_BRAND_LENGTH),
            _too_long(TAX_CODE_FIELD, tax_code, MAX_TAX_CODE_LENGTH),
            _too_long(CATEGORY_FIELD, category, MAX_CATEGORY_LENGTH),
            _too_long(SUBCATEGORY_FIELD, subcategory, MAX_SUBCATEGORY_LENGTH),
        )
        return [error for error in checks if error is not None]
    assert not isinstance(price, FieldError)  # noqa: S101 - for the type checker: passes checked it
    name_warning, suggested_name = (None, None) if _is_clean(name) else _character_warning(NAME_FIELD, name)
    brand_warning = None if _is_clean(brand) else _character_warning(BRAND_FIELD, brand)[0]
    warnings = (name_warning, _receipt_warning(name), brand_warning, *barcodes.warnings)
    return ValidItem(
        sku=sku,
        name=name,
        brand=brand,
        price=price,
        tax_code=tax_code,
        category=category,
        subcategory=subcategory,
        barcodes=tuple(barcodes.barcodes),
        warnings=tuple(warning for warning in warnings if warning is not None),
        suggested_name=suggested_name,
    )
