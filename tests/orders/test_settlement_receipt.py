"""The settlement task sends the receipt of the purchase it charged itself (no receipt task of its
own), once however often it runs; a send that fails is handed to the receipt task with the back-off
of a first try; and settling a purchase within its hold, receipt included, costs a fixed number of
statements (the payments worker's cost per purchase, bench/celery_work.py)."""

from typing import Any

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalog.models import Store
from orders.models import PaymentOperation, Purchase, ReceiptStatus, SandboxCharge
from orders.services import receipts
from orders.services.payments.settlement import purchase_settle
from orders.tasks import purchase_settle_task
from tests.orders.mail_backends import FLAKY, FlakyBackend
from tests.orders.payment_helpers import admitted, bought, card_shopper, on_commit_run, purchase_body

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("flaky_mail")]


def unsettled(shop: Store, key: str) -> Purchase:
    """A priced purchase of 2 colas (4.40 with tax, within the 50.00 hold), its settlement not run."""
    shopper = card_shopper("cust-settle", "pm_settle_4242")
    return bought(key, purchase_body(shop, shopper, admitted(shop, shopper), [("COLA", "2")]), settle=False)


def receipt_state(purchase: Purchase) -> tuple[str, str, int, str, bool]:
    purchase.refresh_from_db()
    return (
        purchase.payment_status,
        purchase.receipt_status,
        purchase.receipt_attempts,
        purchase.receipt_error,
        purchase.receipt_sent_at is not None,
    )


def test_the_settlement_task_sends_the_receipt_once_when_it_runs_twice(shop: Store, key: str) -> None:
    purchase = unsettled(shop, key)

    with on_commit_run():
        first = purchase_settle_task.delay(purchase.pk).get()
    with on_commit_run():
        second = purchase_settle_task.delay(purchase.pk).get()

    assert (first, second) == ("captured", "captured")
    assert receipt_state(purchase) == ("captured", ReceiptStatus.SENT, 1, "", True)
    assert [message.to for message in mail.outbox] == [["cust-settle@example.com"]]
    assert mail.outbox[0].subject == f"Your receipt from Pay Store: {purchase.purchase_id}"
    assert "\nCola  2 unit × 2.00  4.00\n" in mail.outbox[0].body
    assert "\nTotal USD 4.40\nCharged to your card\n" in mail.outbox[0].body
    assert list(PaymentOperation.objects.values_list("kind", "idempotency_key", "outcome")) == [
        ("authorise", f"hold:{purchase.request_body['shoppingTrip']['authEvents'][0]['id']}", "approved"),
        ("capture", f"capture:{purchase.pk}", "approved"),
    ]


def test_a_receipt_requested_before_the_settlement_runs_again_is_not_sent_by_it(shop: Store, key: str) -> None:
    purchase = unsettled(shop, key)
    Purchase.objects.filter(pk=purchase.pk).update(receipt_status=ReceiptStatus.PENDING)  # the receipt task's

    with on_commit_run():
        status = purchase_settle(purchase_pk=purchase.pk, send_receipt=True)

    assert status == "captured"
    assert receipt_state(purchase) == ("captured", ReceiptStatus.PENDING, 0, "", False)
    assert mail.outbox == []


def test_a_refused_send_goes_to_the_receipt_task_with_the_back_off_of_a_first_try(
    shop: Store, key: str, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.EMAIL_BACKEND = FLAKY
    FlakyBackend.failures = 1
    handed: list[tuple[Any, ...]] = []
    monkeypatch.setattr(
        receipts, "task_enqueue_on_commit", lambda *args, **kwargs: handed.append((*args, kwargs["options"]))
    )
    purchase = unsettled(shop, key)

    status = purchase_settle(purchase_pk=purchase.pk, send_receipt=True)

    assert status == "captured"
    assert receipt_state(purchase) == (
        "captured",
        ReceiptStatus.PENDING,
        1,
        "SMTPServerDisconnected: Connection unexpectedly closed",
        False,
    )
    assert handed == [("orders.tasks.receipt_send_task", purchase.pk, {"countdown": 60, "retries": 1})]
    assert mail.outbox == []


def test_with_no_retries_a_refused_send_is_not_delivered_at_once(shop: Store, key: str, settings: Any) -> None:
    settings.EMAIL_BACKEND = FLAKY
    settings.JWO_RECEIPT_RETRIES = 0
    FlakyBackend.failures = 1
    purchase = unsettled(shop, key)

    with on_commit_run():
        purchase_settle_task.delay(purchase.pk)

    assert receipt_state(purchase) == (
        "captured",
        ReceiptStatus.FAILED,
        1,
        "SMTPServerDisconnected: Connection unexpectedly closed",
        False,
    )
    assert FlakyBackend.attempts == 1


def test_settling_within_the_hold_with_the_receipt_takes_eleven_statements(shop: Store, key: str) -> None:
    purchase = unsettled(shop, key)

    with CaptureQueriesContext(connection) as captured, on_commit_run():
        purchase_settle(purchase_pk=purchase.pk, send_receipt=True)

    statements = [
        query["sql"].split(" ")[0] + " " + query["sql"].split('"')[1]
        for query in captured.captured_queries
        if "SAVEPOINT" not in query["sql"]  # the test's transaction; the worker runs in autocommit
    ]
    assert statements == [
        "SELECT orders_purchase",  # the purchase, its hold, store, shopper, audit, refusals, open issues
        "SELECT orders_sandboxcharge",  # the sandbox gateway's books: one read ...
        "INSERT orders_sandboxcharge",  # ... and one entry
        "INSERT orders_paymentoperation",
        "UPDATE orders_purchase",  # captured
        "UPDATE orders_paymentauthorisation",  # the hold captured
        "UPDATE orders_purchase",  # the receipt requested and claimed
        "SELECT orders_purchaseline",
        "SELECT orders_purchaselinediscount",
        "SELECT orders_refund",
        "UPDATE orders_purchase",  # the receipt sent
    ]
    assert receipt_state(purchase) == ("captured", ReceiptStatus.SENT, 1, "", True)
    assert SandboxCharge.objects.filter(kind="capture", amount="4.40").count() == 1
