"""The bad-cart and payment-issue queues leave a store simulation's rows out unless staff tick
"Show simulated" (``?simulated=on``); shown, they are labelled."""

from datetime import UTC, datetime
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from catalog.models import Store
from orders.models import PaymentIssue, PaymentOperationKind, PaymentStatus, Purchase, PurchaseStatus
from tests.orders.test_views import make_purchase, table_rows

pytestmark = pytest.mark.django_db

NOW = datetime(2025, 3, 10, 14, 20, tzinfo=UTC)


@pytest.fixture
def bad_carts(store: Store, settings: Any) -> dict[str, Purchase]:
    settings.TIME_ZONE = "UTC"
    bad: dict[str, Any] = {"status": PurchaseStatus.BAD_CART, "payment_status": PaymentStatus.ON_HOLD, "total": "1.50"}
    return {
        "real": make_purchase(store, at=NOW.replace(hour=9), visitor_ref="cust-real", **bad),
        "simulated": make_purchase(store, at=NOW.replace(hour=10), visitor_ref="sim-1", simulation_run_id=4, **bad),
    }


def _bad_cart_rows(client: Client, **query: str) -> list[list[str]]:
    return table_rows(client.get(reverse("orders:bad_cart_queue"), query).content.decode(), "bad-cart-table")


def test_a_simulated_bad_cart_is_left_out_by_default(bad_carts: dict[str, Purchase], viewer_client: Client) -> None:
    rows = _bad_cart_rows(viewer_client)

    assert [row[1] for row in rows] == [bad_carts["real"].purchase_id]


def test_show_simulated_lists_it_labelled(bad_carts: dict[str, Purchase], viewer_client: Client) -> None:
    response = viewer_client.get(reverse("orders:bad_cart_queue"), {"simulated": "on"})
    rows = table_rows(response.content.decode(), "bad-cart-table")

    assert [row[:2] for row in rows] == [
        ["10 Mar 2025 09:20 UTC", bad_carts["real"].purchase_id],
        ["10 Mar 2025 10:20 UTC", f"{bad_carts['simulated'].purchase_id} Simulated"],
    ]
    assert 'name="simulated" id="id_simulated" checked' in response.content.decode()


def test_a_simulated_payment_issue_is_left_out_unless_shown(
    bad_carts: dict[str, Purchase], store: Store, viewer_client: Client
) -> None:
    def issue(purchase: Purchase) -> PaymentIssue:
        return PaymentIssue.objects.create(
            purchase=purchase, kind=PaymentOperationKind.CAPTURE, outcome="declined", message="Card declined"
        )

    real = issue(make_purchase(store, at=NOW, total="2.00", payment_status=PaymentStatus.FAILED))
    simulated = issue(
        make_purchase(store, at=NOW, total="3.00", payment_status=PaymentStatus.FAILED, simulation_run_id=4)
    )
    url = reverse("orders:issue_list")

    hidden = viewer_client.get(url).content.decode()
    shown = viewer_client.get(url, {"simulated": "on"}).content.decode()

    assert f'data-issue="{real.pk}"' in hidden
    assert f'data-issue="{simulated.pk}"' not in hidden
    assert [row[2] for row in table_rows(shown, "issue-queue")] == [
        "Capture",
        "Capture Simulated",
    ]
