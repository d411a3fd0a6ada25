"""Finance exports read back: exact rows, the purchase list's filters, only the user's stores,
formula-like text neutralised, CSV streamed and XLSX a real workbook."""

import csv
import io
from datetime import UTC, datetime
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.http import StreamingHttpResponse
from django.test import Client
from openpyxl import load_workbook

from catalog.models import Store
from catalog.services.staff_stores import staff_stores_set
from orders.resources import PurchaseLineResource
from tests.conftest import client_for
from tests.orders.settlement_world import World, settlement_world

pytestmark = pytest.mark.django_db


def UTC_NAIVE(*parts: int) -> datetime:  # noqa: N802 - reads as the datetime it builds
    """A UTC time as XLSX cells hold it (openpyxl keeps no zone)."""
    return datetime(*parts, tzinfo=UTC).replace(tzinfo=None)  # type: ignore[arg-type, misc]


DAY_QUERY = "date_from=2026-12-07&date_to=2026-12-07"


@pytest.fixture
def world(other_store: Store) -> World:
    return settlement_world(other_store)


@pytest.fixture
def kiritimati_client(world: World, viewer: User) -> Client:
    staff_stores_set(user=viewer, all_stores=False, stores=[world.store])
    return client_for(viewer)


def _csv(response: Any) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode()
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body[1:])))


def _xlsx(response: object) -> list[list[object]]:
    body = b"".join(response.streaming_content)  # type: ignore[attr-defined]
    sheet = load_workbook(io.BytesIO(body), read_only=True).active
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def test_the_lines_of_a_store_day_export_as_csv_streamed_with_exact_rows(
    world: World, kiritimati_client: Client
) -> None:
    response = kiritimati_client.get(f"/orders/exports/lines.csv?store={world.store.pk}&{DAY_QUERY}")

    assert response.status_code == 200
    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="lines-')
    rows = _csv(response)
    assert rows[0] == [
        "purchase_id", "store_id", "created_at", "position", "sku", "name", "quantity", "unit", "priced_quantity",
        "priced_unit", "unit_price", "gross", "discount_total", "net", "tax_rate", "tax", "total", "currency",
    ]  # fmt: skip
    formula = '\'=HYPERLINK("http://example.com","x")'
    assert rows[1:] == [
        ["PO-KIRITIMATI-P1", "KIRITIMATI", "2026-12-06T23:30:00Z", "1", "COLA", "Cola", "2.000000", "unit",
         "2.000000", "unit", "2.500", "5.000", "1.000", "4.000", "0.100000", "0.400", "4.400", "AUD"],
        ["PO-KIRITIMATI-P1", "KIRITIMATI", "2026-12-06T23:30:00Z", "2", "BREAD", formula, "1.000000", "unit",
         "1.000000", "unit", "3.000", "3.000", "0.000", "3.000", "0.050000", "0.150", "3.150", "AUD"],
        ["PO-KIRITIMATI-P2", "KIRITIMATI", "2026-12-07T01:00:00Z", "1", "COLA", "Cola", "4.000000", "unit",
         "4.000000", "unit", "2.500", "10.000", "2.000", "8.000", "0.100000", "0.800", "8.800", "AUD"],
        ["PO-KIRITIMATI-P3", "KIRITIMATI", "2026-12-07T02:00:00Z", "1", "BREAD", formula, "2.000000", "unit",
         "2.000000", "unit", "3.000", "6.000", "0.000", "6.000", "0.050000", "0.300", "6.300", "AUD"],
    ]  # fmt: skip


def test_purchases_export_as_xlsx_with_the_filters_applied(world: World, kiritimati_client: Client) -> None:
    response = kiritimati_client.get(f"/orders/exports/purchases.xlsx?{DAY_QUERY}&payment_status=pending")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    rows = _xlsx(response)
    assert rows[0][:6] == ["id", "purchase_id", "trip_id", "store_id", "created_at", "status"]
    p2 = world.purchases["P2"]
    assert rows[1:] == [
        [p2.pk, "PO-KIRITIMATI-P2", "trip-p2-kiritimati", "KIRITIMATI", UTC_NAIVE(2026, 12, 7, 1, 0), "priced",
         "pending", None, "AUD", 10, 2, 0.8, 8.8, 0, 0],
    ]  # fmt: skip


