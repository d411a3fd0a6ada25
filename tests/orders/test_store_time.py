"""One time, the store's: a purchase at 2026-12-06 23:30 UTC in Kiritimati (UTC+14) is at 13:30 on
7 December there, and in Pago Pago (UTC-11) at 12:30 on 6 December. Lists, date filters, chart
buckets and "today" all read it so, and say which clock they used."""

import json
import re
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from catalog.models import Store
from entry.models import GateDecisionKind, GateEvent
from entry.selectors.gate import gate_charts
from orders.models import Promotion, Purchase
from orders.pricing import types
from orders.pricing.promotions import clock_read, promotion_window, window_is_open
from orders.selectors.reports import order_charts, store_order_summaries
from tests.conftest import client_for
from tests.orders.test_views import make_purchase, table_rows

pytestmark = pytest.mark.django_db

AT = datetime(2026, 12, 6, 23, 30, tzinfo=UTC)
NOW = datetime(2026, 12, 7, 0, 10, tzinfo=UTC)  # 14:10 on 7 Dec in Kiritimati, 13:10 on 6 Dec in Pago Pago


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch, settings: Any) -> datetime:
    settings.TIME_ZONE = "UTC"
    monkeypatch.setattr(timezone, "now", lambda: NOW)
    return NOW


@pytest.fixture
def kiritimati(db: None) -> Store:
    return Store.objects.create(
        store_id="KIRITIMATI", name="Kiritimati", currency="AUD", time_zone="Pacific/Kiritimati"
    )


@pytest.fixture
def pago_pago(db: None) -> Store:
    return Store.objects.create(store_id="PAGO_PAGO", name="Pago Pago", currency="USD", time_zone="Pacific/Pago_Pago")


@pytest.fixture
def purchases(kiritimati: Store, pago_pago: Store) -> dict[str, Purchase]:
    return {
        "kiritimati": make_purchase(kiritimati, at=AT, total="2630.00"),
        "pago_pago": make_purchase(pago_pago, at=AT, total="1.50"),
    }


def _listed(client: Client, **query: Any) -> list[str]:
    response = client.get(reverse("orders:purchase_list"), query)
    return [purchase.purchase_id for purchase in response.context["purchases"]]


def test_the_purchase_list_shows_each_purchase_on_its_own_store_clock_and_names_it(
    clock: datetime, purchases: dict[str, Purchase], viewer_client: Client
) -> None:
    html = viewer_client.get(reverse("orders:purchase_list")).content.decode()

    times = [row[0] for row in table_rows(html, "purchase-table")]
    assert sorted(times) == ["6 Dec 2026 12:30:00 SST", "7 Dec 2026 13:30:00 +14"]
    assert (
        '<time datetime="2026-12-07T13:30:00+14:00" title="Pacific/Kiritimati">7 Dec 2026 13:30:00 +14</time>' in html
    )
    assert '<time datetime="2026-12-06T12:30:00-11:00" title="Pacific/Pago_Pago">6 Dec 2026 12:30:00 SST</time>' in html
    assert "2,630.00 AUD" in html


def test_the_date_filter_reads_each_purchase_day_on_its_store_clock(
    clock: datetime, purchases: dict[str, Purchase], kiritimati: Store, viewer_client: Client
) -> None:
    kiritimati_id, pago_pago_id = purchases["kiritimati"].purchase_id, purchases["pago_pago"].purchase_id

    assert _listed(viewer_client, date_from="2026-12-07", date_to="2026-12-07") == [kiritimati_id]
    assert _listed(viewer_client, date_from="2026-12-06", date_to="2026-12-06") == [pago_pago_id]
    assert _listed(viewer_client, store=kiritimati.pk, date_from="2026-12-06", date_to="2026-12-06") == []
    assert _listed(viewer_client, store=kiritimati.pk, date_to="2026-12-07") == [kiritimati_id]


