"""The one JSON parser of every API: standard JSON whose text PostgreSQL can store.

JSON may carry ``\\u0000`` and lone surrogate halves (``\\ud800``); PostgreSQL's text and jsonb
refuse both, and the connectors keep every body they answer. So a body holding either anywhere,
in a value or in an unknown attribute's name, is refused here as a 400 naming the body, before
anything reads it; nothing else changes. The check runs only when the raw bytes could hold one.

A body that breaks a parser is refused the same way, in words, never as a 500: one larger than
``JWO_CONNECTOR_MAX_BODY_BYTES`` (not read past that), nested deeper than Python's stack
(``[[[[…`` 10,000 deep), a number that overflows to infinity (``1e400``: it could never be stored
as JSON again), ``NaN``/``Infinity`` literals, text that is not UTF-8.
"""

import json
import math
import re
from collections.abc import Mapping
from typing import IO, Any

from django.conf import settings
from rest_framework import parsers
from rest_framework.exceptions import ParseError


class BodyTooLarge(ParseError):
    """More than ``JWO_CONNECTOR_MAX_BODY_BYTES``: refused before the rest is read."""


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


class StorableJSONParser(parsers.BaseParser):
    """Not a ``JSONParser`` subclass on purpose: DRF reads the whole body into memory for those
    (``request.body``) before the parser runs; this one reads no more than the limit."""

    media_type = "application/json"

    def parse(
        self, stream: IO[Any], media_type: str | None = None, parser_context: Mapping[str, Any] | None = None
    ) -> Any:
        limit = settings.JWO_CONNECTOR_MAX_BODY_BYTES
        raw = stream.read(limit + 1) if stream is not None else b""
        if len(raw) > limit:
            raise BodyTooLarge(f"The body is larger than {limit:,} bytes; nothing was read.")
        try:
            data = json.loads(raw, parse_constant=_no_constants, parse_float=_finite_float)
        except ValueError as error:
            raise ParseError(f"JSON parse error - {error}") from error
        except RecursionError as error:
            raise ParseError("JSON parse error - the body is nested too deeply") from error
        if _SUSPECT.search(raw) and _unstorable(data):
            raise ParseError("The body holds a NUL character (\\u0000) or half a surrogate pair, which no field may.")
        return data


def _finite_float(text: str) -> float:
    """A JSON number as Python reads it, unless it overflows (``1e400`` would become infinity)."""
    number = float(text)
    if math.isinf(number):
        raise ValueError(f"the number {text[:40]} is out of range")
    return number


def _no_constants(name: str) -> Any:
    """NaN and Infinity are not JSON (DRF's STRICT_JSON refuses them the same way)."""
    raise ValueError(f"{name} is not valid JSON")
