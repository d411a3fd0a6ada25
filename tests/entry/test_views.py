"""Entry staff screens through the test client: the overview with gate defaults and charts, the live
gate log and its filters, shoppers and the actions on them, per role."""

import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.contrib.messages import get_messages
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from catalog.models import Store
from entry.models import (
    GateDecisionKind,
    GateDefault,
    GateEvent,
    GateReason,
    ScanKey,
    Shopper,
    ShopperStatus,
    ShopperStatusChange,
    StoreGate,
    VisitorType,
)
from entry.services.shoppers import payment_method_add, scan_key_issue
from tests.conftest import client_for
from tests.entry.conftest import make_shopper
from tests.entry.helpers import NOW, UTC_LABELS, gate_event, series

pytestmark = pytest.mark.django_db


# --- helpers ---------------------------------------------------------------------------------
def _text(fragment: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", fragment).split())


def _cells(body: str) -> list[list[str]]:
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)
    return [[_text(cell) for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)] for row in rows]


def tbody_rows(html: str, tbody_id: str) -> list[list[str]]:
    """The text of each cell of each row in ``<tbody id=tbody_id>``."""
    body = re.search(rf'<tbody id="{tbody_id}"[^>]*>(.*?)</tbody>', html, re.S)
    assert body is not None, f"no tbody #{tbody_id}"
    return _cells(body.group(1))


def table_rows(html: str, table_id: str) -> list[list[str]]:
    """The text of each cell of each body row of ``<table id=table_id>``."""
    table = re.search(rf'<table[^>]*id="{table_id}"[^>]*>.*?<tbody[^>]*>(.*?)</tbody>', html, re.S)
    assert table is not None, f"no table #{table_id}"
    return _cells(table.group(1))


def event_ids(html: str) -> list[int]:
    return [int(pk) for pk in re.findall(r'<tr data-event="(\d+)">', html)]


def chart_json(html: str, element_id: str) -> Any:
    found = re.search(rf'<script id="{element_id}" type="application/json">(.*?)</script>', html, re.S)
    assert found is not None, f"no chart data #{element_id}"
    return json.loads(found.group(1))


def flash(response: Any) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


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
    return make_shopper("cust-alice")


# --- access ----------------------------------------------------------------------------------
ENTRY_PAGES = ["entry:overview", "entry:gate_log", "entry:gate_log_rows", "entry:shopper_list"]


@pytest.mark.parametrize("url_name", ENTRY_PAGES)
def test_anonymous_is_sent_to_sign_in(client: Client, url_name: str) -> None:
    response = client.get(reverse(url_name))

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={reverse(url_name)}"


@pytest.mark.parametrize("url_name", ENTRY_PAGES)
def test_every_role_may_read_entry_screens(viewer_client: Client, manager_client: Client, url_name: str) -> None:
    assert viewer_client.get(reverse(url_name)).status_code == 200
    assert manager_client.get(reverse(url_name)).status_code == 200


# --- overview --------------------------------------------------------------------------------
def test_overview_shows_each_store_default_and_today_counts_read_only_to_a_viewer(
    frozen_clock: datetime, viewer_client: Client, store: Store, other_store: Store
) -> None:
    # given: the other store (New York) opens by default; three calls today at the test store, one yesterday
    StoreGate.objects.create(store=other_store, default_decision=GateDefault.OPEN)
    other_store.time_zone = "America/New_York"
    other_store.save()
    gate_event(at=NOW - timedelta(hours=1), store=store)
    gate_event(at=NOW - timedelta(hours=1), store=store, decision=GateDecisionKind.REFUSED)
    gate_event(at=NOW - timedelta(hours=2), store=store, decision=GateDecisionKind.STORE_DEFAULT)
    gate_event(at=NOW - timedelta(hours=15), store=store)

    # when
    response = viewer_client.get(reverse("entry:overview"))

    # then
    html = response.content.decode()
    assert table_rows(html, "gate-defaults") == [
        [
            "Other Store (TEST_STORE_002) day from 2025-03-10 00:00 America/New_York",
            "Open (let the shopper in)",
            "0",
            "0",
            "0",
        ],
        ["Test Store (TEST_STORE_001) day from 2025-03-10 00:00 UTC", "Closed (keep the gate shut)", "1", "1", "1"],
    ]
    assert 'action="/entry/stores/' not in html
    assert 'name="default_gate_decision"' not in html


