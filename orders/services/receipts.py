"""Receipts: a page per purchase at an unguessable address, and the same receipt by email when
the shopper has an address (the console backend prints it in the embedded default).

The receipt address is the purchase's ``receipt_token`` (24 random bytes): whoever holds the link
may read that one receipt, as with any emailed receipt link; nothing else is reachable from it.

A purchase the settlement task charges has its receipt sent by that task, with the purchase it
has loaded (``receipt_send_settled``): a task of its own per purchase cost the payments worker
about as much as the settlement (bench/celery_work.py). Only a send that fails becomes a
``receipt_send_task``, which tries again with back-off; staff resends and receipts requested
elsewhere (paid at the counter) go through that task as before.
"""

import logging
from datetime import datetime, timedelta
from smtplib import SMTPException
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.utils import timezone

from jwo_admin.core.exceptions import ApplicationError
from jwo_admin.core.tasks import task_enqueue_on_commit
from orders.models import Purchase, PurchaseAudit, PurchaseAuditAction, PurchaseStatus, ReceiptStatus
from orders.selectors.receipts import RECEIPT_PAYMENT_STATUSES, Receipt, receipt_get, receipt_of

logger = logging.getLogger(__name__)


RECEIPT_TASK = "orders.tasks.receipt_send_task"
RECEIPT_RETRY_BASE_SECONDS = 60
RECEIPT_RETRY_MAX_SECONDS = 3600


def receipt_backoff(retries: int) -> int:
    """1 min, 2, 4, … up to an hour between tries: a mail server that is down is often down a while."""
    return int(min(RECEIPT_RETRY_MAX_SECONDS, RECEIPT_RETRY_BASE_SECONDS * 2**retries))


class ReceiptNotSent(Exception):
    """The mail server refused the receipt or could not be reached; the attempt is on record."""


def _is_due(purchase: Purchase) -> bool:
    return bool(
        purchase.status == PurchaseStatus.PRICED
        and purchase.receipt_token
        and purchase.shopper is not None
        and purchase.shopper.email
    )


def receipt_request(*, purchase_pk: int) -> bool:
    """The purchase is charged (or owed at the counter): its receipt is due, once. Marks it
    *pending* and hands the sending to a worker after the commit; True if this call did."""
    purchase = Purchase.objects.select_related("shopper").filter(pk=purchase_pk).first()
    if purchase is None or not _is_due(purchase):
        return False
    if not Purchase.objects.filter(pk=purchase_pk, receipt_status="").update(receipt_status=ReceiptStatus.PENDING):
        return False
    task_enqueue_on_commit(RECEIPT_TASK, purchase_pk, what=f"the receipt of purchase {purchase_pk}")
    return True


def receipt_send(*, purchase_pk: int) -> str:
    """Email a pending receipt; returns the receipt's status. A claim by conditional update makes a
    second run at the same time (a redelivered task, a staff resend) a no-op. A refusal or an
    unreachable mail server is counted on the purchase with its reason and raised as
    ReceiptNotSent (the task tries again, backing off); the claim is released for that try."""
    purchase = Purchase.objects.select_related("shopper").filter(pk=purchase_pk).first()
    if purchase is None or purchase.receipt_status != ReceiptStatus.PENDING:
        return purchase.receipt_status if purchase is not None else ""
    receipt = receipt_get(token=purchase.receipt_token) if _is_due(purchase) else None
    if receipt is None or purchase.shopper is None:  # no longer due (written off, address removed)
        Purchase.objects.filter(pk=purchase_pk, receipt_status=ReceiptStatus.PENDING).update(receipt_status="")
        return ""
    now = timezone.now()
    claimed = Purchase.objects.filter(
        pk=purchase_pk, receipt_status=ReceiptStatus.PENDING, receipt_sent_at__isnull=True
    ).update(receipt_sent_at=now)
    if not claimed:
        return ReceiptStatus.PENDING  # another run is sending it now
    return _send_claimed(purchase_pk=purchase_pk, email=purchase.shopper.email, receipt=receipt, claimed_at=now)


def _send_claimed(*, purchase_pk: int, email: str, receipt: Receipt, claimed_at: datetime) -> str:
    """Email a receipt this run has claimed (``receipt_sent_at`` = ``claimed_at``): SENT, or the
    failure counted on the purchase with its reason, the claim released and ReceiptNotSent raised."""
    context: dict[str, Any] = {"receipt": receipt}
    message = EmailMultiAlternatives(
        subject=f"Your receipt from {receipt.purchase.store.name}: {receipt.purchase.purchase_id}",
        body=render_to_string("orders/receipts/email.txt", context),
        to=[email],
    )
    message.attach_alternative(render_to_string("orders/receipts/email.html", context), "text/html")
    try:
        message.send()
    except (SMTPException, OSError) as error:  # refused, unreachable, timed out: worth another try
        reason = f"{type(error).__name__}: {error}"[:255]
        Purchase.objects.filter(pk=purchase_pk, receipt_sent_at=claimed_at).update(
            receipt_sent_at=None, receipt_attempts=F("receipt_attempts") + 1, receipt_error=reason
        )
        logger.warning("receipt email for purchase %s not sent: %s", purchase_pk, reason)
        raise ReceiptNotSent(reason) from error
    Purchase.objects.filter(pk=purchase_pk, receipt_sent_at=claimed_at).update(
        receipt_status=ReceiptStatus.SENT, receipt_attempts=F("receipt_attempts") + 1, receipt_error=""
    )
    return ReceiptStatus.SENT


