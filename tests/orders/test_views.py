"""Orders staff screens through the test client: who may see and act, the overview's figures and
charts, the purchase list's filters and a purchase's whole page."""

import json
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from html import unescape
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from catalog.models import Product, Store
from entry.models import Shopper
from orders.models import (
    AuthorisationStatus,
    PaymentAuthorisation,
    PaymentIssue,
    PaymentOperation,
    PaymentStatus,
    Promotion,
    Purchase,
    PurchaseAudit,
    PurchaseAuditAction,
    PurchaseLine,
    PurchaseLineDiscount,
    PurchaseStatus,
    Refund,
    RefundLine,
    TaxRate,
)
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

NOW = datetime(2025, 3, 10, 14, 20, tzinfo=UTC)


# --- helpers ---------------------------------------------------------------------------------
def _text(fragment: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", fragment).split())


def table_rows(html: str, table_id: str) -> list[list[str]]:
    """The text of each cell (th or td) of each body row of ``<table id=table_id>``."""
    table = re.search(rf'<table[^>]*id="{table_id}"[^>]*>.*?<tbody[^>]*>(.*?)</tbody>', html, re.S)
    assert table is not None, f"no table #{table_id}"
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", table.group(1), re.S)
    return [[_text(cell) for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)] for row in rows]


def chart_json(html: str, element_id: str) -> Any:
    found = re.search(rf'<script id="{element_id}" type="application/json">(.*?)</script>', html, re.S)
    assert found is not None, f"no chart data #{element_id}"
    return json.loads(found.group(1))


def element_text(html: str, element_id: str) -> str:
    found = re.search(rf'<(\w+)[^>]*id="{element_id}"[^>]*>(.*?)</\1>', html, re.S)
    assert found is not None, f"no #{element_id}"
    return _text(found.group(2))


def make_purchase(
    store: Store,
    *,
    at: datetime,
    status: str = PurchaseStatus.PRICED,
    total: str = "0",
    payment_status: str = PaymentStatus.PENDING,
    shopper: Shopper | None = None,
    visitor_ref: str = "",
    trip_id: str = "",
    **fields: Any,
) -> Purchase:
    """A stored purchase created at ``at`` (created_at is set after the insert: it is auto_now_add)."""
    count = Purchase.objects.count() + 1
    purchase = Purchase.objects.create(
        trip_id=trip_id or f"00000000-0000-4000-8000-{count:012d}",
        store=store,
        status=status,
        shopper=shopper,
        visitor_ref=visitor_ref or (shopper.external_id if shopper else ""),
        started_at=at - timedelta(minutes=10),
        ended_at=at,
        currency=store.currency,
        total=Decimal(total),
        request_body={"storeId": store.store_id},
        request_fingerprint="f" * 64,
        response_body={},
        payment_status=payment_status,
        **fields,
    )
    purchase.purchase_id = "" if status == PurchaseStatus.EMPTY else f"PO-{at:%Y%m%d}-{purchase.pk:08d}"
    purchase.save(update_fields=["purchase_id"])
    Purchase.objects.filter(pk=purchase.pk).update(created_at=at)
    purchase.refresh_from_db()
    return purchase


@pytest.fixture
def frozen_clock(monkeypatch: pytest.MonkeyPatch, settings: Any) -> datetime:
    """The clock stands at NOW (14:20 UTC) in UTC for the whole test."""
    settings.TIME_ZONE = "UTC"
    monkeypatch.setattr(timezone, "now", lambda: NOW)
    return NOW


@pytest.fixture
def manager_client(store_manager: User) -> Client:
    return client_for(store_manager)


@pytest.fixture
def alice(db: None) -> Shopper:
    return Shopper.objects.create(external_id="cust-alice", name="Alice Archer", email="alice@example.com")


# --- access ----------------------------------------------------------------------------------
READ_PAGES = [
    ("orders:overview", False),
    ("orders:purchase_list", False),
    ("orders:purchase_detail", True),
    ("orders:promotion_list", False),
    ("orders:tax_rate_list", False),
    ("orders:try_cart", False),
]
WRITE_PAGES = [
    ("orders:promotion_create", None),
    ("orders:promotion_update", "promotion"),
    ("orders:tax_rate_create", None),
    ("orders:tax_rate_update", "tax_rate"),
]


