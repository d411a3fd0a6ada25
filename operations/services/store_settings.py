"""A store's settings across the apps that own them, saved together: catalog's store, entry's gate
default and orders' pre-authorisation amount. Operations holds it because no app may reach into the
others' settings (catalog knows nothing of gates or payments)."""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction

from catalog.models import Store
from catalog.services.stores import store_save
from entry.services.store_gates import store_gate_default_set
from orders.services.store_payments import store_payment_set


@transaction.atomic
def store_settings_save(
    *,
    store: Store,
    default_gate_decision: str,
    preauthorisation_amount: Decimal,
    expired_hold_policy: str | None = None,
    refund_days: int | None = None,
) -> Store:
    """Save ``store`` (new or edited), what its gate does when the identity connector answers 500,
    the amount held on a shopper's card at its gate, its expired-hold policy and refund window
    (None: unchanged), each through its app's service, all or nothing.
    Raises ValidationError keyed by the staff form's field names (``store_id``…,
    ``default_gate_decision``, ``preauthorisation_amount``); nothing is then saved."""
    store = store_save(store=store)
    try:
        store_gate_default_set(store=store, decision=default_gate_decision)
    except ValidationError as error:
        raise ValidationError({"default_gate_decision": error.messages}) from error
    store_payment_set(
        store=store,
        preauthorisation_amount=preauthorisation_amount,
        expired_hold_policy=expired_hold_policy,
        refund_days=refund_days,
    )
    return store
