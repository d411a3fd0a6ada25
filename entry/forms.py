"""Staff forms for entry: they validate input; selectors read and services act."""

from typing import Any

from django import forms

from catalog.models import Store
from entry.models import GateDecisionKind, GateDefault, GateReason, ShopperStatus, VisitorType
from entry.selectors.gate import GateEventFilters
from entry.selectors.shoppers import ShopperFilters

DATETIME_INPUT_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]


class GateLogFilterForm(forms.Form):
    store = forms.ModelChoiceField(queryset=Store.objects.none(), required=False, empty_label="All stores")
    decision = forms.ChoiceField(required=False, choices=[("", "Any decision"), *GateDecisionKind.choices])
    reason = forms.ChoiceField(required=False, choices=[("", "Any reason"), *GateReason.choices])
    visitor_type = forms.ChoiceField(required=False, label="Type", choices=[("", "Any type"), *VisitorType.choices])
    since = forms.DateTimeField(
        required=False,
        label="From",
        input_formats=DATETIME_INPUT_FORMATS,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    until = forms.DateTimeField(
        required=False,
        label="To",
        input_formats=DATETIME_INPUT_FORMATS,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    simulated = forms.BooleanField(required=False, label="Show simulated")  # a store simulation's rows

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["store"].queryset = Store.objects.order_by("name")  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        since, until = cleaned.get("since"), cleaned.get("until")
        if since and until and since > until:
            raise forms.ValidationError("“From” must not be after “To”.")
        return cleaned

    def filters(self) -> GateEventFilters:
        """The selector's filters; an invalid form filters nothing rather than guessing."""
        if not self.is_valid():
            return GateEventFilters()
        data = self.cleaned_data
        return GateEventFilters(
            store=data["store"],
            decision=data["decision"],
            reason=data["reason"],
            visitor_type=data["visitor_type"],
            since=data["since"],
            until=data["until"],
            show_simulated=data["simulated"],
        )


class ChartFilterForm(forms.Form):
    store = forms.ModelChoiceField(queryset=Store.objects.none(), required=False, empty_label="All stores")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["store"].queryset = Store.objects.order_by("name")  # type: ignore[attr-defined]

    def chosen_store(self) -> Store | None:
        return self.cleaned_data["store"] if self.is_valid() else None


class ShopperFilterForm(forms.Form):
    q = forms.CharField(
        required=False,
        label="Search",
        max_length=255,
        widget=forms.TextInput(attrs={"placeholder": "Name, email or external id", "type": "search"}),
    )
    status = forms.ChoiceField(required=False, choices=[("", "Any status"), *ShopperStatus.choices])
    visitor_type = forms.ChoiceField(required=False, label="Type", choices=[("", "Any type"), *VisitorType.choices])
    simulated = forms.BooleanField(required=False, label="Show simulated")  # a store simulation's rows

    def filters(self) -> ShopperFilters:
        if not self.is_valid():
            return ShopperFilters()
        data = self.cleaned_data
        return ShopperFilters(
            search=data["q"],
            status=data["status"],
            visitor_type=data["visitor_type"],
            show_simulated=data["simulated"],
        )


class ShopperStatusForm(forms.Form):
    """Flag, block or reinstate; flagging and blocking say why (staff and the shopper's support see it)."""

    status = forms.ChoiceField(choices=ShopperStatus.choices, widget=forms.HiddenInput)
    reason = forms.CharField(
        required=False,
        max_length=255,
        help_text="Why the shopper is flagged or blocked.",
        widget=forms.TextInput(attrs={"placeholder": "Reason"}),
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        cleaned["reason"] = cleaned.get("reason", "").strip()
        if cleaned.get("status") in (ShopperStatus.FLAGGED, ShopperStatus.BLOCKED) and not cleaned["reason"]:
            self.add_error("reason", "Say why the shopper is flagged or blocked.")
        return cleaned


class ShopperTypeForm(forms.Form):
    visitor_type = forms.ChoiceField(label="Type", choices=VisitorType.choices)


class GateDefaultForm(forms.Form):
    default_gate_decision = forms.ChoiceField(
        label="When the connector answers 500",
        choices=GateDefault.choices,
        help_text="What the gate does when our identity connector could not decide in time.",
    )
