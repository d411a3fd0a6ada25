"""Amazon Upload Catalog field rules for one item."""

import dataclasses
from decimal import Decimal
from typing import Any

import pytest

from catalog import rules
from catalog.barcodes import Barcode, BarcodeType
from catalog.rules import (
    MAX_ADDITIONAL_BARCODES,
    FieldError,
    ItemInput,
    ValidItem,
    clean_name,
    format_price,
    validate_item,
)

UPC_A = ("036000291452", "UPC")
UPC_A_BARCODE = Barcode("036000291452", BarcodeType.UPC, "00036000291452")
EAN_13 = ("4006381333931", "EAN")
EAN_13_BARCODE = Barcode("4006381333931", BarcodeType.EAN, "04006381333931")
SKU_RULE = "item_sku may only contain letters A-Z, digits 0-9, '.', '_' and '-' and must start with a letter or digit"


def make_item(
    *,
    sku: str = "SKU-1",
    name: str = "Oat Milk",
    brand: str = "",
    price: str = "",
    tax_code: str = "",
    category: str = "",
    subcategory: str = "",
    barcodes: tuple[tuple[str, str | None], ...] = (UPC_A,),
) -> ItemInput:
    return ItemInput(sku, name, brand, price, tax_code, category, subcategory, barcodes)


def with_text(argument: str, value: str) -> ItemInput:
    """A valid item with one text field replaced, for rules that apply alike to several fields."""
    changes: dict[str, Any] = {argument: value}
    return dataclasses.replace(make_item(), **changes)


def valid(item: ItemInput, *, price_places: int = 2) -> ValidItem:
    result = validate_item(item, price_places=price_places)
    assert isinstance(result, ValidItem), result
    return result


def errors(item: ItemInput, *, price_places: int = 2) -> list[FieldError]:
    result = validate_item(item, price_places=price_places)
    assert isinstance(result, list), result
    return result


def plu_barcodes(count: int) -> tuple[tuple[str, str | None], ...]:
    """Distinct PLUs: an easy supply of valid barcodes that need no check digit."""
    return tuple((str(3000 + number), "PLU") for number in range(count))


def test_accepts_minimal_item() -> None:
    assert validate_item(ItemInput("SKU-1", "Oat Milk", barcodes=(("036000291452", None),))) == ValidItem(
        sku="SKU-1",
        name="Oat Milk",
        brand="",
        price=None,
        tax_code="",
        category="",
        subcategory="",
        barcodes=(UPC_A_BARCODE,),
        warnings=(),
        suggested_name=None,
    )


def test_strips_surrounding_whitespace_of_every_field() -> None:
    item = ItemInput(
        sku=" SKU-1\t",
        name="  Oat Milk ",
        brand=" Oatly ",
        price=" 4.99 ",
        tax_code=" A_GEN_TAX ",
        category=" Dairy ",
        subcategory=" Milk ",
        barcodes=((" 036000291452 ", " upc "), ("\t4006381333931\n", None)),
    )
    assert validate_item(item) == ValidItem(
        sku="SKU-1",
        name="Oat Milk",
        brand="Oatly",
        price=Decimal("4.99"),
        tax_code="A_GEN_TAX",
        category="Dairy",
        subcategory="Milk",
        barcodes=(UPC_A_BARCODE, EAN_13_BARCODE),
        warnings=(),
        suggested_name=None,
    )


@pytest.mark.parametrize("sku", ["", "   "])
def test_rejects_missing_sku(sku: str) -> None:
    assert errors(make_item(sku=sku)) == [FieldError("item_sku", "item_sku is required")]


@pytest.mark.parametrize("name", ["", " \t "])
def test_rejects_missing_name(name: str) -> None:
    assert errors(make_item(name=name)) == [FieldError("item_name", "item_name is required")]


@pytest.mark.parametrize("barcodes", [(), (("", None),), (("   ", "UPC"),), (("", None), EAN_13)])
def test_rejects_missing_primary_barcode(barcodes: tuple[tuple[str, str | None], ...]) -> None:
    assert errors(make_item(barcodes=barcodes)) == [
        FieldError("external_product_id", "external_product_id (the primary barcode) is required")
    ]


