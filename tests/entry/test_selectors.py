"""Reads behind the entry screens: hourly charts (counts and latency percentiles on either database),
each store's day, the gate log's filters, shopper search, cards and active codes."""

import doctest
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.utils import timezone

import entry.selectors.gate
from catalog.models import Store
from entry.models import GateDecisionKind, GateEvent, GateReason, ScanKey, Shopper, ShopperStatus, VisitorType
from entry.selectors.gate import GateEventFilters, gate_charts, gate_event_list, percentile, store_gate_summaries
from entry.selectors.shoppers import ShopperFilters, shopper_active_code_count, shopper_cards, shopper_list
from entry.services.shoppers import payment_method_add
from jwo_admin.core import db
from tests.entry.conftest import make_shopper
from tests.entry.helpers import NOW, UTC_LABELS, gate_event, series

pytestmark = pytest.mark.django_db


def test_percentile_follows_percentile_cont() -> None:
    assert percentile([40.0, 10.0, 30.0, 20.0], 0.5) == 25.0
    assert percentile([40.0, 10.0, 30.0, 20.0], 0.95) == pytest.approx(38.5)
    assert percentile([3.0], 0.5) == 3.0
    assert percentile([10.0, 20.0], 0.0) == 10.0
    assert percentile([10.0, 20.0], 1.0) == 20.0
    with pytest.raises(ValueError, match="No values"):
        percentile([], 0.5)
    with pytest.raises(ValueError, match="not between 0 and 1"):
        percentile([1.0], 1.5)


def test_selector_doctests_pass() -> None:
    result = doctest.testmod(entry.selectors.gate)

    assert (result.failed, result.attempted) == (0, 3)


@pytest.fixture(params=["python", "database"])
def percentiles_in_database(request: pytest.FixtureRequest) -> bool:
    if request.param == "database":
        request.getfixturevalue("require_postgres")
        return True
    return False


def test_gate_charts_count_and_take_percentiles_per_hour(
    store: Store, other_store: Store, percentiles_in_database: bool
) -> None:
    # given: the current hour (slot 23) has all three decisions, an earlier hour 20 calls, the oldest
    # hour one call on its first instant, and a call just before the window
    current = NOW.replace(minute=5)
    for latency, decision in [
        (10.0, GateDecisionKind.ADMITTED),
        (20.0, GateDecisionKind.ADMITTED),
        (30.0, GateDecisionKind.REFUSED),
        (40.0, GateDecisionKind.STORE_DEFAULT),
    ]:
        gate_event(at=current, store=store, decision=decision, latency_ms=latency)
    for step in range(1, 21):
        gate_event(at=datetime(2025, 3, 10, 13, step, tzinfo=UTC), store=store, latency_ms=10.0 * step)
    gate_event(at=datetime(2025, 3, 10, 12, 59, 59, tzinfo=UTC), store=other_store, decision=GateDecisionKind.REFUSED)
    gate_event(at=datetime(2025, 3, 9, 15, 0, tzinfo=UTC), latency_ms=7.0)  # first instant of the window
    gate_event(at=datetime(2025, 3, 9, 14, 59, 59, tzinfo=UTC), latency_ms=999.0)  # before the window

    # when
    with timezone.override(UTC):
        charts = gate_charts(now=NOW, use_database_percentiles=percentiles_in_database)
        one_store = gate_charts(store=store, now=NOW, use_database_percentiles=percentiles_in_database)

    # then
    assert charts.traffic == {
        "labels": UTC_LABELS,
        "admitted": series({0: 1, 22: 20, 23: 2}),
        "refused": series({21: 1, 23: 1}),
        "store_default": series({23: 1}),
    }
    assert charts.latency == {
        "labels": UTC_LABELS,
        "p50": series({0: 7.0, 21: 10.0, 22: 105.0, 23: 25.0}, empty=None),
        "p95": series({0: 7.0, 21: 10.0, 22: 190.5, 23: 38.5}, empty=None),
    }
    assert one_store.traffic == {
        "labels": UTC_LABELS,
        "admitted": series({22: 20, 23: 2}),
        "refused": series({23: 1}),
        "store_default": series({23: 1}),
    }
    assert one_store.latency["p95"] == series({22: 190.5, 23: 38.5}, empty=None)


