"""The store screens (``catalog:store_create``, ``catalog:store_update``): catalog's store, entry's
gate default and orders' pre-authorisation amount on one form, saved together or not at all."""

import re
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.urls import reverse

from catalog.models import Store
from entry.models import GateDefault, StoreGate
from operations.forms import StoreSettingsForm
from operations.views.stores import _save
from orders.models import StorePayment
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

NEW_STORE = {
    "store_id": "NEW_STORE_1",
    "name": "New Store",
    "currency": "eur",
    "time_zone": "Europe/Paris",
    "prices_include_tax": "on",
    "default_gate_decision": "OPEN",
    "preauthorisation_amount": "75.00",
}
STORE_FIELDS = ("store_id", "name", "currency", "time_zone", "prices_include_tax", "send_clean_names")


def flash(response: Any) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def nothing_but(*stores: Store) -> None:
    """Only these stores exist, and no gate default or pre-authorisation amount was written."""
    assert sorted(Store.objects.values_list("pk", flat=True)) == sorted(store.pk for store in stores)
    assert not StoreGate.objects.exists()
    assert not StorePayment.objects.exists()


def input_value(html: str, name: str) -> str:
    found = re.search(rf'<input type="[a-z]+" name="{name}" value="([^"]*)"', html)
    assert found is not None, f"no input {name}"
    return found.group(1)


def selected_option(html: str, name: str) -> str:
    select = re.search(rf'<select name="{name}".*?</select>', html, re.S)
    assert select is not None, f"no select {name}"
    return re.findall(r'<option value="([A-Z]+)" selected>', select.group(0))[0]


def test_admin_creates_a_store_with_its_gate_default_and_preauthorisation_amount(admin_user: User) -> None:
    response = client_for(admin_user).post(reverse("catalog:store_create"), NEW_STORE)

    assert response.status_code == 302
    assert response["Location"] == "/settings/"
    assert flash(response) == ["Store New Store (NEW_STORE_1) created."]
    store = Store.objects.get()
    assert Store.objects.values_list(*STORE_FIELDS).get() == (
        "NEW_STORE_1",
        "New Store",
        "EUR",
        "Europe/Paris",
        True,
        False,
    )
    assert list(StoreGate.objects.values_list("store_id", "default_decision")) == [(store.pk, "OPEN")]
    assert list(StorePayment.objects.values_list("store_id", "preauthorisation_amount")) == [
        (store.pk, Decimal("75.00"))
    ]


def test_the_new_store_form_starts_closed_with_the_default_amount_and_the_fields_in_order(admin_user: User) -> None:
    response = client_for(admin_user).get("/catalog/stores/new/")

    html = response.content.decode()
    assert response.status_code == 200
    assert "New store" in html
    assert list(response.context["form"].fields) == [
        "store_id",
        "name",
        "currency",
        "time_zone",
        "prices_include_tax",
        "default_gate_decision",
        "send_clean_names",
        "preauthorisation_amount",
        "expired_hold_policy",
        "refund_days",
        "is_test_store",
    ]
    assert selected_option(html, "default_gate_decision") == "CLOSED"
    assert input_value(html, "preauthorisation_amount") == "50.00"
    assert "What the gate does when our identity connector answers 500 (it could not decide in time)." in html
    assert "The hold put on a shopper's card at the gate (Amazon's Authorized Amount)." in html


def test_the_store_form_shows_the_store_gate_default_and_amount(store: Store, store_manager: User) -> None:
    StoreGate.objects.create(store=store, default_decision=GateDefault.OPEN)
    StorePayment.objects.create(store=store, preauthorisation_amount=Decimal("12.50"))

    html = client_for(store_manager).get(reverse("catalog:store_update", args=[store.pk])).content.decode()

    assert "Test Store (TEST_STORE_001)" in html
    assert input_value(html, "store_id") == "TEST_STORE_001"
    assert selected_option(html, "default_gate_decision") == "OPEN"
    assert input_value(html, "preauthorisation_amount") == "12.50"