@pytest.fixture
def seeded(store: Store) -> dict[str, Any]:
    return {
        "purchase": make_purchase(store, at=NOW, total="1.00"),
        "promotion": Promotion.objects.create(name="Ten off", kind="percent_off", percent=Decimal("10")),
        "tax_rate": TaxRate.objects.create(store=store, tax_code="FOOD", rate=Decimal("0.05")),
    }


def _url(url_name: str, pk: int | None = None) -> str:
    return reverse(url_name, args=[pk] if pk is not None else [])


@pytest.mark.parametrize(("url_name", "needs_pk"), READ_PAGES)
def test_anonymous_is_sent_to_sign_in(client: Client, seeded: dict[str, Any], url_name: str, needs_pk: bool) -> None:
    url = _url(url_name, seeded["purchase"].pk if needs_pk else None)

    response = client.get(url)

    assert (response.status_code, response["Location"]) == (302, f"{reverse('login')}?next={url}")


@pytest.mark.parametrize(("url_name", "needs_pk"), READ_PAGES)
def test_viewer_and_store_manager_read_every_orders_screen(
    viewer_client: Client, manager_client: Client, seeded: dict[str, Any], url_name: str, needs_pk: bool
) -> None:
    url = _url(url_name, seeded["purchase"].pk if needs_pk else None)

    assert viewer_client.get(url).status_code == 200
    assert manager_client.get(url).status_code == 200


@pytest.mark.parametrize(("url_name", "object_key"), WRITE_PAGES)
def test_only_a_store_manager_opens_the_forms(
    viewer_client: Client, manager_client: Client, seeded: dict[str, Any], url_name: str, object_key: str | None
) -> None:
    url = _url(url_name, seeded[object_key].pk if object_key else None)

    assert viewer_client.get(url).status_code == 403
    assert viewer_client.post(url, {"name": "Sneaky"}).status_code == 403
    assert manager_client.get(url).status_code == 200


def test_a_viewer_cannot_deactivate_a_promotion_or_delete_a_tax_rate(
    viewer_client: Client, seeded: dict[str, Any]
) -> None:
    promotion, tax_rate = seeded["promotion"], seeded["tax_rate"]

    assert viewer_client.post(reverse("orders:promotion_deactivate", args=[promotion.pk])).status_code == 403
    assert viewer_client.post(reverse("orders:tax_rate_delete", args=[tax_rate.pk])).status_code == 403

    promotion.refresh_from_db()
    assert promotion.is_active is True
    assert TaxRate.objects.filter(pk=tax_rate.pk).exists()


def test_a_viewer_sees_no_action_links(viewer_client: Client, seeded: dict[str, Any]) -> None:
    promotions = viewer_client.get(reverse("orders:promotion_list")).content.decode()
    rates = viewer_client.get(reverse("orders:tax_rate_list")).content.decode()

    assert "New promotion" not in promotions
    assert "Deactivate" not in promotions
    assert f'href="{reverse("orders:promotion_update", args=[seeded["promotion"].pk])}"' not in promotions
    assert "New tax rate" not in rates
    assert "/delete/" not in rates


def test_the_orders_navigation_points_at_the_overview(viewer_client: Client) -> None:
    html = viewer_client.get(reverse("orders:purchase_list")).content.decode()

    assert re.search(r'<a href="/orders/"\s+aria-current="page">Orders</a>', html)
    assert re.search(r'<a href="/orders/purchases/"\s+aria-current="page">Purchases</a>', html)


def test_an_unknown_purchase_is_404(viewer_client: Client) -> None:
    assert viewer_client.get(reverse("orders:purchase_detail", args=[999])).status_code == 404


