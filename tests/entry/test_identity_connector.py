"""Verify Identity Keys (SPEC §8, §9.1, §B) through HTTP, as Amazon's gate calls it.

The connector does its database work on pool threads with their own connections, so every test
here uses committed data (the fixtures request ``transactional_db``).
"""

import base64
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

import psycopg
import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.db.backends.signals import connection_created
from django.utils import timezone
from prometheus_client import REGISTRY

from catalog.models import Store
from entry.models import GateEvent, PaymentMethod, ScanKey, Shopper, ShopperStatus, VisitorType
from entry.scan_keys import ScanKeyRefused, identity_key_decode, key_fingerprint, scan_key_verify
from entry.services.shoppers import payment_method_add, scan_keys_revoke, shopper_set_status
from jwo_admin.core.connector_keys import connector_key_create, connector_key_revoke
from jwo_admin.core.deadline import pool_shutdown
from orders.models import PaymentAuthorisation
from tests.entry.conftest import gate_body, identity_key_for, make_shopper

Gate = Callable[..., Any]

UNAUTHORIZED = {"message": "Unauthorized - Invalid or Unknown Key"}
NO_CONNECTOR_KEY = {"message": "Unauthorized - missing or invalid connector key"}
UNDECIDED = {"message": "The shopper could not be verified in time; follow the store's default."}
WWW_AUTHENTICATE = 'ConnectorKey header="X-JWO-Connector-Key"'

EVENT_FIELDS = (
    "auth_event_id",
    "auth_event_ref",
    "auth_event_at",
    "request_id",
    "store_id",
    "store_ref",
    "decision",
    "reason",
    "status_code",
    "response_body",
    "shopper_id",
    "visitor_type",
    "key_fingerprint",
    "replays",
)


# --- Helpers -----------------------------------------------------------------------------------
def expected_event(
    sent: dict[str, Any],
    *,
    status: int,
    body: dict[str, Any],
    decision: str,
    reason: str,
    decided: bool,
    store: Store | None,
    shopper: Shopper | None = None,
    replays: int = 0,
    timed: bool | None = None,
) -> dict[str, Any]:
    """The gate-log row a call leaves: the ids as sent, never the key; the event id only for decisions.

    ``timed``: the event's time is kept (by default for decisions; also for a valid call that was throttled).
    """
    auth_event = sent["authEvent"] if isinstance(sent.get("authEvent"), dict) else {}
    identity_key = sent.get("identityKey")
    fingerprint = key_fingerprint(identity_key) if isinstance(identity_key, str) and identity_key else ""
    assert not identity_key or fingerprint != identity_key
    return {
        "auth_event_id": auth_event["id"].lower() if decided else None,
        "auth_event_ref": str(auth_event.get("id", ""))[:64],
        "auth_event_at": datetime.fromisoformat(auth_event["timestamp"])
        if (decided if timed is None else timed)
        else None,
        "request_id": str(sent.get("requestId", ""))[:64],
        "store_id": store.pk if store else None,
        "store_ref": str(sent.get("storeId", ""))[:255],  # kept as sent, cut to the column
        "decision": decision,
        "reason": reason,
        "status_code": status,
        "response_body": body,
        "shopper_id": shopper.pk if shopper else None,
        "visitor_type": shopper.visitor_type if shopper else "",
        "key_fingerprint": fingerprint,
        "replays": replays,
    }


def event_row(event: GateEvent) -> dict[str, Any]:
    """The row's fields to compare; the latency must be there (the key is compared as its fingerprint)."""
    assert event.latency_ms is not None
    assert 0 <= event.latency_ms < 2000
    return {name: getattr(event, name) for name in EVENT_FIELDS}


def the_event() -> dict[str, Any]:
    return event_row(GateEvent.objects.get())


def refused_event(sent: dict[str, Any], reason: str, *, store: Store, shopper: Shopper | None = None) -> dict[str, Any]:
    return expected_event(
        sent,
        status=401,
        body=UNAUTHORIZED,
        decision="refused",
        reason=reason,
        decided=True,
        store=store,
        shopper=shopper,
    )


def admitted_event(sent: dict[str, Any], *, store: Store, shopper: Shopper, replays: int = 0) -> dict[str, Any]:
    return expected_event(
        sent,
        status=200,
        body=visitor(shopper),
        decision="admitted",
        reason="admitted",
        decided=True,
        store=store,
        shopper=shopper,
        replays=replays,
    )


def visitor(shopper: Shopper) -> dict[str, Any]:
    return {"visitorDetails": {"id": shopper.external_id, "type": shopper.visitor_type}}


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def altered_mac(identity_key: str) -> str:
    """The same code with its last MAC character changed: still our layout, no longer our signature."""
    code = identity_key_decode(identity_key)
    return b64(code[:-1] + ("0" if code[-1] != "0" else "1"))


def previous_month(at: datetime) -> tuple[int, int]:
    return (12, at.year - 1) if at.month == 1 else (at.month - 1, at.year)