def test_reports_all_errors_at_once_in_field_order() -> None:
    item = ItemInput(
        sku="",
        name="",
        brand="B" * 256,
        price="$4.99",
        tax_code="T" * 256,
        category="C" * 63,
        subcategory="S" * 51,
        barcodes=(("036000291455", "UPC"), ("4006381333932", None), ("QR-CODE", "QR")),
    )
    assert errors(item) == [
        FieldError("item_sku", "item_sku is required"),
        FieldError("item_name", "item_name is required"),
        FieldError("external_product_id", "UPC check digit should be 2, not 5"),
        FieldError("additional_external_product_information[0]", "EAN check digit should be 1, not 2"),
        FieldError(
            "additional_external_product_information[1]",
            "unknown barcode type 'QR'; use one of UPC, EAN, EAN8, ISBN, GTIN, PLU",
        ),
        FieldError("standard_price", "standard_price must be a plain number without a currency symbol (got '$4.99')"),
        FieldError("brand_name", "brand_name must be at most 255 characters (got 256)"),
        FieldError("product_tax_code", "product_tax_code must be at most 255 characters (got 256)"),
        FieldError("product_category", "product_category must be at most 50 characters (got 63)"),
        FieldError("product_subcategory", "product_subcategory must be at most 50 characters (got 51)"),
    ]


LENGTH_LIMITS = [
    ("sku", "item_sku", 255),
    ("name", "item_name", 255),
    ("brand", "brand_name", 255),
    ("tax_code", "product_tax_code", 255),
    ("category", "product_category", 50),
    ("subcategory", "product_subcategory", 50),
]


@pytest.mark.parametrize(("argument", "field", "limit"), LENGTH_LIMITS)
def test_accepts_field_at_its_length_limit(argument: str, field: str, limit: int) -> None:
    item = with_text(argument, "A" * limit)
    assert getattr(valid(item), argument) == "A" * limit


@pytest.mark.parametrize(("argument", "field", "limit"), LENGTH_LIMITS)
def test_rejects_field_over_its_length_limit(argument: str, field: str, limit: int) -> None:
    item = with_text(argument, "A" * (limit + 1))
    assert errors(item) == [FieldError(field, f"{field} must be at most {limit} characters (got {limit + 1})")]


@pytest.mark.parametrize(("argument", "field", "limit"), LENGTH_LIMITS)
def test_length_is_counted_after_stripping_whitespace(argument: str, field: str, limit: int) -> None:
    assert getattr(valid(with_text(argument, f"  {'A' * limit}  ")), argument) == "A" * limit


def test_length_limits_are_amazons() -> None:
    assert (
        rules.MAX_SKU_LENGTH,
        rules.MAX_NAME_LENGTH,
        rules.MAX_BRAND_LENGTH,
        rules.MAX_TAX_CODE_LENGTH,
        rules.MAX_CATEGORY_LENGTH,
        rules.MAX_SUBCATEGORY_LENGTH,
        rules.MAX_PRICE_LENGTH,
        rules.MAX_RECEIPT_NAME_LENGTH,
        MAX_ADDITIONAL_BARCODES,
    ) == (255, 255, 255, 255, 50, 50, 10, 100, 50)


@pytest.mark.parametrize("sku", ["A", "7", "SKU-1", "sku_1.2-b", "0.0", "A" + "-" * 254])
def test_accepts_sku_of_letters_digits_dots_underscores_and_hyphens(sku: str) -> None:
    assert valid(make_item(sku=sku)).sku == sku


@pytest.mark.parametrize(
    ("sku", "detail"),
    [
        ("-SKU", "starts with '-'"),
        (".SKU", "starts with '.'"),
        ("_SKU", "starts with '_'"),
        ("SKU 1", "found ' '"),
        ("SKU/1", "found '/'"),
        ("SKÜ-1", "found 'Ü'"),
        ("SKU 1/2 #3", "found ' ', '/', '#'"),
        ("#1", "found '#'"),
    ],
)
def test_rejects_sku_with_other_characters_and_names_them(sku: str, detail: str) -> None:
    assert errors(make_item(sku=sku)) == [FieldError("item_sku", f"{SKU_RULE} ({detail})")]


def test_rejects_sku_that_is_too_long_and_has_bad_characters_with_both_errors() -> None:
    assert errors(make_item(sku="A B" * 100)) == [
        FieldError("item_sku", "item_sku must be at most 255 characters (got 300)"),
        FieldError("item_sku", f"{SKU_RULE} (found ' ')"),
    ]


@pytest.mark.parametrize(
    ("price", "expected"),
    [
        ("0", "0.00"),
        ("4", "4.00"),
        ("4.9", "4.90"),
        ("4.99", "4.99"),
        ("4.990", "4.99"),
        (".5", "0.50"),
        ("5.", "5.00"),
        ("0004.99", "4.99"),
        ("-0", "0.00"),
        ("-0.00", "0.00"),
        ("9999999.99", "9999999.99"),
        (" 4.99 ", "4.99"),
    ],
)
def test_accepts_plain_decimal_price_and_quantizes_it(price: str, expected: str) -> None:
    parsed = valid(make_item(price=price)).price
    assert parsed == Decimal(expected)
    assert str(parsed) == expected