def test_store_manager_may_change_store_but_catalog_manager_may_not(
    store: Store, store_manager: User, catalog_manager: User
) -> None:
    url = reverse("catalog:store_update", args=[store.pk])
    data = {
        "store_id": store.store_id,
        "name": "Renamed Store",
        "currency": "USD",
        "time_zone": "UTC",
        "default_gate_decision": "OPEN",
        "preauthorisation_amount": "80.00",
    }

    refused = client_for(catalog_manager).post(url, data)
    assert refused.status_code == 403
    assert Store.objects.get(pk=store.pk).name == store.name
    nothing_but(store)

    accepted = client_for(store_manager).post(url, data)
    assert accepted.status_code == 302
    assert accepted["Location"] == "/settings/"
    assert flash(accepted) == ["Store Renamed Store (TEST_STORE_001) saved."]
    assert Store.objects.get(pk=store.pk).name == "Renamed Store"
    assert list(StoreGate.objects.values_list("store_id", "default_decision")) == [(store.pk, "OPEN")]
    assert list(StorePayment.objects.values_list("store_id", "preauthorisation_amount")) == [
        (store.pk, Decimal("80.00"))
    ]


def test_store_form_names_bad_fields_and_stores_nothing(admin_user: User) -> None:
    response = client_for(admin_user).post(
        reverse("catalog:store_create"),
        {
            "store_id": "bad id!",
            "name": "X",
            "currency": "dollars",
            "time_zone": "Mars/Base",
            "default_gate_decision": "AJAR",
            "preauthorisation_amount": "-1.00",
        },
    )

    assert response.status_code == 200
    assert set(response.context["form"].errors) == {
        "store_id",
        "currency",
        "time_zone",
        "default_gate_decision",
        "preauthorisation_amount",
    }
    nothing_but()


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("0.00", "Ensure this value is greater than or equal to 0.01."),
        ("1.234", "Ensure that there are no more than 2 decimal places."),
        ("12345678901.0", "Ensure that there are no more than 10 digits before the decimal point."),
        ("fifty", "Enter a number."),
        ("", "This field is required."),
    ],
)
def test_a_bad_amount_alone_refuses_the_whole_form(
    store: Store, store_manager: User, amount: str, message: str
) -> None:
    data = {**NEW_STORE, "store_id": store.store_id, "name": "Renamed Store", "preauthorisation_amount": amount}

    response = client_for(store_manager).post(reverse("catalog:store_update", args=[store.pk]), data)

    assert response.status_code == 200
    assert response.context["form"].errors == {"preauthorisation_amount": [message]}
    assert Store.objects.values_list(*STORE_FIELDS).get() == ("TEST_STORE_001", "Test Store", "USD", "UTC", False, True)
    nothing_but(store)


def test_a_refusal_from_a_service_lands_on_its_field_and_stores_nothing() -> None:
    form = StoreSettingsForm(NEW_STORE)
    assert form.is_valid()
    form.cleaned_data["default_gate_decision"] = "AJAR"  # what the form let through, entry's service refuses

    assert _save(form) is None

    assert form.errors == {"default_gate_decision": ["Value 'AJAR' is not a valid choice."]}
    nothing_but()


def test_store_form_refuses_a_currency_and_a_zone_outside_iso_4217_and_iana(admin_user: User) -> None:
    response = client_for(admin_user).post(
        reverse("catalog:store_create"), {**NEW_STORE, "currency": "XYZ", "time_zone": "Mars/Base"}
    )

    assert response.status_code == 200
    assert response.context["form"].errors == {
        "currency": ["XYZ is not an ISO 4217 currency code; pick one from the list, e.g. USD."],
        "time_zone": [
            "Mars/Base is not an IANA time zone; pick one from the list, e.g. America/New_York or Europe/London."
        ],
    }
    nothing_but()


def test_store_form_offers_iso_4217_currencies_and_iana_zones_as_lists(admin_user: User) -> None:
    html = client_for(admin_user).get("/catalog/stores/new/").content.decode()

    assert '<select name="currency"' in html
    assert '<option value="USD" selected>USD — US Dollar</option>' in html
    assert '<option value="XYZ"' not in html
    assert '<select name="time_zone"' in html
    assert '<optgroup label="Pacific">' in html
    assert '<option value="Pacific/Kiritimati">Pacific/Kiritimati</option>' in html
    assert '<option value="UTC" selected>UTC</option>' in html


def test_the_store_model_refuses_unknown_codes_so_django_admin_does_too() -> None:
    store = Store(store_id="S1", name="S", currency="XYZ", time_zone="Mars/Base")

    with pytest.raises(ValidationError) as refused:
        store.full_clean()

    assert refused.value.message_dict == {
        "currency": ["XYZ is not an ISO 4217 currency code; pick one from the list, e.g. USD, EUR or GBP."],
        "time_zone": [
            "Mars/Base is not an IANA time zone; pick one from the list, e.g. America/New_York or Europe/London."
        ],
    }