def test_store_manager_sees_a_form_per_store_with_the_current_default(
    manager_client: Client, store: Store, other_store: Store
) -> None:
    StoreGate.objects.create(store=other_store, default_decision=GateDefault.OPEN)

    html = manager_client.get(reverse("entry:overview")).content.decode()

    assert re.findall(r'action="(/entry/stores/\d+/gate-default/)"', html) == [
        f"/entry/stores/{other_store.pk}/gate-default/",
        f"/entry/stores/{store.pk}/gate-default/",
    ]
    assert re.findall(r'<option value="(\w+)"\s+selected>', html) == ["OPEN", "CLOSED"]


def test_changing_a_store_default_asks_first(manager_client: Client, store: Store) -> None:
    html = manager_client.get(reverse("entry:overview")).content.decode()

    assert re.findall(r'<form method="post"[^>]*class="gate-default"\s+data-confirm="([^"]*)">', html) == [
        f"Set the gate default of {store} to {{choice}}? "
        "Whenever our identity connector cannot decide in time, the gate does this."
    ]
    assert '<script src="/static/js/confirm.js" defer></script>' in html


def test_store_manager_changes_a_store_default(manager_client: Client, store: Store) -> None:
    response = manager_client.post(
        reverse("entry:gate_default", args=[store.pk]), {"default_gate_decision": GateDefault.OPEN}
    )

    assert (response.status_code, response["Location"]) == (302, reverse("entry:overview"))
    assert flash(response) == [
        "Test Store (TEST_STORE_001): when the connector answers 500, Open (let the shopper in)."
    ]
    assert StoreGate.objects.get(store=store).default_decision == GateDefault.OPEN


def test_an_unknown_default_is_refused(manager_client: Client, store: Store) -> None:
    response = manager_client.post(reverse("entry:gate_default", args=[store.pk]), {"default_gate_decision": "AJAR"})

    assert flash(response) == ["Choose Open or Closed for Test Store (TEST_STORE_001)."]
    assert not StoreGate.objects.filter(store=store).exists()  # still the default: closed


@pytest.mark.parametrize("role_fixture", ["viewer", "catalog_manager"])
def test_only_store_managers_change_a_default(request: pytest.FixtureRequest, role_fixture: str, store: Store) -> None:
    user: User = request.getfixturevalue(role_fixture)

    response = client_for(user).post(
        reverse("entry:gate_default", args=[store.pk]), {"default_gate_decision": GateDefault.OPEN}
    )

    assert response.status_code == 403
    assert not StoreGate.objects.filter(store=store).exists()  # still the default: closed


def _chart_events(store: Store, other_store: Store) -> None:
    for latency, decision in [
        (10.0, GateDecisionKind.ADMITTED),
        (20.0, GateDecisionKind.ADMITTED),
        (30.0, GateDecisionKind.REFUSED),
        (40.0, GateDecisionKind.STORE_DEFAULT),
    ]:
        gate_event(at=NOW.replace(minute=1), store=store, decision=decision, latency_ms=latency)
    gate_event(at=datetime(2025, 3, 10, 3, 30, tzinfo=UTC), store=other_store, latency_ms=4.0)
    gate_event(at=datetime(2025, 3, 10, 3, 45, tzinfo=UTC), store=other_store, latency_ms=2.0)
    gate_event(at=datetime(2025, 3, 9, 14, 59, tzinfo=UTC), store=store, latency_ms=500.0)  # before the 24 h


def test_overview_charts_carry_exact_hourly_data(
    frozen_clock: datetime, viewer_client: Client, store: Store, other_store: Store
) -> None:
    _chart_events(store, other_store)

    html = viewer_client.get(reverse("entry:overview")).content.decode()

    assert chart_json(html, "gate-traffic-chart-data") == {
        "labels": UTC_LABELS,
        "admitted": series({12: 2, 23: 2}),
        "refused": series({23: 1}),
        "store_default": series({23: 1}),
    }
    assert chart_json(html, "gate-latency-chart-data") == {
        "labels": UTC_LABELS,
        "p50": series({12: 3.0, 23: 25.0}, empty=None),
        "p95": series({12: 3.9, 23: 38.5}, empty=None),
    }
    assert 'data-entry-chart="stacked-bar"' in html
    assert 'data-entry-chart="lines"' in html