def test_without_a_store_filter_only_the_users_stores_real_rows_are_exported(
    world: World, kiritimati_client: Client
) -> None:
    purchases = _csv(kiritimati_client.get("/orders/exports/purchases.csv"))
    payments = _csv(kiritimati_client.get("/orders/exports/payments.csv"))
    refunds = _csv(kiritimati_client.get("/orders/exports/refunds.csv"))

    assert [row[1] for row in purchases[1:]] == [
        "PO-KIRITIMATI-P1",
        "PO-KIRITIMATI-P2",
        "PO-KIRITIMATI-P3",
        "",
        "PO-KIRITIMATI-P5",
    ]
    assert [(row[2], row[4], row[5], row[7]) for row in payments[1:]] == [
        ("PO-KIRITIMATI-P1", "capture", "7.550", "approved"),
        ("PO-KIRITIMATI-P1", "refund", "3.150", "approved"),
    ]
    formula = '\'=HYPERLINK("http://example.com","x")'
    assert [row[2:] for row in refunds[1:]] == [
        ["PO-KIRITIMATI-P1", "KIRITIMATI", "3.150", "AUD", "other", formula, "succeeded", ""],
        ["PO-KIRITIMATI-P1", "KIRITIMATI", "1.000", "AUD", "other", "declined", "failed", ""],
    ]


def test_another_stores_filter_answers_404(world: World, kiritimati_client: Client) -> None:
    response = kiritimati_client.get(f"/orders/exports/purchases.csv?store={world.other.pk}")

    assert response.status_code == 404


def test_an_unknown_export_or_format_answers_404(world: World, kiritimati_client: Client) -> None:
    assert kiritimati_client.get("/orders/exports/shoppers.csv").status_code == 404
    assert kiritimati_client.get("/orders/exports/purchases.pdf").status_code == 404


def test_the_settlement_days_export_has_one_row_per_day_and_currency(world: World, kiritimati_client: Client) -> None:
    csv_rows = _csv(
        kiritimati_client.get(
            f"/orders/exports/settlement-days.csv?store={world.store.pk}&date_from=2026-12-06&date_to=2026-12-08"
        )
    )
    xlsx_rows = _xlsx(
        kiritimati_client.get(
            f"/orders/exports/settlement-days.xlsx?store={world.store.pk}&date_from=2026-12-07&date_to=2026-12-07"
        )
    )

    assert csv_rows == [
        ["store_id", "day", "currency", "trips", "purchases", "purchases_priced", "gross", "promotions", "tax",
         "total", "refunds", "captured", "paid_at_counter", "outstanding", "written_off", "tax_by_rate"],
        ["KIRITIMATI", "2026-12-06", "AUD", "1", "1", "1", "100.00", "0.00", "0.00", "100.00", "0.00", "100.00",
         "0.00", "0.00", "0.00", "0:0.00"],
        ["KIRITIMATI", "2026-12-07", "AUD", "4", "4", "3", "24.00", "3.00", "1.65", "22.65", "3.15", "7.55",
         "0.00", "8.80", "6.30", "0.05:0.45 | 0.1:1.20"],
        ["KIRITIMATI", "2026-12-08", "AUD", "0", "0", "0", "0.00", "0.00", "0.00", "0.00", "0.00", "0.00", "0.00",
         "0.00", "0.00", ""],
    ]  # fmt: skip
    assert xlsx_rows[1][:4] == ["KIRITIMATI", UTC_NAIVE(2026, 12, 7), "AUD", 4]
    assert xlsx_rows[1][6:8] == [24, 3]


def test_the_line_resource_neutralises_formula_like_text_in_its_own_export(world: World) -> None:
    dataset = PurchaseLineResource().export(queryset=world.purchases["P3"].lines.all())

    assert dataset.dict[0]["name"] == '\'=HYPERLINK("http://example.com","x")'


def test_the_purchase_list_offers_its_filtered_rows_for_export(world: World, kiritimati_client: Client) -> None:
    html = kiritimati_client.get(f"/orders/purchases/?store={world.store.pk}&status=priced").content.decode()

    query = f"store={world.store.pk}&amp;status=priced"
    for kind in ("purchases", "lines", "payments", "refunds"):
        assert f'href="/orders/exports/{kind}.csv?{query}"' in html
        assert f'href="/orders/exports/{kind}.xlsx?{query}"' in html
