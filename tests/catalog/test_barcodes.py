"""Amazon barcode rules: every value below is a real barcode whose check digit was worked out by hand."""

import dataclasses

import pytest

from catalog.barcodes import (
    Barcode,
    BarcodeError,
    BarcodeType,
    SpreadsheetNumber,
    gtin_check_digit,
    isbn10_to_isbn13,
    match_keys,
    parse_barcode,
    upce_to_upca,
)

# UPC-E (number system, 6-digit body, check digit) -> UPC-A, one per last-digit expansion rule.
UPCE_EXPANSIONS = [
    ("01234505", "012000003455"),  # 0: d1 d2 0 0000 d3 d4 d5
    ("01234514", "012100003454"),  # 1: d1 d2 1 0000 d3 d4 d5
    ("04252614", "042100005264"),  # 1: a real product
    ("01234523", "012200003453"),  # 2: d1 d2 2 0000 d3 d4 d5
    ("01234531", "012300000451"),  # 3: d1 d2 d3 00000 d4 d5
    ("01234543", "012340000053"),  # 4: d1 d2 d3 d4 00000 d5
    ("01234558", "012345000058"),  # 5-9: d1..d5 0000 d6
    ("01234565", "012345000065"),
    ("01234572", "012345000072"),
    ("01234589", "012345000089"),
    ("01234596", "012345000096"),
    ("11234562", "112345000062"),  # number system 1
]

VALID_BARCODES = [
    ("036000291452", "UPC", "00036000291452"),
    ("04252614", "UPC", "00042100005264"),
    ("4006381333931", "EAN", "04006381333931"),
    ("0036000291452", "EAN", "00036000291452"),
    ("96385074", "EAN8", "00000096385074"),
    ("0306406152", "ISBN", "09780306406157"),
    ("080442957X", "ISBN", "09780804429573"),
    ("080442957x", "ISBN", "09780804429573"),
    ("10012345678902", "GTIN", "10012345678902"),
    ("00036000291452", "GTIN", "00036000291452"),
    ("123", "PLU", "PLU123"),
    ("4011", "PLU", "PLU4011"),
    ("04011", "PLU", "PLU4011"),
    ("940111", "PLU", "PLU940111"),
]


def raised_message(value: str, declared_type: str | None = None) -> str:
    with pytest.raises(BarcodeError) as excinfo:
        parse_barcode(value, declared_type)
    return str(excinfo.value)


@pytest.mark.parametrize(("value", "declared_type", "match_key"), VALID_BARCODES)
def test_accepts_valid_barcode_of_declared_type(value: str, declared_type: str, match_key: str) -> None:
    assert parse_barcode(value, declared_type) == Barcode(value, BarcodeType(declared_type), match_key)


@pytest.mark.parametrize(
    ("value", "barcode_type", "match_key"),
    [
        ("036000291452", BarcodeType.UPC, "00036000291452"),
        ("042100005264", BarcodeType.UPC, "00042100005264"),
        ("04252614", BarcodeType.UPC, "00042100005264"),
        ("4006381333931", BarcodeType.EAN, "04006381333931"),
        ("0036000291452", BarcodeType.EAN, "00036000291452"),
        ("9780306406157", BarcodeType.EAN, "09780306406157"),
        ("10012345678902", BarcodeType.GTIN, "10012345678902"),
        ("0306406152", BarcodeType.ISBN, "09780306406157"),
        ("080442957X", BarcodeType.ISBN, "09780804429573"),
        ("01234565", BarcodeType.EAN8, "00000001234565"),  # also a valid UPC-E: EAN8 wins
        ("123", BarcodeType.PLU, "PLU123"),
        ("4011", BarcodeType.PLU, "PLU4011"),
        ("94011", BarcodeType.PLU, "PLU94011"),
        ("000123", BarcodeType.PLU, "PLU123"),
    ],
)
def test_infers_type_from_shape_when_none_declared(value: str, barcode_type: BarcodeType, match_key: str) -> None:
    assert parse_barcode(value) == Barcode(value, barcode_type, match_key)