# --- overview --------------------------------------------------------------------------------
@pytest.fixture
def trading_day(store: Store, other_store: Store, alice: Shopper) -> dict[str, Purchase]:
    """Test Store (USD, UTC): today two priced purchases (4.18, 2.48), an empty cart and a bad cart;
    a priced purchase yesterday (10.00). Other Store (EUR, Berlin): 5.00 at 00:30 Berlin today
    (23:30 UTC yesterday) and a bad cart from last week. Open payment issues: one on a purchase of
    Test Store, one on a hold of Other Store; a resolved one that no longer counts."""
    other_store.time_zone = "Europe/Berlin"
    other_store.save()
    day = {
        "charged": make_purchase(store, at=NOW.replace(hour=13, minute=5), total="4.18", shopper=alice),
        "morning": make_purchase(store, at=NOW.replace(hour=9, minute=10), total="2.48"),
        "empty": make_purchase(store, at=NOW.replace(hour=12, minute=0), status=PurchaseStatus.EMPTY),
        "bad": make_purchase(store, at=NOW.replace(hour=11, minute=30), status=PurchaseStatus.BAD_CART, total="1.99"),
        "yesterday": make_purchase(store, at=datetime(2025, 3, 9, 20, 0, tzinfo=UTC), total="10.00"),
        "berlin": make_purchase(other_store, at=datetime(2025, 3, 9, 23, 30, tzinfo=UTC), total="5.00"),
        "old_bad": make_purchase(
            other_store, at=datetime(2025, 3, 1, 10, 0, tzinfo=UTC), status=PurchaseStatus.BAD_CART
        ),
    }
    hold = PaymentAuthorisation.objects.create(
        auth_event_id="11111111-1111-4111-8111-111111111111",
        store=other_store,
        shopper=alice,
        amount=Decimal("50.00"),
        currency="EUR",
        status=AuthorisationStatus.DECLINED,
    )
    PaymentIssue.objects.create(shopper=alice, purchase=day["charged"], kind="capture", outcome="declined")
    PaymentIssue.objects.create(shopper=alice, authorisation=hold, kind="authorise", outcome="declined")
    PaymentIssue.objects.create(
        shopper=alice,
        purchase=day["charged"],
        kind="authorise",
        outcome="declined",
        status=PaymentIssue.Status.RESOLVED,
    )
    return day


def test_overview_shows_today_per_store_and_what_waits_for_staff(
    frozen_clock: datetime, trading_day: dict[str, Purchase], viewer_client: Client
) -> None:
    html = viewer_client.get(reverse("orders:overview")).content.decode()

    assert table_rows(html, "order-summaries") == [
        [
            "Other Store (TEST_STORE_002) day from 2025-03-10 00:00 Europe/Berlin · tax added at checkout",
            "1",
            "5.00 EUR",
            "1",
            "1",
            "0",
        ],
        [
            "Test Store (TEST_STORE_001) day from 2025-03-10 00:00 UTC · tax added at checkout",
            "4",
            "6.66 USD",
            "1",
            "1",
            "0",
        ],
    ]


LAST_14_DAYS = [f"02-{day}" for day in range(25, 29)] + [f"03-{day:02d}" for day in range(1, 11)]
UTC_HOURS = [f"{hour % 24:02d}:00" for hour in range(15, 15 + 24)]


def _hours(values: dict[int, int]) -> list[int]:
    return [values.get(index, 0) for index in range(24)]


def test_overview_charts_all_stores_per_currency_and_status(
    frozen_clock: datetime, trading_day: dict[str, Purchase], viewer_client: Client
) -> None:
    html = viewer_client.get(reverse("orders:overview")).content.decode()

    zeros = ["0.00"] * 12
    assert chart_json(html, "sales-chart-data") == {
        "labels": LAST_14_DAYS,
        "EUR": [*zeros, "5.00", "0.00"],
        "USD": [*zeros, "10.00", "6.66"],
    }
    # slots from 15:00 yesterday: 20:00 → 5, 23:00 → 8, 09:00 → 18, 11:00 → 20, 12:00 → 21, 13:00 → 22
    assert chart_json(html, "purchases-chart-data") == {
        "labels": UTC_HOURS,
        "priced": _hours({5: 1, 8: 1, 18: 1, 22: 1}),
        "empty": _hours({21: 1}),
        "bad_cart": _hours({20: 1}),
        "written_off": _hours({}),
    }
    assert 'data-chart="line"' in html
    assert 'data-chart="stacked-bar"' in html


def test_overview_charts_one_store_on_its_own_clock(
    frozen_clock: datetime, trading_day: dict[str, Purchase], other_store: Store, viewer_client: Client
) -> None:
    html = viewer_client.get(reverse("orders:overview"), {"store": other_store.pk}).content.decode()

    # 23:30 UTC on the 9th is 00:30 on the 10th in Berlin (UTC+1 in March)
    assert chart_json(html, "sales-chart-data") == {"labels": LAST_14_DAYS, "EUR": ["0.00"] * 13 + ["5.00"]}
    purchases = chart_json(html, "purchases-chart-data")
    assert purchases["labels"] == [f"{hour % 24:02d}:00" for hour in range(16, 16 + 24)]
    assert purchases["priced"] == _hours({8: 1})
    assert purchases["bad_cart"] == _hours({})


