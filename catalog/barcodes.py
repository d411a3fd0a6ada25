"""Amazon Just Walk Out barcode rules for ``external_product_id``.

Pure Python (no Django) because it runs on every row of a catalog import and on every cart line, so the happy path
avoids regexes and exceptions. Errors are raised as ``BarcodeError`` whose text is shown to store staff as-is.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Final, NamedTuple


class BarcodeType(StrEnum):
    """The ``external_product_id_type`` values Amazon accepts."""

    UPC = "UPC"
    EAN = "EAN"
    EAN8 = "EAN8"
    ISBN = "ISBN"
    GTIN = "GTIN"
    PLU = "PLU"


class BarcodeError(ValueError):
    """A barcode Amazon would reject; the message is written for a store clerk."""


@dataclass(frozen=True, slots=True)
class Barcode:
    """A validated barcode.

    ``value`` is what Amazon receives (the check digit is kept); ``match_key`` is the normalised GTIN-14 (or PLU key)
    used to match padded/unpadded scans and to keep one barcode on one product per store. ``warning``: what was
    changed to get there (leading zeros restored, a GTIN sent as the UPC it is), for the clerk.
    """

    value: str
    type: BarcodeType
    match_key: str
    warning: str = ""


class SpreadsheetNumber(str):
    """The text of a cell a spreadsheet held as a number: its leading zeros are gone (Excel keeps
    none), so a barcode read from it may have them restored. Stays marked through ``strip()``."""

    __slots__ = ()

    def strip(self, chars: str | None = None) -> SpreadsheetNumber:
        return SpreadsheetNumber(str.strip(self, chars))


_TYPES_BY_NAME: Final[dict[str, BarcodeType]] = {barcode_type.value: barcode_type for barcode_type in BarcodeType}
_TYPE_NAMES: Final = ", ".join(barcode_type.value for barcode_type in BarcodeType)
_GTIN14_LENGTHS: Final = frozenset({14})
_EAN_LENGTHS: Final = frozenset({13})
_EAN8_LENGTHS: Final = frozenset({8})
_PLU_MIN_DIGITS: Final = 3
_PLU_MAX_DIGITS: Final = 6
_GTIN14_LENGTH: Final = 14
_ISBN10_LENGTH: Final = 10
_UPCE_NUMBER_SYSTEMS: Final = "01"
_PLU_KEY_PREFIX: Final = "PLU"


class _Invalid(NamedTuple):
    """An error message returned instead of raised, so lenient callers (``match_keys``) never pay for exceptions."""

    message: str


def _is_digits(text: str) -> bool:
    """ASCII-only check: ``str.isdigit`` alone would accept '²' or Arabic-Indic digits."""
    return text.isascii() and text.isdigit()


def _first_non_digit(text: str) -> str:
    """The character to quote back to the clerk when a barcode contains something other than 0-9."""
    return next(char for char in text if not "0" <= char <= "9")


def _not_digits(label: str, text: str) -> _Invalid:
    return _Invalid(f"{label} must contain only digits 0-9 (found {_first_non_digit(text)!r})")


def _check_digit(body: str) -> int:
    """GS1 mod-10 over ASCII digits; weights 3,1,3,... from the right so one routine fits every GTIN length.

    Sums the digits' byte values and takes off 48 ('0') per digit: a C loop, not one ``int()`` per digit.
    """
    data = body.encode()
    tripled, single = data[-1::-2], data[-2::-2]
    total = 3 * (sum(tripled) - 48 * len(tripled)) + sum(single) - 48 * len(single)
    return -total % 10


def _check_digit_error(label: str, digits: str) -> _Invalid | None:
    expected = _check_digit(digits[:-1])
    if ord(digits[-1]) - 48 == expected:
        return None
    return _Invalid(f"{label} check digit should be {expected}, not {digits[-1]}")


def gtin_check_digit(body: str) -> int:
    """GS1 mod-10 check digit for the digits before it; UPC, EAN, GTIN and ISBN-13 all share it."""
    if not _is_digits(body):
        raise BarcodeError(f"a check digit can only be computed from digits 0-9, got {body!r}")
    return _check_digit(body)


def _expand_upce(upce: str) -> str:
    """Expand 8 ASCII digits (number system, 6-digit body, check) using the standard last-digit rules."""
    system, body, check = upce[0], upce[1:7], upce[7]
    last = body[5]
    if last in "012":
        middle = body[0:2] + last + "0000" + body[2:5]
    elif last == "3":
        middle = body[0:3] + "00000" + body[3:5]
    elif last == "4":
        middle = body[0:4] + "00000" + body[4]
    else:
        middle = body[0:5] + "0000" + last
    return system + middle + check


def _upce_to_upca(upce: str) -> str | _Invalid:
    if not _is_digits(upce):
        return _not_digits("UPC-E", upce)
    if len(upce) != 8:
        return _Invalid(f"UPC-E must have 8 digits, got {len(upce)}")
    if upce[0] not in _UPCE_NUMBER_SYSTEMS:
        return _Invalid(f"UPC-E must start with number system 0 or 1, got {upce[0]}")
    upca = _expand_upce(upce)
    return _check_digit_error("UPC-E", upca) or upca


def upce_to_upca(upce: str) -> str:
    """Expand an 8-digit UPC-E to its 12-digit UPC-A so both forms of one product share a match key."""
    result = _upce_to_upca(upce)
    if isinstance(result, _Invalid):
        raise BarcodeError(result.message)
    return result


def _looks_like_isbn10(text: str) -> bool:
    return len(text) == _ISBN10_LENGTH and _is_digits(text[:9]) and (text[9] in "Xx" or "0" <= text[9] <= "9")


def _isbn10_error(isbn10: str) -> _Invalid | None:
    if len(isbn10) != _ISBN10_LENGTH:
        return _Invalid(f"ISBN must have 10 characters, got {len(isbn10)}")
    if not _looks_like_isbn10(isbn10):
        found = _first_non_digit(isbn10[:9]) if not _is_digits(isbn10[:9]) else isbn10[9]
        return _Invalid(f"ISBN must be 9 digits followed by a digit or X (found {found!r})")
    expected = -sum((10 - position) * int(digit) for position, digit in enumerate(isbn10[:9])) % 11
    actual = 10 if isbn10[9] in "Xx" else int(isbn10[9])
    if actual == expected:
        return None
    return _Invalid(f"ISBN check digit should be {'X' if expected == 10 else expected}, not {isbn10[9]}")


def _isbn13_from_valid_isbn10(isbn10: str) -> str:
    body = "978" + isbn10[:9]
    return body + str(_check_digit(body))


def isbn10_to_isbn13(isbn10: str) -> str:
    """Convert an ISBN-10 to its 978-prefixed ISBN-13 (an EAN-13), so book scans of either form match."""
    error = _isbn10_error(isbn10)
    if error is not None:
        raise BarcodeError(error.message)
    return _isbn13_from_valid_isbn10(isbn10)


def _gtin_key(label: str, digits: str, lengths: frozenset[int], described: str) -> str | _Invalid:
    """Validate a GS1 barcode and pad it to GTIN-14, which is how GS1 says shorter forms compare."""
    if not _is_digits(digits):
        return _not_digits(label, digits)
    if len(digits) not in lengths:
        return _Invalid(f"{label} must have {described} digits, got {len(digits)}")
    return _check_digit_error(label, digits) or digits.rjust(_GTIN14_LENGTH, "0")


def _upc_key(digits: str) -> str | _Invalid:
    """UPC means UPC-A (12) or UPC-E (8); UPC-E is keyed by its expansion so both forms collide as they should."""
    if not _is_digits(digits):
        return _not_digits("UPC", digits)
    if len(digits) == 12:
        return _check_digit_error("UPC", digits) or "00" + digits
    if len(digits) == 8:
        upca = _upce_to_upca(digits)
        return upca if isinstance(upca, _Invalid) else "00" + upca
    return _Invalid(f"UPC must have 12 or 8 digits, got {len(digits)}")


def _isbn_key(text: str) -> str | _Invalid:
    error = _isbn10_error(text)
    return error or "0" + _isbn13_from_valid_isbn10(text)


def _plu_key(digits: str) -> str | _Invalid:
    """PLUs have no check digit; the key drops leading zeros so '04011' and '4011' are the same produce."""
    if not _is_digits(digits):
        return _not_digits("PLU", digits)
    if not _PLU_MIN_DIGITS <= len(digits) <= _PLU_MAX_DIGITS:
        return _Invalid(f"PLU must have 3 to 6 digits, got {len(digits)}")
    return _PLU_KEY_PREFIX + str(int(digits))


_KEY_FUNCTIONS: Final[dict[BarcodeType, Callable[[str], str | _Invalid]]] = {
    BarcodeType.UPC: _upc_key,
    BarcodeType.EAN: lambda text: _gtin_key("EAN", text, _EAN_LENGTHS, "13"),
    BarcodeType.EAN8: lambda text: _gtin_key("EAN8", text, _EAN8_LENGTHS, "8"),
    BarcodeType.GTIN: lambda text: _gtin_key("GTIN", text, _GTIN14_LENGTHS, "14"),
    BarcodeType.ISBN: _isbn_key,
    BarcodeType.PLU: _plu_key,
}


def _key_for(text: str, barcode_type: BarcodeType) -> str | _Invalid:
    return _KEY_FUNCTIONS[barcode_type](text)


def _infer_eight_digits(digits: str) -> Barcode | _Invalid:
    """EAN-8 wins when its check digit holds; otherwise it may be a UPC-E (both are 8 digits long)."""
    ean8_error = _check_digit_error("EAN8", digits)
    if ean8_error is None:
        return Barcode(digits, BarcodeType.EAN8, "000000" + digits)
    upca = _upce_to_upca(digits)
    if isinstance(upca, _Invalid):
        return _Invalid(
            f"8-digit barcode is neither a valid EAN8 nor a valid UPC-E: {ean8_error.message}; {upca.message}"
        )
    return Barcode(digits, BarcodeType.UPC, "00" + upca)


_TYPE_BY_LENGTH: Final[dict[int, BarcodeType]] = {12: BarcodeType.UPC, 13: BarcodeType.EAN, 14: BarcodeType.GTIN}


def _could_have_lost_zeros(text: str) -> bool:
    """Excel drops every leading zero of a number: only a value that starts with another digit
    (and would be a valid code with them back: zero-padding never changes a GS1 check digit) may
    be a barcode that lost them."""
    return _is_digits(text) and text[0] != "0" and _check_digit_error("GTIN", text) is None


def _zeros_lost(text: str) -> str | None:
    """The UPC-A a 8- to 11-digit value becomes with its leading zeros put back, when it could have
    lost them; None otherwise. Excel turns 012345678905 into 12345678905, 000040123455 into 40123455."""
    return text.rjust(12, "0") if 8 <= len(text) <= 11 and _could_have_lost_zeros(text) else None


def _restored(text: str, restored: str, barcode_type: BarcodeType) -> Barcode:
    return Barcode(
        restored,
        barcode_type,
        restored.rjust(_GTIN14_LENGTH, "0"),
        f"barcode {text} lost its leading zeros in the spreadsheet (a number cell); restored as {restored}",
    )


def _zeros_lost_error(text: str, restored: str, declare: str = "") -> _Invalid:
    hint = f" (if it really is {declare}, declare its type)" if declare else ""
    return _Invalid(
        f"{len(text)}-digit barcode {text}: leading zeros were probably lost (Excel): did you mean {restored}?{hint}"
    )


def _infer(text: str, *, is_number: bool = False) -> Barcode | _Invalid:
    """Guess the type from the value's length and characters, so clerks rarely need to declare one.

    A value of 8 to 11 digits that is a valid UPC-A once zero-padded is never taken for an ISBN-10
    or an EAN-8 whose check digit happens to pass: it is a UPC that lost its leading zeros, restored
    (with a warning) when the cell was a number, refused with the restored code otherwise."""
    length = len(text)
    if length >= 12 and text.isascii() and text.isdigit():
        # The usual case (UPC-A, EAN-13, GTIN-14), inline: this runs for every barcode of an import.
        barcode_type = _TYPE_BY_LENGTH.get(length)
        if barcode_type is not None:
            error = _check_digit_error(barcode_type.value, text)
            return error or Barcode(text, barcode_type, text.rjust(_GTIN14_LENGTH, "0"))
    restored = _zeros_lost(text)
    if restored is not None:
        if is_number:
            return _restored(text, restored, BarcodeType.UPC)
        declare = {8: "an EAN-8 as printed on the package", 10: "a book's ISBN-10"}.get(length, "")
        return _zeros_lost_error(text, restored, declare)
    if _looks_like_isbn10(text):
        if length == 10 and _is_digits(text) and text[0] != "0" and _isbn10_error(text) is not None:
            return _Invalid(
                f"10-digit barcode {text} is not a valid ISBN-10, nor a UPC that lost its leading zeros "
                f"(Excel): {text.rjust(12, '0')} fails the UPC check digit too"
            )
        return _build(text, BarcodeType.ISBN)
    if not _is_digits(text):
        return _not_digits("barcode", text)
    if length == 8:
        return _infer_eight_digits(text)
    if _PLU_MIN_DIGITS <= length <= _PLU_MAX_DIGITS:
        return _build(text, BarcodeType.PLU)
    barcode_type = _TYPE_BY_LENGTH.get(length)
    if barcode_type is None:
        return _Invalid(f"barcode must have 8, 10, 12, 13 or 14 digits (or 3 to 6 for a PLU), got {length}")
    return _build(text, barcode_type)


def _build(text: str, barcode_type: BarcodeType) -> Barcode | _Invalid:
    key = _key_for(text, barcode_type)
    return key if isinstance(key, _Invalid) else Barcode(text, barcode_type, key)


def _declared_error(text: str, declared: BarcodeType, error: _Invalid) -> BarcodeError:
    """Point the clerk at the right type when the value is fine but was declared as something else."""
    guess = _infer(text)
    if isinstance(guess, Barcode) and guess.type != declared:
        return BarcodeError(f"{error.message}; it looks like a valid {guess.type.value}")
    return BarcodeError(error.message)


# A declared type's length: what a number cell's lost zeros are restored to.
_DECLARED_LENGTH: Final = {BarcodeType.UPC: 12, BarcodeType.EAN: 13, BarcodeType.EAN8: 8, BarcodeType.GTIN: 14}
# A value declared GTIN that is not 14 digits long is the shorter code it is (Amazon's GTIN is 14 digits).
_GTIN_AS: Final = {12: BarcodeType.UPC, 13: BarcodeType.EAN, 8: BarcodeType.EAN8}


def _declared(text: str, declared: BarcodeType, *, is_number: bool) -> Barcode | _Invalid:
    """A value of a declared type: short of the type's length but valid once zero-padded, it lost
    its leading zeros (restored from a number cell, pointed out otherwise; an 8-digit UPC is a
    UPC-E and stays one); declared GTIN but 8, 12 or 13 digits long, it is the EAN-8, UPC or EAN
    it is, sent as that with a warning."""
    length = _DECLARED_LENGTH.get(declared)
    is_whole = (declared == BarcodeType.UPC and len(text) == 8) or (
        declared == BarcodeType.GTIN and len(text) in _GTIN_AS
    )  # a UPC-E, or a shorter GTIN: a complete code of its own, not one missing zeros
    if length is not None and len(text) < length and not is_whole and _could_have_lost_zeros(text):
        padded = text.rjust(length, "0")
        return _restored(text, padded, declared) if is_number else _zeros_lost_error(text, padded)
    if declared == BarcodeType.GTIN and _is_digits(text) and len(text) in _GTIN_AS:
        as_type = _GTIN_AS[len(text)]
        barcode = _build(text, as_type)
        if isinstance(barcode, _Invalid):
            return barcode
        warning = (
            f"barcode {text} was declared GTIN, which Amazon takes as 14 digits: sent as the {as_type.value} it is"
        )
        return Barcode(barcode.value, barcode.type, barcode.match_key, warning)
    return _build(text, declared)


_PLAIN_TYPES: Final = {12: BarcodeType.UPC.value, 13: BarcodeType.EAN.value, 14: BarcodeType.GTIN.value}


def plain_gs1(text: str) -> tuple[str, str] | None:
    """Type and match key of a barcode written out in full as a UPC-A, EAN-13 or GTIN-14 with the
    right check digit, declared as nothing: what :func:`parse_barcode` gives it, with no warning.
    Most barcodes of an import are such; for anything else (None) ``parse_barcode`` decides."""
    kind = _PLAIN_TYPES.get(len(text))
    if kind is None or not text.isascii() or not text.isdigit() or not text.lstrip("0"):
        return None
    if ord(text[-1]) - 48 != _check_digit(text[:-1]):
        return None
    return kind, text.rjust(_GTIN14_LENGTH, "0")


def parse_barcode(value: str, declared_type: str | None = None) -> Barcode:
    """Validate one barcode the way Amazon will, inferring the type when none (or a blank one) is
    declared. ``value`` may be a :class:`SpreadsheetNumber` (a number cell): lost leading zeros are
    then restored, with a warning on the barcode."""
    is_number = isinstance(value, SpreadsheetNumber)
    text = value.strip()
    if not text:
        raise BarcodeError("barcode is empty")
    if not text.lstrip("0"):
        raise BarcodeError("barcode cannot be all zeros")  # a spreadsheet placeholder, never a real product
    type_name = (declared_type or "").strip()
    if not type_name:
        inferred = _infer(text, is_number=is_number)
        if isinstance(inferred, _Invalid):
            raise BarcodeError(inferred.message)
        return inferred
    declared = _TYPES_BY_NAME.get(type_name.upper())
    if declared is None:
        raise BarcodeError(f"unknown barcode type {type_name!r}; use one of {_TYPE_NAMES}")
    barcode = _declared(text, declared, is_number=is_number)
    if isinstance(barcode, _Invalid):
        raise _declared_error(text, declared, barcode)
    return barcode


def _gtin_candidate(digits: str) -> str | None:
    """Zero-padding never changes a GS1 check digit, so any padded/unpadded form maps to one GTIN-14."""
    core = digits.lstrip("0")
    if len(digits) < 8 or not core or len(core) > _GTIN14_LENGTH:
        return None
    key = core.rjust(_GTIN14_LENGTH, "0")
    return key if _check_digit_error("GTIN", key) is None else None


def match_keys(value: str) -> tuple[str, ...]:
    """Every match key a cart identifier could plausibly mean, for when its declared type is missing or wrong.

    Never raises: unknown or garbage identifiers simply match nothing.
    """
    text = value.strip()
    if not text.lstrip("0"):
        return ()
    keys: list[str] = []
    if _is_digits(text):
        gtin = _gtin_candidate(text)
        if gtin is not None:
            keys.append(gtin)
        if len(text) == 8 and text[0] in _UPCE_NUMBER_SYSTEMS:
            upca = _upce_to_upca(text)
            if not isinstance(upca, _Invalid):
                keys.append("00" + upca)
        if _PLU_MIN_DIGITS <= len(text) <= _PLU_MAX_DIGITS:
            keys.append(_PLU_KEY_PREFIX + str(int(text)))
    if _looks_like_isbn10(text) and _isbn10_error(text) is None:
        keys.append("0" + _isbn13_from_valid_isbn10(text))
    return tuple(dict.fromkeys(keys))
