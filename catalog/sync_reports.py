"""Amazon's ingestion report, read tolerantly.

The report format is not published (SPEC M3). This parser is built around the format our fake
produces and accepts the plausible variants (other key names, a bare list, the list under a key we
do not know, JSON lines, string or object errors); whatever it does not know it keeps in
``details`` and says in the report's notes. Keep every format assumption here.
"""

import json
from dataclasses import dataclass, field
from typing import Any

_ACCEPTED = frozenset({"SUCCESS", "SUCCEEDED", "SUCCESSFUL", "ACCEPTED", "OK", "DONE", "ARCHIVED", "PROCESSED"})
_ITEM_LISTS = ("items", "results", "itemResults", "catalogItems", "records")
_SKU_KEYS = ("item_sku", "itemSku", "sku", "SKU")
_NO_LIST = "The report has no list of items (looked for: " + ", ".join(_ITEM_LISTS) + ", or any list of SKUs)."


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


@dataclass(frozen=True)
class Report:
    entries: list[ReportEntry]
    notes: list[str] = field(default_factory=list)  # what was not as expected, for staff


def _is_item(value: Any) -> bool:
    return isinstance(value, dict) and any(value.get(key) not in (None, "") for key in _SKU_KEYS)


def _item_list(document: Any, notes: list[str]) -> list[Any]:
    if isinstance(document, list):
        return document
    if not isinstance(document, dict):
        raise ReportUnreadable(_NO_LIST)
    known = next((key for key in _ITEM_LISTS if isinstance(document.get(key), list)), None)
    if known is not None:
        return list(document[known])
    # A key we do not know: take the list whose entries name SKUs, and say which key it was.
    for key, value in document.items():
        if isinstance(value, list) and any(_is_item(entry) for entry in value):
            notes.append(f"Items read from the unexpected key {key!r}.")
            return value
    raise ReportUnreadable(_NO_LIST)


def _json_lines(raw: bytes, notes: list[str]) -> list[Any] | None:
    """A report written one JSON object per line, or None when it is not one."""
    lines = [line for line in raw.splitlines() if line.strip()]
    try:
        documents = [json.loads(line) for line in lines]
    except ValueError:
        return None
    items = [document for document in documents if _is_item(document)]
    if not items:
        return None
    notes.append(f"Read as JSON lines ({len(lines)} lines, {len(items)} items).")
    return items


def report_read(raw: bytes) -> Report:
    """Amazon's report as entries, with notes on whatever was not in the shape we expect."""
    notes: list[str] = []
    try:
        document = json.loads(raw)
    except ValueError as error:
        lines = _json_lines(raw, notes)
        if lines is None:
            raise ReportUnreadable(f"The report is not JSON: {error}") from None
        items = lines
    else:
        items = _item_list(document, notes)
    entries = []
    skipped = 0
    for item in items:
        if not _is_item(item):
            skipped += 1
            continue
        sku = next(str(item[key]) for key in _SKU_KEYS if item.get(key) not in (None, ""))
        status = str(item.get("status") or item.get("result") or item.get("processingStatus") or "").upper()
        code, message = _errors(item)
        is_accepted = status in _ACCEPTED and not message
        if not is_accepted and not message:
            message = f"Amazon reported status {status or 'none'} without a reason"
        entries.append(ReportEntry(sku=sku, is_accepted=is_accepted, code=code[:64], message=message, details=item))
    if skipped:
        notes.append(f"{skipped} entr{'ies' if skipped != 1 else 'y'} without a SKU skipped.")
    return Report(entries, notes)


def parse_report(raw: bytes) -> list[ReportEntry]:
    return report_read(raw).entries
