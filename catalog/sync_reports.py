"""Amazon's ingestion report, read tolerantly.

The report format is not published (SPEC M3). This parser is built around the format our fake
produces and accepts the plausible variants (other key names, a bare list, string or object
errors); whatever it does not know it keeps in ``details``. Keep every format assumption here.
"""

import json
from dataclasses import dataclass, field
from typing import Any

_ACCEPTED = frozenset({"SUCCESS", "SUCCEEDED", "SUCCESSFUL", "ACCEPTED", "OK", "DONE", "ARCHIVED", "PROCESSED"})
_ITEM_LISTS = ("items", "results", "itemResults", "catalogItems", "records")
_SKU_KEYS = ("item_sku", "itemSku", "sku", "SKU")


class ReportUnreadable(ValueError):
    """The report is not JSON, or holds no list of items we can recognise."""


@dataclass(frozen=True)
class ReportEntry:
    sku: str
    is_accepted: bool
    code: str
    message: str
    details: dict[str, Any] = field(default_factory=dict)


def _errors(entry: dict[str, Any]) -> tuple[str, str]:
    errors = entry.get("errors") or entry.get("error") or entry.get("errorDetails")
    if isinstance(errors, dict):
        errors = [errors]
    if isinstance(errors, list) and errors:
        codes, messages = [], []
        for error in errors:
            if isinstance(error, dict):
                codes.append(str(error.get("code") or error.get("errorCode") or ""))
                messages.append(str(error.get("message") or error.get("errorMessage") or error.get("reason") or ""))
            else:
                messages.append(str(error))
        return ", ".join(code for code in codes if code), "; ".join(message for message in messages if message)
    if isinstance(errors, str):
        return "", errors
    return str(entry.get("code") or entry.get("errorCode") or ""), str(
        entry.get("message") or entry.get("errorMessage") or entry.get("reason") or ""
    )


def parse_report(raw: bytes) -> list[ReportEntry]:
    try:
        document = json.loads(raw)
    except ValueError as error:
        raise ReportUnreadable(f"The report is not JSON: {error}") from None
    items: Any = document
    if isinstance(document, dict):
        items = next((document[key] for key in _ITEM_LISTS if isinstance(document.get(key), list)), None)
    if not isinstance(items, list):
        raise ReportUnreadable("The report has no list of items (looked for: " + ", ".join(_ITEM_LISTS) + ").")
    entries = []
    for item in items:
        if not isinstance(item, dict):
            continue
        sku = next((str(item[key]) for key in _SKU_KEYS if item.get(key) not in (None, "")), "")
        if not sku:
            continue
        status = str(item.get("status") or item.get("result") or item.get("processingStatus") or "").upper()
        code, message = _errors(item)
        is_accepted = status in _ACCEPTED and not message
        if not is_accepted and not message:
            message = f"Amazon reported status {status or 'none'} without a reason"
        entries.append(ReportEntry(sku=sku, is_accepted=is_accepted, code=code[:64], message=message, details=item))
    return entries