def test_overview_charts_one_store(
    frozen_clock: datetime, viewer_client: Client, store: Store, other_store: Store
) -> None:
    _chart_events(store, other_store)

    html = viewer_client.get(reverse("entry:overview"), {"store": other_store.pk}).content.decode()

    assert chart_json(html, "gate-traffic-chart-data") == {
        "labels": UTC_LABELS,
        "admitted": series({12: 2}),
        "refused": series({}),
        "store_default": series({}),
    }
    assert chart_json(html, "gate-latency-chart-data")["p95"] == series({12: 3.9}, empty=None)


# --- gate log --------------------------------------------------------------------------------
@pytest.fixture
def logged(store: Store, other_store: Store) -> dict[str, GateEvent]:
    alice = make_shopper("cust-alice")
    bob = make_shopper("staff-bob", visitor_type=VisitorType.ASSOCIATE)
    return {
        "admitted": gate_event(at=datetime(2025, 3, 10, 14, 19, tzinfo=UTC), store=store, shopper=alice),
        "blocked": gate_event(
            at=datetime(2025, 3, 10, 14, 18, tzinfo=UTC),
            store=store,
            shopper=bob,
            decision=GateDecisionKind.REFUSED,
            reason=GateReason.BLOCKED,
            detail="Shopper staff-bob is blocked",
            latency_ms=12.345,
            replays=2,
            key_fingerprint="ab12cd34ef56ab78",
            response_body={"visitorDetails": "MUST-NOT-SHOW"},
        ),
        "timeout": gate_event(
            at=datetime(2025, 3, 10, 12, 20, tzinfo=UTC),
            store=other_store,
            shopper=alice,
            decision=GateDecisionKind.STORE_DEFAULT,
            reason=GateReason.TIMEOUT,
        ),
        "unknown_store": gate_event(
            at=datetime(2025, 3, 9, 14, 20, tzinfo=UTC),
            decision=GateDecisionKind.REFUSED,
            reason=GateReason.UNKNOWN_STORE,
            store_ref="NOT_A_STORE",
        ),
    }


def test_gate_log_shows_each_call_newest_first_and_never_a_key(
    viewer_client: Client, logged: dict[str, GateEvent]
) -> None:
    bob = logged["blocked"].shopper
    assert bob is not None

    html = viewer_client.get(reverse("entry:gate_log")).content.decode()

    assert tbody_rows(html, "gate-log-rows") == [
        [
            "10 Mar 2025 14:19:00 UTC",
            "TEST_STORE_001",
            "Admitted",
            "Admitted",
            "",
            "Shopper cust-alice",
            "Shopper",
            "10.0",
            "200",
            "0",
            "—",
        ],
        [
            "10 Mar 2025 14:18:00 UTC",
            "TEST_STORE_001",
            "Refused",
            "Shopper blocked",
            "Shopper staff-bob is blocked",
            "Shopper staff-bob",
            "Associate",
            "12.3",
            "403",
            "2",
            "ab12cd34ef56ab78",
        ],
        [
            "10 Mar 2025 12:20:00 UTC",
            "TEST_STORE_002",
            "Store default (500)",
            "Could not decide in time",
            "",
            "Shopper cust-alice",
            "Shopper",
            "10.0",
            "500",
            "0",
            "—",
        ],
        ["9 Mar 2025 14:20:00 UTC", "NOT_A_STORE", "Refused", "Unknown store", "", "—", "—", "10.0", "403", "0", "—"],
    ]
    assert f'<a href="/entry/shoppers/{bob.pk}/">Shopper staff-bob</a>' in html
    assert "MUST-NOT-SHOW" not in html
    assert "4 calls match." in html


GATE_LOG_FILTERS = [
    ({}, ["admitted", "blocked", "timeout", "unknown_store"]),
    ({"store": "other"}, ["timeout"]),
    ({"decision": "refused"}, ["blocked", "unknown_store"]),
    ({"reason": "timeout"}, ["timeout"]),
    ({"visitor_type": "ASSOCIATE"}, ["blocked"]),
    ({"since": "2025-03-10T12:20"}, ["admitted", "blocked", "timeout"]),
    ({"until": "2025-03-10T14:18"}, ["blocked", "timeout", "unknown_store"]),
    ({"since": "2025-03-10T12:00", "until": "2025-03-10T14:00"}, ["timeout"]),
    ({"decision": "refused", "store": "test"}, ["blocked"]),
    ({"visitor_type": "CASH_SHOPPER"}, []),
]


