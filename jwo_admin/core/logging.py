"""Log lines for machines: one JSON object per line, and nothing in them a thief could use.

``JsonFormatter`` writes time (UTC), level, logger, message, request ids, the Celery task id, the
exception and any ``extra=`` fields; ``PlainFormatter`` the same for people, on one line.
``RedactFilter`` masks, in the message, its arguments, the exception text and every extra field:
Scan Key Codes (as shown in the QR and Base64-encoded as Amazon sends them), card references of
the usual provider shapes (``pm_…``, ``tok_…``, ``card_…``…) and the values of fields whose name
says they are secret. Both formats (plain and JSON) use the filter. ``ClientErrorFilter`` keeps
Django's line about a refused request (a 403, a 404) to that one line, without the traceback.
"""

import base64
import json
import logging
import re
import traceback
from datetime import UTC, datetime
from typing import Any

from django.conf import settings

MASK = "[redacted]"
SECRET_FIELDS = frozenset(
    {
        "authorization",
        "card_reference",
        "identity_key",
        "identitykey",
        "password",
        "provider_reference",
        "scanned_text",
        "scannedtext",
        "token",
    }
)
# Provider tokens: Stripe-like (pm_, tok_, card_, src_, pi_, ch_, seti_), Adyen/Braintree-like.
_CARD_TOKENS = r"\b(?:pm|tok|card|src|pi|ch|seti|btok|pmt)_[A-Za-z0-9]{4,}\b"
# A receipt's address is its secret: /receipts/<token>/ (in access lines, "Not Found: …").
_RECEIPT_TOKENS = r"(?<=/receipts/)[A-Za-z0-9_-]{8,}"
# The fields every LogRecord has; anything else on a record came from ``extra=``.
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
    "request_id",
    "amazon_request_id",
    "task_id",
}


def _secret_patterns() -> re.Pattern[str]:
    """A Scan Key Code is PREFIX + uppercase letters and digits; Amazon sends it Base64-encoded,
    and the Base64 of a code starts with the Base64 of the prefix's first whole 3-byte groups."""
    prefix = settings.JWO_SCAN_KEY_PREFIX
    aligned = prefix[: len(prefix) - len(prefix) % 3]
    parts = [re.escape(prefix) + r"[0-9A-Z]{20,}", _CARD_TOKENS, _RECEIPT_TOKENS]
    if aligned:
        parts.append(re.escape(base64.b64encode(aligned.encode()).decode()) + r"[A-Za-z0-9+/]{20,}={0,2}")
    return re.compile("|".join(f"(?:{part})" for part in parts))


_pattern: tuple[str, re.Pattern[str]] | None = None


def redact(text: str) -> str:
    global _pattern
    if _pattern is None or _pattern[0] != settings.JWO_SCAN_KEY_PREFIX:
        _pattern = (settings.JWO_SCAN_KEY_PREFIX, _secret_patterns())
    return _pattern[1].sub(MASK, text)


def _clean(value: Any, key: str = "") -> Any:
    if key.lower() in SECRET_FIELDS:
        return MASK
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {k: _clean(v, str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(item) for item in value]
    if value is None or isinstance(value, bool | int | float):
        return value
    return redact(str(value))  # an object (Django puts the request on its lines): as text, masked


class RedactFilter(logging.Filter):
    """Rewrites the record in place before any handler formats it."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            message = str(record.msg)
        record.msg, record.args = redact(message), None
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = redact("".join(traceback.format_exception(*record.exc_info)).rstrip())
            record.exc_info = None
        for key in set(vars(record)) - _STANDARD:
            setattr(record, key, _clean(getattr(record, key), key))
        return True


class ClientErrorFilter(logging.Filter):
    """On ``django.request``: a 4xx answer is a refusal working as designed (a role without the
    permission, a page that does not exist), not a fault. Django logs a refusal raised as
    PermissionDenied with its traceback, which only points at the guard that refused; the line
    keeps its status and path, and only a 5xx keeps its traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        if isinstance(status, int) and 400 <= status < 500:
            record.exc_info, record.exc_text = None, None
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC)
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", ""),
        }
        amazon_request_id = getattr(record, "amazon_request_id", "")
        if amazon_request_id:
            entry["amazon_request_id"] = amazon_request_id
        task_id = getattr(record, "task_id", "")
        if task_id:
            entry["task_id"] = task_id
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exception"] = record.exc_text
        for key in sorted(set(vars(record)) - _STANDARD):
            entry[key] = getattr(record, key)
        return json.dumps(entry, default=str, ensure_ascii=False)


class PlainFormatter(logging.Formatter):
    """For people: time, level, logger, then in brackets what the line belongs to (the request id,
    or "task <id>" on a worker), then the message."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s [%(context)s] %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        task_id = getattr(record, "task_id", "")
        record.context = getattr(record, "request_id", "") or (f"task {task_id}" if task_id else "")
        return super().format(record)
