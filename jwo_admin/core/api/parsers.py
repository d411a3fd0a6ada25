"""The one JSON parser of every API: standard JSON whose text PostgreSQL can store.

JSON may carry ``\\u0000`` and lone surrogate halves (``\\ud800``); PostgreSQL's text and jsonb
refuse both, and the connectors keep every body they answer. So a body holding either anywhere,
in a value or in an unknown attribute's name, is refused here as a 400 naming the body, before
anything reads it; nothing else changes. The check runs only when the raw bytes could hold one.
"""

import json
import re
from collections.abc import Mapping
from typing import IO, Any

from rest_framework import parsers
from rest_framework.exceptions import ParseError

_SUSPECT = re.compile(rb"\\u0000|\\u[dD][89a-fA-F]")


def _unstorable(value: Any) -> bool:
    if isinstance(value, str):
        if "\x00" in value:
            return True
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return True
        return False
    if isinstance(value, dict):
        return any(_unstorable(key) or _unstorable(item) for key, item in value.items())
    if isinstance(value, list):
        return any(_unstorable(item) for item in value)
    return False


class StorableJSONParser(parsers.JSONParser):
    def parse(
        self, stream: IO[Any], media_type: str | None = None, parser_context: Mapping[str, Any] | None = None
    ) -> Any:
        raw = stream.read() if stream is not None else b""
        try:
            data = json.loads(raw, parse_constant=_no_constants)
        except ValueError as error:
            raise ParseError(f"JSON parse error - {error}") from error
        if _SUSPECT.search(raw) and _unstorable(data):
            raise ParseError("The body holds a NUL character (\\u0000) or half a surrogate pair, which no field may.")
        return data


def _no_constants(name: str) -> Any:
    """NaN and Infinity are not JSON (DRF's STRICT_JSON refuses them the same way)."""
    raise ValueError(f"{name} is not valid JSON")