# --- purchase list ---------------------------------------------------------------------------
def _listed(client: Client, **query: Any) -> list[str]:
    response = client.get(reverse("orders:purchase_list"), query)
    return [str(purchase) for purchase in response.context["purchases"]]


def test_purchase_list_shows_each_purchase_newest_first(
    frozen_clock: datetime, trading_day: dict[str, Purchase], viewer_client: Client
) -> None:
    html = viewer_client.get(reverse("orders:purchase_list")).content.decode()

    rows = table_rows(html, "purchase-table")
    assert element_text(html, "purchase-count") == "7 purchases match."
    first = trading_day["charged"]
    assert rows[0] == [
        "10 Mar 2025 13:05:00 UTC",
        f"PO-20250310-{first.pk:08d}",
        "TEST_STORE_001",
        "Alice Archer cust-alice",
        "0",
        "4.18 USD",
        "Priced",
        "To be charged",
    ]
    assert rows[1][1:3] == ["empty cart", "TEST_STORE_001"]
    assert [row[0] for row in rows] == [
        "10 Mar 2025 13:05:00 UTC",
        "10 Mar 2025 12:00:00 UTC",
        "10 Mar 2025 11:30:00 UTC",
        "10 Mar 2025 09:10:00 UTC",
        "10 Mar 2025 00:30:00 CET",
        "9 Mar 2025 20:00:00 UTC",
        "1 Mar 2025 11:00:00 CET",
    ]
    assert f'href="/orders/purchases/{first.pk}/"' in html


def test_purchase_list_counts_lines(frozen_clock: datetime, store: Store, viewer_client: Client) -> None:
    purchase = make_purchase(store, at=NOW, total="3.00")
    for position in range(3):
        PurchaseLine.objects.create(
            purchase=purchase,
            position=position,
            item_id=f"SKU-{position}",
            item_type="SKU",
            quantity=Decimal(1),
            unit="unit",
        )

    html = viewer_client.get(reverse("orders:purchase_list")).content.decode()

    assert table_rows(html, "purchase-table")[0][4] == "3"


def test_purchase_list_filters(
    frozen_clock: datetime, trading_day: dict[str, Purchase], other_store: Store, viewer_client: Client
) -> None:
    day = {name: str(purchase) for name, purchase in trading_day.items()}
    Purchase.objects.filter(pk=trading_day["bad"].pk).update(payment_status=PaymentStatus.ON_HOLD)

    assert _listed(viewer_client, store=other_store.pk) == [day["berlin"], day["old_bad"]]
    assert _listed(viewer_client, status="bad_cart") == [day["bad"], day["old_bad"]]
    assert _listed(viewer_client, payment_status="on_hold") == [day["bad"]]
    # Each purchase's day is its store's: 23:30 UTC on 9 March is 00:30 on 10 March in Berlin.
    assert _listed(viewer_client, date_from="2025-03-09", date_to="2025-03-09") == [day["yesterday"]]
    assert _listed(viewer_client, date_from="2025-03-10", status="priced") == [
        day["charged"],
        day["morning"],
        day["berlin"],
    ]
    assert _listed(viewer_client, store=other_store.pk, date_from="2025-03-10", date_to="2025-03-10") == [day["berlin"]]
    assert _listed(viewer_client, date_to="2025-03-08") == [day["old_bad"]]


def test_purchase_list_search_is_exact_on_purchase_trip_and_shopper_ids(
    frozen_clock: datetime, store: Store, alice: Shopper, viewer_client: Client
) -> None:
    alices = make_purchase(store, at=NOW, total="1.00", shopper=alice)
    strangers = make_purchase(
        store, at=NOW, total="2.00", visitor_ref="walk-in-77", trip_id="8e7d6c5b-4a39-4281-9f0e-d1c2b3a49586"
    )

    assert _listed(viewer_client, q=alices.purchase_id) == [str(alices)]
    assert _listed(viewer_client, q="8E7D6C5B-4A39-4281-9F0E-D1C2B3A49586") == [str(strangers)]
    assert _listed(viewer_client, q="cust-alice") == [str(alices)]
    assert _listed(viewer_client, q="walk-in-77") == [str(strangers)]
    assert _listed(viewer_client, q="walk-in") == []