def _query(filters: dict[str, str], store: Store, other_store: Store) -> dict[str, Any]:
    stores = {"test": store.pk, "other": other_store.pk}
    return {key: stores[value] if key == "store" else value for key, value in filters.items()}


@pytest.mark.parametrize(("filters", "expected"), GATE_LOG_FILTERS)
def test_gate_log_filters_narrow_exactly(
    viewer_client: Client,
    logged: dict[str, GateEvent],
    store: Store,
    other_store: Store,
    filters: dict[str, str],
    expected: list[str],
) -> None:
    names = {event.pk: name for name, event in logged.items()}

    response = viewer_client.get(reverse("entry:gate_log"), _query(filters, store, other_store))

    assert [names[pk] for pk in event_ids(response.content.decode())] == expected


@pytest.mark.parametrize(("filters", "expected"), GATE_LOG_FILTERS)
def test_live_rows_keep_the_filters(
    viewer_client: Client,
    logged: dict[str, GateEvent],
    store: Store,
    other_store: Store,
    filters: dict[str, str],
    expected: list[str],
) -> None:
    names = {event.pk: name for name, event in logged.items()}
    query = _query(filters, store, other_store)

    page = viewer_client.get(reverse("entry:gate_log"), query).content.decode()
    rows = viewer_client.get(reverse("entry:gate_log_rows"), query).content.decode()

    poll = re.search(r'<tbody id="gate-log-rows"\s+hx-get="([^"]*)" hx-trigger="every 2s" hx-swap="outerHTML">', page)
    assert poll is not None
    assert rows.startswith(poll.group(0))  # the same element, so htmx keeps polling with the same query
    assert "<html" not in rows
    assert [names[pk] for pk in event_ids(rows)] == expected


def test_gate_log_polls_with_the_same_filters(viewer_client: Client, logged: dict[str, GateEvent]) -> None:
    rows = viewer_client.get(reverse("entry:gate_log_rows"), {"decision": "refused", "reason": ""}).content.decode()

    assert re.findall(r'hx-get="([^"]*)"', rows) == ["/entry/gate-log/rows/?decision=refused&amp;reason="]


def test_polling_rows_never_count_the_log(viewer_client: Client, logged: dict[str, GateEvent]) -> None:
    with CaptureQueriesContext(connection) as queries:
        response = viewer_client.get(
            reverse("entry:gate_log_rows"), {"decision": "refused"}, headers={"HX-Request": "true"}
        )

    assert len(event_ids(response.content.decode())) == 2
    assert [query["sql"] for query in queries if "COUNT(" in query["sql"].upper()] == []


def test_a_signed_out_poll_reloads_the_page(client: Client) -> None:
    polled = client.get(reverse("entry:gate_log_rows"), headers={"HX-Request": "true"})
    without_permission = Client()
    without_permission.force_login(User.objects.create_user("nobody"))
    refused = without_permission.get(reverse("entry:gate_log_rows"), headers={"HX-Request": "true"})

    assert (polled.status_code, polled["HX-Refresh"], polled.content) == (200, "true", b"")
    assert (refused.status_code, refused["HX-Refresh"], refused.content) == (200, "true", b"")
    assert without_permission.get(reverse("entry:gate_log_rows")).status_code == 403


def test_an_inverted_time_range_is_reported(viewer_client: Client, logged: dict[str, GateEvent]) -> None:
    html = viewer_client.get(
        reverse("entry:gate_log"), {"since": "2025-03-10T14:00", "until": "2025-03-10T12:00"}
    ).content.decode()

    assert "“From” must not be after “To”." in html