@pytest.mark.parametrize("price", ["", "   "])
def test_blank_price_means_no_price(price: str) -> None:
    assert valid(make_item(price=price)).price is None


CURRENCY = "must be a plain number without a currency symbol"
SEPARATORS = "must not contain thousands separators or a decimal comma; write it like 1234.50"
EXPONENT = "must be written out in full, without an exponent"
NOT_A_NUMBER = "must be a number"
GENERIC = "must be a number like 4.99, using only digits 0-9 and '.'"


@pytest.mark.parametrize(
    ("price", "problem"),
    [
        ("$4.99", CURRENCY),
        ("4.99€", CURRENCY),
        ("£4", CURRENCY),
        ("1,234.50", SEPARATORS),
        ("4,99", SEPARATORS),
        ("1 234.50", SEPARATORS),
        ("1'234.50", SEPARATORS),
        ("1_000", SEPARATORS),
        ("1e3", EXPONENT),
        ("4.99E+2", EXPONENT),
        ("NaN", NOT_A_NUMBER),
        ("sNaN", NOT_A_NUMBER),
        ("Infinity", NOT_A_NUMBER),
        ("-inf", NOT_A_NUMBER),
        ("abc", GENERIC),
        ("free", GENERIC),
        ("+4.99", GENERIC),
        ("4.9.9", GENERIC),
        (".", GENERIC),
        ("-", GENERIC),
        ("٤.٩٩", GENERIC),
        ("4.99 USD", GENERIC),
    ],
)
def test_rejects_price_that_is_not_a_plain_number(price: str, problem: str) -> None:
    assert errors(make_item(price=price)) == [FieldError("standard_price", f"standard_price {problem} (got {price!r})")]


@pytest.mark.parametrize(
    ("price", "message"),
    [
        ("-4.99", "standard_price must not be negative (got '-4.99')"),
        ("-0.01", "standard_price must not be negative (got '-0.01')"),
        ("4.999", "standard_price must have at most 2 decimal places (got '4.999')"),
        ("4.9901", "standard_price must have at most 2 decimal places (got '4.9901')"),
        (
            "10000000",
            "standard_price must be at most 10 characters as sent to Amazon (got '10000000.00', 11 characters)",
        ),
        (
            "12345678.9",
            "standard_price must be at most 10 characters as sent to Amazon (got '12345678.90', 11 characters)",
        ),
        (
            "1" + "0" * 40,
            f"standard_price must be at most 10 characters as sent to Amazon (got '1{'0' * 40}.00', 44 characters)",
        ),
    ],
)
def test_rejects_negative_too_precise_or_too_long_price(price: str, message: str) -> None:
    assert errors(make_item(price=price)) == [FieldError("standard_price", message)]


@pytest.mark.parametrize(
    ("price", "places", "expected"),
    [
        ("4.999", 3, "4.999"),
        ("4.5", 3, "4.500"),
        ("999999.999", 3, "999999.999"),
        ("5", 0, "5"),
        ("5.00", 0, "5"),
        ("9999999999", 0, "9999999999"),
    ],
)
def test_price_places_sets_allowed_precision(price: str, places: int, expected: str) -> None:
    assert str(valid(make_item(price=price), price_places=places).price) == expected


@pytest.mark.parametrize(
    ("price", "places", "message"),
    [
        ("4.9999", 3, "standard_price must have at most 3 decimal places (got '4.9999')"),
        (
            "9999999.999",
            3,
            "standard_price must be at most 10 characters as sent to Amazon (got '9999999.999', 11 characters)",
        ),
        ("4.99", 0, "standard_price must have at most 0 decimal places (got '4.99')"),
        (
            "10000000000",
            0,
            "standard_price must be at most 10 characters as sent to Amazon (got '10000000000', 11 characters)",
        ),
    ],
)
def test_price_places_limits_precision_and_length(price: str, places: int, message: str) -> None:
    assert errors(make_item(price=price), price_places=places) == [FieldError("standard_price", message)]