def test_purchase_list_refuses_a_backwards_date_range_and_filters_nothing(
    frozen_clock: datetime, trading_day: dict[str, Purchase], viewer_client: Client
) -> None:
    response = viewer_client.get(reverse("orders:purchase_list"), {"date_from": "2025-03-10", "date_to": "2025-03-01"})

    html = response.content.decode()
    assert element_text(html, "filter-errors") == "“From” must not be after “To”."
    assert len(response.context["purchases"]) == 7


def test_purchase_list_pages_by_fifty(frozen_clock: datetime, store: Store, viewer_client: Client) -> None:
    for minute in range(51):
        make_purchase(store, at=NOW - timedelta(minutes=minute), total="1.00")

    first = viewer_client.get(reverse("orders:purchase_list"), {"status": "priced"})
    second = viewer_client.get(reverse("orders:purchase_list"), {"status": "priced", "page": "2"})

    assert len(first.context["purchases"]) == 50
    assert len(second.context["purchases"]) == 1
    assert 'href="?status=priced&page=2"' in first.content.decode()


# --- purchase detail -------------------------------------------------------------------------
@pytest.fixture
def story(frozen_clock: datetime, store: Store, alice: Shopper, store_manager: User) -> Purchase:
    """A captured, partly refunded purchase: cola 2 × 1.99 with 10 % off (−0.40), an unknown item,
    tax 5 %; a hold, its capture, a refund of one cola, a resolved issue and a staff note."""
    cola = Product.objects.create(store=store, sku="SKU-COLA", name="Cola", price=Decimal("1.99"), tax_code="FOOD")
    promotion = Promotion.objects.create(name="Cola 10% off", kind="percent_off", percent=Decimal("10"))
    hold = PaymentAuthorisation.objects.create(
        auth_event_id="9d8c7b6a-1234-4abc-8def-0123456789ab",
        store=store,
        shopper=alice,
        card_label="Visa •••• 4242",
        amount=Decimal("30.00"),
        currency="USD",
        status=AuthorisationStatus.CAPTURED,
        gateway_reference="auth_001",
    )
    purchase = make_purchase(
        store,
        at=NOW.replace(hour=13, minute=5),
        status=PurchaseStatus.BAD_CART,
        shopper=alice,
        payment_status=PaymentStatus.CAPTURED,
        trip_id="8e7d6c5b-4a39-4281-9f0e-d1c2b3a49586",
        subtotal=Decimal("3.98"),
        discount_total=Decimal("0.40"),
        tax_total=Decimal("0.18"),
        total="3.76",
        captured_total=Decimal("3.76"),
        refunded_total=Decimal("1.88"),
        authorisation=hold,
        replays=2,
        conflicts=1,
        problem="line 2 (RET-NOPE): no product with this SKU or barcode",
    )
    purchase.request_body = {"storeId": "TEST_STORE_001", "cartItems": [{"id": "SKU-COLA"}]}
    purchase.save(update_fields=["request_body"])
    line = PurchaseLine.objects.create(
        purchase=purchase,
        position=0,
        line_item_id="li-1",
        item_id="SKU-COLA",
        item_type="SKU",
        product=cola,
        sku="SKU-COLA",
        name="Cola",
        quantity=Decimal("2"),
        unit="unit",
        unit_price=Decimal("1.99"),
        gross=Decimal("3.98"),
        discount_total=Decimal("0.40"),
        net=Decimal("3.58"),
        tax_code="FOOD",
        tax_rate=Decimal("0.05"),
        tax=Decimal("0.18"),
        total=Decimal("3.76"),
    )
    PurchaseLineDiscount.objects.create(
        line=line,
        promotion=promotion,
        promotion_name="Cola 10% off",
        kind="percent_off",
        quantity=Decimal(2),
        amount=Decimal("0.40"),
    )
    PurchaseLine.objects.create(
        purchase=purchase,
        position=1,
        item_id="RET-NOPE",
        item_type="SKU",
        quantity=Decimal("0.750000"),
        unit="kg",
        is_resolved=False,
    )
    PaymentOperation.objects.create(
        kind="authorise",
        idempotency_key="auth-1",
        authorisation=hold,
        amount=Decimal("30.00"),
        currency="USD",
        outcome="approved",
        gateway_reference="auth_001",
        duration_ms=12.34,
    )
    PaymentOperation.objects.create(
        kind="capture",
        idempotency_key="capture-1",
        authorisation=hold,
        purchase=purchase,
        amount=Decimal("3.76"),
        currency="USD",
        outcome="approved",
        gateway_reference="cap_001",
        duration_ms=20.0,
    )
    refund = Refund.objects.create(
        purchase=purchase,
        amount=Decimal("1.88"),
        reason="Dented can",
        status=Refund.Status.SUCCEEDED,
        created_by=store_manager,
    )
    RefundLine.objects.create(refund=refund, line=line, quantity=Decimal(1), amount=Decimal("1.88"))
    PaymentOperation.objects.create(
        kind="refund",
        idempotency_key="refund-1",
        refund=refund,
        amount=Decimal("1.88"),
        currency="USD",
        outcome="approved",
        gateway_reference="ref_001",
        message="ok",
        duration_ms=8.0,
    )
    PaymentIssue.objects.create(
        shopper=alice,
        purchase=purchase,
        kind="capture",
        outcome="declined",
        message="Do not honour",
        status=PaymentIssue.Status.RESOLVED,
        resolution=PaymentIssue.Resolution.CHARGED,
        resolved_by=store_manager,
        resolved_at=NOW,
        note="retried",
    )
    PurchaseAudit.objects.create(purchase=purchase, user=store_manager, action="refund", detail="1.88 for a dented can")
    for row in (PaymentOperation, PaymentIssue, Refund, PurchaseAudit):
        row.objects.update(created_at=NOW)
    return purchase


