"""Drill: PostgreSQL down, then slow, while Amazon calls (gunicorn with production settings on
the test database through a fault proxy; Redis real).

What must hold: the Identity Connector answers within Amazon's 2 s all along — the deliberate 500
that lets the gate follow the store's default while it cannot decide — and records those answers
once the database is back; Create Purchases answers 503 with Retry-After, stores nothing, and
Amazon's retry after the outage is priced once. Nothing lost, nothing twice.
"""

import copy
import json
import time
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from catalog.models import Store
from entry.models import GateEvent, GateReason
from entry.services.gate_answers import UNDECIDED_BODIES
from entry.services.identity import gate_events_spool_drain
from entry.services.shoppers import scan_key_issue
from orders.models import Purchase
from tests.drills.proxy import fault_proxy
from tests.drills.servers import database_url, drill_shop, gate_call, gunicorn, production_env

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.drill]

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
GATE, PURCHASES = "/v1/identity/identity-keys", "/v1/order/purchases"


def trip(store_id: str, trip_id: str) -> dict[str, Any]:
    body: dict[str, Any] = copy.deepcopy(json.loads((FIXTURES / "create_purchases.json").read_text()))
    body.update(storeId=store_id, idempotentShoppingTripId=trip_id, requestId=str(uuid.uuid4()))
    body["cartItems"] = [{"id": "SKU-COLA", "type": "SKU", "quantity": {"value": "2", "unit": "unit"}}]
    return body


def wait_for(check: Any, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.25)
    return bool(check())


def test_postgresql_down_then_slow_while_amazon_calls(store: Store, redis_url: str, tmp_path: Path) -> None:
    shopper, headers = drill_shop(store, "cust-drill")
    database = settings.DATABASES["default"]

    with fault_proxy(database["HOST"], int(database["PORT"])) as proxy:
        env = production_env(database=database_url(host="127.0.0.1", port=proxy.port), redis=redis_url)
        with gunicorn(env, tmp_path / "web.log") as web:

            def code() -> str:
                return scan_key_issue(shopper=shopper, store=store).code

            # Warm: the connector key and the store are in the shared cache; a trip is priced.
            warm = web.post(GATE, gate_call(code(), store.store_id), headers)
            first = web.post(PURCHASES, trip(store.store_id, "11111111-1111-4111-8111-111111111111"), headers)
            assert (warm.status, warm.body["visitorDetails"]["type"]) == (200, "SHOPPER")
            assert first.status == 201

            # PostgreSQL down: connections cut and refused.
            proxy.set("down")
            down_calls = [gate_call(code(), store.store_id) for _ in range(3)]
            down = [web.post(GATE, body, headers) for body in down_calls]
            refused_trip = trip(store.store_id, "22222222-2222-4222-8222-222222222222")
            unstored = web.post(PURCHASES, refused_trip, headers)

            # PostgreSQL slow: every packet held 3 s.
            proxy.set("slow", delay=3.0)
            slow_call = gate_call(code(), store.store_id)
            slow = web.post(GATE, slow_call, headers)

            # Back: Amazon retries the trip (a new requestId, the same trip).
            proxy.set("pass")
            retried_trip = {**refused_trip, "requestId": str(uuid.uuid4())}
            retried = web.post(PURCHASES, retried_trip, headers)
            replayed = web.post(PURCHASES, {**refused_trip, "requestId": str(uuid.uuid4())}, headers)
            events = [call["authEvent"]["id"] for call in [*down_calls, slow_call]]
            # The records of the 500s wait in Redis; beat drains them every 5 s on a worker.
            recorded = wait_for(
                lambda: (
                    gate_events_spool_drain() >= 0 and GateEvent.objects.filter(auth_event_ref__in=events).count() == 4
                ),
                30,
            )
            log_errors = web.errors()

    for answer in down:  # the key and the records could not be read: which kind, without internals
        assert (answer.status, answer.body) == (500, UNDECIDED_BODIES[GateReason.ERROR])
    assert (slow.status, slow.body) == (500, UNDECIDED_BODIES[GateReason.TIMEOUT])
    for answer in [*down, slow]:
        assert answer.seconds < 2.0, answer.seconds  # Amazon's wait
    assert unstored.status == 503
    assert unstored.headers.get("Retry-After") == "1"
    assert unstored.body == {"message": "The purchase could not be stored just now; nothing was kept. Retry."}
    for answer in [*down, slow, unstored]:  # the one answer shape under /v1/, 500 and 503 too
        assert (answer.headers["Content-Type"], answer.headers["Cache-Control"]) == (
            "application/json; charset=utf-8",
            "no-store",
        )
    assert retried.status == 201
    assert retried.body["purchaseId"].startswith("PO-")
    assert replayed.body == retried.body
    purchases = Purchase.objects.order_by("pk")
    assert [purchase.trip_id for purchase in purchases] == [
        "11111111-1111-4111-8111-111111111111",
        "22222222-2222-4222-8222-222222222222",
    ]
    assert purchases[1].replays == 1
    assert purchases[1].total == Decimal("4.18")  # 2 × 1.99 + 5 % tax, priced once
    assert recorded, list(GateEvent.objects.values_list("auth_event_ref", "reason"))
    outage = GateEvent.objects.filter(auth_event_ref__in=events)
    assert sorted(set(outage.values_list("status_code", "decision"))) == [(500, "store_default")]
    assert set(outage.values_list("reason", flat=True)) <= {"timeout", "error"}
    assert log_errors == []