@pytest.mark.parametrize("declared_type", ["upc", "Upc", " UPC "])
def test_declared_type_is_case_insensitive(declared_type: str) -> None:
    assert parse_barcode("036000291452", declared_type).match_key == "00036000291452"


@pytest.mark.parametrize("declared_type", [None, "", "   "])
def test_blank_declared_type_means_infer(declared_type: str | None) -> None:
    assert parse_barcode("4006381333931", declared_type).type is BarcodeType.EAN


@pytest.mark.parametrize("value", [" 036000291452", "036000291452 ", "\t036000291452\n"])
def test_strips_surrounding_whitespace_but_keeps_value_as_scanned(value: str) -> None:
    assert parse_barcode(value, "UPC").value == "036000291452"


def test_keeps_leading_zeros_and_check_digit_in_value() -> None:
    assert parse_barcode("0036000291452").value == "0036000291452"


@pytest.mark.parametrize(
    ("value", "declared_type", "message"),
    [
        ("036000291455", "UPC", "UPC check digit should be 2, not 5"),
        ("036000291455", None, "UPC check digit should be 2, not 5"),
        ("04252615", "UPC", "UPC-E check digit should be 4, not 5"),
        ("4006381333932", "EAN", "EAN check digit should be 1, not 2"),
        ("4006381333932", None, "EAN check digit should be 1, not 2"),
        ("96385075", "EAN8", "EAN8 check digit should be 4, not 5"),
        ("10012345678901", "GTIN", "GTIN check digit should be 2, not 1"),
        ("10012345678901", None, "GTIN check digit should be 2, not 1"),
        ("036000291453", "GTIN", "UPC check digit should be 2, not 3"),  # a 12-digit "GTIN" is a UPC
        ("0306406153", "ISBN", "ISBN check digit should be 2, not 3"),
        ("0306406153", None, "ISBN check digit should be 2, not 3"),
        ("030640615X", "ISBN", "ISBN check digit should be 2, not X"),
        ("0804429571", "ISBN", "ISBN check digit should be X, not 1"),
    ],
)
def test_rejects_wrong_check_digit(value: str, declared_type: str | None, message: str) -> None:
    assert raised_message(value, declared_type) == message


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (
            "01234506",
            "8-digit barcode is neither a valid EAN8 nor a valid UPC-E: "
            "EAN8 check digit should be 3, not 6; UPC-E check digit should be 5, not 6",
        ),
        (
            "96385075",
            "8-digit barcode is neither a valid EAN8 nor a valid UPC-E: "
            "EAN8 check digit should be 4, not 5; UPC-E must start with number system 0 or 1, got 9",
        ),
    ],
)
def test_rejects_eight_digits_that_are_neither_ean8_nor_upce(value: str, message: str) -> None:
    assert raised_message(value) == message


@pytest.mark.parametrize(
    ("value", "declared_type", "message"),
    [
        ("03600029145", "UPC", "UPC must have 12 or 8 digits, got 11"),
        ("0360002914520", "UPC", "UPC must have 12 or 8 digits, got 13"),
        ("4006381333", "EAN", "EAN must have 13 digits, got 10"),  # not even with its zeros back
        ("400638133393100", "EAN", "EAN must have 13 digits, got 15"),
        ("9638507", "EAN8", "EAN8 must have 8 digits, got 7"),
        ("03600029145", "GTIN", "GTIN must have 14 digits, got 11"),
        ("100123456789020", "GTIN", "GTIN must have 14 digits, got 15"),
        ("030640615", "ISBN", "ISBN must have 10 characters, got 9"),
        ("12", "PLU", "PLU must have 3 to 6 digits, got 2"),
        ("1234567", "PLU", "PLU must have 3 to 6 digits, got 7"),
        ("12", None, "barcode must have 8, 10, 12, 13 or 14 digits (or 3 to 6 for a PLU), got 2"),
        ("1234567", None, "barcode must have 8, 10, 12, 13 or 14 digits (or 3 to 6 for a PLU), got 7"),
        ("123456789", None, "barcode must have 8, 10, 12, 13 or 14 digits (or 3 to 6 for a PLU), got 9"),
        ("03600029145", None, "barcode must have 8, 10, 12, 13 or 14 digits (or 3 to 6 for a PLU), got 11"),
        ("000036000291452", None, "barcode must have 8, 10, 12, 13 or 14 digits (or 3 to 6 for a PLU), got 15"),
    ],
)
def test_rejects_wrong_length(value: str, declared_type: str | None, message: str) -> None:
    assert raised_message(value, declared_type) == message


