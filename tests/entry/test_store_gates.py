"""A store's gate settings: the default the gate follows on a 500, read with the store in the gate's
one cached query, and changes that reach the gate at its next call."""

from typing import Any

import pytest
from django.core.exceptions import ValidationError

from catalog.models import Store
from catalog.services.stores import store_create, store_save
from entry.models import GateDefault, StoreGate
from entry.selectors.stores import (
    StoreGateProfile,
    store_gate_default,
    store_gate_profile,
    store_list_with_gate_default,
)
from entry.services.store_gates import store_gate_default_set

pytestmark = pytest.mark.django_db


def test_a_store_never_set_keeps_its_gate_closed_in_one_query(django_assert_num_queries: Any) -> None:
    store = Store.objects.create(store_id="GATE_1", name="Gate One")

    with django_assert_num_queries(1):
        profile = store_gate_profile("GATE_1")
    with django_assert_num_queries(0):
        again = store_gate_profile("GATE_1")

    assert profile == again == StoreGateProfile(pk=store.pk, store_id="GATE_1", default_gate_decision="CLOSED")


def test_the_gate_reads_the_store_default_with_the_store_in_one_query(django_assert_num_queries: Any) -> None:
    store = Store.objects.create(store_id="GATE_2", name="Gate Two")
    StoreGate.objects.create(store=store, default_decision=GateDefault.OPEN)

    with django_assert_num_queries(1):
        profile = store_gate_profile("GATE_2")

    assert profile == StoreGateProfile(pk=store.pk, store_id="GATE_2", default_gate_decision="OPEN")


def test_a_changed_default_reaches_the_gate_at_its_next_call() -> None:
    store = Store.objects.create(store_id="GATE_3", name="Gate Three")
    assert store_gate_profile("GATE_3") == StoreGateProfile(store.pk, "GATE_3", "CLOSED")  # now cached

    gate = store_gate_default_set(store=store, decision=GateDefault.OPEN)

    assert (gate.store_id, gate.default_decision) == (store.pk, "OPEN")
    assert store_gate_profile("GATE_3") == StoreGateProfile(store.pk, "GATE_3", "OPEN")
    store_gate_default_set(store=store, decision=GateDefault.CLOSED)
    assert list(StoreGate.objects.values_list("store_id", "default_decision")) == [(store.pk, "CLOSED")]
    assert store_gate_profile("GATE_3") == StoreGateProfile(store.pk, "GATE_3", "CLOSED")


def test_an_unknown_default_is_refused_and_nothing_is_written() -> None:
    store = Store.objects.create(store_id="GATE_4", name="Gate Four")

    with pytest.raises(ValidationError, match="AJAR"):
        store_gate_default_set(store=store, decision="AJAR")

    assert not StoreGate.objects.exists()


def test_a_store_created_or_renamed_in_catalog_reaches_the_gate_at_its_next_call() -> None:
    assert store_gate_profile("GATE_NEW") is None  # "no such store", cached

    store = store_create(store_id="GATE_NEW", name="New")
    assert store_gate_profile("GATE_NEW") == StoreGateProfile(store.pk, "GATE_NEW", "CLOSED")

    store.store_id = "GATE_RENAMED"
    store_save(store=store)
    assert store_gate_profile("GATE_NEW") is None
    assert store_gate_profile("GATE_RENAMED") == StoreGateProfile(store.pk, "GATE_RENAMED", "CLOSED")


def test_stores_for_staff_carry_their_gate_default_and_its_label() -> None:
    closed = Store.objects.create(store_id="B_CLOSED", name="B")
    opened = Store.objects.create(store_id="A_OPEN", name="A")
    StoreGate.objects.create(store=opened, default_decision=GateDefault.OPEN)

    rows = [
        (store.pk, store.default_gate_decision, store.default_gate_label)  # type: ignore[attr-defined]
        for store in store_list_with_gate_default()
    ]

    assert rows == [
        (opened.pk, "OPEN", "Open (let the shopper in)"),
        (closed.pk, "CLOSED", "Closed (keep the gate shut)"),
    ]


def test_the_staff_form_reads_a_store_default_or_closed_when_never_set(store: Store, other_store: Store) -> None:
    StoreGate.objects.create(store=other_store, default_decision=GateDefault.OPEN)

    assert store_gate_default(store=store) == "CLOSED"
    assert store_gate_default(store=other_store) == "OPEN"