@pytest.mark.parametrize(
    ("price", "places", "expected"),
    [
        ("1.5", 2, "1.50"),
        ("1.005", 2, "1.01"),
        ("1.004", 2, "1.00"),
        ("2.675", 2, "2.68"),
        ("0.125", 2, "0.13"),
        ("0", 2, "0.00"),
        ("1E+2", 2, "100.00"),
        ("12", 0, "12"),
        ("12.5", 0, "13"),
        ("1.2345", 3, "1.235"),
        ("-1.005", 2, "-1.01"),
        ("123456789012345678901234567890.5", 2, "123456789012345678901234567890.50"),
    ],
)
def test_format_price_rounds_half_up_without_exponent(price: str, places: int, expected: str) -> None:
    assert format_price(Decimal(price), places) == expected


def test_format_price_defaults_to_two_places() -> None:
    assert format_price(Decimal("7")) == "7.00"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Oat Milk", None),
        ("Ben & Jerry's 1/2 Pint (Vanilla) #2", None),
        ("Tea  Bags", None),  # double spaces are allowed, only characters are cleaned
        ("Café Latte", "Cafe Latte"),
        ("Crème Brûlée", "Creme Brulee"),
        ("Jalapeño Chips", "Jalapeno Chips"),
        ("Acme® Cola™", "Acme Cola"),
        ("© 2024 Snacks", "2024 Snacks"),
        ("Pizza ™ Slice", "Pizza Slice"),
        ("Ben & Jerry’s", "Ben & Jerry's"),
        ("“Best” Coffee — Dark", '"Best" Coffee - Dark'),
        ("½ Gallon Milk", "1/2 Gallon Milk"),
        ("ＡＢＣ Water", "ABC Water"),
        ("寿司 Sushi", "Sushi"),
        ("Straße Bread", "Strae Bread"),
        ("Tea\tBags", "Tea Bags"),
        ("Tea\nBags\r\n", "Tea Bags"),
        ("Tea\x00Bags", "TeaBags"),
        ("Tea\x7fBags", "TeaBags"),
        ("Tea\u00a0Bags", "Tea Bags"),
        ("™", ""),
    ],
)
def test_clean_name_transliterates_and_drops_rejected_characters(name: str, expected: str | None) -> None:
    assert clean_name(name) == expected


def test_warns_about_rejected_characters_in_name_and_suggests_clean_name() -> None:
    result = valid(make_item(name="Acme® Café Cola™"))
    assert result.name == "Acme® Café Cola™"
    assert result.suggested_name == "Acme Cafe Cola"
    assert result.warnings == (
        "item_name contains characters Amazon rejects ('®', 'é', '™'); suggested: 'Acme Cafe Cola'",
    )


def test_warns_about_control_characters_in_name() -> None:
    result = valid(make_item(name="Oat\tMilk"))
    assert result.suggested_name == "Oat Milk"
    assert result.warnings == ("item_name contains characters Amazon rejects ('\\t'); suggested: 'Oat Milk'",)


def test_warns_when_name_has_only_rejected_characters() -> None:
    result = valid(make_item(name="™®"))
    assert result.suggested_name is None
    assert result.warnings == ("item_name contains only characters Amazon rejects ('™', '®'); please rename it",)


def test_warns_about_rejected_characters_in_brand_without_changing_suggested_name() -> None:
    result = valid(make_item(brand="Nestlé®"))
    assert result.brand == "Nestlé®"
    assert result.suggested_name is None
    assert result.warnings == ("brand_name contains characters Amazon rejects ('é', '®'); suggested: 'Nestle'",)


@pytest.mark.parametrize("length", [1, 99, 100])
def test_does_not_warn_about_name_up_to_receipt_length(length: int) -> None:
    assert valid(make_item(name="N" * length)).warnings == ()


@pytest.mark.parametrize("length", [101, 255])
def test_warns_about_name_longer_than_receipt_length(length: int) -> None:
    assert valid(make_item(name="N" * length)).warnings == (
        f"item_name is {length} characters; receipts show 1-100 characters, so consider shortening it",
    )


def test_clean_item_has_no_warnings_and_no_suggested_name() -> None:
    result = valid(make_item(name="Oat Milk", brand="Oatly"))
    assert (result.warnings, result.suggested_name) == ((), None)


def test_lists_warnings_in_field_order() -> None:
    item = make_item(name="Café " + "N" * 100, brand="Acme™", barcodes=(UPC_A, UPC_A))
    assert valid(item).warnings == (
        "item_name contains characters Amazon rejects ('é'); suggested: 'Cafe " + "N" * 100 + "'",
        "item_name is 105 characters; receipts show 1-100 characters, so consider shortening it",
        "brand_name contains characters Amazon rejects ('™'); suggested: 'Acme'",
        "additional_external_product_information[0] (036000291452) is the same barcode as external_product_id; "
        "dropped it",
    )