@pytest.mark.parametrize(
    ("value", "declared_type", "message"),
    [
        ("03600029145A", "UPC", "UPC must contain only digits 0-9 (found 'A')"),
        ("036000-291452", None, "barcode must contain only digits 0-9 (found '-')"),
        ("4006381 333931", "EAN", "EAN must contain only digits 0-9 (found ' ')"),
        ("9638507X", "EAN8", "EAN8 must contain only digits 0-9 (found 'X')"),
        ("1001234567890X", "GTIN", "GTIN must contain only digits 0-9 (found 'X')"),
        ("40a1", "PLU", "PLU must contain only digits 0-9 (found 'a')"),
        ("40a1", None, "barcode must contain only digits 0-9 (found 'a')"),
        ("03064X6152", "ISBN", "ISBN must be 9 digits followed by a digit or X (found 'X')"),
        ("030640615Y", "ISBN", "ISBN must be 9 digits followed by a digit or X (found 'Y')"),
        ("03064X6152", None, "barcode must contain only digits 0-9 (found 'X')"),
        ("٠٣٦٠٠٠٢٩١٤٥٢", None, "barcode must contain only digits 0-9 (found '٠')"),
        ("4011²", "PLU", "PLU must contain only digits 0-9 (found '²')"),
    ],
)
def test_rejects_letters_and_other_non_digits(value: str, declared_type: str | None, message: str) -> None:
    assert raised_message(value, declared_type) == message


@pytest.mark.parametrize(
    ("value", "declared_type", "message"),
    [
        ("4006381333931", "UPC", "UPC must have 12 or 8 digits, got 13; it looks like a valid EAN"),
        ("036000291452", "EAN", "EAN must have 13 digits, got 12; it looks like a valid UPC"),
        ("4006381333931", "EAN8", "EAN8 must have 8 digits, got 13; it looks like a valid EAN"),
        ("04252614", "EAN8", "EAN8 check digit should be 0, not 4; it looks like a valid UPC"),
        ("96385074", "UPC", "UPC-E must start with number system 0 or 1, got 9"),
        (
            "96385074",
            "EAN",
            "8-digit barcode 96385074: leading zeros were probably lost (Excel): did you mean 0000096385074?",
        ),
        ("10012345678902", "EAN", "EAN must have 13 digits, got 14; it looks like a valid GTIN"),
        ("0306406152", "GTIN", "GTIN must have 14 digits, got 10; it looks like a valid ISBN"),
        ("9780306406157", "ISBN", "ISBN must have 10 characters, got 13; it looks like a valid EAN"),
        ("080442957X", "UPC", "UPC must contain only digits 0-9 (found 'X'); it looks like a valid ISBN"),
        ("4011", "UPC", "UPC must have 12 or 8 digits, got 4; it looks like a valid PLU"),
        ("036000291452", "PLU", "PLU must have 3 to 6 digits, got 12; it looks like a valid UPC"),
    ],
)
def test_rejects_barcode_declared_as_wrong_type_and_names_the_right_one(
    value: str, declared_type: str, message: str
) -> None:
    assert raised_message(value, declared_type) == message


@pytest.mark.parametrize("value", ["", "   ", "\n"])
def test_rejects_empty_barcode(value: str) -> None:
    assert raised_message(value, "UPC") == "barcode is empty"


