"""Celery wrappers for orders: each takes an id and is safe to run twice (the services use
idempotency keys and conditional updates). A gateway that does not answer is retried with
backoff; after the last retry the money work becomes a payment issue for staff."""

import logging
from collections.abc import Callable
from datetime import date, timedelta

from celery import Task, shared_task
from django.conf import settings

from catalog.models import Store
from jwo_admin.core.metrics import payments_settled
from jwo_admin.integrations.payments.gateway import GatewayUnavailable
from orders.services import receipts, reconciliation
from orders.services.amazon_feed import amazon_feed_poll
from orders.services.payments import holds, refunds, settlement
from orders.services.receipts import receipt_backoff

logger = logging.getLogger(__name__)

RETRY_BASE_SECONDS = 5
RETRY_MAX_SECONDS = 300
HOLD_PENDING_RETRY_SECONDS = 5


def _backoff(retries: int) -> int:
    return int(min(RETRY_MAX_SECONDS, RETRY_BASE_SECONDS * 2**retries))


def _with_retries(
    task: Task,
    attempt: Callable[[], str],
    give_up: Callable[[Exception], str],
    countdown: Callable[[Exception, int], int],
    *,
    retry_on: tuple[type[Exception], ...] = (GatewayUnavailable, settlement.HoldUndecided),
    limit: int | None = None,
) -> str:
    """``attempt`` until it stops raising one of ``retry_on`` or the retries run out (``limit``,
    ``JWO_PAYMENT_RETRIES`` by default; then ``give_up``). On a worker each retry is a new delivery
    after ``countdown``; run eagerly (tests) the retries follow at once, as Celery's eager mode
    cannot re-deliver."""
    limit = settings.JWO_PAYMENT_RETRIES if limit is None else limit
    while True:
        try:
            return attempt()
        except retry_on as error:
            retries = task.request.retries or 0
            if retries >= limit:
                return give_up(error)
            if not task.request.is_eager:
                raise task.retry(countdown=countdown(error, retries)) from error
            task.request.retries = retries + 1


def _gateway_backoff(error: Exception, retries: int) -> int:
    if isinstance(error, settlement.HoldUndecided):
        return HOLD_PENDING_RETRY_SECONDS
    return _backoff(retries)


@shared_task(bind=True, acks_late=True, max_retries=None)
def holds_place_task(self: Task, auth_event_ids: list[str]) -> dict[str, str]:
    """Place the gate's holds of a batch of admissions. Only the holds the gateway gave no answer
    for are asked again (a new delivery carrying just their ids, backing off as one hold's would);
    after the last retry each of them becomes a payment issue."""
    statuses: dict[str, str] = {}
    ids = auth_event_ids
    while True:
        placed = holds.holds_place(auth_event_ids=ids)
        statuses.update(placed.statuses)
        if not placed.unanswered:
            return statuses
        retries = self.request.retries or 0
        if retries >= settings.JWO_PAYMENT_RETRIES:
            for auth_event_id, message in placed.unanswered.items():
                statuses[auth_event_id] = holds.hold_give_up(auth_event_id=auth_event_id, message=message)
            return statuses
        ids = list(placed.unanswered)
        if not self.request.is_eager:
            raise self.retry(args=(ids,), countdown=_backoff(retries))
        self.request.retries = retries + 1  # eagerly (tests) the retries follow at once, as in _with_retries


@shared_task(bind=True, acks_late=True, max_retries=None)
def hold_place_task(self: Task, auth_event_id: str) -> str:
    """Place the gate's hold on the shopper's card (one admission: messages queued before holds
    were batched, and a hold asked for by hand)."""
    return _with_retries(
        self,
        lambda: holds.hold_place(auth_event_id=auth_event_id),
        lambda error: holds.hold_give_up(auth_event_id=auth_event_id, message=str(error)),
        _gateway_backoff,
    )


def _settle_give_up(purchase_pk: int, error: Exception) -> str:
    if isinstance(error, settlement.HoldUndecided):  # the hold never got an answer: charge without it
        holds.hold_give_up(auth_event_id=str(error), message="no answer before the purchase")
        return settlement.purchase_settle(purchase_pk=purchase_pk, send_receipt=True)
    return settlement.purchase_settle_give_up(purchase_pk=purchase_pk, message=str(error))