def test_purchase_page_tells_the_whole_story(story: Purchase, viewer_client: Client) -> None:
    html = viewer_client.get(reverse("orders:purchase_detail", args=[story.pk])).content.decode()

    purchase_id = f"PO-20250310-{story.pk:08d}"
    assert element_text(html, "purchase-title") == purchase_id
    assert [element_text(html, key) for key in ("purchase-status", "payment-status", "purchase-total")] == [
        "Bad cart (unknown items)",
        "Charged",
        "3.76",
    ]
    assert [element_text(html, key) for key in ("purchase-replays", "purchase-conflicts")] == ["2", "1"]
    assert table_rows(html, "purchase-header") == [
        ["Purchase id", purchase_id],
        ["Trip id", "8e7d6c5b-4a39-4281-9f0e-d1c2b3a49586"],
        ["Store", "Test Store (TEST_STORE_001)"],
        ["Shopper", "Alice Archer cust-alice"],
        ["Trip", "10 Mar 2025 12:55:00 UTC – 10 Mar 2025 13:05:00 UTC"],
        ["Received", "10 Mar 2025 13:05:00 UTC"],
        ["Status", "Bad cart (unknown items)"],
        ["Payment", "Charged"],
        ["Problem", "line 2 (RET-NOPE): no product with this SKU or barcode"],
        ["Receipt", "none emailed"],
        ["Deliveries", "2 replays answered with the first answer, 1 of them with a different cart"],
    ]
    assert table_rows(html, "line-table") == [
        [
            "1",
            "SKU-COLA",
            "SKU-COLA Cola",
            "2 unit",
            "1.99",
            "3.98",
            "−0.40 Cola 10% off",
            "3.58",
            "FOOD 5 %",
            "0.18",
            "3.76",
        ],
        ["2", "RET-NOPE", "unknown", "0.75 kg", "—", "0.00", "—", "0.00", "—", "0.00", "0.00"],
    ]
    assert table_rows(html, "totals") == [
        ["Subtotal", "3.98 USD"],
        ["Discounts", "−0.40 USD"],
        ["Tax", "0.18 USD"],
        ["Total", "3.76 USD"],
        ["Captured", "3.76 USD"],
        ["Refunded", "1.88 USD"],
    ]
    assert element_text(html, "hold") == (
        "30.00 USD on Visa •••• 4242: Captured · auth_001 "
        "placed 10 Mar 2025 14:20:00 UTC for the gate's auth event 9d8c7b6a-1234-4abc-8def-0123456789ab"
    )
    assert table_rows(html, "payment-events") == [
        ["10 Mar 2025 14:20:00 UTC", "Authorise", "30.00 USD", "approved", "auth_001", "—", "12.3"],
        ["10 Mar 2025 14:20:00 UTC", "Capture", "3.76 USD", "approved", "cap_001", "—", "20.0"],
        ["10 Mar 2025 14:20:00 UTC", "Refund", "1.88 USD", "approved", "ref_001", "ok", "8.0"],
    ]
    assert table_rows(html, "refund-table") == [
        ["10 Mar 2025 14:20:00 UTC", "1.88 USD", "#1 SKU-COLA: 1.88", "Other: Dented can", "Refunded", "storemgr"]
    ]
    assert table_rows(html, "issue-table") == [
        [
            "10 Mar 2025 14:20:00 UTC",
            "Capture",
            "declined",
            "Do not honour",
            "Resolved",
            "Charged on retry by storemgr on 10 Mar 2025 14:20 UTC · retried",
        ]
    ]
    assert table_rows(html, "audit-table") == [
        ["10 Mar 2025 14:20:00 UTC", "storemgr", "Refunded", "1.88 for a dented can"]
    ]
    raw = re.search(r'<details id="raw-request">.*?<pre class="mono">(.*?)</pre>', html, re.S)
    assert raw is not None
    assert json.loads(unescape(raw.group(1))) == {
        "storeId": "TEST_STORE_001",
        "cartItems": [{"id": "SKU-COLA"}],
    }


