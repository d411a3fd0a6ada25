"""A store's payments settings: the hold put on a shopper's card when the gate admits them."""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction

from catalog.models import Store
from orders.models import StorePayment


@transaction.atomic
def store_payment_set(
    *,
    store: Store,
    preauthorisation_amount: Decimal,
    expired_hold_policy: str | None = None,
    refund_days: int | None = None,
) -> StorePayment:
    """Set the amount held on a shopper's card when ``store``'s gate admits them (the next hold
    uses it; holds already placed keep theirs). Raises ValidationError, keyed
    ``preauthorisation_amount``, for an amount that is not positive or does not fit the field
    (12 digits, 2 places). ``expired_hold_policy`` and ``refund_days`` (None: unchanged) are
    checked by the model (a policy of the list, a whole number of days)."""
    if preauthorisation_amount <= 0:
        raise ValidationError({"preauthorisation_amount": "The pre-authorisation amount must be more than 0."})
    payment = StorePayment.objects.filter(store=store).first() or StorePayment(store=store)
    payment.preauthorisation_amount = preauthorisation_amount
    if expired_hold_policy is not None:
        payment.expired_hold_policy = expired_hold_policy
    if refund_days is not None:
        payment.refund_days = refund_days
    payment.full_clean(validate_unique=False)  # one row per store: the primary key is the store
    payment.save()
    return payment
