"""A store's pre-authorisation amount: set through orders' service, read with its default (50.00)
for a store never set."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from catalog.models import Store
from orders.models import StorePayment
from orders.selectors.store_payments import store_preauthorisation_amount
from orders.services.store_payments import store_payment_set

pytestmark = pytest.mark.django_db


def test_a_store_never_set_holds_the_default_amount(store: Store) -> None:
    assert store_preauthorisation_amount(store=store) == Decimal("50.00")
    assert not StorePayment.objects.exists()


def test_the_amount_is_set_then_changed_in_the_store_row(store: Store, other_store: Store) -> None:
    store_payment_set(store=store, preauthorisation_amount=Decimal("75.00"))
    payment = store_payment_set(store=store, preauthorisation_amount=Decimal("20.50"))

    assert (payment.store_id, payment.preauthorisation_amount) == (store.pk, Decimal("20.50"))
    assert list(StorePayment.objects.values_list("store_id", "preauthorisation_amount")) == [
        (store.pk, Decimal("20.50"))
    ]
    assert store_preauthorisation_amount(store=Store.objects.get(pk=store.pk)) == Decimal("20.50")
    assert store_preauthorisation_amount(store=other_store) == Decimal("50.00")


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("0.00", "The pre-authorisation amount must be more than 0."),
        ("-5.00", "The pre-authorisation amount must be more than 0."),
        ("1.234", "Ensure that there are no more than 2 decimal places."),
        ("12345678901.0", "Ensure that there are no more than 10 digits before the decimal point."),
    ],
)
def test_an_amount_not_positive_or_not_fitting_is_refused_and_nothing_changes(
    store: Store, amount: str, message: str
) -> None:
    StorePayment.objects.create(store=store, preauthorisation_amount=Decimal("30.00"))

    with pytest.raises(ValidationError) as refused:
        store_payment_set(store=store, preauthorisation_amount=Decimal(amount))

    assert refused.value.message_dict == {"preauthorisation_amount": [message]}
    assert list(StorePayment.objects.values_list("store_id", "preauthorisation_amount")) == [
        (store.pk, Decimal("30.00"))
    ]


def test_the_admin_saves_the_amount_through_the_service_and_refuses_zero(admin_client: Client, store: Store) -> None:
    url = reverse("admin:orders_storepayment_add")

    refused = admin_client.post(url, {"store": store.pk, "preauthorisation_amount": "0.00"})

    assert refused.status_code == 200
    assert "The pre-authorisation amount must be more than 0." in refused.content.decode()
    assert not StorePayment.objects.filter(store=store).exists()

    saved = admin_client.post(url, {"store": store.pk, "preauthorisation_amount": "25.50"})

    assert saved.status_code == 302
    assert StorePayment.objects.get(store=store).preauthorisation_amount == Decimal("25.50")
