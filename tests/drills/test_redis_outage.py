"""Drill: Redis — the cache, the shared rate limits and Celery's broker — down (a fault proxy in
front of the real server).

What must hold: the connectors keep answering (gunicorn with production settings): the gate
decides from the database and Create Purchases stores the cart; the money hand-offs that could
not be queued are picked up by the sweeper once Redis is back, and each charge happens once. A
catalog sync pauses without spending its attempts or calling Amazon, and finishes by itself when
Redis is back.
"""

import base64
import copy
import json
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from catalog.models import AmazonCall, BatchStatus, Store, UploadBatch
from catalog.services.sync_plan import sync_plan
from catalog.services.sync_send import sync_batch_send
from entry.services.shoppers import scan_key_issue
from jwo_admin.integrations.amazon_catalog import client_reset
from orders.models import PaymentAuthorisation, PaymentStatus, Purchase, SandboxCharge
from orders.services.payments import holds, settlement
from orders.tasks import purchase_settle_task
from tests.catalog.helpers import COLA, JUICE, WATER, run_import, write_csv
from tests.catalog.sync_helpers import drive
from tests.drills.proxy import fault_proxy
from tests.drills.servers import database_url, drill_shop, gunicorn, production_env

pytestmark = pytest.mark.drill
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def _redis_parts(url: str) -> tuple[str, int, str]:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return parts.hostname or "127.0.0.1", parts.port or 6379, parts.path or "/0"


@pytest.mark.django_db(transaction=True)
def test_connectors_keep_answering_with_redis_down_and_the_money_moves_once_it_is_back(
    store: Store, redis_url: str, tmp_path: Path
) -> None:
    shopper, headers = drill_shop(store, "cust-redis")
    host, port, db = _redis_parts(redis_url)

    with fault_proxy(host, port) as redis_proxy:
        proxied = f"redis://127.0.0.1:{redis_proxy.port}{db}"
        env = production_env(database=database_url(), redis=proxied)
        with gunicorn(env, tmp_path / "web.log") as web:
            redis_proxy.set("down")
            code = scan_key_issue(shopper=shopper, store=store).code
            event_id = str(uuid.uuid4())
            now = datetime.now(UTC)
            gate = web.post(
                "/v1/identity/identity-keys",
                {
                    "requestId": str(uuid.uuid4()),
                    "identityKey": base64.b64encode(code.encode()).decode(),
                    "storeId": store.store_id,
                    "authEvent": {"id": event_id, "timestamp": now.strftime("%Y-%m-%dT%H:%M:%SZ"), "location": "ENTRY"},
                },
                headers,
            )
            body = copy.deepcopy(json.loads((FIXTURES / "create_purchases.json").read_text()))
            body.update(storeId=store.store_id, idempotentShoppingTripId="33333333-3333-4333-8333-333333333333")
            body["shoppingTrip"]["authEvents"][0].update(
                id=event_id, scanResult={"id": shopper.external_id, "type": "SHOPPER"}
            )
            body["shoppingTrip"]["startTime"] = now.strftime("%Y-%m-%dT%H:%M:%SZ")
            body["shoppingTrip"]["endTime"] = (now + timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%SZ")
            body["cartItems"] = [{"id": "SKU-COLA", "type": "SKU", "quantity": {"value": "2", "unit": "unit"}}]
            bought = web.post("/v1/order/purchases", body, headers)
            replayed = web.post("/v1/order/purchases", {**body, "requestId": str(uuid.uuid4())}, headers)
            redis_proxy.set("pass")
            log_errors = web.errors()

    assert (gate.status, gate.body) == (200, {"visitorDetails": {"id": "cust-redis", "type": "SHOPPER"}})
    assert gate.seconds < 2.0
    assert bought.status == 201
    assert replayed.body == bought.body
    assert bought.seconds < 10.0, bought.seconds
    purchase = Purchase.objects.get()
    assert (purchase.purchase_id, purchase.total, purchase.payment_status) == (
        bought.body["purchaseId"],
        Decimal("4.18"),
        PaymentStatus.PENDING,  # its settlement could not be queued
    )
    assert log_errors == []

    # Redis is back: the sweeper finds the hold that was not placed and the purchase not settled.
    for auth_event_id in holds.holds_unplaced(older_than=timedelta(0), within=timedelta(hours=2)):
        holds.hold_request(auth_event_id=auth_event_id)
    for purchase_pk in settlement.purchases_unsettled(older_than_seconds=0):
        purchase_settle_task.delay(purchase_pk)
    for purchase_pk in settlement.purchases_unsettled(older_than_seconds=0):  # a second sweep: nothing more
        purchase_settle_task.delay(purchase_pk)

    purchase.refresh_from_db()
    assert (purchase.payment_status, purchase.captured_total) == (PaymentStatus.CAPTURED, Decimal("4.180"))
    assert PaymentAuthorisation.objects.filter(auth_event_id=event_id).count() == 1
    captures = SandboxCharge.objects.filter(kind="capture", outcome="approved")
    assert list(captures.values_list("amount", flat=True)) == [Decimal("4.180")]


@pytest.mark.django_db
def test_a_sync_pauses_while_redis_is_down_and_finishes_by_itself_when_it_is_back(
    store: Store, fake_amazon: Any, redis_url: str, settings: Any, tmp_path: Path
) -> None:
    settings.JWO_SQS_WAIT_SECONDS = 0
    run_import(store, write_csv(tmp_path / "seed.csv", [COLA, WATER, JUICE]))
    host, port, db = _redis_parts(redis_url)
    with fault_proxy(host, port) as redis_proxy:
        settings.REDIS_URL = f"redis://127.0.0.1:{redis_proxy.port}{db}"  # the shared Amazon rate limit
        client_reset()
        run = sync_plan(store=store)
        [batch] = run.batches.all()

        redis_proxy.set("down")
        waits = []
        for _ in range(3):  # the dispatcher's ticks while it is down
            UploadBatch.objects.filter(pk=batch.pk).update(next_attempt_at=None)
            waits.append(sync_batch_send(batch_id=batch.pk))
        paused = UploadBatch.objects.get(pk=batch.pk)

        redis_proxy.set("pass")
        UploadBatch.objects.filter(pk=batch.pk).update(next_attempt_at=None)  # due now
        finished = drive(run)
    client_reset()

    assert all(wait is not None and wait > 0 for wait in waits)
    assert (paused.status, paused.attempts) == (BatchStatus.PENDING, 0)  # nothing spent, nothing sent
    assert paused.last_error.startswith("Our rate limiter is unavailable")
    assert finished.status == "done"
    assert finished.items_accepted == 3
    uploads = AmazonCall.objects.filter(operation="upload")
    assert list(uploads.values_list("outcome", flat=True)) == ["accepted"]
