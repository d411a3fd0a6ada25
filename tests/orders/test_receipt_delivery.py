"""Receipts emailed off the checkout's path: a mail server that refuses or cannot be reached is
tried again with back-off, a receipt that never got through is left *not delivered* with the reason
on the purchase and counted for staff, and staff send it again."""

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.test import Client
from django.utils import timezone

from catalog.models import Store
from operations.metrics import DatabaseCollector
from orders.models import Purchase, PurchaseAudit, ReceiptStatus
from orders.selectors.reports import store_order_summaries
from orders.tasks import payments_sweep_task, receipt_backoff
from tests.conftest import client_for
from tests.orders.mail_backends import FLAKY, UNREACHABLE, FlakyBackend
from tests.orders.payment_helpers import admitted, bought, card_shopper, on_commit_run, purchase_body

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("flaky_mail")]


def charged(shop: Store, key: str) -> Purchase:
    shopper = card_shopper("cust-mail", "pm_mail_4242")
    purchase = bought(key, purchase_body(shop, shopper, admitted(shop, shopper), [("COLA", "2")]))
    purchase.refresh_from_db()
    return purchase


def receipt_state(purchase: Purchase) -> tuple[str, int, str, bool]:
    purchase.refresh_from_db()
    return (
        purchase.receipt_status,
        purchase.receipt_attempts,
        purchase.receipt_error,
        purchase.receipt_sent_at is not None,
    )


def test_a_charged_purchase_gets_its_receipt_once(shop: Store, key: str) -> None:
    purchase = charged(shop, key)

    assert receipt_state(purchase) == (ReceiptStatus.SENT, 1, "", True)
    assert [message.to for message in mail.outbox] == [["cust-mail@example.com"]]
    assert mail.outbox[0].subject == f"Your receipt from Pay Store: {purchase.purchase_id}"


def test_a_refusing_mail_server_is_tried_again_until_it_takes_the_receipt(shop: Store, key: str, settings: Any) -> None:
    settings.EMAIL_BACKEND = FLAKY
    FlakyBackend.failures = 2

    purchase = charged(shop, key)

    assert receipt_state(purchase) == (ReceiptStatus.SENT, 3, "", True)
    assert FlakyBackend.attempts == 3
    assert len(mail.outbox) == 1
    assert purchase.payment_status == "captured"  # the money never waited for the mail


def test_a_receipt_that_never_gets_through_is_not_delivered_with_the_reason_and_staff_resend_it(
    shop: Store, key: str, settings: Any, store_manager: User
) -> None:
    settings.EMAIL_BACKEND = UNREACHABLE
    settings.JWO_RECEIPT_RETRIES = 3

    purchase = charged(shop, key)

    assert receipt_state(purchase) == (
        ReceiptStatus.FAILED,
        4,  # the first try and 3 more
        "ConnectionRefusedError: [Errno 111] Connection refused",
        False,
    )
    assert mail.outbox == []
    assert purchase.payment_status == "captured"
    assert [summary.receipts_undelivered for summary in store_order_summaries()] == [1]
    open_work = next(iter(DatabaseCollector().collect()))
    assert {sample.labels["kind"]: sample.value for sample in open_work.samples}["receipts_undelivered"] == 1
    client = client_for(store_manager)
    page = client.get(f"/orders/purchases/{purchase.pk}/").content.decode()
    assert "Receipt not delivered: ConnectionRefusedError: [Errno 111] Connection refused (4 tries)" in page
    overview = client.get("/orders/").content.decode()
    assert f'href="/orders/purchases/?store={shop.pk}&amp;receipt=failed">1</a>' in overview

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"  # the mail server is back
    with on_commit_run():
        response = client.post(f"/orders/purchases/{purchase.pk}/resend-receipt/", follow=True)

    assert [str(message) for message in response.context["messages"]] == [
        f"The receipt of {purchase.purchase_id} is on its way to cust-mail@example.com."
    ]
    assert receipt_state(purchase) == (ReceiptStatus.SENT, 1, "", True)
    assert [message.to for message in mail.outbox] == [["cust-mail@example.com"]]
    assert list(PurchaseAudit.objects.filter(purchase=purchase, action="receipt_resent").values_list("detail")) == [
        ("to cust-mail@example.com",)
    ]
    assert [summary.receipts_undelivered for summary in store_order_summaries()] == [0]