def test_an_empty_cart_page_says_so(frozen_clock: datetime, store: Store, viewer_client: Client) -> None:
    purchase = make_purchase(store, at=NOW, status=PurchaseStatus.EMPTY, payment_status=PaymentStatus.VOIDED)

    html = viewer_client.get(reverse("orders:purchase_detail", args=[purchase.pk])).content.decode()

    assert element_text(html, "purchase-title") == "Empty cart"
    assert table_rows(html, "line-table") == [["No lines: the shopper took nothing."]]
    assert element_text(html, "hold") == "No hold was placed for this trip."
    assert table_rows(html, "payment-events") == [["No calls to the payment gateway yet."]]


AUDIT_WORDS = {
    PurchaseAuditAction.LINE_MAPPED: "Line mapped to a product",
    PurchaseAuditAction.QUANTITY_SET: "Quantity settled",
    PurchaseAuditAction.REPRICED: "Repriced",
    PurchaseAuditAction.CHARGE: "Released for charging",
    PurchaseAuditAction.SHOPPER_ASSIGNED: "Shopper changed",
    PurchaseAuditAction.WRITTEN_OFF: "Written off",
    PurchaseAuditAction.PAID_AT_COUNTER: "Paid at the counter",
    PurchaseAuditAction.RECEIPT_RESENT: "Receipt sent again",
    PurchaseAuditAction.REFUND: "Refunded",
    PurchaseAuditAction.ISSUE_RESOLVED: "Payment issue resolved",
    PurchaseAuditAction.NEW_CARD: "Charged to the newest card",
    PurchaseAuditAction.REAUTHORISED: "Re-authorised (hold expired)",
    PurchaseAuditAction.HOLD_EXPIRED_DEBT: "Became debt (hold expired)",
}


def test_every_audit_action_has_its_words() -> None:
    assert set(AUDIT_WORDS) == set(PurchaseAuditAction)


@pytest.mark.parametrize(("action", "words"), AUDIT_WORDS.items(), ids=[action.value for action in AUDIT_WORDS])
def test_the_audit_trail_reads_each_action_in_words(
    frozen_clock: datetime, store: Store, store_manager: User, viewer_client: Client, action: str, words: str
) -> None:
    purchase = make_purchase(store, at=NOW)
    PurchaseAudit.objects.create(purchase=purchase, user=store_manager, action=action, detail="why")

    html = viewer_client.get(reverse("orders:purchase_detail", args=[purchase.pk])).content.decode()

    assert table_rows(html, "audit-table") == [["10 Mar 2025 14:20:00 UTC", "storemgr", words, "why"]]


def test_an_audit_action_without_words_shows_as_stored(
    frozen_clock: datetime, store: Store, viewer_client: Client
) -> None:
    purchase = make_purchase(store, at=NOW)
    PurchaseAudit.objects.create(purchase=purchase, action="retired_action", detail="")

    html = viewer_client.get(reverse("orders:purchase_detail", args=[purchase.pk])).content.decode()

    assert table_rows(html, "audit-table") == [["10 Mar 2025 14:20:00 UTC", "system", "retired_action", "—"]]
