"""Where Create Purchases and the gate hand money work to Celery: after commit, never inline.

The connectors answer Amazon first; holds and captures run on a worker (``orders.tasks``), and
the sweeper (``payments_sweep``) picks up anything whose hand-off was lost (a broker outage).
"""

import logging
from dataclasses import dataclass

from django.db import transaction

from entry.models import VisitorType
from jwo_admin.core.tasks import task_enqueue
from orders.models import PaymentStatus, PurchaseStatus

logger = logging.getLogger(__name__)

CASH_SCAN_TYPES = frozenset({"CASH", "CASH_SHOPPER"})
NO_CHARGE_SCAN_TYPES = frozenset({"ASSOCIATE"})
# What our records must say of a visitor for the trip's type to be taken at its word.
_RECORDED_AS = {
    "CASH": VisitorType.CASH_SHOPPER,
    "CASH_SHOPPER": VisitorType.CASH_SHOPPER,
    "ASSOCIATE": VisitorType.ASSOCIATE,
}


@dataclass(frozen=True)
class PaymentPlan:
    """What a new purchase owes, and why staff should look at it (``flag``: blank when nothing)."""

    payment_status: str
    flag: str = ""


def payment_plan(*, status: str, scan_result_type: str, visitor_ref: str, recorded_type: str) -> PaymentPlan:
    """What a new purchase owes: a bad cart waits for staff; a cash shopper pays at the counter
    (nothing for an empty cart); an associate's trip is not charged; the rest is *pending*, which
    the settlement turns into a capture, or for an empty cart into releasing the hold.

    The trip's type is what we answered at the gate, but the purchase is money: ``ASSOCIATE`` and
    ``CASH``/``CASH_SHOPPER`` are believed only for an id our records (``recorded_type``, blank for
    an id we do not know) hold as such; anyone else is charged as a shopper, and the purchase is
    flagged for staff with the reason."""
    if status == PurchaseStatus.BAD_CART:
        return PaymentPlan(PaymentStatus.ON_HOLD)
    expected = _RECORDED_AS.get(scan_result_type)
    if expected is not None and recorded_type != expected:
        if recorded_type:
            label = VisitorType(recorded_type).label.lower()
            who = f"is {'an' if label[0] in 'aeiou' else 'a'} {label} in our records"
        else:
            who = "is not in our records"
        return PaymentPlan(
            PaymentStatus.PENDING, f"Sent as {scan_result_type}, but {visitor_ref} {who}: charged as a shopper."
        )
    if scan_result_type in CASH_SCAN_TYPES:
        return PaymentPlan(PaymentStatus.NOT_CHARGED if status == PurchaseStatus.EMPTY else PaymentStatus.AT_COUNTER)
    if scan_result_type in NO_CHARGE_SCAN_TYPES:
        return PaymentPlan(PaymentStatus.NOT_CHARGED)
    return PaymentPlan(PaymentStatus.PENDING)


SETTLE_TASK = "orders.tasks.purchase_settle_task"


def _settle_enqueue(purchase_pk: int) -> None:
    task_enqueue(SETTLE_TASK, purchase_pk, what=f"the settlement of purchase {purchase_pk}")


def purchase_created(purchase_pk: int) -> None:
    """A new purchase was stored: settle its money (capture, void, receipt) once it is committed."""
    transaction.on_commit(lambda: _settle_enqueue(purchase_pk))
