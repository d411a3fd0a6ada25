"""Admin for pricing data (tax rates, promotions) and a read-only view of purchases."""

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.http import HttpRequest

from orders.models import Promotion, Purchase, PurchaseLine, StorePayment, TaxRate
from orders.services.store_payments import store_payment_set


@admin.register(TaxRate)
class TaxRateAdmin(admin.ModelAdmin):
    list_display = ("store", "tax_code", "rate", "is_exempt", "is_default")
    list_filter = ("store", "is_exempt")


@admin.register(Promotion)
class PromotionAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "is_active", "priority", "is_exclusive", "starts_at", "ends_at")
    list_filter = ("kind", "is_active", "is_exclusive")
    search_fields = ("name",)


class PurchaseLineInline(admin.TabularInline):
    model = PurchaseLine
    extra = 0
    can_delete = False
    fields = ("position", "item_id", "sku", "quantity", "unit_price", "discount_total", "tax", "total", "is_resolved")
    readonly_fields = fields


@admin.register(Purchase)
class PurchaseAdmin(admin.ModelAdmin):
    """Purchases are written by the connector only: the admin shows them."""

    list_display = ("purchase_id", "store", "status", "total", "currency", "created_at", "replays", "conflicts")
    list_filter = ("status", "store")
    search_fields = ("purchase_id", "trip_id", "visitor_ref")
    inlines = [PurchaseLineInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class StorePaymentForm(forms.ModelForm):
    class Meta:
        model = StorePayment
        fields = ("store", "preauthorisation_amount")

    def clean(self) -> dict[str, Any]:
        """The service's rules, as form errors (the admin would answer 500 to an error raised on save)."""
        cleaned = super().clean() or {}
        amount = cleaned.get("preauthorisation_amount")
        if amount is not None and amount <= 0:
            raise ValidationError({"preauthorisation_amount": "The pre-authorisation amount must be more than 0."})
        return cleaned


@admin.register(StorePayment)
class StorePaymentAdmin(admin.ModelAdmin):
    """Each store's pre-authorisation amount (a store without a row holds the default); saved
    through the service the store form uses."""

    form = StorePaymentForm
    list_display = ("store", "preauthorisation_amount")

    def save_model(self, request: HttpRequest, obj: StorePayment, form: Any, change: bool) -> None:
        store_payment_set(store=obj.store, preauthorisation_amount=obj.preauthorisation_amount)