@shared_task(bind=True, acks_late=True, max_retries=None)
def purchase_settle_task(self: Task, purchase_pk: int) -> str:
    """Capture, release or leave on hold, then send the receipt (here: see orders.services.receipts)."""
    status = _with_retries(
        self,
        lambda: settlement.purchase_settle(purchase_pk=purchase_pk, send_receipt=True),
        lambda error: _settle_give_up(purchase_pk, error),
        _gateway_backoff,
    )
    payments_settled.labels(status=status).inc()
    return status


@shared_task(bind=True, acks_late=True, max_retries=None)
def refund_process_task(self: Task, refund_pk: int) -> str:
    """Send a refund staff asked for to the gateway."""
    return _with_retries(
        self,
        lambda: refunds.refund_process(refund_pk=refund_pk),
        lambda error: refunds.refund_give_up(refund_pk=refund_pk, message=str(error)),
        _gateway_backoff,
    )


@shared_task(bind=True, acks_late=True, max_retries=None)
def receipt_send_task(self: Task, purchase_pk: int) -> str:
    """Email a purchase's receipt; tried again with back-off, then left *not delivered* for staff."""
    return _with_retries(
        self,
        lambda: receipts.receipt_send(purchase_pk=purchase_pk),
        lambda error: receipts.receipt_give_up(purchase_pk=purchase_pk, message=str(error)),
        lambda _, retries: receipt_backoff(retries),
        retry_on=(receipts.ReceiptNotSent,),
        limit=settings.JWO_RECEIPT_RETRIES,
    )


@shared_task
def payments_sweep_task() -> dict[str, int]:
    """Every minute: holds, settlements and receipts whose hand-off was lost, and holds nobody will capture."""
    missing = holds.holds_unplaced(older_than=timedelta(minutes=2), within=timedelta(hours=2))
    for auth_event_id in missing:
        holds.hold_request(auth_event_id=auth_event_id)
    unsettled = settlement.purchases_unsettled(older_than_seconds=120)
    for purchase_pk in unsettled:
        purchase_settle_task.delay(purchase_pk)
    released = settlement.holds_release_stale()
    unanswered = refunds.refunds_unanswered(older_than=timedelta(minutes=10))
    for refund_pk in unanswered:
        refund_process_task.delay(refund_pk)
    unsent = receipts.receipts_unsent(older_than=timedelta(minutes=15))
    receipts.receipts_release_stale(purchase_pks=unsent, older_than=timedelta(minutes=15))
    for purchase_pk in unsent:
        receipt_send_task.delay(purchase_pk)
    return {
        "holds": len(missing),
        "purchases": len(unsettled),
        "released": released,
        "refunds": len(unanswered),
        "receipts": len(unsent),
    }


@shared_task
def amazon_feed_poll_task() -> dict[str, int]:
    """Every minute: Amazon's new report files and events, and the failed ones again (safe to run
    twice: files, lines and events are each recorded once, and each is claimed with a row lock)."""
    return dict(vars(amazon_feed_poll(seconds=settings.JWO_AMAZON_FEED_POLL_SECONDS)))


@shared_task(acks_late=True, soft_time_limit=300, time_limit=360)
def reconciliation_run_task(store_pk: int, day: str) -> dict[str, int]:
    """Reconcile one store day (``day``: ISO date on the store's clock); safe to run twice."""
    result = reconciliation.reconciliation_run(store=Store.objects.get(pk=store_pk), day=date.fromisoformat(day))
    return {"admissions": result.admissions, "purchases": result.purchases_checked, "open": result.open_count}


@shared_task
def reconciliation_nightly_task() -> int:
    """Hourly (beat): each store's previous day, once it is over on its clock and its missing carts
    are decided, is reconciled; a day already run since is not run again."""
    due = reconciliation.reconciliation_days_due()
    for store_pk, day in due:
        reconciliation_run_task.delay(store_pk, day.isoformat())
    return len(due)
