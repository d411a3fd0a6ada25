"""A store's payments settings: the hold put on a shopper's card when the gate admits them."""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction

from catalog.models import Store
from orders.models import StorePayment


@transaction.atomic
def store_payment_set(*, store: Store, preauthorisation_amount: Decimal) -> StorePayment:
    """Set the amount held on a shopper's card when ``store``'s gate admits them (the next hold
    uses it; holds already placed keep theirs). Raises ValidationError, keyed
    ``preauthorisation_amount``, for an amount that is not positive or does not fit the field
    (12 digits, 2 places)."""
    if preauthorisation_amount <= 0:
        raise ValidationError({"preauthorisation_amount": "The pre-authorisation amount must be more than 0."})
    payment = StorePayment.objects.filter(store=store).first() or StorePayment(store=store)
    payment.preauthorisation_amount = preauthorisation_amount
    payment.full_clean(validate_unique=False)  # one row per store: the primary key is the store
    payment.save()
    return payment
