"""Drill: the mail server down, then hanging, then back — through Django's real SMTP backend
against a real socket.

What must hold: the money never waits for the mail (the purchase is charged), each failed try is
counted on the purchase with its reason, a hanging server costs one timeout per try, the receipt
ends *not delivered* for staff once every try failed, and once the server is back the sweeper's
or staff's next try delivers it exactly once.
"""

from typing import Any

import pytest

from catalog.models import Store
from jwo_admin.core.connector_keys import connector_key_create
from orders.models import Purchase, ReceiptStatus
from orders.services.receipts import receipt_resend
from tests.drills.smtp import smtp_server
from tests.e2e.processes import free_port
from tests.orders.payment_helpers import admitted, bought, card_shopper, on_commit_run, payments_store, purchase_body

pytestmark = [pytest.mark.drill, pytest.mark.django_db]


@pytest.fixture
def smtp_port(settings: Any) -> int:
    port = free_port()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", port, 1
    settings.JWO_RECEIPT_RETRIES = 2
    return port


def test_receipts_survive_a_mail_server_that_is_down_then_hangs_then_comes_back(
    smtp_port: int, store_manager: Any
) -> None:
    shop: Store = payments_store()
    shopper = card_shopper("cust-smtp", "pm_smtp_4242")

    key = connector_key_create(name="gateway")[1]

    # down: nothing listens on the port; the first try and 2 more are refused
    purchase = bought(key, purchase_body(shop, shopper, admitted(shop, shopper), [("COLA", "2")]))
    purchase.refresh_from_db()
    assert (purchase.payment_status, purchase.receipt_status, purchase.receipt_attempts) == (
        "captured",
        ReceiptStatus.FAILED,
        3,
    )
    assert purchase.receipt_error.startswith("ConnectionRefusedError")

    # hanging: the server takes the connection and never greets; each try ends at the 1 s timeout
    with smtp_server(smtp_port, silent=True) as silent:
        with on_commit_run():
            receipt_resend(purchase_pk=purchase.pk, user_pk=store_manager.pk)
        purchase.refresh_from_db()
        assert (purchase.receipt_status, purchase.receipt_attempts) == (ReceiptStatus.FAILED, 3)
        assert purchase.receipt_error == "SMTPServerDisconnected: Connection unexpectedly closed: timed out"
        assert silent.messages == []

    # back: the next try delivers it, once
    with smtp_server(smtp_port) as mailbox, on_commit_run():
        receipt_resend(purchase_pk=purchase.pk, user_pk=store_manager.pk)

    purchase = Purchase.objects.get(pk=purchase.pk)
    assert (purchase.receipt_status, purchase.receipt_attempts, purchase.receipt_error) == (ReceiptStatus.SENT, 1, "")
    assert [(message["To"], message["Subject"]) for message in mailbox.messages] == [
        ("cust-smtp@example.com", f"Your receipt from Pay Store: {purchase.purchase_id}")
    ]
