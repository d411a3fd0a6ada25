"""The Identity Connector against the clock of the call's arrival, not of the view.

A call that waited past ``JWO_IDENTITY_SHED_MS`` for a worker gets the store-default 500 at once,
with no database work and no record; a call whose decision is made past ``JWO_IDENTITY_BUDGET_MS``
(counted from arrival) is kept as the 500 Amazon got, admitting no one and placing no hold.
"""

import re
import time
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.test import Client
from prometheus_client import REGISTRY

from catalog.models import Store
from entry.models import GateDecisionKind, GateEvent, GateReason, Shopper
from entry.services import gate_events
from entry.signals import shopper_admitted
from jwo_admin.core.deadline import pool_shutdown
from orders.models import PaymentAuthorisation
from tests.entry.conftest import IDENTITY_URL, gate_body, identity_key_for

TIMEOUT_BODY = {"message": "The shopper could not be verified in time; follow the store's default."}


def late_calls(reason: str) -> float:
    return REGISTRY.get_sample_value("jwo_connector_late_calls_total", {"connector": "identity", "reason": reason}) or 0


def call(body: dict[str, Any], key: str, *, waited: float | None = None) -> Any:
    """POST as Amazon's gateway would, nginx having stamped the arrival ``waited`` seconds ago."""
    headers = {django_settings.JWO_CONNECTOR_KEY_HEADER: key}
    if waited is not None:
        headers["X-Request-Start"] = f"t={time.time() - waited:.3f}"
    return Client().post(IDENTITY_URL, data=body, content_type="application/json", headers=headers)


@pytest.fixture
def admissions() -> Iterator[list[str]]:
    """The admissions entry announces (each one asks payments for a hold)."""
    announced: list[str] = []

    def receive(sender: Any, *, auth_event_id: str, **_: Any) -> None:
        announced.append(auth_event_id)

    shopper_admitted.connect(receive, dispatch_uid="test.admissions")
    yield announced
    shopper_admitted.disconnect(dispatch_uid="test.admissions")


def test_a_call_that_waited_past_the_shed_budget_gets_the_500_at_once_and_nothing_is_stored(
    connector_key: str,
    gate_store: Store,
    shopper: Shopper,
    admissions: list[str],
    django_assert_num_queries: Any,
) -> None:
    sent = gate_body(identity_key_for(shopper))
    before = late_calls("shed")

    with django_assert_num_queries(0):
        response = call(sent, connector_key, waited=1.5)  # JWO_IDENTITY_SHED_MS is 1,000

    assert (response.status_code, response.json()) == (500, TIMEOUT_BODY)
    pool_shutdown()  # anything queued for the background threads has run
    assert GateEvent.objects.count() == 0
    assert admissions == []
    assert PaymentAuthorisation.objects.count() == 0
    assert late_calls("shed") == before + 1


def test_a_call_that_waited_just_under_the_shed_budget_is_decided(
    connector_key: str, gate_store: Store, shopper: Shopper, admissions: list[str]
) -> None:
    sent = gate_body(identity_key_for(shopper))
    before = late_calls("shed")

    response = call(sent, connector_key, waited=0.5)

    assert response.status_code == 200
    event = GateEvent.objects.get()
    assert (event.decision, event.reason) == (GateDecisionKind.ADMITTED, GateReason.ADMITTED)
    assert 500 <= event.latency_ms < 1200  # from arrival: the half second it queued is in it
    pool_shutdown()
    assert admissions == [sent["authEvent"]["id"]]
    assert PaymentAuthorisation.objects.filter(auth_event_id=sent["authEvent"]["id"]).count() == 1
    assert late_calls("shed") == before


def test_a_fresh_call_is_unaffected(connector_key: str, gate_store: Store, shopper: Shopper) -> None:
    sent = gate_body(identity_key_for(shopper))
    shed, answered_late = late_calls("shed"), late_calls("answered_late")

    response = call(sent, connector_key, waited=0.0)

    assert response.status_code == 200
    assert response.json() == {"visitorDetails": {"id": "cust-0001", "type": "SHOPPER"}}
    assert GateEvent.objects.get().latency_ms < 1000
    assert (late_calls("shed"), late_calls("answered_late")) == (shed, answered_late)


def test_the_time_queued_is_spent_from_the_budget_so_a_slow_read_answers_500_in_time(
    connector_key: str, gate_store: Store, shopper: Shopper, admissions: list[str], monkeypatch: Any
) -> None:
    """Waited 0.9 s (under the shed budget), then a 0.5 s read: past 1.2 s from arrival. Timed
    from the view, this call was admitted at 1.4 s with a hold; now Amazon gets the 500 by 1.2 s."""
    read = gate_events.recognition_read

    def slow_read(token: str) -> Any:
        time.sleep(0.5)
        return read(token)

    monkeypatch.setattr("entry.services.identity.recognition_read", slow_read)
    sent = gate_body(identity_key_for(shopper))

    started = time.perf_counter()
    response = call(sent, connector_key, waited=0.9)
    answered_in = time.perf_counter() - started

    assert (response.status_code, response.json()) == (500, TIMEOUT_BODY)
    assert answered_in < 0.45  # what was left of the 1.2 s, not a fresh 1.2 s
    pool_shutdown()  # the read finishes and records the 500 it was too late for
    event = GateEvent.objects.get()
    assert (event.decision, event.reason, event.status_code) == (GateDecisionKind.STORE_DEFAULT, "timeout", 500)
    assert event.shopper_id is None
    assert admissions == []
    assert PaymentAuthorisation.objects.count() == 0


def test_a_decision_made_past_the_budget_is_kept_as_answered_late_with_no_hold(
    connector_key: str, gate_store: Store, shopper: Shopper, admissions: list[str], monkeypatch: Any, settings: Any
) -> None:
    """The caller still waits (its thread was slow to wake, as on a saturated machine), but the
    decision is made after the budget counted from arrival: it must act as if never given."""
    read = gate_events.recognition_read

    def read_then_run_out_of_time(token: str) -> Any:
        record = read(token)
        settings.JWO_IDENTITY_BUDGET_MS = 1  # from here on, the call is past its budget
        return record

    monkeypatch.setattr("entry.services.identity.recognition_read", read_then_run_out_of_time)
    sent = gate_body(identity_key_for(shopper))
    before = late_calls("answered_late")

    response = call(sent, connector_key)

    assert (response.status_code, response.json()) == (500, TIMEOUT_BODY)
    event = GateEvent.objects.get()
    assert (event.decision, event.reason, event.status_code) == (GateDecisionKind.STORE_DEFAULT, "late", 500)
    assert event.response_body == TIMEOUT_BODY
    assert (event.shopper_id, event.visitor_type) == (None, "")
    assert re.fullmatch(
        r"Gate followed the store default \(CLOSED\): decided \d+ ms after arrival, past the 0\.001 s budget",
        event.detail,
    )
    pool_shutdown()
    assert admissions == []
    assert PaymentAuthorisation.objects.count() == 0
    assert late_calls("answered_late") == before + 1
    # A replay of the gate event gets what Amazon got: the 500, never the admission.
    settings.JWO_IDENTITY_BUDGET_MS = 1200
    monkeypatch.setattr("entry.services.identity.recognition_read", read)
    assert (call(sent, connector_key).status_code, GateEvent.objects.get().replays) == (500, 1)
