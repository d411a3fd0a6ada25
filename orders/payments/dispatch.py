"""Where Create Purchases and the gate hand money work to Celery: after commit, never inline.

The connectors answer Amazon first; holds and captures run on a worker (``orders.tasks``), and
the sweeper (``payments_sweep``) picks up anything whose hand-off was lost (a broker outage).
"""

import logging

from django.db import transaction

from orders.models import PaymentStatus, PurchaseStatus
from orders.payments.handoff import hand_off

logger = logging.getLogger(__name__)

CASH_SCAN_TYPES = frozenset({"CASH", "CASH_SHOPPER"})
NO_CHARGE_SCAN_TYPES = frozenset({"ASSOCIATE"})


def initial_payment_status(*, status: str, scan_result_type: str) -> str:
    """What a new purchase owes: a bad cart waits for staff; a cash shopper pays at the counter
    (nothing for an empty cart); an associate's trip is not charged; the rest is *pending*, which
    the settlement turns into a capture, or for an empty cart into releasing the hold."""
    if status == PurchaseStatus.BAD_CART:
        return PaymentStatus.ON_HOLD
    if scan_result_type in CASH_SCAN_TYPES:
        return PaymentStatus.NOT_CHARGED if status == PurchaseStatus.EMPTY else PaymentStatus.AT_COUNTER
    if scan_result_type in NO_CHARGE_SCAN_TYPES:
        return PaymentStatus.NOT_CHARGED
    return PaymentStatus.PENDING


def _settle_enqueue(purchase_pk: int) -> None:
    from orders.tasks import purchase_settle_task

    hand_off(purchase_settle_task, purchase_pk, what=f"the settlement of purchase {purchase_pk}")


def purchase_created(purchase_pk: int) -> None:
    """A new purchase was stored: settle its money (capture, void, receipt) once it is committed."""
    transaction.on_commit(lambda: _settle_enqueue(purchase_pk))
