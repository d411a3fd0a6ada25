"""Amazon retries Create Purchases while the first delivery is still running (PostgreSQL): however
many deliveries race, the shopper is charged once.

Each thread posts through its own test Client, so each request runs on its own thread with its own
database connection, as under a threaded web server; each closes its connection when done.
"""

import threading
from decimal import Decimal
from typing import Any

import pytest
from django.core import mail
from django.db import connection
from django.test import Client

from jwo_admin.core.connector_keys import connector_key_create
from orders.models import AuthorisationStatus, PaymentOperation, PaymentStatus, Purchase, SandboxCharge
from tests.orders.payment_helpers import admitted, buy, card_shopper, hold_of, payments_store, purchase_body

pytestmark = pytest.mark.django_db(transaction=True)

DELIVERIES = 50


def test_fifty_identical_deliveries_make_one_purchase_and_one_capture(require_postgres: None) -> None:
    store = payments_store()
    key = connector_key_create(name="gateway")[1]
    shopper = card_shopper("cust-race", "pm_race_4242")
    event_id = admitted(store, shopper)
    assert hold_of(event_id).status == AuthorisationStatus.AUTHORISED
    body = purchase_body(store, shopper, event_id, [("COLA", "2"), ("CHEESE", "1")])  # 37.40
    barrier = threading.Barrier(DELIVERIES)
    answers: list[tuple[int, Any]] = []
    failures: list[BaseException] = []
    lock = threading.Lock()

    def deliver() -> None:
        try:
            barrier.wait()
            response = buy(Client(), key, body)
            with lock:
                answers.append((response.status_code, response.json()))
        except BaseException as error:  # reported by the assertion below, not lost in the thread
            with lock:
                failures.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver) for _ in range(DELIVERIES)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert failures == []
    purchase = Purchase.objects.get()
    assert answers == [(201, {"purchaseId": purchase.purchase_id})] * DELIVERIES
    assert (purchase.replays, purchase.payment_status, purchase.captured_total) == (
        DELIVERIES - 1,
        PaymentStatus.CAPTURED,
        Decimal("37.400"),
    )
    assert list(SandboxCharge.objects.filter(kind="capture").values_list("amount", "outcome")) == [
        (Decimal("37.400"), "approved")
    ]
    assert list(PaymentOperation.objects.filter(kind="capture").values_list("idempotency_key", "outcome")) == [
        (f"capture:{purchase.pk}", "approved")
    ]
    assert hold_of(event_id).status == AuthorisationStatus.CAPTURED
    assert len(mail.outbox) == 1
