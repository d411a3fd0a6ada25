"""Entry's settings in the Django admin: each store's gate default."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from entry.models import StoreGate
from entry.services.store_gates import store_gate_default_set


@admin.register(StoreGate)
class StoreGateAdmin(admin.ModelAdmin):
    """A store without a row keeps its gate closed; saving here reaches the gate at its next call."""

    list_display = ("store", "default_decision")

    def save_model(self, request: HttpRequest, obj: StoreGate, form: Any, change: bool) -> None:
        store_gate_default_set(store=obj.store, decision=obj.default_decision)