def receipt_send_settled(*, purchase: Purchase) -> str:
    """Send the receipt of a purchase the settlement task has just charged (or left owed at the
    counter), loaded with its store and shopper: due, once. Requested and claimed by one
    conditional update, so a settlement run twice, or a receipt requested meanwhile, sends nothing
    more; then read (lines, discounts, refunds) and sent in this run. A send that fails was this
    receipt's first try: the receipt task tries again after the back-off of a first try, as it
    would have (none left: *not delivered* at once). Returns the receipt's status as this run
    leaves it; blank when none is due, and the status it had when it was requested before."""
    if not _is_due(purchase) or purchase.shopper is None:
        return ""
    now = timezone.now()
    claimed = Purchase.objects.filter(pk=purchase.pk, receipt_status="").update(
        receipt_status=ReceiptStatus.PENDING, receipt_sent_at=now
    )
    if not claimed:
        return purchase.receipt_status or ReceiptStatus.PENDING
    purchase.receipt_status, purchase.receipt_sent_at = ReceiptStatus.PENDING, now
    try:
        return _send_claimed(
            purchase_pk=purchase.pk, email=purchase.shopper.email, receipt=receipt_of(purchase=purchase), claimed_at=now
        )
    except ReceiptNotSent as error:
        if settings.JWO_RECEIPT_RETRIES < 1:
            return receipt_give_up(purchase_pk=purchase.pk, message=str(error))
        task_enqueue_on_commit(
            RECEIPT_TASK,
            purchase.pk,
            what=f"the receipt of purchase {purchase.pk}",
            options={"countdown": receipt_backoff(0), "retries": 1},
        )
        return ReceiptStatus.PENDING


def receipt_give_up(*, purchase_pk: int, message: str) -> str:
    """Every try failed: the receipt is *not delivered*, with the reason, for staff to see and resend."""
    Purchase.objects.filter(pk=purchase_pk, receipt_status=ReceiptStatus.PENDING).update(
        receipt_status=ReceiptStatus.FAILED, receipt_error=message[:255]
    )
    logger.error("receipt email for purchase %s given up: %s", purchase_pk, message)
    return ReceiptStatus.FAILED


def receipt_resend(*, purchase_pk: int, user_pk: int | None) -> Purchase:
    """Staff send the receipt again (after a failure, or because the shopper asks): pending anew,
    with a fresh count of tries; audited."""
    with transaction.atomic():
        purchase = Purchase.objects.select_for_update(of=("self",)).select_related("shopper").get(pk=purchase_pk)
        if not _is_due(purchase) or purchase.payment_status not in RECEIPT_PAYMENT_STATUSES:
            raise ApplicationError(f"{purchase.purchase_id or 'This trip'} has no receipt to email.")
        if purchase.receipt_status == ReceiptStatus.PENDING and purchase.receipt_sent_at is not None:
            raise ApplicationError("The receipt is being sent right now.")
        assert purchase.shopper is not None  # noqa: S101 - _is_due checked it
        Purchase.objects.filter(pk=purchase_pk).update(
            receipt_status=ReceiptStatus.PENDING, receipt_sent_at=None, receipt_attempts=0, receipt_error=""
        )
        PurchaseAudit.objects.create(
            purchase=purchase,
            user_id=user_pk,
            action=PurchaseAuditAction.RECEIPT_RESENT,
            detail=f"to {purchase.shopper.email}",
        )
        task_enqueue_on_commit(RECEIPT_TASK, purchase_pk, what=f"the receipt of purchase {purchase_pk}")
    purchase.refresh_from_db()
    return purchase


def receipts_unsent(*, older_than: timedelta) -> list[int]:
    """Pending receipts nobody is sending: never tried (the hand-off was lost: a broker outage), or
    claimed long ago by a worker that died mid-send. The sweeper queues them again."""
    horizon = timezone.now() - older_than
    return list(
        Purchase.objects.filter(receipt_status=ReceiptStatus.PENDING, created_at__lte=horizon)
        .filter(Q(receipt_attempts=0, receipt_sent_at__isnull=True) | Q(receipt_sent_at__lte=horizon))
        .values_list("pk", flat=True)[:500]
    )


def receipts_release_stale(*, purchase_pks: list[int], older_than: timedelta) -> None:
    """Free the claims of sends that died (a killed worker) so the next try may claim them."""
    Purchase.objects.filter(
        pk__in=purchase_pks, receipt_status=ReceiptStatus.PENDING, receipt_sent_at__lte=timezone.now() - older_than
    ).update(receipt_sent_at=None)
