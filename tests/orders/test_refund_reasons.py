"""Refunds keep a reason code from a fixed list (stored, shown in the refunds table), the store's
own refund window (``StorePayment.refund_days``; outside it nothing is stored), and give money
back once per form (``request_key``).

The purchase: cola 2 × 2.00 + cheese 30.00 + 10 % tax = 37.40 USD, charged."""

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from catalog.models import Store
from jwo_admin.core.exceptions import ApplicationError
from operations.services.store_settings import store_settings_save
from orders.models import Purchase, PurchaseAudit, Refund, SandboxCharge, StorePayment
from orders.services.payments.refunds import refund_create
from tests.conftest import client_for
from tests.orders.payment_helpers import admitted, bought, card_shopper, on_commit_run, payments_store, purchase_body
from tests.orders.test_views import table_rows

pytestmark = pytest.mark.django_db


@pytest.fixture
def purchase(db: None, key: str) -> Purchase:
    store: Store = payments_store()
    shopper = card_shopper("cust-reasons", "pm_ok_4242")
    return bought(key, purchase_body(store, shopper, admitted(store, shopper), [("COLA", "2"), ("CHEESE", "1")]))


def stored(purchase: Purchase) -> tuple[Any, ...]:
    return (
        Purchase.objects.get(pk=purchase.pk).refunded_total,
        Refund.objects.count(),
        SandboxCharge.objects.filter(kind="refund").count(),
        PurchaseAudit.objects.filter(action="refund").count(),
    )


def test_the_reason_code_of_a_refund_by_amount_is_stored_and_shown(purchase: Purchase, store_manager: User) -> None:
    client = client_for(store_manager)
    with on_commit_run():
        response = client.post(
            f"/orders/purchases/{purchase.pk}/refund-amount/",
            {"amount": "2.20", "reason_code": "damaged", "reason": "Dented can", "request_key": "k-1"},
        )

    assert response.status_code == 302
    refund = Refund.objects.get()
    assert (refund.reason_code, refund.reason, refund.amount, refund.status) == (
        "damaged",
        "Dented can",
        Decimal("2.200"),
        "succeeded",
    )
    rows = table_rows(client.get(f"/orders/purchases/{purchase.pk}/").content.decode(), "refund-table")
    assert rows[0][3] == "Damaged: Dented can"


def test_the_reason_code_of_a_refund_by_lines_is_stored(purchase: Purchase, store_manager: User) -> None:
    line = purchase.lines.get(sku="COLA")
    with on_commit_run():
        client_for(store_manager).post(
            f"/orders/purchases/{purchase.pk}/refund/",
            {f"line-{line.pk}": "1", "reason_code": "wrong_item", "reason": "Scanned twice"},
        )

    assert list(Refund.objects.values_list("reason_code", "amount")) == [("wrong_item", Decimal("2.200"))]


def test_a_code_outside_the_list_is_refused_with_nothing_stored(purchase: Purchase, store_manager: User) -> None:
    before = stored(purchase)

    with pytest.raises(ApplicationError, match="Choose a reason from the list."):
        refund_create(purchase_pk=purchase.pk, reason="x", reason_code="because", user_pk=store_manager.pk)

    assert stored(purchase) == before


def test_a_refund_outside_the_stores_window_is_refused_with_nothing_stored(
    purchase: Purchase, store_manager: User
) -> None:
    StorePayment.objects.filter(store=purchase.store).update(refund_days=7)
    Purchase.objects.filter(pk=purchase.pk).update(created_at=timezone.now() - timedelta(days=7, minutes=1))
    before = stored(purchase)

    with pytest.raises(ApplicationError, match=r"^Refunds are possible for 7 days after the purchase\.$"):
        refund_create(purchase_pk=purchase.pk, reason="late", reason_code="goodwill", user_pk=store_manager.pk)

    assert stored(purchase) == before == (Decimal("0.000"), 0, 0, 0)
    page = client_for(store_manager).get(f"/orders/purchases/{purchase.pk}/").content.decode()
    assert 'id="refund-form"' not in page


def test_inside_the_stores_window_a_refund_goes_through(purchase: Purchase, store_manager: User) -> None:
    StorePayment.objects.filter(store=purchase.store).update(refund_days=7)
    Purchase.objects.filter(pk=purchase.pk).update(created_at=timezone.now() - timedelta(days=6, hours=23))

    with on_commit_run():
        refund = refund_create(purchase_pk=purchase.pk, reason="ok", reason_code="goodwill", user_pk=store_manager.pk)

    refund.refresh_from_db()
    assert (refund.status, refund.amount, refund.reason_code) == ("succeeded", Decimal("37.400"), "goodwill")


def test_the_same_request_refunds_once(purchase: Purchase, store_manager: User) -> None:
    client = client_for(store_manager)
    form = {"amount": "1.00", "reason_code": "price_error", "reason": "Shelf label", "request_key": "same"}
    with on_commit_run():
        client.post(f"/orders/purchases/{purchase.pk}/refund-amount/", form)
        client.post(f"/orders/purchases/{purchase.pk}/refund-amount/", form)

    assert stored(purchase) == (Decimal("1.000"), 1, 1, 1)


def test_a_viewer_may_not_refund_with_a_code_and_nothing_is_stored(purchase: Purchase, viewer: User) -> None:
    response = Client()
    response.force_login(viewer)

    answer = response.post(
        f"/orders/purchases/{purchase.pk}/refund-amount/",
        {"amount": "1.00", "reason_code": "damaged", "reason": "x", "request_key": "v"},
    )

    assert answer.status_code == 403
    assert stored(purchase) == (Decimal("0.000"), 0, 0, 0)


def test_the_store_form_sets_the_expired_hold_policy_and_the_refund_window(db: None, admin_user: User) -> None:
    store = payments_store()
    client = client_for(admin_user)

    page = client.get(f"/catalog/stores/{store.pk}/").content.decode()
    assert 'name="expired_hold_policy"' in page
    assert 'name="refund_days"' in page
    response = client.post(
        f"/catalog/stores/{store.pk}/",
        {
            "store_id": "PAY_STORE",
            "name": "Pay Store",
            "currency": "USD",
            "time_zone": "UTC",
            "default_gate_decision": "CLOSED",
            "preauthorisation_amount": "50.00",
            "expired_hold_policy": "debt",
            "refund_days": "14",
        },
    )

    assert response.status_code == 302, response.context["form"].errors if response.context else ""
    assert StorePayment.objects.filter(store=store).values_list("expired_hold_policy", "refund_days").get() == (
        "debt",
        14,
    )


def test_a_store_without_its_own_window_uses_the_setting(db: None, settings: Any) -> None:
    settings.JWO_REFUND_DAYS = 45
    store = store_settings_save(
        store=Store(store_id="NEW_STORE", name="New", currency="USD"),
        default_gate_decision="CLOSED",
        preauthorisation_amount=Decimal("10.00"),
    )

    assert StorePayment.objects.filter(store=store).values_list("expired_hold_policy", "refund_days").get() == (
        "reauthorise",
        45,
    )
