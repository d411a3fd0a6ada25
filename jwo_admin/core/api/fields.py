"""Field tables: one description of a partner request body gives both its parser and its published shape.

A connector's body is described once, as a table of fields (name, type, required, limits, nested
objects and lists). From that table come:

* ``table_parse``: the connectors' hot-path parser, in plain Python. DRF's serializers cost about
  a millisecond a call (they deep-copy their fields on every instance), a sixth of what a whole
  gate call costs; the parser gives the same answers in the same words as those serializers, and
  checks fields in the table's order, so a 400 names the first field at fault with its path
  ("shoppingTrip.authEvents[0].payloadType"). Unknown attributes are ignored (SPEC §1.4).
* ``table_serializer``: DRF serializer classes carrying the same names and limits, which
  drf-spectacular publishes in the OpenAPI schema. They document; they never validate a call.

Paths are only built when a field is at fault, and each field is read in one call, so a valid
body costs about what the hand-written checks it replaces did.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

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
NO_DATA = "No data provided"


class InvalidField(Exception):
    """The first field at fault: its path and, in DRF's words, what is wrong with it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


_MISSING = object()

# A check run once a field is read: its value, the fields of the same object read so far, and
# its path; it raises InvalidField ("endTime not before startTime", "lineItemId repeated").
Check = Callable[[Any, dict[str, Any], str], None]


@extend_schema_field({"type": "string", "format": "date-time"})
class DateTimeText(serializers.CharField):
    """A time as the connectors accept it: RFC 3339 with a zone (``DATE_TIME_PATTERN``; Amazon
    sends UTC, ``…Z``), which is what JSON Schema's ``date-time`` means."""


@dataclass(frozen=True, kw_only=True)
class Field:
    """One attribute of a JSON object. ``nullable``: an optional field whose null reads as absent."""

    name: str
    help_text: str = ""
    required: bool = True
    nullable: bool = False
    check: Check | None = None

    absent: Any = None  # what an optional field reads as when it is not there

    def read(self, data: dict[str, Any], prefix: str) -> Any:
        """This field of ``data`` as read, or InvalidField; ``prefix + name`` is its path."""
        raise NotImplementedError

    def missing(self, value: Any, prefix: str) -> Any:
        """What an absent (``_MISSING``) or null value reads as, or why it is refused."""
        if value is _MISSING:
            if self.required:
                raise InvalidField(prefix + self.name, REQUIRED)
            return self.absent
        if self.nullable:
            return self.absent
        raise InvalidField(prefix + self.name, NULL)

    def schema_field(self) -> serializers.Field:
        raise NotImplementedError

    def schema_options(self) -> dict[str, Any]:
        options: dict[str, Any] = {}
        if self.help_text:
            options["help_text"] = self.help_text
        if not self.required:
            options["required"] = False
        if self.nullable:
            options["allow_null"] = True
        return options


@dataclass(frozen=True, kw_only=True)
class Text(Field):
    """A string; not blank (once trimmed, when ``trim``), at most ``max_length``.

    ``pattern`` is published, and checked (``mismatch`` says why it failed) unless
    ``pattern_checked`` is False because ``convert`` reads the text and says in its own words what
    is wrong (the identity key's decoder). ``convert`` turns the text into the value kept; its
    ValueError is the field's message. ``wrong_type``: the message for a value that is not a string
    (null included), when the contract words it its own way."""

    max_length: int
    trim: bool = True
    pattern: re.Pattern[str] | None = None
    pattern_checked: bool = True
    mismatch: str = NO_PATTERN
    wrong_type: str = ""
    convert: Callable[[str], Any] | None = None
    absent: Any = ""

    def read(self, data: dict[str, Any], prefix: str) -> Any:
        value = data.get(self.name, _MISSING)
        if not isinstance(value, str):  # the contract says string: a number is refused, not converted
            if value is _MISSING:
                return self.missing(value, prefix)
            if self.wrong_type:
                raise InvalidField(prefix + self.name, self.wrong_type)
            if value is None:
                return self.missing(value, prefix)
            raise InvalidField(prefix + self.name, NOT_STRING)
        text = value.strip() if self.trim else value
        if text == "":
            raise InvalidField(prefix + self.name, BLANK)
        if len(text) > self.max_length:
            raise InvalidField(prefix + self.name, f"Ensure this field has no more than {self.max_length} characters.")
        if self.pattern is not None and self.pattern_checked and not self.pattern.fullmatch(text):
            raise InvalidField(prefix + self.name, self.mismatch)
        if self.convert is not None:
            try:
                return self.convert(text)
            except ValueError as error:
                raise InvalidField(prefix + self.name, str(error)) from error
        return text

    def schema_field(self) -> serializers.Field:
        if self.pattern is not None:
            return serializers.RegexField(self.pattern.pattern, max_length=self.max_length, **self.schema_options())
        return serializers.CharField(max_length=self.max_length, min_length=1, **self.schema_options())


def uuid_text(name: str, help_text: str) -> Text:
    """A UUID, as a pattern exactly as the schema says (any case; callers lower-case ids they key on)."""
    return Text(name=name, help_text=help_text, max_length=64, trim=False, pattern=UUID_PATTERN)


