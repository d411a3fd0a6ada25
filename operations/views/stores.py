"""The store screens (create, edit): catalog's store, entry's gate default and orders'
payments settings (pre-authorisation amount, expired-hold policy, refund window) on one form,
saved together (``store_settings_save``).

Operations holds them because the form spans three apps; their URLs stay catalog's
(``catalog:store_create``, ``catalog:store_update`` under ``/catalog/stores/``), and so do their
permissions (``catalog.add_store``, ``catalog.change_store``)."""

from typing import Any

from django.contrib import messages
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db.models import QuerySet
from django.http import HttpResponse
from django.shortcuts import redirect
from django.views.generic import FormView, UpdateView

from catalog.models import Store
from catalog.views.staff_stores import StoreScopedView
from entry.selectors.stores import store_gate_default
from operations.forms import StoreSettingsForm
from operations.services.store_settings import store_settings_save
from orders.selectors.store_payments import (
    store_expired_hold_policy,
    store_preauthorisation_amount,
    store_refund_days,
)

TEMPLATE = "operations/store_form.html"


def _save(form: StoreSettingsForm) -> Store | None:
    """The saved store, or None with the services' refusals on the form (nothing saved)."""
    try:
        return store_settings_save(
            store=form.save(commit=False),
            default_gate_decision=form.cleaned_data["default_gate_decision"],
            preauthorisation_amount=form.cleaned_data["preauthorisation_amount"],
            expired_hold_policy=form.cleaned_data["expired_hold_policy"] or None,
            refund_days=form.cleaned_data["refund_days"],
        )
    except ValidationError as error:
        errors = error.error_dict if hasattr(error, "error_dict") else {NON_FIELD_ERRORS: error.error_list}
        for field, field_errors in errors.items():
            form.add_error(field if field in form.fields else None, field_errors)
        return None


class StoreCreateView(StoreScopedView, FormView):
    permission_required = "catalog.add_store"
    template_name = TEMPLATE
    form_class = StoreSettingsForm

    def form_valid(self, form: StoreSettingsForm) -> HttpResponse:
        store = _save(form)
        if store is None:
            form.instance.pk = None  # rolled back: the page is still a new store's
            return self.form_invalid(form)
        messages.success(self.request, f"Store {store} created.")
        return redirect("operations:settings")


class StoreUpdateView(StoreScopedView, UpdateView):
    permission_required = "catalog.change_store"
    template_name = TEMPLATE
    form_class = StoreSettingsForm
    model = Store

    def get_queryset(self) -> QuerySet[Store]:
        return self.scoped(Store.objects.all(), field="pk")

    def get_initial(self) -> dict[str, Any]:
        return {
            "default_gate_decision": store_gate_default(store=self.object),
            "preauthorisation_amount": store_preauthorisation_amount(store=self.object),
            "expired_hold_policy": store_expired_hold_policy(store=self.object),
            "refund_days": store_refund_days(store=self.object),
        }

    def form_valid(self, form: Any) -> HttpResponse:  # a StoreSettingsForm (UpdateView types it as any ModelForm)
        store = _save(form)
        if store is None:
            return self.form_invalid(form)
        messages.success(self.request, f"Store {store} saved.")
        return redirect("operations:settings")
