"""Staff forms of the screens operations holds because they span apps."""

from decimal import Decimal

from django import forms

from catalog.forms import StoreForm
from entry.models import GateDefault
from orders.models import DEFAULT_PREAUTHORISATION_AMOUNT


class StoreSettingsForm(StoreForm):
    """A store as staff set it up, on one page: catalog's fields (checked by catalog's form), the
    gate's default decision (entry's ``StoreGate``) and the pre-authorisation amount (orders'
    ``StorePayment``). The last two check what their models do (the services check again before
    saving); the amount must also be more than 0, as a hold of nothing protects nothing."""

    default_gate_decision = forms.ChoiceField(
        label="Default gate decision",
        choices=GateDefault.choices,
        initial=GateDefault.CLOSED,
        help_text="What the gate does when our identity connector answers 500 (it could not decide in time).",
    )
    preauthorisation_amount = forms.DecimalField(
        label="Pre-authorisation amount",
        max_digits=12,
        decimal_places=2,
        min_value=Decimal("0.01"),
        initial=DEFAULT_PREAUTHORISATION_AMOUNT,
        help_text="The hold put on a shopper's card at the gate (Amazon's Authorized Amount).",
    )

    # As the page was when the gate default was a store's own field; the amount comes last.
    field_order = [
        "store_id",
        "name",
        "currency",
        "time_zone",
        "prices_include_tax",
        "default_gate_decision",
        "send_clean_names",
        "preauthorisation_amount",
        "is_test_store",
    ]