def test_gate_log_pages_by_fifty_and_pauses_live_refresh_after_page_one(viewer_client: Client, store: Store) -> None:
    for minute in range(51):
        gate_event(at=NOW - timedelta(minutes=minute), store=store)

    first = viewer_client.get(reverse("entry:gate_log")).content.decode()
    second = viewer_client.get(reverse("entry:gate_log"), {"page": 2}).content.decode()

    newest_first = list(GateEvent.objects.order_by("-created_at").values_list("pk", flat=True))
    assert event_ids(first) == newest_first[:50]
    assert event_ids(second) == newest_first[50:]
    assert 'hx-trigger="every 2s"' in first
    assert "hx-get" not in second
    assert "Live refresh is paused on page 2" in second


# --- shoppers --------------------------------------------------------------------------------
@pytest.fixture
def shoppers(db: None) -> dict[str, Shopper]:
    alice = make_shopper("cust-alice")
    ann = make_shopper("cust-ann")
    ann.name, ann.email = "Ann Lee", "lee@example.org"
    ann.save()
    bob = make_shopper("staff-bob", visitor_type=VisitorType.ASSOCIATE)
    bob.status, bob.status_reason = ShopperStatus.BLOCKED, "left the company"
    bob.save()
    return {"alice": alice, "ann": ann, "bob": bob}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({}, ["Ann Lee", "Shopper cust-alice", "Shopper staff-bob"]),
        ({"q": "lee"}, ["Ann Lee"]),
        ({"q": "EXAMPLE.ORG"}, ["Ann Lee"]),
        ({"q": "cust-"}, ["Ann Lee", "Shopper cust-alice"]),
        ({"status": "blocked"}, ["Shopper staff-bob"]),
        ({"visitor_type": "SHOPPER"}, ["Ann Lee", "Shopper cust-alice"]),
        ({"q": "staff", "status": "active"}, []),
    ],
)
def test_shopper_list_searches_and_filters(
    viewer_client: Client, shoppers: dict[str, Shopper], query: dict[str, str], expected: list[str]
) -> None:
    html = viewer_client.get(reverse("entry:shopper_list"), query).content.decode()

    rows = table_rows(html, "shopper-table")
    assert [row[0] for row in rows] == (expected or ["No shoppers match."])


def test_shopper_list_row(viewer_client: Client, shoppers: dict[str, Shopper]) -> None:
    html = viewer_client.get(reverse("entry:shopper_list"), {"status": "blocked"}).content.decode()

    assert table_rows(html, "shopper-table") == [
        [
            "Shopper staff-bob",
            "staff-bob@example.com",
            "staff-bob",
            "Associate",
            "Blocked left the company",
            timezone.localdate(shoppers["bob"].created_at).isoformat(),
        ]
    ]
    assert f'<a href="/entry/shoppers/{shoppers["bob"].pk}/">Shopper staff-bob</a>' in html


def test_shopper_detail_shows_cards_codes_and_last_twenty_events(
    frozen_clock: datetime, viewer_client: Client, alice: Shopper, store: Store
) -> None:
    # given: two live codes, then an expired card that became the default, and 21 gate events
    codes = [scan_key_issue(shopper=alice) for _ in range(2)]
    payment_method_add(
        shopper=alice, provider_reference="pm_old", expiry_month=1, expiry_year=2025, brand="Mastercard", last4="5555"
    )
    events = [gate_event(at=NOW - timedelta(minutes=minute), store=store, shopper=alice) for minute in range(21)]

    # when
    response = viewer_client.get(reverse("entry:shopper_detail", args=[alice.pk]))

    # then
    html = response.content.decode()
    assert table_rows(html, "card-table") == [
        ["Mastercard", "5555", "01/2025", "Expired Default"],
        ["Visa", "4242", "12/2099", ""],
    ]
    shown = table_rows(html, "shopper-events")
    assert len(shown) == 20
    assert shown[0] == ["10 Mar 2025 14:20:00 UTC", "TEST_STORE_001", "Admitted", "Admitted", "", "Shopper", "10.0"]
    assert shown[-1][0] == f"{events[19].created_at:%-d %b %Y %H:%M:%S} UTC"
    assert re.search(r'<strong id="active-codes">2</strong>', html)
    assert re.search(r'id="shopper-status">Active</span>', html)
    tokens = ScanKey.objects.filter(shopper=alice).values_list("token", flat=True)
    assert all(token not in html for token in tokens)
    assert all(code.code not in html for code in codes)


