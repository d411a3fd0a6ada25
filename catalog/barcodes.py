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
    used to match padded/unpadded scans and to keep one barcode on one product per store.
    """

    value: str
    type: BarcodeType
    match_key: str


_TYPES_BY_NAME: Final[dict[str, BarcodeType]] = {barcode_type.value: barcode_type for barcode_type in BarcodeType}
_TYPE_NAMES: Final = ", ".join(barcode_type.value for barcode_type in BarcodeType)
_GTIN_LENGTHS: Final = frozenset({8, 12, 13, 14})
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
    BarcodeType.GTIN: lambda text: _gtin_key("GTIN", text, _GTIN_LENGTHS, "8, 12, 13 or 14"),
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


def _infer(text: str) -> Barcode | _Invalid:
    """Guess the type from the value's length and characters, so clerks rarely need to declare one."""
    length = len(text)
    if length >= 12 and text.isascii() and text.isdigit():
        # The usual case (UPC-A, EAN-13, GTIN-14), inline: this runs for every barcode of an import.
        barcode_type = _TYPE_BY_LENGTH.get(length)
        if barcode_type is not None:
            error = _check_digit_error(barcode_type.value, text)
            return error or Barcode(text, barcode_type, text.rjust(_GTIN14_LENGTH, "0"))
    if _looks_like_isbn10(text):
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


def parse_barcode(value: str, declared_type: str | None = None) -> Barcode:
    """Validate one barcode the way Amazon will, inferring the type when none (or a blank one) is declared."""
    text = value.strip()
    if not text:
        raise BarcodeError("barcode is empty")
    if not text.lstrip("0"):
        raise BarcodeError("barcode cannot be all zeros")  # a spreadsheet placeholder, never a real product
    type_name = (declared_type or "").strip()
    if not type_name:
        inferred = _infer(text)
        if isinstance(inferred, _Invalid):
            raise BarcodeError(inferred.message)
        return inferred
    declared = _TYPES_BY_NAME.get(type_name.upper())
    if declared is None:
        raise BarcodeError(f"unknown barcode type {type_name!r}; use one of {_TYPE_NAMES}")
    barcode = _build(text, declared)
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
