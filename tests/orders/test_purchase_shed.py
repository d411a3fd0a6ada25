"""Create Purchases against the clock of the call's arrival: a call that waited past
``JWO_PURCHASE_SHED_MS`` for a worker is answered 503 with Retry-After at once, storing nothing;
Amazon's retry is priced then, once."""

import time
from typing import Any

import pytest
from django.test import Client
from prometheus_client import REGISTRY

from jwo_admin.core.arrival import RetrySchedule
from orders.models import Purchase
from tests.orders.test_create_purchases import CART, URL, body, shop  # noqa: F401 - shop: the priced store

pytestmark = pytest.mark.usefixtures("shop")  # the priced store of test_create_purchases

SHED = {"message": "Too busy to take the purchase just now; nothing was kept. Retry."}


def shed_calls() -> float:
    labels = {"connector": "purchases", "reason": "shed"}
    return REGISTRY.get_sample_value("jwo_connector_late_calls_total", labels) or 0


def post(sent: Any, key: str, *, waited: float | None) -> Any:
    headers = {"X-JWO-Connector-Key": key}
    if waited is not None:
        headers["X-Request-Start"] = f"t={time.time() - waited:.3f}"
    return Client().post(URL, data=sent, content_type="application/json", headers=headers)


def test_a_purchase_that_waited_past_its_budget_is_503_and_nothing_is_stored(
    key: str, django_assert_num_queries: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("jwo_admin.core.arrival.PURCHASE_RETRIES", RetrySchedule())  # a fresh web process
    sent = body(CART)
    before = shed_calls()

    with django_assert_num_queries(0):  # not even the connector key's check
        response = post(sent, key, waited=2.5)  # JWO_PURCHASE_SHED_MS is 2,000

    assert (response.status_code, response.json(), response["Retry-After"]) == (503, SHED, "1")
    assert Purchase.objects.count() == 0
    assert shed_calls() == before + 1
    # Another walk-out shed right after is asked back later (JWO_PURCHASE_RETRIES_PER_SECOND: 10).
    assert post(body(CART), key, waited=2.5)["Retry-After"] == "2"
    # Amazon's retry, fresh, is priced once.
    retried = post(sent, key, waited=0.0)
    purchase = Purchase.objects.get()
    assert (retried.status_code, retried.json()) == (201, {"purchaseId": purchase.purchase_id})
    assert shed_calls() == before + 2


def test_a_purchase_that_waited_under_its_budget_is_taken(key: str) -> None:
    before = shed_calls()

    response = post(body(CART), key, waited=1.5)  # JWO_PURCHASE_SHED_MS is 2,000

    assert (response.status_code, response.json()) == (201, {"purchaseId": Purchase.objects.get().purchase_id})
    assert shed_calls() == before