@pytest.mark.parametrize(
    ("value", "declared_type"),
    [("000", "PLU"), ("00000000", None), ("00000000", "UPC"), ("000000000000", "UPC"), ("0000000000", "ISBN")],
)
def test_rejects_all_zero_placeholder(value: str, declared_type: str | None) -> None:
    assert raised_message(value, declared_type) == "barcode cannot be all zeros"


@pytest.mark.parametrize("declared_type", ["QR", "UPC-A", "EAN13", "ASIN", "isbn13"])
def test_rejects_unknown_declared_type(declared_type: str) -> None:
    assert (
        raised_message("036000291452", declared_type)
        == f"unknown barcode type {declared_type!r}; use one of UPC, EAN, EAN8, ISBN, GTIN, PLU"
    )


def test_barcode_error_is_a_value_error() -> None:
    assert issubclass(BarcodeError, ValueError)


def test_barcode_is_immutable() -> None:
    barcode = parse_barcode("036000291452")
    with pytest.raises(dataclasses.FrozenInstanceError):
        barcode.value = "4006381333931"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("body", "check_digit"),
    [
        ("03600029145", 2),
        ("04210000526", 4),
        ("400638133393", 1),
        ("978030640615", 7),
        ("9638507", 4),
        ("1001234567890", 2),
        ("0000000", 0),
    ],
)
def test_gtin_check_digit(body: str, check_digit: int) -> None:
    assert gtin_check_digit(body) == check_digit


@pytest.mark.parametrize("body", ["", "0360002914A", "٠٣٦"])
def test_gtin_check_digit_rejects_non_digits(body: str) -> None:
    with pytest.raises(BarcodeError, match="only be computed from digits 0-9"):
        gtin_check_digit(body)


@pytest.mark.parametrize(("upce", "upca"), UPCE_EXPANSIONS)
def test_upce_to_upca_applies_expansion_rule_for_last_digit(upce: str, upca: str) -> None:
    assert upce_to_upca(upce) == upca


@pytest.mark.parametrize(("upce", "upca"), UPCE_EXPANSIONS)
def test_upce_and_its_upca_share_a_match_key(upce: str, upca: str) -> None:
    assert parse_barcode(upce, "UPC").match_key == parse_barcode(upca, "UPC").match_key == "00" + upca


@pytest.mark.parametrize(
    ("upce", "message"),
    [
        ("21234565", "UPC-E must start with number system 0 or 1, got 2"),
        ("0425261", "UPC-E must have 8 digits, got 7"),
        ("042100005264", "UPC-E must have 8 digits, got 12"),
        ("0425261A", "UPC-E must contain only digits 0-9 (found 'A')"),
        ("04252610", "UPC-E check digit should be 4, not 0"),
    ],
)
def test_upce_to_upca_rejects_invalid_upce(upce: str, message: str) -> None:
    with pytest.raises(BarcodeError) as excinfo:
        upce_to_upca(upce)
    assert str(excinfo.value) == message


@pytest.mark.parametrize(
    ("isbn10", "isbn13"),
    [("0306406152", "9780306406157"), ("080442957X", "9780804429573"), ("080442957x", "9780804429573")],
)
def test_isbn10_to_isbn13_recomputes_check_digit(isbn10: str, isbn13: str) -> None:
    assert isbn10_to_isbn13(isbn10) == isbn13


@pytest.mark.parametrize(
    ("isbn10", "message"),
    [
        ("0306406153", "ISBN check digit should be 2, not 3"),
        ("9780306406157", "ISBN must have 10 characters, got 13"),
        ("X306406152", "ISBN must be 9 digits followed by a digit or X (found 'X')"),
    ],
)
def test_isbn10_to_isbn13_rejects_invalid_isbn(isbn10: str, message: str) -> None:
    with pytest.raises(BarcodeError) as excinfo:
        isbn10_to_isbn13(isbn10)
    assert str(excinfo.value) == message


