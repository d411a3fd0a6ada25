"""Django admin: small edits and CSV/XLSX export through django-import-export; every save goes
through the catalog services so Amazon's rules, fingerprints and history hold here too."""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import User
from django.http import HttpRequest
from import_export.admin import ExportMixin, ImportExportMixin

from catalog.models import Barcode, ImportJob, MappingProfile, Product, StaffStoreAccess, Store
from catalog.resources import ProductResource
from catalog.services.products import EDITABLE_FIELDS, product_prepare, product_update
from catalog.services.stores import mapping_profile_save, store_save


class BarcodeInline(admin.TabularInline):
    model = Barcode
    fields = ("value", "type", "match_key", "is_primary", "position")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ProductAdminForm(forms.ModelForm):
    class Meta:
        model = Product
        fields = EDITABLE_FIELDS

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.instance.pk and not self.errors:
            copy = Product.objects.select_related("store").get(pk=self.instance.pk)
            product_prepare(product=copy, **{name: cleaned[name] for name in EDITABLE_FIELDS if name in cleaned})
        return cleaned


@admin.register(Product)
class ProductAdmin(ImportExportMixin, admin.ModelAdmin):
    form = ProductAdminForm
    resource_classes = [ProductResource]
    list_display = ("sku", "name", "store", "price", "category", "status")
    list_filter = ("store", "status", "category")
    search_fields = ("sku", "name", "barcodes__value")
    readonly_fields = (
        "store",
        "sku",
        "amazon_fingerprint",
        "synced_fingerprint",
        "synced_at",
        "warnings",
        "suggested_name",
        "last_import",
    )
    fields = (
        "store",
        "sku",
        *EDITABLE_FIELDS,
        "warnings",
        "suggested_name",
        "amazon_fingerprint",
        "synced_fingerprint",
        "synced_at",
        "last_import",
    )
    inlines = [BarcodeInline]
    list_select_related = ("store",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # new products come through the catalog import

    def save_model(self, request: HttpRequest, obj: Product, form: Any, change: bool) -> None:
        # The form already ran the same checks (ProductAdminForm.clean), so this does not raise.
        product_update(
            product_id=obj.pk,
            changed_by=request.user,
            **{name: form.cleaned_data[name] for name in EDITABLE_FIELDS if name in form.cleaned_data},
        )


@admin.register(Store)
class StoreAdmin(ExportMixin, admin.ModelAdmin):
    list_display = ("store_id", "name", "currency", "time_zone", "prices_include_tax", "is_test_store")
    list_filter = ("is_test_store",)

    def save_model(self, request: HttpRequest, obj: Store, form: Any, change: bool) -> None:
        store_save(store=obj)


@admin.register(MappingProfile)
class MappingProfileAdmin(admin.ModelAdmin):
    list_display = ("name", "is_builtin", "description")

    def save_model(self, request: HttpRequest, obj: MappingProfile, form: Any, change: bool) -> None:
        try:
            mapping_profile_save(profile=obj)
        except ValueError as error:
            self.message_user(request, str(error), level=messages.ERROR)


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "original_name",
        "store",
        "status",
        "is_dry_run",
        "rows_new",
        "rows_changed",
        "rows_rejected",
        "created_at",
    )
    list_filter = ("status", "store")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class StaffStoreAccessInline(admin.StackedInline):
    """A staff user's stores on their Django admin page (the staff page sets the same)."""

    model = StaffStoreAccess
    can_delete = False
    filter_horizontal = ("stores",)
    verbose_name_plural = "stores"


class StaffUserAdmin(UserAdmin):
    inlines = (*UserAdmin.inlines, StaffStoreAccessInline)


admin.site.unregister(User)
admin.site.register(User, StaffUserAdmin)
