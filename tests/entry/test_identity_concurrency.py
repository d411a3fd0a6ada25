"""Verify Identity Keys under concurrent calls (PostgreSQL): Amazon retries while the first call runs.

Each thread posts through its own test Client, so each request runs on its own thread with its own
database connection, as under a threaded web server; the decision work runs on the deadline pool.
"""

import threading
import uuid
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import connections
from django.test import Client

from catalog.models import Store
from entry.models import GateEvent, Shopper
from tests.entry.conftest import IDENTITY_URL, gate_body, identity_key_for, make_shopper

THREADS = 8
ROUNDS = 3

Gate = Callable[..., Any]


def post_together(bodies: list[dict[str, Any]], connector_key: str) -> list[tuple[int, Any]]:
    """POST every body at the same moment, one thread each; (status, JSON body) in the same order."""
    barrier = threading.Barrier(len(bodies))
    results: list[tuple[int, Any] | None] = [None] * len(bodies)
    errors: list[BaseException] = []

    def call(index: int, body: dict[str, Any]) -> None:
        client = Client()
        try:
            barrier.wait(timeout=10)
            response = client.post(
                IDENTITY_URL,
                data=body,
                content_type="application/json",
                headers={settings.JWO_CONNECTOR_KEY_HEADER: connector_key},
            )
            results[index] = (response.status_code, response.json())
        except BaseException as error:  # reported below, in the test's thread
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=call, args=(index, body)) for index, body in enumerate(bodies)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads)
    assert errors == []
    return [result for result in results if result is not None]


def visitor(shopper: Shopper) -> dict[str, Any]:
    return {"visitorDetails": {"id": shopper.external_id, "type": shopper.visitor_type}}


def test_concurrent_replays_of_one_gate_event_get_one_answer_and_one_record(
    require_postgres: None, gate: Gate, gate_store: Store, shopper: Shopper, connector_key: str
) -> None:
    key = identity_key_for(shopper)
    assert gate(gate_body(key)).status_code == 200  # pool threads connected, key and store cached
    sent = gate_body(key)
    same_event = [{**sent, "requestId": str(uuid.uuid4())} for _ in range(THREADS)]

    results = post_together(same_event, connector_key)

    assert results == [(200, visitor(shopper))] * THREADS
    event = GateEvent.objects.get(auth_event_id=sent["authEvent"]["id"])
    assert (event.decision, event.reason, event.status_code, event.shopper_id) == (
        "admitted",
        "admitted",
        200,
        shopper.pk,
    )
    assert event.response_body == visitor(shopper)
    assert event.replays == THREADS - 1
    assert event.request_id in {body["requestId"] for body in same_event}
    assert GateEvent.objects.count() == 2


def test_concurrent_replays_of_a_refused_event_get_the_same_refusal(
    require_postgres: None, gate: Gate, gate_store: Store, shopper: Shopper, connector_key: str
) -> None:
    key = identity_key_for(shopper)
    assert gate(gate_body(key)).status_code == 200
    Shopper.objects.filter(pk=shopper.pk).update(status="blocked", status_reason="Fraud")
    sent = gate_body(key)

    results = post_together([sent] * THREADS, connector_key)

    assert results == [(401, {"message": "Unauthorized - Invalid or Unknown Key"})] * THREADS
    event = GateEvent.objects.get(auth_event_id=sent["authEvent"]["id"])
    assert (event.reason, event.status_code, event.replays) == ("blocked", 401, THREADS - 1)
    assert GateEvent.objects.count() == 2


def test_concurrent_different_gate_events_are_each_admitted_once(
    require_postgres: None, gate: Gate, gate_store: Store, connector_key: str
) -> None:
    shoppers = [make_shopper(f"cust-{number:04d}") for number in range(THREADS)]
    assert gate(gate_body(identity_key_for(shoppers[0]))).status_code == 200
    bodies = [gate_body(identity_key_for(person)) for person in shoppers]

    results = post_together(bodies, connector_key)

    assert results == [(200, visitor(person)) for person in shoppers]
    for body, person in zip(bodies, shoppers, strict=True):
        event = GateEvent.objects.get(auth_event_id=body["authEvent"]["id"])
        assert (event.decision, event.shopper_id, event.replays, event.request_id) == (
            "admitted",
            person.pk,
            0,
            body["requestId"],
        )
    assert GateEvent.objects.count() == THREADS + 1


def test_concurrent_events_of_one_shopper_each_get_a_decision(
    require_postgres: None, gate: Gate, gate_store: Store, shopper: Shopper, connector_key: str
) -> None:
    """One code, scanned at several lanes at once: each gate event is its own decision."""
    key = identity_key_for(shopper)
    assert gate(gate_body(key)).status_code == 200

    for _ in range(ROUNDS):
        bodies = [gate_body(key) for _ in range(THREADS)]
        results = post_together(bodies, connector_key)
        assert results == [(200, visitor(shopper))] * THREADS

    assert GateEvent.objects.filter(reason="admitted", replays=0).count() == 1 + ROUNDS * THREADS
