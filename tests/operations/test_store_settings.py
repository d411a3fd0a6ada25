"""A store's settings saved across catalog, entry and orders in one transaction: all or nothing."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from catalog.models import Store
from entry.models import GateDefault, StoreGate
from operations.services.store_settings import store_settings_save
from orders.models import StorePayment

pytestmark = pytest.mark.django_db


def test_a_new_store_is_saved_with_its_gate_default_and_amount() -> None:
    store = store_settings_save(
        store=Store(store_id="NEW_1", name="New", currency="USD"),
        default_gate_decision=GateDefault.OPEN,
        preauthorisation_amount=Decimal("75.00"),
    )

    assert list(Store.objects.values_list("pk", "store_id", "name")) == [(store.pk, "NEW_1", "New")]
    assert list(StoreGate.objects.values_list("store_id", "default_decision")) == [(store.pk, "OPEN")]
    assert list(StorePayment.objects.values_list("store_id", "preauthorisation_amount")) == [
        (store.pk, Decimal("75.00"))
    ]


def test_a_refused_gate_default_saves_no_store() -> None:
    with pytest.raises(ValidationError) as refused:
        store_settings_save(
            store=Store(store_id="NEW_2", name="New", currency="USD"),
            default_gate_decision="AJAR",
            preauthorisation_amount=Decimal("75.00"),
        )

    assert refused.value.message_dict == {"default_gate_decision": ["Value 'AJAR' is not a valid choice."]}
    assert not Store.objects.exists()
    assert not StoreGate.objects.exists()
    assert not StorePayment.objects.exists()


def test_a_refused_amount_leaves_the_store_and_its_gate_default_as_they_were(store: Store) -> None:
    StoreGate.objects.create(store=store, default_decision=GateDefault.OPEN)
    store.name = "Renamed"

    with pytest.raises(ValidationError) as refused:
        store_settings_save(store=store, default_gate_decision=GateDefault.CLOSED, preauthorisation_amount=Decimal("0"))

    assert refused.value.message_dict == {
        "preauthorisation_amount": ["The pre-authorisation amount must be more than 0."]
    }
    assert Store.objects.get(pk=store.pk).name == "Test Store"
    assert list(StoreGate.objects.values_list("store_id", "default_decision")) == [(store.pk, "OPEN")]
    assert not StorePayment.objects.exists()
