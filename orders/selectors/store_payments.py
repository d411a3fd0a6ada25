"""Reads of the stores' payments settings. A store without an ``orders.StorePayment`` row holds the
default amount (catalog creates stores and knows nothing of payments)."""

from decimal import Decimal

from catalog.models import Store
from orders.models import DEFAULT_PREAUTHORISATION_AMOUNT, StorePayment


def store_preauthorisation_amount(*, store: Store) -> Decimal:
    """The amount held on a shopper's card at ``store``'s gate: its own, or the default when never
    set. No query of its own when the store was read with ``select_related("payment")``."""
    try:
        return store.payment.preauthorisation_amount
    except StorePayment.DoesNotExist:
        return DEFAULT_PREAUTHORISATION_AMOUNT