def test_gate_charts_use_the_local_hour_of_a_half_hour_time_zone(store: Store, percentiles_in_database: bool) -> None:
    # Kolkata is UTC+05:30: 14:20 UTC is 19:50 there, so the current hour began at 13:30 UTC.
    gate_event(at=datetime(2025, 3, 10, 13, 40, tzinfo=UTC), store=store, latency_ms=12.0)
    gate_event(at=datetime(2025, 3, 10, 13, 20, tzinfo=UTC), store=store, latency_ms=8.0)

    with timezone.override(ZoneInfo("Asia/Kolkata")):
        charts = gate_charts(now=NOW, use_database_percentiles=percentiles_in_database)

    assert charts.traffic["labels"][-2:] == ["18:00", "19:00"]
    assert charts.traffic["labels"][0] == "20:00"
    assert charts.traffic["admitted"] == series({22: 1, 23: 1})
    assert charts.latency["p50"] == series({22: 8.0, 23: 12.0}, empty=None)


def test_database_default_matches_the_connection(store: Store) -> None:
    gate_event(at=NOW - timedelta(minutes=1), store=store, latency_ms=3.0)
    gate_event(at=NOW - timedelta(minutes=2), store=store, latency_ms=6.0)

    with timezone.override(UTC):
        automatic = gate_charts(now=NOW)
        in_python = gate_charts(now=NOW, use_database_percentiles=False)

    assert automatic == in_python
    assert automatic.latency["p50"][-1] == 4.5
    assert db.supports_percentile_aggregates() is (connection.vendor == "postgresql")


def test_store_day_starts_at_midnight_in_the_store_time_zone(store: Store, other_store: Store) -> None:
    # given: New York is UTC-4 on 2025-03-10, so its day began at 04:00 UTC; the other store is on UTC
    store.time_zone = "America/New_York"
    store.save()
    gate_event(at=datetime(2025, 3, 10, 3, 59, tzinfo=UTC), store=store)  # yesterday in New York
    gate_event(at=datetime(2025, 3, 10, 4, 0, tzinfo=UTC), store=store)
    gate_event(at=datetime(2025, 3, 10, 9, 0, tzinfo=UTC), store=store, decision=GateDecisionKind.REFUSED)
    gate_event(at=datetime(2025, 3, 10, 9, 0, tzinfo=UTC), store=store, decision=GateDecisionKind.STORE_DEFAULT)
    gate_event(at=datetime(2025, 3, 10, 9, 1, tzinfo=UTC), store=store, decision=GateDecisionKind.STORE_DEFAULT)
    gate_event(at=datetime(2025, 3, 10, 3, 59, tzinfo=UTC), store=other_store)
    gate_event(at=datetime(2025, 3, 9, 23, 59, tzinfo=UTC), store=other_store)  # yesterday in UTC
    gate_event(at=datetime(2025, 3, 10, 12, 0, tzinfo=UTC))  # no store: counted for none

    summaries = store_gate_summaries(now=NOW)

    assert [(s.store.store_id, s.admitted, s.refused, s.store_default) for s in summaries] == [
        ("TEST_STORE_002", 1, 0, 0),
        ("TEST_STORE_001", 1, 1, 2),
    ]
    assert summaries[1].day_start == datetime(2025, 3, 10, 4, 0, tzinfo=UTC)