@dataclass(frozen=True, kw_only=True)
class Timestamp(Field):
    """RFC 3339 with a zone, read as a UTC datetime."""

    def read(self, data: dict[str, Any], prefix: str) -> Any:
        value = data.get(self.name, _MISSING)
        if value is None or value is _MISSING:
            return self.missing(value, prefix)
        if not isinstance(value, str) or not DATE_TIME_PATTERN.match(value):
            raise InvalidField(prefix + self.name, BAD_TIME)
        try:
            # RFC 3339 allows "t" and "z". Kept in UTC: any offset below 24 h is valid RFC 3339, but
            # PostgreSQL stores offsets only up to 15:59.
            return datetime.fromisoformat(value.upper()).astimezone(UTC)
        except (ValueError, OverflowError) as error:  # a month 13, a second 61, year 1 before UTC…
            raise InvalidField(prefix + self.name, BAD_TIME) from error

    def schema_field(self) -> serializers.Field:
        return DateTimeText(**self.schema_options())


@dataclass(frozen=True, kw_only=True)
class Choice(Field):
    """One of ``choices``, read as that string ("" when optional and absent)."""

    choices: tuple[str, ...]
    absent: Any = ""

    def read(self, data: dict[str, Any], prefix: str) -> Any:
        value = data.get(self.name, _MISSING)
        if value is None or value is _MISSING:
            return self.missing(value, prefix)
        text = str(value)
        if text not in self.choices:
            raise InvalidField(prefix + self.name, f'"{value}" is not a valid choice.')
        return text

    def schema_field(self) -> serializers.Field:
        return serializers.ChoiceField(choices=self.choices, **self.schema_options())


@dataclass(frozen=True, kw_only=True)
class Object(Field):
    """A nested JSON object, read field by field in the table's order (None when optional and absent).

    ``schema_name``: its component in the published schema. ``build`` makes the value kept from
    the fields read (by name); without it, that dict is the value."""

    fields: tuple[Field, ...]
    schema_name: str
    build: Callable[[dict[str, Any]], Any] | None = None
    name: str = ""

    def read(self, data: dict[str, Any], prefix: str) -> Any:
        value = data.get(self.name, _MISSING)
        if value is None or value is _MISSING:
            return self.missing(value, prefix)
        return self.members(value, prefix + self.name)

    def members(self, value: Any, path: str) -> Any:
        if not isinstance(value, dict):
            raise InvalidField(path, f'Expected a dictionary of items but got type "{type(value).__name__}".')
        return _members(self, value, path + ".")

    def schema_field(self) -> serializers.Field:
        return table_serializer(self)(**self.schema_options())


@dataclass(frozen=True, kw_only=True)
class ListOf(Field):
    """A JSON array of objects, each read as ``item`` (an empty list when optional and absent).

    Published as the item's serializer with ``many=True``, or as a ``ListField`` when it has a
    minimum length (``min_items``)."""

    item: Object
    min_items: int = 0
    absent: Any = ()

    def read(self, data: dict[str, Any], prefix: str) -> Any:
        value = data.get(self.name, _MISSING)
        if value is None or value is _MISSING:
            return self.missing(value, prefix)
        path = prefix + self.name
        if not isinstance(value, list):
            raise InvalidField(path, f'Expected a list of items but got type "{type(value).__name__}".')
        if len(value) < self.min_items:
            raise InvalidField(path, f"Ensure this field has at least {self.min_items} elements.")
        members = self.item.members
        return tuple([members(element, f"{path}[{index}]") for index, element in enumerate(value)])

    def schema_field(self) -> serializers.Field:
        if self.min_items:
            return serializers.ListField(
                child=table_serializer(self.item)(), min_length=self.min_items, **self.schema_options()
            )
        return table_serializer(self.item)(many=True, **self.schema_options())


def table_parse(table: Object, data: Any) -> Any:
    """A whole request body read by its table, or InvalidField naming the first field at fault."""
    if data is None:
        raise InvalidField("body", NO_DATA)
    if not isinstance(data, dict):
        raise InvalidField("body", f"Invalid data. Expected a dictionary, but got {type(data).__name__}.")
    return _members(table, data, "")


def _members(table: Object, data: dict[str, Any], prefix: str) -> Any:
    read: dict[str, Any] = {}
    for field in table.fields:
        value = read[field.name] = field.read(data, prefix)
        if field.check is not None:  # given the fields read so far
            field.check(value, read, prefix + field.name)
    return table.build(read) if table.build is not None else read


_serializers: dict[int, type[serializers.Serializer]] = {}


def table_serializer(table: Object) -> type[serializers.Serializer]:
    """The documentation serializer of an object (``<schema_name>Serializer``, so the schema's
    component is ``<schema_name>``); made once per table, nested objects included."""
    made = _serializers.get(id(table))
    if made is None:
        declared = {field.name: field.schema_field() for field in table.fields}
        made = type(f"{table.schema_name}Serializer", (serializers.Serializer,), declared)
        _serializers[id(table)] = made
    return made