@pytest.mark.parametrize(
    ("value", "declared_type"),
    [
        ("036000291452", "UPC"),
        ("0036000291452", "EAN"),
        ("00036000291452", "GTIN"),
        ("036000291452", "GTIN"),
        ("0036000291452", None),
        ("00036000291452", None),
    ],
)
def test_padded_upca_forms_share_a_match_key(value: str, declared_type: str | None) -> None:
    assert parse_barcode(value, declared_type).match_key == parse_barcode("036000291452").match_key


def test_ean13_with_leading_zero_matches_its_upca() -> None:
    assert parse_barcode("0" + "036000291452", "EAN").match_key == parse_barcode("036000291452", "UPC").match_key


def test_ean8_matches_its_gtin14_padding() -> None:
    assert parse_barcode("96385074", "EAN8").match_key == parse_barcode("00000096385074", "GTIN").match_key


def test_isbn10_matches_its_isbn13() -> None:
    assert parse_barcode("0306406152", "ISBN").match_key == parse_barcode("9780306406157", "EAN").match_key


@pytest.mark.parametrize("value", ["4011", "04011", "004011"])
def test_plu_leading_zeros_share_a_match_key(value: str) -> None:
    assert parse_barcode(value, "PLU").match_key == "PLU4011"


def test_distinct_products_have_distinct_match_keys() -> None:
    keys = {parse_barcode(value, declared_type).match_key for value, declared_type, _ in VALID_BARCODES}
    assert keys == {
        "00036000291452",
        "00042100005264",
        "04006381333931",
        "00000096385074",
        "09780306406157",
        "09780804429573",
        "10012345678902",
        "PLU123",
        "PLU4011",
        "PLU940111",
    }


@pytest.mark.parametrize(
    ("value", "keys"),
    [
        ("036000291452", ("00036000291452",)),
        ("0036000291452", ("00036000291452",)),
        ("00036000291452", ("00036000291452",)),
        ("000036000291452", ("00036000291452",)),
        ("36000291452", ("00036000291452",)),
        (" 036000291452\n", ("00036000291452",)),
        ("4006381333931", ("04006381333931",)),
        ("10012345678902", ("10012345678902",)),
        ("96385074", ("00000096385074",)),
        ("04252614", ("00042100005264",)),
        ("042100005264", ("00042100005264",)),
        ("01234565", ("00000001234565", "00012345000065")),  # valid EAN-8 and valid UPC-E
        ("0306406152", ("09780306406157",)),
        ("9780306406157", ("09780306406157",)),
        ("080442957X", ("09780804429573",)),
        ("080442957x", ("09780804429573",)),
        ("0306406155", ("00000306406155",)),  # a zero-padded GTIN, not an ISBN (ISBN check digit is 2)
        ("4011", ("PLU4011",)),
        ("04011", ("PLU4011",)),
        ("004011", ("PLU4011",)),
        ("123", ("PLU123",)),
    ],
)
def test_match_keys_lists_every_plausible_meaning(value: str, keys: tuple[str, ...]) -> None:
    assert match_keys(value) == keys


@pytest.mark.parametrize(
    "value",
    [
        "",
        "   ",
        "abc",
        "12",
        "1234567",
        "036000291455",
        "03600029145A",
        "036000-291452",
        "0306406153",
        "000",
        "00000000",
        "0000000000",
        "000000000000",
        "00000000000000",
        "0000000000000000000036000291452X",
        "1036000291452036000291452",
        "96385075",
        "٠٣٦٠٠٠٢٩١٤٥٢",
    ],
)
def test_match_keys_returns_nothing_for_garbage(value: str) -> None:
    assert match_keys(value) == ()


@pytest.mark.parametrize(("value", "declared_type", "match_key"), VALID_BARCODES)
def test_match_keys_includes_the_parsed_match_key(value: str, declared_type: str, match_key: str) -> None:
    assert match_key in match_keys(value)


def test_match_keys_of_padded_and_unpadded_forms_agree() -> None:
    assert match_keys("0036000291452") == match_keys("036000291452") == match_keys("36000291452")