def wait_for(predicate: Callable[[], bool], seconds: float = 5.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return predicate()


def assert_keys_untouched(shopper: Shopper) -> None:
    assert list(ScanKey.objects.filter(shopper=shopper).values_list("revoked_at", flat=True)) == [None]


# --- Admission -------------------------------------------------------------------------------
def test_fresh_code_admits_the_shopper(gate: Gate, gate_store: Store, shopper: Shopper) -> None:
    sent = gate_body(identity_key_for(shopper))

    response = gate(sent)

    assert response.status_code == 200
    assert response.json() == {"visitorDetails": {"id": "cust-0001", "type": "SHOPPER"}}
    event = GateEvent.objects.get()
    assert event_row(event) == admitted_event(sent, store=gate_store, shopper=shopper)
    assert event.key_fingerprint != sent["identityKey"]
    assert event.detail == ""
    assert_keys_untouched(shopper)


def test_code_issued_for_this_store_admits(gate: Gate, gate_store: Store, shopper: Shopper) -> None:
    sent = gate_body(identity_key_for(shopper, store=gate_store))

    response = gate(sent)

    assert (response.status_code, response.json()) == (200, visitor(shopper))
    assert the_event() == admitted_event(sent, store=gate_store, shopper=shopper)


@pytest.mark.parametrize("visitor_type", [VisitorType.ASSOCIATE, VisitorType.CASH_SHOPPER])
def test_associates_and_cash_shoppers_enter_without_a_card(gate: Gate, gate_store: Store, visitor_type: str) -> None:
    person = make_shopper("staff-0042", visitor_type=visitor_type, card=None)
    sent = gate_body(identity_key_for(person))

    response = gate(sent)

    assert response.status_code == 200
    assert response.json() == {"visitorDetails": {"id": "staff-0042", "type": visitor_type}}
    assert the_event() == admitted_event(sent, store=gate_store, shopper=person)
    assert PaymentMethod.objects.count() == 0


def test_unknown_extra_attributes_are_accepted(gate: Gate, gate_store: Store, shopper: Shopper) -> None:
    sent = gate_body(identity_key_for(shopper), deviceId="gate-3", schemaVersion=2)
    sent["authEvent"]["laneId"] = "L1"
    sent["authEvent"]["extra"] = {"nested": [1, 2]}

    response = gate(sent)

    assert (response.status_code, response.json()) == (200, visitor(shopper))
    assert the_event() == admitted_event(sent, store=gate_store, shopper=shopper)


def test_key_channel_may_be_left_out(gate: Gate, gate_store: Store, shopper: Shopper) -> None:
    sent = gate_body(identity_key_for(shopper))
    del sent["keyChannel"]

    response = gate(sent)

    assert (response.status_code, response.json()) == (200, visitor(shopper))


def test_card_expiring_in_the_event_month_still_admits(gate: Gate, gate_store: Store, shopper: Shopper) -> None:
    at = timezone.now()
    key = identity_key_for(shopper, now=at)
    payment_method_add(shopper=shopper, provider_reference="pm_last", expiry_month=at.month, expiry_year=at.year)
    sent = gate_body(key, at=at)

    response = gate(sent)

    assert (response.status_code, response.json()) == (200, visitor(shopper))


def test_flagged_shopper_is_admitted_when_the_retailer_allows_it(
    gate: Gate, gate_store: Store, shopper: Shopper, settings: Any
) -> None:
    settings.JWO_ADMIT_FLAGGED_SHOPPERS = True
    key = identity_key_for(shopper)
    shopper_set_status(shopper=shopper, status=ShopperStatus.FLAGGED, reason="Chargeback under review")
    sent = gate_body(key)

    response = gate(sent)

    assert (response.status_code, response.json()) == (200, visitor(shopper))
    assert the_event() == admitted_event(sent, store=gate_store, shopper=shopper)


# --- Validation (SPEC §8.1): 400, naming the field --------------------------------------------
def _pop(*path: str) -> Callable[[dict[str, Any]], None]:
    def change(body: dict[str, Any]) -> None:
        target = body
        for name in path[:-1]:
            target = target[name]
        del target[path[-1]]

    return change


def _set(*path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(body: dict[str, Any]) -> None:
        target = body
        for name in path[:-1]:
            target = target[name]
        target[path[-1]] = value

    return change


REQUIRED = "This field is required."
NO_PATTERN = "This value does not match the required pattern."
BAD_TIME = "Must be an ISO-8601 time with a zone, e.g. 2025-06-03T14:22:05Z."

VALIDATION_CASES = [
    pytest.param(_pop("requestId"), "requestId", REQUIRED, id="requestId-missing"),
    pytest.param(_set("requestId", value="not-a-uuid"), "requestId", NO_PATTERN, id="requestId-invalid"),
    pytest.param(
        _set("requestId", value="3f2c9a10-5b7e-4c1d-9e8f-0a1b2c3d4e5"), "requestId", NO_PATTERN, id="requestId-short"
    ),
    pytest.param(_set("requestId", value=12345), "requestId", "Not a valid string.", id="requestId-number"),
    pytest.param(
        _set("requestId", value=" 3f2c9a10-5b7e-4c1d-9e8f-0a1b2c3d4e5f"), "requestId", NO_PATTERN, id="requestId-padded"
    ),
    pytest.param(_set("storeId", value=7), "storeId", "Not a valid string.", id="storeId-number"),
    pytest.param(_pop("identityKey"), "identityKey", REQUIRED, id="identityKey-missing"),
    pytest.param(_set("identityKey", value=""), "identityKey", "This field may not be blank.", id="identityKey-empty"),
    pytest.param(
        _set("identityKey", value="A" * 1001),
        "identityKey",
        "Ensure this field has no more than 1000 characters.",
        id="identityKey-1001-chars",
    ),
    pytest.param(
        _set("identityKey", value="not base64!"),
        "identityKey",
        "identityKey is not valid Base64.",
        id="identityKey-not-base64",
    ),
    pytest.param(_pop("storeId"), "storeId", REQUIRED, id="storeId-missing"),
    pytest.param(
        _set("storeId", value="S" * 256),
        "storeId",
        "Ensure this field has no more than 255 characters.",
        id="storeId-too-long",
    ),
    pytest.param(_pop("authEvent"), "authEvent", REQUIRED, id="authEvent-missing"),
    pytest.param(
        _set("authEvent", value="9d8c7b6a-1234-4abc-8def-0123456789ab"),
        "authEvent",
        'Expected a dictionary of items but got type "str".',
        id="authEvent-string",
    ),
    pytest.param(
        _set("authEvent", value=[]),
        "authEvent",
        'Expected a dictionary of items but got type "list".',
        id="authEvent-list",
    ),
    pytest.param(_pop("authEvent", "id"), "authEvent.id", REQUIRED, id="authEvent.id-missing"),
    pytest.param(_set("authEvent", "id", value="gate-event-1"), "authEvent.id", NO_PATTERN, id="authEvent.id-invalid"),
    pytest.param(_pop("authEvent", "timestamp"), "authEvent.timestamp", REQUIRED, id="timestamp-missing"),
    pytest.param(
        _set("authEvent", "timestamp", value="yesterday"), "authEvent.timestamp", BAD_TIME, id="timestamp-text"
    ),
    pytest.param(
        _set("authEvent", "timestamp", value="2025-06-03T14:22:05"),
        "authEvent.timestamp",
        BAD_TIME,
        id="timestamp-naive",
    ),
    pytest.param(
        _set("authEvent", "timestamp", value=1748960525), "authEvent.timestamp", BAD_TIME, id="timestamp-number"
    ),
    pytest.param(  # ISO-8601's basic format: not RFC 3339, so not the schema's date-time
        _set("authEvent", "timestamp", value="20250603T142205Z"), "authEvent.timestamp", BAD_TIME, id="timestamp-basic"
    ),
    pytest.param(
        _set("authEvent", "timestamp", value="2025-06-03T14:22:05+0100"),
        "authEvent.timestamp",
        BAD_TIME,
        id="timestamp-offset-without-colon",
    ),
    pytest.param(
        _set("authEvent", "timestamp", value="2025-13-03T14:22:05Z"), "authEvent.timestamp", BAD_TIME, id="month-13"
    ),
    pytest.param(_pop("authEvent", "location"), "authEvent.location", REQUIRED, id="location-missing"),
    pytest.param(
        _set("authEvent", "location", value="EXIT"),
        "authEvent.location",
        '"EXIT" is not a valid choice.',
        id="location-not-entry",
    ),
    pytest.param(
        _set("keyChannel", value="NFC"), "keyChannel", '"NFC" is not a valid choice.', id="keyChannel-invalid"
    ),
]


@pytest.mark.parametrize(("change", "field", "message"), VALIDATION_CASES)
def test_invalid_request_is_400_naming_the_field(
    gate: Gate,
    gate_store: Store,
    shopper: Shopper,
    change: Callable[[dict[str, Any]], None],
    field: str,
    message: str,
) -> None:
    sent = gate_body(identity_key_for(shopper))
    change(sent)

    response = gate(sent)

    body = {"message": f"Invalid {field}: {message}", "field": field}
    assert (response.status_code, response.json()) == (400, body)
    store = gate_store if sent.get("storeId") == "TEST_STORE_001" else None
    assert the_event() == expected_event(
        sent, status=400, body=body, decision="refused", reason="invalid_request", decided=False, store=store
    )
    assert_keys_untouched(shopper)


def test_unknown_store_is_400_invalid_store_id(gate: Gate, gate_store: Store, shopper: Shopper) -> None:
    sent = gate_body(identity_key_for(shopper), store_id="NO_SUCH_STORE")

    response = gate(sent)

    body = {"message": "Invalid storeId", "field": "storeId"}
    assert (response.status_code, response.json()) == (400, body)
    assert the_event() == expected_event(
        sent, status=400, body=body, decision="refused", reason="invalid_request", decided=False, store=None
    )


def test_identity_key_of_exactly_1000_characters_passes_validation(gate: Gate, gate_store: Store) -> None:
    sent = gate_body("A" * 1000)

    response = gate(sent)

    assert (response.status_code, response.json()) == (401, UNAUTHORIZED)
    assert the_event() == refused_event(sent, "malformed_key", store=gate_store)


@pytest.mark.parametrize(
    ("raw", "field", "message"),
    [
        pytest.param("", "requestId", REQUIRED, id="empty-body"),
        pytest.param("{}", "requestId", REQUIRED, id="empty-object"),
        pytest.param("[]", "body", "Invalid data. Expected a dictionary, but got list.", id="json-array"),
        pytest.param('["a", 1]', "body", "Invalid data. Expected a dictionary, but got list.", id="json-array-items"),
        pytest.param('"text"', "body", "Invalid data. Expected a dictionary, but got str.", id="json-string"),
        pytest.param("null", "body", "No data provided", id="json-null"),
        pytest.param("42", "body", "Invalid data. Expected a dictionary, but got int.", id="json-number"),
    ],
)
def test_body_that_is_not_a_request_object_is_400(
    gate: Gate, gate_store: Store, raw: str, field: str, message: str
) -> None:
    response = gate(raw)

    body = {"message": f"Invalid {field}: {message}", "field": field}
    assert (response.status_code, response.json()) == (400, body)
    assert the_event() == expected_event(
        {}, status=400, body=body, decision="refused", reason="invalid_request", decided=False, store=None
    )


def test_body_that_is_not_json_is_400(gate: Gate, gate_store: Store) -> None:
    response = gate("{'requestId': nope")

    assert response.status_code == 400
    body = response.json()
    assert body["field"] == "body"
    assert body["message"].startswith("Invalid body: The body is not valid JSON: JSON parse error - ")
    assert set(body) == {"message", "field"}
    assert the_event() == expected_event(
        {}, status=400, body=body, decision="refused", reason="invalid_request", decided=False, store=None
    )


# --- Refusals (SPEC §9.1): 401 -----------------------------------------------------------------
@pytest.mark.parametrize(
    "scanned",
    [
        pytest.param("HELLO", id="not-our-layout"),
        pytest.param("ABCDEFG0123456789abcdef0123456789abcdef", id="amazon-mock-payload"),
        pytest.param("\x00\xff", id="binary"),
    ],
)
def test_text_that_is_not_our_code_is_refused_malformed(
    gate: Gate, gate_store: Store, shopper: Shopper, scanned: str
) -> None:
    sent = gate_body(base64.b64encode(scanned.encode("latin-1")).decode())

    response = gate(sent)

    assert (response.status_code, response.json()) == (401, UNAUTHORIZED)
    event = GateEvent.objects.get()
    assert event_row(event) == refused_event(sent, "malformed_key", store=gate_store)
    assert event.detail == "The scanned text is not one of our Scan Key Codes."


def test_altered_code_is_refused_forged(gate: Gate, gate_store: Store, shopper: Shopper) -> None:
    sent = gate_body(altered_mac(identity_key_for(shopper)))

    response = gate(sent)

    assert (response.status_code, response.json()) == (401, UNAUTHORIZED)
    event = GateEvent.objects.get()
    assert event_row(event) == refused_event(sent, "forged", store=gate_store)
    assert event.detail == "The code's signature does not match."
    assert_keys_untouched(shopper)


def test_code_older_than_ttl_is_refused_expired(gate: Gate, gate_store: Store, shopper: Shopper, settings: Any) -> None:
    at = timezone.now().replace(microsecond=0)
    key = identity_key_for(shopper, now=at - timedelta(seconds=settings.JWO_SCAN_KEY_TTL_SECONDS + 1))
    sent = gate_body(key, at=at)

    response = gate(sent)

    assert (response.status_code, response.json()) == (401, UNAUTHORIZED)
    event = GateEvent.objects.get()
    assert event_row(event) == refused_event(sent, "expired", store=gate_store)
    ttl = settings.JWO_SCAN_KEY_TTL_SECONDS
    assert event.detail == f"The code was {ttl + 1} s old at the gate (limit {ttl} s)."


def test_code_exactly_ttl_old_is_admitted(gate: Gate, gate_store: Store, shopper: Shopper, settings: Any) -> None:
    at = timezone.now().replace(microsecond=0)
    sent = gate_body(identity_key_for(shopper, now=at - timedelta(seconds=settings.JWO_SCAN_KEY_TTL_SECONDS)), at=at)

    response = gate(sent)

    assert (response.status_code, response.json()) == (200, visitor(shopper))


def test_code_issued_after_the_event_beyond_skew_is_refused_not_yet_valid(
    gate: Gate, gate_store: Store, shopper: Shopper, settings: Any
) -> None:
    at = timezone.now().replace(microsecond=0)
    key = identity_key_for(shopper, now=at + timedelta(seconds=settings.JWO_SCAN_KEY_CLOCK_SKEW_SECONDS + 1))
    sent = gate_body(key, at=at)

    response = gate(sent)

    assert (response.status_code, response.json()) == (401, UNAUTHORIZED)
    event = GateEvent.objects.get()
    assert event_row(event) == refused_event(sent, "not_yet_valid", store=gate_store)
    assert event.detail == f"The code was issued {settings.JWO_SCAN_KEY_CLOCK_SKEW_SECONDS + 1} s after the gate event."


def test_code_whose_record_is_gone_is_refused_unknown_key(gate: Gate, gate_store: Store, shopper: Shopper) -> None:
    sent = gate_body(identity_key_for(shopper))
    ScanKey.objects.all().delete()

    response = gate(sent)

    assert (response.status_code, response.json()) == (401, UNAUTHORIZED)
    event = GateEvent.objects.get()
    assert event_row(event) == refused_event(sent, "unknown_key", store=gate_store)
    assert event.detail == "The code's recognition token is not on record."


def test_revoked_code_is_refused(gate: Gate, gate_store: Store, shopper: Shopper) -> None:
    sent = gate_body(identity_key_for(shopper))
    assert scan_keys_revoke(shopper=shopper) == 1

    response = gate(sent)

    assert (response.status_code, response.json()) == (401, UNAUTHORIZED)
    event = GateEvent.objects.get()
    assert event_row(event) == refused_event(sent, "revoked", store=gate_store, shopper=shopper)
    assert event.detail == "The code was revoked by staff."


def test_blocked_shopper_whose_code_was_revoked_is_refused_as_blocked(
    gate: Gate, gate_store: Store, shopper: Shopper
) -> None:
    sent = gate_body(identity_key_for(shopper))
    shopper_set_status(shopper=shopper, status=ShopperStatus.BLOCKED, reason="Fraud")

    response = gate(sent)

    assert (response.status_code, response.json()) == (401, UNAUTHORIZED)
    event = GateEvent.objects.get()
    assert event_row(event) == refused_event(sent, "blocked", store=gate_store, shopper=shopper)
    assert event.detail == "Fraud"
    assert ScanKey.objects.get().revoked_at is not None


def test_code_for_another_store_is_refused_other_store(
    gate: Gate, gate_store: Store, second_store: Store, shopper: Shopper
) -> None:
    sent = gate_body(identity_key_for(shopper, store=second_store))

    response = gate(sent)

    assert (response.status_code, response.json()) == (401, UNAUTHORIZED)
    event = GateEvent.objects.get()
    assert event_row(event) == refused_event(sent, "other_store", store=gate_store, shopper=shopper)
    assert event.detail == "The code was issued for another store."


def test_blocked_shopper_is_refused(gate: Gate, gate_store: Store, shopper: Shopper) -> None:
    """Blocked without the codes being revoked (e.g. a status set in the database by a support tool)."""
    sent = gate_body(identity_key_for(shopper))
    Shopper.objects.filter(pk=shopper.pk).update(status=ShopperStatus.BLOCKED, status_reason="Chargeback fraud")

    response = gate(sent)

    assert (response.status_code, response.json()) == (401, UNAUTHORIZED)
    event = GateEvent.objects.get()
    assert event_row(event) == refused_event(sent, "blocked", store=gate_store, shopper=shopper)
    assert event.detail == "Chargeback fraud"
    assert_keys_untouched(shopper)


def test_flagged_shopper_is_refused(gate: Gate, gate_store: Store, shopper: Shopper) -> None:
    key = identity_key_for(shopper)
    shopper_set_status(shopper=shopper, status=ShopperStatus.FLAGGED, reason="Chargeback under review")
    sent = gate_body(key)

    response = gate(sent)

    assert (response.status_code, response.json()) == (401, UNAUTHORIZED)
    event = GateEvent.objects.get()
    assert event_row(event) == refused_event(sent, "flagged", store=gate_store, shopper=shopper)
    assert event.detail == "Chargeback under review"
    assert_keys_untouched(shopper)


def test_shopper_without_a_card_is_refused(gate: Gate, gate_store: Store, shopper: Shopper) -> None:
    sent = gate_body(identity_key_for(shopper))
    PaymentMethod.objects.filter(shopper=shopper).delete()

    response = gate(sent)

    assert (response.status_code, response.json()) == (401, UNAUTHORIZED)
    event = GateEvent.objects.get()
    assert event_row(event) == refused_event(sent, "no_payment_method", store=gate_store, shopper=shopper)
    assert event.detail == ""


def test_card_expired_before_the_event_month_is_refused(gate: Gate, gate_store: Store, shopper: Shopper) -> None:
    at = timezone.now()
    key = identity_key_for(shopper, now=at)
    month, year = previous_month(at)
    payment_method_add(shopper=shopper, provider_reference="pm_old", expiry_month=month, expiry_year=year)
    sent = gate_body(key, at=at)

    response = gate(sent)

    assert (response.status_code, response.json()) == (401, UNAUTHORIZED)
    assert the_event() == refused_event(sent, "payment_expired", store=gate_store, shopper=shopper)


# --- The connector key (SPEC §3.2) ---------------------------------------------------------------
def key_refusals() -> float:
    return REGISTRY.get_sample_value("jwo_connector_key_refusals_total", {"connector": "identity"}) or 0.0


def test_missing_connector_key_is_401_writes_nothing_and_is_counted(
    gate: Gate, gate_store: Store, shopper: Shopper
) -> None:
    sent = gate_body(identity_key_for(shopper))
    before = key_refusals()

    response = gate(sent, key=None)

    assert (response.status_code, response.json()) == (401, NO_CONNECTOR_KEY)
    assert response["WWW-Authenticate"] == WWW_AUTHENTICATE
    assert GateEvent.objects.count() == 0  # a call anyone could make costs no row
    assert key_refusals() == before + 1
    # The gate event was not decided: the same call with the key gets its answer.
    assert (gate(sent).status_code, GateEvent.objects.filter(auth_event_id=sent["authEvent"]["id"]).count()) == (200, 1)


@pytest.mark.parametrize(
    "wrong",
    [
        pytest.param("jwock_000000000000_secret", id="unknown-key-id"),
        pytest.param("not-a-connector-key", id="malformed"),
        pytest.param("jwock__", id="empty-parts"),
    ],
)
def test_wrong_connector_key_is_401_and_writes_nothing(
    gate: Gate, gate_store: Store, shopper: Shopper, wrong: str
) -> None:
    sent = gate_body(identity_key_for(shopper))
    before = key_refusals()

    response = gate(sent, key=wrong)

    assert (response.status_code, response.json()) == (401, NO_CONNECTOR_KEY)
    assert response["WWW-Authenticate"] == WWW_AUTHENTICATE
    assert GateEvent.objects.count() == 0
    assert key_refusals() == before + 1


def test_right_key_id_with_wrong_secret_is_401(
    gate: Gate, gate_store: Store, shopper: Shopper, connector_key: str
) -> None:
    sent = gate_body(identity_key_for(shopper))
    assert gate(gate_body(sent["identityKey"])).status_code == 200  # the key's row is now cached

    response = gate(sent, key=connector_key[:-1] + ("A" if connector_key[-1] != "A" else "B"))

    assert (response.status_code, response.json()) == (401, NO_CONNECTOR_KEY)
    assert GateEvent.objects.count() == 1  # the first, admitted call only


def test_missing_connector_key_and_unparsable_body_is_401(gate: Gate, gate_store: Store) -> None:
    response = gate("{not json", key=None)

    assert (response.status_code, response.json()) == (401, NO_CONNECTOR_KEY)
    assert GateEvent.objects.count() == 0


def test_many_keyless_calls_write_no_rows(gate: Gate, gate_store: Store, shopper: Shopper) -> None:
    before = key_refusals()

    statuses = {gate(gate_body(identity_key_for(shopper)), key=None).status_code for _ in range(50)}

    assert statuses == {401}
    assert GateEvent.objects.count() == 0
    assert key_refusals() == before + 50


def test_revoked_connector_key_is_refused_at_once(
    gate: Gate, gate_store: Store, shopper: Shopper, connector_key: str
) -> None:
    key = identity_key_for(shopper)
    assert gate(gate_body(key)).status_code == 200  # verified, and cached for a few seconds
    connector_key_revoke(key_id=connector_key.split("_")[1])
    sent = gate_body(key)

    response = gate(sent)

    assert (response.status_code, response.json()) == (401, NO_CONNECTOR_KEY)
    assert GateEvent.objects.filter(auth_event_ref=sent["authEvent"]["id"]).exists() is False


def test_two_active_connector_keys_both_work(
    gate: Gate, gate_store: Store, shopper: Shopper, connector_key: str
) -> None:
    _, second_key = connector_key_create(name="test gateway, rolled")
    key = identity_key_for(shopper)

    first = gate(gate_body(key), key=connector_key)
    second = gate(gate_body(key), key=second_key)

    assert (first.status_code, first.json()) == (200, visitor(shopper))
    assert (second.status_code, second.json()) == (200, visitor(shopper))
    assert GateEvent.objects.filter(reason="admitted").count() == 2


# --- 429 -----------------------------------------------------------------------------------------
def test_a_burst_of_calls_for_one_store_is_all_decided_none_refused_for_its_number(
    gate: Gate, gate_store: Store, shopper: Shopper
) -> None:
    """No per-store throttle of our own: the gateway throttles (deploy/cloudformation), and ours
    refused valid shoppers who had merely queued behind a stall (measured: README)."""
    key = identity_key_for(shopper)
    sent = [gate_body(key) for _ in range(150)]

    answers = [gate(body) for body in sent]

    assert [answer.status_code for answer in answers] == [200] * 150
    assert GateEvent.objects.filter(decision="admitted").count() == 150


# --- Idempotency on authEvent.id (SPEC §8.3) ---------------------------------------------------
def test_replay_gets_the_first_answer_even_after_the_shopper_was_blocked(
    gate: Gate, gate_store: Store, shopper: Shopper
) -> None:
    sent = gate_body(identity_key_for(shopper))
    first = gate(sent)
    shopper_set_status(shopper=shopper, status=ShopperStatus.BLOCKED, reason="Fraud")
    replay = {**sent, "requestId": str(uuid.uuid4())}

    again = gate(replay)

    assert (first.status_code, first.json()) == (200, visitor(shopper))
    assert (again.status_code, again.json()) == (200, visitor(shopper))
    assert the_event() == admitted_event(sent, store=gate_store, shopper=shopper, replays=1)


def test_replay_of_a_refusal_gets_the_same_refusal(gate: Gate, gate_store: Store, shopper: Shopper) -> None:
    sent = gate_body(altered_mac(identity_key_for(shopper)))

    answers = [gate(sent) for _ in range(3)]

    assert [(answer.status_code, answer.json()) for answer in answers] == [(401, UNAUTHORIZED)] * 3
    assert the_event() == refused_event(sent, "forged", store=gate_store) | {"replays": 2}


def test_replay_with_the_event_id_in_capitals_is_the_same_event(
    gate: Gate, gate_store: Store, shopper: Shopper
) -> None:
    sent = gate_body(identity_key_for(shopper))
    first = gate(sent)
    shopper_set_status(shopper=shopper, status=ShopperStatus.BLOCKED, reason="Fraud")
    shouted = {**sent, "authEvent": {**sent["authEvent"], "id": sent["authEvent"]["id"].upper()}}

    again = gate(shouted)

    assert (first.status_code, again.status_code, again.json()) == (200, 200, visitor(shopper))
    assert GateEvent.objects.get().replays == 1


# --- No database read for a forged code --------------------------------------------------------
@pytest.fixture
def recorded_sql() -> Iterator[list[str]]:
    """Every statement sent through Django on this thread and on connections opened from now on.

    The deadline pool is stopped first so its threads open fresh connections, each of which gets
    the recorder as soon as it is created.
    """
    statements: list[str] = []
    lock = threading.Lock()
    test_thread = threading.current_thread()

    def recorder(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        with lock:
            statements.append(sql)
        return execute(sql, params, many, context)

    def install(sender: Any, connection: Any, **kwargs: Any) -> None:
        if threading.current_thread() is not test_thread:
            connection.execute_wrappers.append(recorder)

    pool_shutdown()
    connection_created.connect(install)
    try:
        with connection.execute_wrapper(recorder):
            yield statements
    finally:
        connection_created.disconnect(install)
        pool_shutdown()  # the pool threads' connections, recorder and all, go with them


def test_forged_code_is_refused_with_no_database_read(
    gate: Gate, gate_store: Store, shopper: Shopper, django_assert_num_queries: Any, recorded_sql: list[str]
) -> None:
    key = identity_key_for(shopper)
    assert gate(gate_body(key)).status_code == 200  # the connector key and the store are now cached
    pool_shutdown()  # background work of that call (noting the key's use) is done; new threads record
    recorded_sql.clear()
    forged = altered_mac(key)

    with django_assert_num_queries(0), pytest.raises(ScanKeyRefused) as refused:
        scan_key_verify(
            identity_key_decode(forged),
            prefix=django_settings.JWO_SCAN_KEY_PREFIX,
            secrets_=django_settings.JWO_SCAN_KEY_SECRETS,
            event_at=timezone.now(),
            ttl_seconds=django_settings.JWO_SCAN_KEY_TTL_SECONDS,
            skew_seconds=django_settings.JWO_SCAN_KEY_CLOCK_SKEW_SECONDS,
        )
    assert refused.value.reason == "forged"

    response = gate(gate_body(forged))

    # Setting timeouts (once per fresh pool connection, and the record's own patience) reads nothing.
    setup = [sql for sql in recorded_sql if sql.startswith("SELECT set_config('statement_timeout'")]
    statements = [sql for sql in recorded_sql if sql not in setup]
    assert (response.status_code, response.json()) == (401, UNAUTHORIZED)
    assert len(setup) <= 2
    assert len(statements) == 1, recorded_sql
    assert statements[0].startswith("INSERT INTO entry_gateevent ")
    assert GateEvent.objects.filter(reason="forged").count() == 1


def test_a_new_admission_and_its_replay_cost_two_statements_each(
    gate: Gate, gate_store: Store, shopper: Shopper, recorded_sql: list[str]
) -> None:
    """The gate's path is one read and one upsert, new call or replay; the hold's row is the
    payments batch's (one statement per batch, here a batch of one: tests hand over at once)."""
    assert gate(gate_body(identity_key_for(shopper))).status_code == 200  # key and store cached
    sent = gate_body(identity_key_for(shopper))
    pool_shutdown()
    recorded_sql.clear()

    assert gate(sent).status_code == 200
    pool_shutdown()  # the announcement's work (the hold) is done
    admission = [sql for sql in recorded_sql if not sql.startswith("SELECT set_config")]
    recorded_sql.clear()
    assert gate({**sent, "requestId": str(uuid.uuid4())}).status_code == 200
    pool_shutdown()
    replay = [sql for sql in recorded_sql if not sql.startswith("SELECT set_config")]

    gate_path = [sql for sql in admission if "orders_" not in sql]
    assert [sql.split(" ")[0] for sql in gate_path] == ["SELECT", "INSERT"], admission
    assert "FROM entry_scankey" in gate_path[0]
    assert gate_path[1].startswith("INSERT INTO entry_gateevent ")
    holds = [sql for sql in admission if sql.startswith("INSERT INTO orders_paymentauthorisation ")]
    assert len(holds) == 1
    assert [sql.split(" ")[0] for sql in replay] == ["SELECT", "INSERT"], replay
    assert PaymentAuthorisation.objects.filter(auth_event_id=sent["authEvent"]["id"]).count() == 1


def test_sql_recorder_sees_the_pool_threads(
    gate: Gate, gate_store: Store, shopper: Shopper, recorded_sql: list[str]
) -> None:
    """The recorder is sound: a valid code's decision, made on a pool thread, reads the database."""
    key = identity_key_for(shopper)
    assert gate(gate_body(key)).status_code == 200
    pool_shutdown()
    recorded_sql.clear()

    assert gate(gate_body(key)).status_code == 200

    selects = [sql for sql in recorded_sql if sql.startswith("SELECT")]
    assert any("FROM entry_scankey" in sql for sql in selects), recorded_sql
    assert any(sql.startswith("INSERT INTO entry_gateevent ") for sql in recorded_sql)


# --- A stalled database: a deliberate 500 in time, recorded when the database is back ------------
@pytest.fixture
def table_lock(require_postgres: None) -> Iterator[Callable[[str], Callable[[], None]]]:
    """Lock a table from another connection; returns a function that locks and gives a release."""
    params = connection.settings_dict
    other = psycopg.connect(
        dbname=params["NAME"],
        user=params["USER"] or None,
        password=params["PASSWORD"] or None,
        host=params["HOST"] or None,
        port=params["PORT"] or None,
    )

    def lock(table: str) -> Callable[[], None]:
        other.execute(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE")  # opens a transaction
        return other.rollback

    try:
        yield lock
    finally:
        other.rollback()
        other.close()


def test_stalled_database_answers_500_in_time_and_records_it_later(
    gate: Gate, gate_store: Store, shopper: Shopper, settings: Any, table_lock: Callable[[str], Callable[[], None]]
) -> None:
    settings.JWO_IDENTITY_BUDGET_MS = 300
    key = identity_key_for(shopper)
    assert gate(gate_body(key)).status_code == 200  # connections open, connector key and store cached
    sent = gate_body(key)
    release = table_lock("entry_gateevent")

    started = time.perf_counter()
    response = gate(sent)
    elapsed = time.perf_counter() - started

    assert (response.status_code, response.json()) == (500, UNDECIDED)
    assert elapsed < 2.0
    release()
    # the late job stores its decision, then (abandoned) rewrites it to the 500 Amazon got: wait for that
    assert wait_for(lambda: GateEvent.objects.filter(auth_event_id=sent["authEvent"]["id"], status_code=500).exists())
    event = GateEvent.objects.get(auth_event_id=sent["authEvent"]["id"])
    assert event_row(event) == expected_event(
        sent, status=500, body=UNDECIDED, decision="store_default", reason="timeout", decided=True, store=gate_store
    )
    assert event.detail.startswith("Gate followed the store default (CLOSED): no answer within 0.")
    assert GateEvent.objects.count() == 2

    # Amazon retries the same gate event: it gets the answer it already has.
    again = gate({**sent, "requestId": str(uuid.uuid4())})
    assert (again.status_code, again.json()) == (500, UNDECIDED)
    assert GateEvent.objects.get(pk=event.pk).replays == 1


def test_stalled_database_does_not_delay_a_refusal(
    gate: Gate, gate_store: Store, shopper: Shopper, settings: Any, table_lock: Callable[[str], Callable[[], None]]
) -> None:
    settings.JWO_IDENTITY_BUDGET_MS = 300
    key = identity_key_for(shopper)
    assert gate(gate_body(key)).status_code == 200
    sent = gate_body(altered_mac(key))
    release = table_lock("entry_gateevent")

    started = time.perf_counter()
    response = gate(sent)
    elapsed = time.perf_counter() - started

    assert (response.status_code, response.json()) == (401, UNAUTHORIZED)
    assert elapsed < 2.0
    release()
    assert wait_for(lambda: GateEvent.objects.filter(auth_event_id=sent["authEvent"]["id"]).exists())
    assert event_row(GateEvent.objects.get(auth_event_id=sent["authEvent"]["id"])) == refused_event(
        sent, "forged", store=gate_store
    )


def test_replay_that_times_out_keeps_the_first_decision(
    gate: Gate, gate_store: Store, shopper: Shopper, settings: Any, table_lock: Callable[[str], Callable[[], None]]
) -> None:
    """The gate already opened for this event: a later retry that could not be decided in time
    must not rewrite the gate log to say the store's default let the shopper in."""
    settings.JWO_IDENTITY_BUDGET_MS = 300
    sent = gate_body(identity_key_for(shopper))
    first = gate(sent)
    release = table_lock("entry_gateevent")

    retry = gate({**sent, "requestId": str(uuid.uuid4())})
    release()
    pool_shutdown()  # waits for the background recording of the 500

    assert (first.status_code, retry.status_code) == (200, 500)
    event = GateEvent.objects.get()
    assert (event.decision, event.reason, event.status_code, event.shopper_id) == (
        "admitted",
        "admitted",
        200,
        shopper.pk,
    )
    again = gate({**sent, "requestId": str(uuid.uuid4())})
    assert (again.status_code, again.json()) == (200, visitor(shopper))


def test_connector_key_that_cannot_be_checked_in_time_is_a_500(
    gate: Gate, gate_store: Store, shopper: Shopper, settings: Any, table_lock: Callable[[str], Callable[[], None]]
) -> None:
    """Cold cache and a stalled key table: the gate follows the store's default, and nothing is decided."""
    settings.JWO_IDENTITY_BUDGET_MS = 300
    sent = gate_body(identity_key_for(shopper))
    release = table_lock("core_connectorkey")

    started = time.perf_counter()
    response = gate(sent)
    elapsed = time.perf_counter() - started

    assert (response.status_code, response.json()) == (500, UNDECIDED)
    assert elapsed < 2.0
    release()
    assert wait_for(lambda: GateEvent.objects.filter(decision="store_default").exists())
    event = GateEvent.objects.get()
    assert (event.decision, event.status_code, event.response_body, event.auth_event_id, event.auth_event_ref) == (
        "store_default",
        500,
        UNDECIDED,
        None,
        sent["authEvent"]["id"],
    )
    assert event.key_fingerprint == key_fingerprint(sent["identityKey"])
    # The gate event was not decided: Amazon's retry, once the database answers, is.
    again = gate({**sent, "requestId": str(uuid.uuid4())})
    assert (again.status_code, again.json()) == (200, visitor(shopper))
    assert GateEvent.objects.filter(auth_event_id=sent["authEvent"]["id"], reason="admitted").count() == 1


def test_late_record_of_an_undecided_call_names_the_store(
    gate: Gate, gate_store: Store, shopper: Shopper, settings: Any, table_lock: Callable[[str], Callable[[], None]]
) -> None:
    """The gate log is read per store: a 500 that let the store's default decide must be filed under
    that store, and say which default it was, even when the store was not in the cache at the time."""
    settings.JWO_IDENTITY_BUDGET_MS = 300
    sent = gate_body(identity_key_for(shopper))
    release = table_lock("core_connectorkey")

    response = gate(sent)
    release()
    pool_shutdown()  # waits for the background recording

    assert response.status_code == 500
    event = GateEvent.objects.get()
    assert (event.store_id, event.store_ref) == (gate_store.pk, "TEST_STORE_001")
    assert event.detail.startswith("Gate followed the store default (CLOSED): ")


def test_connector_key_check_past_the_deadline_is_recorded_as_a_timeout(
    gate: Gate, gate_store: Store, shopper: Shopper, settings: Any, table_lock: Callable[[str], Callable[[], None]]
) -> None:
    """Staff filter the gate log by reason: running out of time is "timeout", not "error"."""
    settings.JWO_IDENTITY_BUDGET_MS = 300
    sent = gate_body(identity_key_for(shopper))
    release = table_lock("core_connectorkey")

    response = gate(sent)
    release()
    pool_shutdown()  # waits for the background recording

    assert response.status_code == 500
    event = GateEvent.objects.get()
    assert (event.decision, event.reason) == ("store_default", "timeout")
