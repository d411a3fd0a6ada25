"""Plain-Python checks for partner request bodies, worded and ordered as DRF's serializers word them.

The connectors' hot paths validate without DRF serializers (which deep-copy their fields on every
instance: about a millisecond a call). Each check takes the parent object, the key and the full
path for the message ("shoppingTrip.authEvents[0].payloadType"), and raises InvalidField naming it.
"""

import re
from datetime import UTC, datetime
from typing import Any

# RFC 3339 with a zone: what the published schema calls "date-time" (ISO-8601 allows more forms,
# "20250603T142205Z" or "+0100", that a JSON Schema validator would refuse; so do we).
DATE_TIME_PATTERN = re.compile(
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2})\Z"
)
UUID_PATTERN = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
REQUIRED = "This field is required."
NULL = "This field may not be null."
BLANK = "This field may not be blank."
NOT_STRING = "Not a valid string."
NO_PATTERN = "This value does not match the required pattern."
BAD_TIME = "Must be an ISO-8601 time with a zone, e.g. 2025-06-03T14:22:05Z."


class InvalidField(Exception):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def text_field(data: dict[str, Any], name: str, path: str, *, max_length: int, trim: bool = True) -> str:
    if name not in data:
        raise InvalidField(path, REQUIRED)
    value = data[name]
    if value is None:
        raise InvalidField(path, NULL)
    if not isinstance(value, str):  # the contract says string: a number is refused, not converted
        raise InvalidField(path, NOT_STRING)
    text = value
    if trim:
        text = text.strip()
    if text == "":
        raise InvalidField(path, BLANK)
    if len(text) > max_length:
        raise InvalidField(path, f"Ensure this field has no more than {max_length} characters.")
    return text


def uuid_field(data: dict[str, Any], name: str, path: str) -> str:
    text = text_field(data, name, path, max_length=64, trim=False)  # a pattern, exactly as the schema says
    if not UUID_PATTERN.fullmatch(text):
        raise InvalidField(path, NO_PATTERN)
    return text


def choice_field(
    data: dict[str, Any], name: str, path: str, choices: tuple[str, ...], *, required: bool = True
) -> None:
    if name not in data:
        if required:
            raise InvalidField(path, REQUIRED)
        return
    value = data[name]
    if value is None:
        raise InvalidField(path, NULL)
    if str(value) not in choices:
        raise InvalidField(path, f'"{value}" is not a valid choice.')


def timestamp_field(data: dict[str, Any], name: str, path: str) -> datetime:
    if name not in data:
        raise InvalidField(path, REQUIRED)
    value = data[name]
    if value is None:
        raise InvalidField(path, NULL)
    if not isinstance(value, str) or not DATE_TIME_PATTERN.match(value):
        raise InvalidField(path, BAD_TIME)
    try:
        # RFC 3339 allows "t" and "z". Kept in UTC: any offset below 24 h is valid RFC 3339, but
        # PostgreSQL stores offsets only up to 15:59.
        moment = datetime.fromisoformat(value.upper()).astimezone(UTC)
    except (ValueError, OverflowError) as error:  # a month 13, a second 61, year 1 before UTC…
        raise InvalidField(path, BAD_TIME) from error
    return moment


def object_field(data: dict[str, Any], name: str, path: str, *, required: bool = True) -> dict[str, Any] | None:
    """A nested JSON object; None when optional and absent."""
    if name not in data:
        if required:
            raise InvalidField(path, REQUIRED)
        return None
    value = data[name]
    if value is None:
        raise InvalidField(path, NULL)
    if not isinstance(value, dict):
        raise InvalidField(path, f'Expected a dictionary of items but got type "{type(value).__name__}".')
    return value


def list_field(data: dict[str, Any], name: str, path: str, *, required: bool = True, min_length: int = 0) -> list[Any]:
    """A JSON array; an empty list when optional and absent."""
    if name not in data:
        if required:
            raise InvalidField(path, REQUIRED)
        return []
    value = data[name]
    if value is None:
        raise InvalidField(path, NULL)
    if not isinstance(value, list):
        raise InvalidField(path, f'Expected a list of items but got type "{type(value).__name__}".')
    if len(value) < min_length:
        raise InvalidField(path, f"Ensure this field has at least {min_length} elements.")
    return value


def item_object(value: Any, path: str) -> dict[str, Any]:
    """One element of a list of objects."""
    if not isinstance(value, dict):
        raise InvalidField(path, f'Expected a dictionary of items but got type "{type(value).__name__}".')
    return value