# --- Leading zeros Excel dropped ------------------------------------------------------------------------
# 001000000052 is a UPC-A; Excel shows it as the number 1000000052, whose ISBN-10 check digit also
# happens to pass. 012345678905 becomes 12345678905, 000123456784 becomes 123456784, and
# 000012345670 becomes 12345670, which would pass for an EAN-8.
STRIPPED = [
    ("1000000052", "001000000052", " (if it really is a book's ISBN-10, declare its type)"),
    ("12345678905", "012345678905", ""),
    ("123456784", "000123456784", ""),
    ("12345670", "000012345670", " (if it really is an EAN-8 as printed on the package, declare its type)"),
]


@pytest.mark.parametrize(("text", "restored", "hint"), STRIPPED)
def test_a_text_value_that_lost_its_leading_zeros_is_refused_with_the_code_it_was(
    text: str, restored: str, hint: str
) -> None:
    assert raised_message(text) == (
        f"{len(text)}-digit barcode {text}: leading zeros were probably lost (Excel): did you mean {restored}?{hint}"
    )


@pytest.mark.parametrize(("text", "restored", "hint"), STRIPPED)
def test_a_number_cell_that_lost_its_leading_zeros_gets_them_back_with_a_warning(
    text: str, restored: str, hint: str
) -> None:
    barcode = parse_barcode(SpreadsheetNumber(text))

    assert (barcode.value, barcode.type, barcode.match_key) == (restored, BarcodeType.UPC, "00" + restored)
    assert barcode.warning == (
        f"barcode {text} lost its leading zeros in the spreadsheet (a number cell); restored as {restored}"
    )


def test_a_real_isbn_or_ean8_is_taken_when_declared_or_when_it_cannot_have_lost_zeros() -> None:
    assert parse_barcode("1000000052", "ISBN") == Barcode("1000000052", BarcodeType.ISBN, "09781000000054")
    assert parse_barcode("12345670", "EAN8") == Barcode("12345670", BarcodeType.EAN8, "00000012345670")
    assert parse_barcode("0306406152").type is BarcodeType.ISBN  # a leading zero: Excel kept none
    assert parse_barcode("080442957X").type is BarcodeType.ISBN  # not a number at all


def test_ten_digits_that_fail_the_isbn_check_say_the_zeros_may_be_gone_too() -> None:
    assert raised_message("1000000053") == (
        "10-digit barcode 1000000053 is not a valid ISBN-10, nor a UPC that lost its leading zeros (Excel): "
        "001000000053 fails the UPC check digit too"
    )


def test_a_declared_type_restores_its_own_length_from_a_number_cell() -> None:
    upc = parse_barcode(SpreadsheetNumber("12345678905"), "UPC")
    gtin = parse_barcode(SpreadsheetNumber("12345678905"), "GTIN")

    assert (upc.value, upc.type, upc.match_key) == ("012345678905", BarcodeType.UPC, "00012345678905")
    assert (gtin.value, gtin.type, gtin.match_key) == ("00012345678905", BarcodeType.GTIN, "00012345678905")
    assert raised_message("12345678905", "UPC") == (
        "11-digit barcode 12345678905: leading zeros were probably lost (Excel): did you mean 012345678905?"
    )


@pytest.mark.parametrize(
    ("value", "sent_as", "match_key"),
    [
        ("036000291452", BarcodeType.UPC, "00036000291452"),
        ("4006381333931", BarcodeType.EAN, "04006381333931"),
        ("96385074", BarcodeType.EAN8, "00000096385074"),
    ],
)
def test_a_gtin_that_is_not_14_digits_is_sent_as_the_code_it_is(
    value: str, sent_as: BarcodeType, match_key: str
) -> None:
    barcode = parse_barcode(value, "GTIN")

    assert (barcode.value, barcode.type, barcode.match_key) == (value, sent_as, match_key)
    assert barcode.warning == (
        f"barcode {value} was declared GTIN, which Amazon takes as 14 digits: sent as the {sent_as.value} it is"
    )


def test_a_spreadsheet_number_stays_marked_through_strip() -> None:
    assert isinstance(SpreadsheetNumber(" 123 ").strip(), SpreadsheetNumber)