def test_viewer_sees_no_actions(viewer_client: Client, alice: Shopper) -> None:
    html = viewer_client.get(reverse("entry:shopper_detail", args=[alice.pk])).content.decode()

    assert 'id="shopper-actions"' not in html
    assert f'action="/entry/shoppers/{alice.pk}/' not in html


def test_store_manager_sees_the_actions_that_apply(manager_client: Client, shoppers: dict[str, Shopper]) -> None:
    active = manager_client.get(reverse("entry:shopper_detail", args=[shoppers["alice"].pk])).content.decode()
    blocked = manager_client.get(reverse("entry:shopper_detail", args=[shoppers["bob"].pk])).content.decode()

    assert re.findall(r'<form method="post"[^>]*id="(\w+-form)"', active) == [
        "flag-form",
        "block-form",
        "revoke-form",
        "type-form",
    ]
    assert re.findall(r'<form method="post"[^>]*id="(\w+-form)"', blocked) == [
        "flag-form",
        "reinstate-form",
        "revoke-form",
        "type-form",
    ]
    assert re.search(r'id="reinstate-shopper">\s*Unblock\s*</button>', blocked)
    assert "Reason: left the company" in blocked


def test_blocking_a_shopper_asks_first_and_flagging_does_not(manager_client: Client, alice: Shopper) -> None:
    html = manager_client.get(reverse("entry:shopper_detail", args=[alice.pk])).content.decode()

    assert re.findall(r'<form method="post"[^>]*id="(\w+-form)"\s+data-confirm="([^"]*)">', html) == [
        (
            "block-form",
            "Block Shopper cust-alice? Their codes are revoked and the gate refuses them until someone unblocks them.",
        )
    ]
    assert '<script src="/static/js/confirm.js" defer></script>' in html


def test_store_manager_flags_with_a_reason(manager_client: Client, alice: Shopper) -> None:
    response = manager_client.post(
        reverse("entry:shopper_status", args=[alice.pk]), {"status": "flagged", "reason": " chargeback review "}
    )

    assert (response.status_code, response["Location"]) == (302, reverse("entry:shopper_detail", args=[alice.pk]))
    assert flash(response) == ["Shopper cust-alice flagged: chargeback review."]
    alice.refresh_from_db()
    assert (alice.status, alice.status_reason) == (ShopperStatus.FLAGGED, "chargeback review")


@pytest.mark.parametrize("status", ["flagged", "blocked"])
def test_flag_and_block_need_a_reason(manager_client: Client, alice: Shopper, status: str) -> None:
    scan_key_issue(shopper=alice)

    response = manager_client.post(reverse("entry:shopper_status", args=[alice.pk]), {"status": status, "reason": " "})

    assert flash(response) == ["Say why the shopper is flagged or blocked."]
    alice.refresh_from_db()
    assert (alice.status, alice.status_reason) == (ShopperStatus.ACTIVE, "")
    assert ScanKey.objects.filter(shopper=alice, revoked_at__isnull=True).count() == 1


def test_store_manager_blocks_and_the_codes_are_revoked(manager_client: Client, alice: Shopper) -> None:
    for _ in range(2):
        scan_key_issue(shopper=alice)

    response = manager_client.post(
        reverse("entry:shopper_status", args=[alice.pk]), {"status": "blocked", "reason": "card fraud"}
    )

    assert flash(response) == ["Shopper cust-alice blocked: card fraud. Their codes no longer open the gate."]
    alice.refresh_from_db()
    assert (alice.status, alice.status_reason) == (ShopperStatus.BLOCKED, "card fraud")
    assert ScanKey.objects.filter(shopper=alice, revoked_at__isnull=True).count() == 0
    assert ScanKey.objects.filter(shopper=alice).count() == 2


