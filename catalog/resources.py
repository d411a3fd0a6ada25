"""The product export and admin import (django-import-export), shared by Django admin and the
catalog list's "export the selection": one resource, so both write the same safe cells.

A product named ``=HYPERLINK(…)`` would become a live link in the file staff open: every exported
cell goes through the kernel's ``cell_neutralise`` (a leading ``'`` on formula-like text).
"""

from typing import Any

from django.core.exceptions import ValidationError
from import_export import fields, resources

from catalog.models import Product
from catalog.services.products import EDITABLE_FIELDS, product_prepare, product_update
from jwo_admin.core.csv_safe import cell_neutralise


class ProductResource(resources.ModelResource):
    """Export every field staff care about; import only edits existing products (new products
    come through the catalog import, which checks barcodes across the whole store)."""

    store = fields.Field(attribute="store__store_id", column_name="store_id", readonly=True)
    barcodes = fields.Field(column_name="barcodes", readonly=True)

    class Meta:
        model = Product
        fields = ("id", "store", "sku", *EDITABLE_FIELDS, "barcodes")
        export_order = ("id", "store", "sku", *EDITABLE_FIELDS, "barcodes")
        import_id_fields = ("id",)
        skip_unchanged = True
        report_skipped = False

    def export_field(self, field: Any, instance: Any, **kwargs: Any) -> Any:
        return cell_neutralise(super().export_field(field, instance, **kwargs))

    def dehydrate_barcodes(self, product: Product) -> str:
        return "|".join(f"{barcode.value}:{barcode.type}" for barcode in product.barcodes.all())

    def get_instance(self, instance_loader: Any, row: Any) -> Product:
        instance = super().get_instance(instance_loader, row)
        if instance is None:
            raise ValidationError("Only existing products can be edited here; import new ones from Catalog → Import.")
        return instance

    def save_instance(self, instance: Product, is_create: bool, row: Any, **kwargs: Any) -> None:
        if kwargs.get("dry_run"):
            # The preview checks what the confirmation would: a row Amazon's rules refuse is shown
            # refused now, not reported "0 updated" after the confirmation.
            copy = Product.objects.select_related("store").get(pk=instance.pk)
            product_prepare(product=copy, **{name: getattr(instance, name) for name in EDITABLE_FIELDS})
            return
        product_update(
            product_id=instance.pk,
            changed_by=kwargs.get("user"),
            **{name: getattr(instance, name) for name in EDITABLE_FIELDS},
        )