def test_chart_hours_and_today_counts_use_the_store_clock(
    clock: datetime, purchases: dict[str, Purchase], kiritimati: Store, pago_pago: Store
) -> None:
    charts = order_charts(store=kiritimati, now=NOW)

    assert charts.zone.key == "Pacific/Kiritimati"  # type: ignore[attr-defined]
    assert charts.purchases["labels"][-2:] == ["13:00", "14:00"]
    assert charts.purchases["priced"][-2:] == [1, 0]
    assert charts.sales["labels"][-1] == "12-07"
    assert charts.sales["AUD"][-1] == "2630.00"
    on_pago_pago = order_charts(store=pago_pago, now=NOW)
    assert on_pago_pago.purchases["labels"][-2:] == ["12:00", "13:00"]
    assert on_pago_pago.purchases["priced"][-2:] == [1, 0]
    assert on_pago_pago.sales["labels"][-1] == "12-06"

    today = {summary.store.store_id: summary for summary in store_order_summaries(now=NOW)}
    assert (today["KIRITIMATI"].purchases, str(today["KIRITIMATI"].revenue)) == (1, "2630.00")
    assert today["KIRITIMATI"].day_start.isoformat() == "2026-12-07T00:00:00+14:00"
    assert (today["PAGO_PAGO"].purchases, str(today["PAGO_PAGO"].revenue)) == (1, "1.50")
    assert today["PAGO_PAGO"].day_start.isoformat() == "2026-12-06T00:00:00-11:00"


def test_gate_chart_hours_use_the_chosen_store_clock(clock: datetime, kiritimati: Store) -> None:
    event = GateEvent.objects.create(
        store=kiritimati,
        store_ref="KIRITIMATI",
        decision=GateDecisionKind.ADMITTED,
        reason="admitted",
        latency_ms=10.0,
        status_code=200,
        response_body={},
    )
    GateEvent.objects.filter(pk=event.pk).update(created_at=AT)

    charts = gate_charts(store=kiritimati, now=NOW)

    assert charts.traffic["labels"][-2:] == ["13:00", "14:00"]
    assert charts.traffic["admitted"][-2:] == [1, 0]


def test_the_orders_overview_names_the_clock_of_its_charts(
    clock: datetime, purchases: dict[str, Purchase], kiritimati: Store, viewer_client: Client
) -> None:
    one_store = viewer_client.get(reverse("orders:overview"), {"store": kiritimati.pk}).content.decode()
    all_stores = viewer_client.get(reverse("orders:overview")).content.decode()

    assert "Days and hours in Pacific/Kiritimati." in one_store
    assert 'data-x-title="Hour (Pacific/Kiritimati)"' in one_store
    assert "Days and hours in UTC." in all_stores
    sales = json.loads(re.search(r'id="sales-chart-data"[^>]*>(.*?)</script>', one_store, re.S).group(1))  # type: ignore[union-attr]
    assert list(sales) == ["labels", "AUD"]


def test_a_promotion_window_is_read_on_each_store_clock() -> None:
    """ "From 7 December 00:00" starts at midnight in each store: already running in Kiritimati at
    23:30 UTC on 6 December (13:30 on the 7th there), not yet in Pago Pago (12:30 on the 6th)."""
    promotion = types.Promotion(
        id=1,
        name="10% off",
        kind=types.PromotionKind.PERCENT_OFF,
        percent=Decimal("10"),
        starts_at=datetime(2026, 12, 7, 0, 0, tzinfo=UTC),
        ends_at=datetime(2026, 12, 8, 0, 0, tzinfo=UTC),
    )

    def runs(zone: str) -> bool:
        return window_is_open(promotion_window(promotion), "S", clock_read(AT.astimezone(ZoneInfo(zone))))

    assert (runs("Pacific/Kiritimati"), runs("Pacific/Pago_Pago"), runs("UTC")) == (True, False, False)


def test_the_promotion_form_and_list_keep_the_dates_as_typed(
    settings: Any, kiritimati: Store, store_manager: User
) -> None:
    settings.TIME_ZONE = "America/New_York"  # the site's zone plays no part
    client = client_for(store_manager)
    data = {
        "name": "December",
        "kind": "percent_off",
        "is_active": "on",
        "stores": [kiritimati.pk],
        "percent": "10",
        "starts_at": "2026-12-07T00:00",
        "ends_at": "2026-12-08T00:00",
        "priority": "0",
    }

    response = client.post(reverse("orders:promotion_create"), data)

    assert response.status_code == 302
    promotion = Promotion.objects.get()
    assert (promotion.starts_at, promotion.ends_at) == (
        datetime(2026, 12, 7, tzinfo=UTC),
        datetime(2026, 12, 8, tzinfo=UTC),
    )
    listed = client.get(reverse("orders:promotion_list")).content.decode()
    assert "from 2026-12-07 00:00 · until 2026-12-08 00:00" in listed
    assert "Dates, days and times of day are all on each store's clock." in listed
    edit = client.get(reverse("orders:promotion_update", args=[promotion.pk])).content.decode()
    assert 'name="starts_at" value="2026-12-07T00:00"' in edit
