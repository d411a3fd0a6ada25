"""Amazon's ingestion report (format unpublished, SPEC M3): our fake's format and plausible variants."""

import json
from typing import Any

import pytest

from catalog.sync_reports import ReportEntry, ReportUnreadable, parse_report


def raw(document: Any) -> bytes:
    return json.dumps(document).encode()


def test_reads_the_fakes_report() -> None:
    rejected = {
        "item_sku": "SKU-2",
        "store_id": "TEST_STORE_001",
        "status": "FAILED",
        "errors": [
            {
                "code": "INVALID_BARCODE",
                "message": "external_product_id failed validation: check digit or format not accepted",
            }
        ],
    }
    accepted = {"item_sku": "SKU-1", "store_id": "TEST_STORE_001", "status": "SUCCESS"}
    report = {
        "ingestionId": "b0c6b4de",
        "operation": "UPLOAD",
        "processingStatus": "DONE",
        "summary": {"total": 2, "successful": 1, "failed": 1},
        "items": [accepted, rejected],
    }

    assert parse_report(raw(report)) == [
        ReportEntry(sku="SKU-1", is_accepted=True, code="", message="", details=accepted),
        ReportEntry(
            sku="SKU-2",
            is_accepted=False,
            code="INVALID_BARCODE",
            message="external_product_id failed validation: check digit or format not accepted",
            details=rejected,
        ),
    ]


def test_reads_a_bare_list() -> None:
    assert parse_report(raw([{"sku": "A", "status": "OK"}])) == [
        ReportEntry(sku="A", is_accepted=True, code="", message="", details={"sku": "A", "status": "OK"})
    ]


@pytest.mark.parametrize("key", ["results", "itemResults", "catalogItems", "records"])
def test_reads_other_item_list_keys(key: str) -> None:
    entries = parse_report(raw({key: [{"itemSku": "A", "result": "SUCCEEDED"}]}))

    assert [(entry.sku, entry.is_accepted) for entry in entries] == [("A", True)]


@pytest.mark.parametrize("sku_key", ["item_sku", "itemSku", "sku", "SKU"])
def test_reads_each_sku_key(sku_key: str) -> None:
    assert [entry.sku for entry in parse_report(raw({"items": [{sku_key: "A-1", "status": "SUCCESS"}]}))] == ["A-1"]


@pytest.mark.parametrize(
    ("status", "is_accepted"),
    [
        ("SUCCESS", True),
        ("success", True),
        ("ACCEPTED", True),
        ("ARCHIVED", True),
        ("DONE", True),
        ("FAILED", False),
        ("ERROR", False),
        ("REJECTED", False),
    ],
)
def test_status_names(status: str, is_accepted: bool) -> None:
    (entry,) = parse_report(raw({"results": [{"item_sku": "A", "status": status}]}))

    assert entry.is_accepted is is_accepted
    expected = "" if is_accepted else f"Amazon reported status {status.upper()} without a reason"
    assert (entry.code, entry.message) == ("", expected)


def test_status_may_come_as_result_or_processing_status() -> None:
    entries = parse_report(
        raw({"items": [{"sku": "A", "result": "ERROR"}, {"sku": "B", "processingStatus": "SUCCESS"}]})
    )

    assert [(entry.sku, entry.is_accepted) for entry in entries] == [("A", False), ("B", True)]


def test_missing_status_is_not_an_acceptance() -> None:
    (entry,) = parse_report(raw({"items": [{"sku": "A"}]}))

    assert (entry.is_accepted, entry.code, entry.message) == (
        False,
        "",
        "Amazon reported status none without a reason",
    )


def test_success_with_an_error_is_not_an_acceptance() -> None:
    (entry,) = parse_report(raw({"items": [{"sku": "A", "status": "SUCCESS", "errors": ["price ignored"]}]}))

    assert (entry.is_accepted, entry.message) == (False, "price ignored")


@pytest.mark.parametrize(
    ("errors", "code", "message"),
    [
        (
            [{"code": "E1", "message": "bad barcode"}, {"errorCode": "E2", "errorMessage": "name too long"}],
            "E1, E2",
            "bad barcode; name too long",
        ),
        ([{"code": "E1", "reason": "unknown store"}], "E1", "unknown store"),
        (["bad barcode", "name too long"], "", "bad barcode; name too long"),
        ("bad barcode", "", "bad barcode"),
        ({"code": "E9", "message": "one object"}, "E9", "one object"),
    ],
)
def test_errors_in_each_shape(errors: Any, code: str, message: str) -> None:
    (entry,) = parse_report(raw({"items": [{"item_sku": "A", "status": "FAILED", "errors": errors}]}))

    assert (entry.is_accepted, entry.code, entry.message) == (False, code, message)


@pytest.mark.parametrize("key", ["error", "errorDetails"])
def test_errors_under_other_keys(key: str) -> None:
    (entry,) = parse_report(raw({"items": [{"item_sku": "A", "status": "FAILED", key: {"code": "X", "message": "m"}}]}))

    assert (entry.code, entry.message) == ("X", "m")


def test_code_and_message_on_the_entry_itself() -> None:
    (entry,) = parse_report(
        raw({"items": [{"item_sku": "A", "status": "FAILED", "errorCode": "E7", "errorMessage": "no such store"}]})
    )

    assert (entry.is_accepted, entry.code, entry.message) == (False, "E7", "no such store")


def test_long_codes_are_cut_to_the_column() -> None:
    (entry,) = parse_report(raw({"items": [{"sku": "A", "status": "FAILED", "errors": [{"code": "C" * 80}]}]}))

    assert entry.code == "C" * 64


def test_entries_without_sku_are_skipped() -> None:
    entries = parse_report(
        raw(
            {
                "items": [
                    {"status": "SUCCESS"},
                    {"item_sku": "", "status": "SUCCESS"},
                    {"item_sku": None, "status": "SUCCESS"},
                    "not an object",
                    {"item_sku": "KEPT", "status": "SUCCESS"},
                ]
            }
        )
    )

    assert [entry.sku for entry in entries] == ["KEPT"]


def test_unknown_fields_are_kept_in_details() -> None:
    item = {"item_sku": "A", "status": "SUCCESS", "asin": "B000123", "warnings": ["image too small"]}

    (entry,) = parse_report(raw({"items": [item]}))

    assert entry.details == item


def test_numeric_sku_is_read_as_text() -> None:
    assert [entry.sku for entry in parse_report(raw([{"sku": 12345, "status": "SUCCESS"}]))] == ["12345"]


@pytest.mark.parametrize("body", [b"<html>expired</html>", b"", b"\xff\xfe"])
def test_not_json_is_unreadable(body: bytes) -> None:
    with pytest.raises(ReportUnreadable, match=r"^The report is not JSON: "):
        parse_report(body)


@pytest.mark.parametrize(
    "document",
    [{"summary": {"total": 0}}, {"items": "none"}, {"items": None}, "text", 42, None],
)
def test_no_item_list_is_unreadable_and_names_the_keys_looked_for(document: Any) -> None:
    with pytest.raises(ReportUnreadable) as caught:
        parse_report(raw(document))

    assert str(caught.value) == (
        "The report has no list of items (looked for: items, results, itemResults, catalogItems, records, "
        "or any list of SKUs)."
    )


def test_empty_item_list_is_an_empty_report() -> None:
    assert parse_report(raw({"items": []})) == []