@pytest.fixture
def logged(store: Store, other_store: Store) -> dict[str, GateEvent]:
    alice = make_shopper("cust-alice")
    bob = make_shopper("staff-bob", visitor_type=VisitorType.ASSOCIATE)
    return {
        "admitted": gate_event(at=NOW - timedelta(minutes=1), store=store, shopper=alice),
        "blocked": gate_event(
            at=NOW - timedelta(minutes=2),
            store=store,
            shopper=bob,
            decision=GateDecisionKind.REFUSED,
            reason=GateReason.BLOCKED,
        ),
        "timeout": gate_event(
            at=NOW - timedelta(hours=2),
            store=other_store,
            shopper=alice,
            decision=GateDecisionKind.STORE_DEFAULT,
            reason=GateReason.TIMEOUT,
        ),
        "forged": gate_event(
            at=NOW - timedelta(days=1), store=store, decision=GateDecisionKind.REFUSED, reason=GateReason.FORGED
        ),
    }


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({}, ["admitted", "blocked", "timeout", "forged"]),
        ({"store": "other"}, ["timeout"]),
        ({"decision": GateDecisionKind.REFUSED}, ["blocked", "forged"]),
        ({"reason": GateReason.BLOCKED}, ["blocked"]),
        ({"visitor_type": VisitorType.SHOPPER}, ["admitted", "timeout"]),
        ({"since": NOW - timedelta(hours=2)}, ["admitted", "blocked", "timeout"]),
        ({"until": NOW - timedelta(minutes=2)}, ["blocked", "timeout", "forged"]),
        ({"since": NOW - timedelta(hours=3), "until": NOW - timedelta(minutes=90)}, ["timeout"]),
        ({"decision": GateDecisionKind.REFUSED, "store": "other"}, []),
    ],
)
def test_gate_event_list_filters_narrow_exactly(
    logged: dict[str, GateEvent], other_store: Store, filters: dict[str, Any], expected: list[str]
) -> None:
    if filters.get("store") == "other":
        filters = {**filters, "store": other_store}
    names = {event.pk: name for name, event in logged.items()}

    events = gate_event_list(filters=GateEventFilters(**filters))

    assert [names[event.pk] for event in events] == expected


def test_shopper_list_searches_name_email_and_external_id() -> None:
    make_shopper("cust-0001")
    ann = make_shopper("cust-0002")
    ann.name, ann.email = "Ann Lee", "ann.lee@example.org"
    ann.save()
    blocked = make_shopper("staff-0003", visitor_type=VisitorType.ASSOCIATE)
    blocked.status = ShopperStatus.BLOCKED
    blocked.save()

    def names(**filters: Any) -> list[str]:
        return [shopper.external_id for shopper in shopper_list(filters=ShopperFilters(**filters))]

    assert names() == ["cust-0002", "cust-0001", "staff-0003"]
    assert names(search="ANN LEE") == ["cust-0002"]
    assert names(search="example.org") == ["cust-0002"]
    assert names(search="  staff-00 ") == ["staff-0003"]
    assert names(search="0001") == ["cust-0001"]
    assert names(status=ShopperStatus.BLOCKED) == ["staff-0003"]
    assert names(visitor_type=VisitorType.SHOPPER) == ["cust-0002", "cust-0001"]
    assert names(search="cust", status=ShopperStatus.BLOCKED) == []


def test_shopper_cards_mark_a_card_expired_after_its_month() -> None:
    shopper = make_shopper("cust-0001", card=(3, 2025))
    payment_method_add(shopper=shopper, provider_reference="pm_old", expiry_month=2, expiry_year=2025, last4="1111")

    cards = shopper_cards(shopper=shopper, at=NOW)

    assert [(card.method.last4, card.method.is_default, card.is_expired) for card in cards] == [
        ("1111", True, True),
        ("4242", False, False),
    ]


def test_active_codes_are_those_a_revoke_would_revoke(settings: Any) -> None:
    settings.JWO_SCAN_KEY_CLOCK_SKEW_SECONDS = 5
    shopper = make_shopper("cust-0001")
    other = make_shopper("cust-0002")

    def key(token: str, *, expires: datetime, revoked: datetime | None = None, owner: Shopper = shopper) -> None:
        ScanKey.objects.create(
            token=token,
            shopper=owner,
            issued_at=expires - timedelta(seconds=60),
            expires_at=expires,
            revoked_at=revoked,
        )

    key("live", expires=NOW + timedelta(seconds=30))
    key("skew", expires=NOW - timedelta(seconds=5))
    key("old", expires=NOW - timedelta(seconds=6))
    key("revoked", expires=NOW + timedelta(seconds=30), revoked=NOW)
    key("others", expires=NOW + timedelta(seconds=30), owner=other)

    assert shopper_active_code_count(shopper=shopper, now=NOW) == 2