def test_a_viewer_cannot_resend_and_nothing_is_sent(shop: Store, key: str, viewer: User) -> None:
    purchase = charged(shop, key)
    mail.outbox.clear()

    response = client_for(viewer).post(f"/orders/purchases/{purchase.pk}/resend-receipt/")

    assert response.status_code == 403
    assert mail.outbox == []
    assert not PurchaseAudit.objects.filter(action="receipt_resent").exists()


def test_a_purchase_without_an_email_address_owes_no_receipt(shop: Store, key: str) -> None:
    shopper = card_shopper("cust-quiet", "pm_quiet_4242")
    type(shopper).objects.filter(pk=shopper.pk).update(email="")

    purchase = bought(key, purchase_body(shop, shopper, admitted(shop, shopper), [("COLA", "1")]))

    assert receipt_state(purchase) == ("", 0, "", False)
    assert mail.outbox == []


def test_the_sweeper_sends_a_receipt_whose_hand_off_was_lost(shop: Store, key: str) -> None:
    purchase = charged(shop, key)
    mail.outbox.clear()
    Purchase.objects.filter(pk=purchase.pk).update(
        receipt_status=ReceiptStatus.PENDING,
        receipt_attempts=0,
        receipt_sent_at=None,
        created_at=timezone.now() - timedelta(minutes=20),
    )

    swept = payments_sweep_task()

    assert swept["receipts"] == 1
    assert receipt_state(purchase) == (ReceiptStatus.SENT, 1, "", True)
    assert len(mail.outbox) == 1


def test_a_send_that_died_midway_is_claimed_again_by_the_sweeper(shop: Store, key: str) -> None:
    purchase = charged(shop, key)
    mail.outbox.clear()
    long_ago = timezone.now() - timedelta(minutes=20)
    Purchase.objects.filter(pk=purchase.pk).update(
        receipt_status=ReceiptStatus.PENDING, receipt_attempts=1, receipt_sent_at=long_ago, created_at=long_ago
    )

    payments_sweep_task()

    assert receipt_state(purchase)[0] == ReceiptStatus.SENT
    assert len(mail.outbox) == 1


def test_tries_back_off_from_a_minute_to_an_hour() -> None:
    assert [receipt_backoff(retries) for retries in range(8)] == [60, 120, 240, 480, 960, 1920, 3600, 3600]


def test_the_receipt_link_stays_readable_whatever_the_mail_did(shop: Store, key: str, settings: Any) -> None:
    settings.EMAIL_BACKEND = UNREACHABLE
    settings.JWO_RECEIPT_RETRIES = 0
    purchase = charged(shop, key)

    page = Client().get(f"/receipts/{purchase.receipt_token}/")

    assert page.status_code == 200
    assert purchase.total == Decimal("4.40")


def test_a_purchase_with_no_receipt_yet_is_not_resent_and_nothing_is_sent(
    shop: Store, key: str, store_manager: User
) -> None:
    shopper = card_shopper("cust-unpaid", "pm_unpaid_9995")  # the sandbox refuses it: nothing charged
    purchase = bought(key, purchase_body(shop, shopper, admitted(shop, shopper), [("COLA", "1")]))
    assert (purchase.payment_status, receipt_state(purchase)) == ("failed", ("", 0, "", False))
    client = client_for(store_manager)
    assert 'id="resend-receipt"' not in client.get(f"/orders/purchases/{purchase.pk}/").content.decode()

    with on_commit_run():
        response = client.post(f"/orders/purchases/{purchase.pk}/resend-receipt/", follow=True)

    assert [str(message) for message in response.context["messages"]] == [
        f"{purchase.purchase_id} has no receipt to email."
    ]
    assert receipt_state(purchase) == ("", 0, "", False)
    assert mail.outbox == []
    assert not PurchaseAudit.objects.filter(action="receipt_resent").exists()


def test_a_catalog_manager_cannot_resend_and_nothing_is_sent(shop: Store, key: str, catalog_manager: User) -> None:
    purchase = charged(shop, key)
    mail.outbox.clear()

    with on_commit_run():
        response = client_for(catalog_manager).post(f"/orders/purchases/{purchase.pk}/resend-receipt/")

    assert response.status_code == 403
    assert mail.outbox == []
    assert receipt_state(purchase) == (ReceiptStatus.SENT, 1, "", True)
    assert not PurchaseAudit.objects.filter(action="receipt_resent").exists()
