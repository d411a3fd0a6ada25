"""Field tables: one description gives the parser (first field at fault, with its path) and the
documentation serializer (same names, limits and nesting)."""

from typing import Any

import pytest
from rest_framework import serializers

from jwo_admin.core.api.fields import (
    Choice,
    InvalidField,
    ListOf,
    Object,
    Text,
    Timestamp,
    table_parse,
    table_serializer,
    uuid_text,
)


def _not_empty(value: tuple[Any, ...], read: dict[str, Any], path: str) -> None:
    if not value and read["kind"] == "FULL":
        raise InvalidField(path, "A full basket has lines.")


TABLE = Object(
    schema_name="ToyBasket",
    fields=(
        uuid_text("id", "The basket."),
        Choice(name="kind", choices=("FULL", "EMPTY")),
        ListOf(
            name="lines",
            check=_not_empty,
            item=Object(
                schema_name="ToyLine",
                fields=(
                    Text(name="sku", max_length=5),
                    Timestamp(name="at", required=False),
                    Text(name="note", max_length=10, required=False, nullable=True),
                ),
            ),
        ),
    ),
)
BASKET = {"id": "9D8C7B6A-1234-4ABC-8DEF-0123456789AB", "kind": "FULL", "lines": [{"sku": " A1 ", "note": None}]}


def test_a_valid_body_reads_as_its_fields_with_optional_ones_as_absent() -> None:
    assert table_parse(TABLE, BASKET) == {
        "id": "9D8C7B6A-1234-4ABC-8DEF-0123456789AB",
        "kind": "FULL",
        "lines": ({"sku": "A1", "at": None, "note": ""},),
    }


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"id": "nope"}, "id", "This value does not match the required pattern."),
        ({"kind": None}, "kind", "This field may not be null."),
        ({"lines": {}}, "lines", 'Expected a list of items but got type "dict".'),
        ({"lines": [{"sku": "A1"}, 7]}, "lines[1]", 'Expected a dictionary of items but got type "int".'),
        ({"lines": [{"sku": "TOO-LONG"}]}, "lines[0].sku", "Ensure this field has no more than 5 characters."),
        (
            {"lines": [{"sku": "A1", "at": "2025-06-03"}]},
            "lines[0].at",
            "Must be an ISO-8601 time with a zone, e.g. 2025-06-03T14:22:05Z.",
        ),
        ({"lines": [{"sku": 5}]}, "lines[0].sku", "Not a valid string."),
        ({"lines": []}, "lines", "A full basket has lines."),
        ({"id": "nope", "kind": "HALF"}, "id", "This value does not match the required pattern."),
    ],
)
def test_the_first_field_at_fault_is_named_with_its_path(changes: dict[str, Any], field: str, message: str) -> None:
    with pytest.raises(InvalidField) as invalid:
        table_parse(TABLE, {**BASKET, **changes})

    assert (invalid.value.field, invalid.value.message) == (field, message)


def test_the_documentation_serializer_carries_the_same_names_limits_and_nesting() -> None:
    serializer = table_serializer(TABLE)()
    lines = serializer.fields["lines"]
    assert isinstance(lines, serializers.ListSerializer)
    line = lines.child
    assert isinstance(line, serializers.Serializer)

    assert (type(serializer).__name__, type(line).__name__) == ("ToyBasketSerializer", "ToyLineSerializer")
    assert table_serializer(TABLE) is type(serializer)  # made once: one component in the schema
    assert list(serializer.fields) == ["id", "kind", "lines"]
    assert isinstance(serializer.fields["id"], serializers.RegexField)
    sku = line.fields["sku"]
    assert isinstance(sku, serializers.CharField)
    assert (sku.max_length, sku.min_length) == (5, 1)
    assert (line.fields["at"].required, line.fields["note"].required, line.fields["note"].allow_null) == (
        False,
        False,
        True,
    )
