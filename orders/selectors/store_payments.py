"""Reads of the stores' payments settings. A store without an ``orders.StorePayment`` row has the
defaults (catalog creates stores and knows nothing of payments)."""

from decimal import Decimal

from catalog.models import Store
from orders.models import DEFAULT_PREAUTHORISATION_AMOUNT, ExpiredHoldPolicy, StorePayment
from orders.models.stores import default_refund_days


def store_preauthorisation_amount(*, store: Store) -> Decimal:
    """The amount held on a shopper's card at ``store``'s gate: its own, or the default when never
    set. No query of its own when the store was read with ``select_related("payment")``."""
    try:
        return store.payment.preauthorisation_amount
    except StorePayment.DoesNotExist:
        return DEFAULT_PREAUTHORISATION_AMOUNT


def store_expired_hold_policy(*, store: Store) -> str:
    """What settling does with a hold that expired before the cart was priced (``ExpiredHoldPolicy``)."""
    try:
        return store.payment.expired_hold_policy
    except StorePayment.DoesNotExist:
        return ExpiredHoldPolicy.REAUTHORISE


def store_refund_days(*, store: Store) -> int:
    """How many days after a purchase staff may refund it: the store's window, or ``JWO_REFUND_DAYS``."""
    try:
        return store.payment.refund_days
    except StorePayment.DoesNotExist:
        return default_refund_days()