def test_keeps_barcodes_in_order_with_primary_first() -> None:
    item = make_item(barcodes=(EAN_13, UPC_A, ("96385074", "EAN8"), ("4011", "plu")))
    assert valid(item).barcodes == (
        EAN_13_BARCODE,
        UPC_A_BARCODE,
        Barcode("96385074", BarcodeType.EAN8, "00000096385074"),
        Barcode("4011", BarcodeType.PLU, "PLU4011"),
    )


@pytest.mark.parametrize(
    "duplicate",
    [
        ("036000291452", "UPC"),
        ("036000291452", None),
        ("0036000291452", "EAN"),
        ("00036000291452", "GTIN"),
        (" 036000291452 ", "gtin"),
    ],
)
def test_drops_barcode_repeated_within_item_keeping_first(duplicate: tuple[str, str | None]) -> None:
    result = valid(make_item(barcodes=(UPC_A, EAN_13, duplicate)))
    assert result.barcodes == (UPC_A_BARCODE, EAN_13_BARCODE)
    assert result.warnings == (
        f"additional_external_product_information[1] ({duplicate[0].strip()}) is the same barcode as "
        "external_product_id; dropped it",
    )


def test_drops_upce_repeating_its_upca() -> None:
    result = valid(make_item(barcodes=(("042100005264", "UPC"), ("04252614", "UPC"))))
    assert result.barcodes == (Barcode("042100005264", BarcodeType.UPC, "00042100005264"),)
    assert result.warnings == (
        "additional_external_product_information[0] (04252614) is the same barcode as external_product_id; dropped it",
    )


def test_drops_repeated_additional_barcode_naming_first_occurrence() -> None:
    result = valid(make_item(barcodes=(UPC_A, ("4011", "PLU"), EAN_13, ("04011", "PLU"))))
    assert result.barcodes == (UPC_A_BARCODE, Barcode("4011", BarcodeType.PLU, "PLU4011"), EAN_13_BARCODE)
    assert result.warnings == (
        "additional_external_product_information[2] (04011) is the same barcode as "
        "additional_external_product_information[0]; dropped it",
    )


def test_skips_blank_additional_barcodes() -> None:
    result = valid(make_item(barcodes=(UPC_A, ("", None), ("  ", "EAN"), EAN_13)))
    assert (result.barcodes, result.warnings) == ((UPC_A_BARCODE, EAN_13_BARCODE), ())


def test_additional_barcode_error_uses_index_within_additional_list() -> None:
    item = make_item(barcodes=(UPC_A, ("", None), EAN_13, ("4006381333932", "EAN")))
    assert errors(item) == [
        FieldError("additional_external_product_information[2]", "EAN check digit should be 1, not 2"),
    ]


def test_rejects_invalid_primary_barcode() -> None:
    assert errors(make_item(barcodes=(("036000291452", "EAN"),))) == [
        FieldError("external_product_id", "EAN must have 13 digits, got 12; it looks like a valid UPC"),
    ]


def test_accepts_fifty_additional_barcodes() -> None:
    barcodes = (UPC_A, *plu_barcodes(50))
    result = valid(make_item(barcodes=barcodes))
    assert len(result.barcodes) == 51
    assert result.barcodes[0] == UPC_A_BARCODE
    assert result.barcodes[-1] == Barcode("3049", BarcodeType.PLU, "PLU3049")


def test_rejects_fifty_one_additional_barcodes() -> None:
    assert errors(make_item(barcodes=(UPC_A, *plu_barcodes(51)))) == [
        FieldError(
            "additional_external_product_information", "an item can have at most 50 additional barcodes (got 51)"
        ),
    ]


def test_duplicates_and_blanks_do_not_count_towards_additional_limit() -> None:
    barcodes = (UPC_A, *plu_barcodes(50), UPC_A, ("", None), ("3000", "PLU"))
    result = valid(make_item(barcodes=barcodes))
    assert len(result.barcodes) == 51
    assert len(result.warnings) == 2


def test_invalid_additional_barcodes_count_towards_limit() -> None:
    barcodes = (UPC_A, *plu_barcodes(50), ("12", "PLU"))
    assert errors(make_item(barcodes=barcodes)) == [
        FieldError("additional_external_product_information[50]", "PLU must have 3 to 6 digits, got 2"),
        FieldError(
            "additional_external_product_information", "an item can have at most 50 additional barcodes (got 51)"
        ),
    ]