def test_store_manager_unblocks_saying_why_and_the_shoppers_page_keeps_it(
    manager_client: Client, shoppers: dict[str, Shopper], store_manager: User
) -> None:
    bob = shoppers["bob"]

    response = manager_client.post(
        reverse("entry:shopper_status", args=[bob.pk]), {"status": "active", "reason": " Rehired in March "}
    )

    assert flash(response) == ["Shopper staff-bob reinstated."]
    bob.refresh_from_db()
    assert (bob.status, bob.status_reason) == (ShopperStatus.ACTIVE, "")
    assert list(
        ShopperStatusChange.objects.filter(shopper=bob).values_list("previous_status", "status", "note", "changed_by")
    ) == [("blocked", "active", "Rehired in March", store_manager.pk)]
    page = manager_client.get(reverse("entry:shopper_detail", args=[bob.pk])).content.decode()
    history = re.search(r'<table class="dense striped" id="status-history">.*?</table>', page, flags=re.DOTALL)
    assert history is not None
    rows = re.findall(r"<tr>(.*?)</tr>", history[0], flags=re.DOTALL)[1:]  # the header row first
    assert [" ".join(re.sub(r"<[^>]+>", " ", row).split()) for row in rows] == [
        f"{timezone.localtime(ShopperStatusChange.objects.get().created_at):%-d %b %Y %H:%M %Z} "
        "Blocked Active Rehired in March storemgr"
    ]


def test_unblocking_without_a_reason_is_refused_and_changes_nothing(
    manager_client: Client, shoppers: dict[str, Shopper]
) -> None:
    bob = shoppers["bob"]

    response = manager_client.post(reverse("entry:shopper_status", args=[bob.pk]), {"status": "active", "reason": " "})

    assert flash(response) == ["Say why the shopper is unblocked."]
    bob.refresh_from_db()
    assert (bob.status, bob.status_reason) == (ShopperStatus.BLOCKED, "left the company")
    assert not ShopperStatusChange.objects.exists()


def test_store_manager_revokes_codes(manager_client: Client, alice: Shopper) -> None:
    for _ in range(3):
        scan_key_issue(shopper=alice)

    response = manager_client.post(reverse("entry:shopper_revoke_codes", args=[alice.pk]))

    assert flash(response) == ["3 codes of Shopper cust-alice revoked."]
    assert ScanKey.objects.filter(shopper=alice, revoked_at__isnull=True).count() == 0
    assert Shopper.objects.get(pk=alice.pk).status == ShopperStatus.ACTIVE


def test_store_manager_changes_the_type(manager_client: Client, alice: Shopper) -> None:
    response = manager_client.post(reverse("entry:shopper_type", args=[alice.pk]), {"visitor_type": "CASH_SHOPPER"})

    assert flash(response) == ["Shopper cust-alice is now cash shopper."]
    assert Shopper.objects.get(pk=alice.pk).visitor_type == VisitorType.CASH_SHOPPER


def test_an_unknown_type_changes_nothing(manager_client: Client, alice: Shopper) -> None:
    response = manager_client.post(reverse("entry:shopper_type", args=[alice.pk]), {"visitor_type": "ROBOT"})

    assert flash(response) == ["Choose a visitor type."]
    assert Shopper.objects.get(pk=alice.pk).visitor_type == VisitorType.SHOPPER


@pytest.mark.parametrize("role_fixture", ["viewer", "catalog_manager"])
@pytest.mark.parametrize(
    ("url_name", "data"),
    [
        ("entry:shopper_status", {"status": "flagged", "reason": "x"}),
        ("entry:shopper_status", {"status": "blocked", "reason": "x"}),
        ("entry:shopper_revoke_codes", {}),
        ("entry:shopper_type", {"visitor_type": "ASSOCIATE"}),
    ],
)
def test_only_entry_managers_act_on_shoppers(
    request: pytest.FixtureRequest, alice: Shopper, role_fixture: str, url_name: str, data: dict[str, str]
) -> None:
    scan_key_issue(shopper=alice)
    user: User = request.getfixturevalue(role_fixture)

    response = client_for(user).post(reverse(url_name, args=[alice.pk]), data)

    assert response.status_code == 403
    alice.refresh_from_db()
    assert (alice.status, alice.status_reason, alice.visitor_type) == (ShopperStatus.ACTIVE, "", VisitorType.SHOPPER)
    assert ScanKey.objects.filter(shopper=alice, revoked_at__isnull=True).count() == 1


def test_actions_answer_get_with_405(manager_client: Client, alice: Shopper) -> None:
    assert manager_client.get(reverse("entry:shopper_revoke_codes", args=[alice.pk])).status_code == 405


def test_unknown_shopper_is_404(manager_client: Client) -> None:
    assert manager_client.get(reverse("entry:shopper_detail", args=[999999])).status_code == 404
    assert manager_client.post(reverse("entry:shopper_revoke_codes", args=[999999])).status_code == 404
