"""A store's gate settings: the decision its gate follows when the connector cannot decide."""

from django.db import transaction

from catalog.models import Store
from entry.models import StoreGate
from entry.selectors.stores import store_gate_cache_forget


@transaction.atomic
def store_gate_default_set(*, store: Store, decision: str) -> StoreGate:
    """Set what ``store``'s gate does when the identity connector answers 500, and make the gate read
    it at its next call (the cached profile is dropped now and after the commit). Raises
    ValidationError for a decision that is not one of ``GateDefault``."""
    gate = StoreGate.objects.filter(store=store).first() or StoreGate(store=store)
    gate.default_decision = decision
    gate.full_clean(validate_unique=False)  # one row per store: the primary key is the store
    gate.save()
    store_ids = {store.store_id}
    store_gate_cache_forget(store_ids=store_ids)
    transaction.on_commit(lambda: store_gate_cache_forget(store_ids=store_ids))
    return gate
