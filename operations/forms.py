"""Staff forms of the screens operations holds because they span apps."""

from decimal import Decimal
from typing import Any

from django import forms

from catalog.forms import StoreForm
from catalog.models import Store
from entry.models import GateDefault
from jwo_admin.core.roles import ADMIN, ROLE_PATTERNS
from orders.models import DEFAULT_PREAUTHORISATION_AMOUNT, ExpiredHoldPolicy
from orders.models.stores import default_refund_days


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
    expired_hold_policy = forms.ChoiceField(
        label="Expired pre-authorisation",
        choices=ExpiredHoldPolicy.choices,
        initial=ExpiredHoldPolicy.REAUTHORISE,
        required=False,  # a form sent without it keeps the store's policy
        help_text="A hold that expired before the cart was priced: authorise the total afresh, or record debt.",
    )
    refund_days = forms.IntegerField(
        label="Refund window (days)",
        min_value=0,
        max_value=3650,
        initial=default_refund_days,
        required=False,  # a form sent without it keeps the store's window
        help_text="Staff may refund a purchase this many days after it.",
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
        "expired_hold_policy",
        "refund_days",
        "is_test_store",
    ]


class StaffAccessForm(forms.Form):
    """A staff user's role and stores, as the staff page sets them."""

    role = forms.ChoiceField(choices=[(role, role) for role in ROLE_PATTERNS])
    all_stores = forms.BooleanField(required=False, label="Every store (also those added later)")
    stores = forms.ModelMultipleChoiceField(
        queryset=Store.objects.order_by("name"), required=False, widget=forms.CheckboxSelectMultiple
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("role") != ADMIN and not data.get("all_stores") and not data.get("stores"):
            raise forms.ValidationError("Choose the stores they work for, or every store.")
        return data


class StaffInviteForm(StaffAccessForm):
    email = forms.EmailField(label="Email", help_text="Their user name; the invitation goes there.")

    field_order = ["email", "role", "all_stores", "stores"]
