from django.db import migrations

AMAZON_COLUMNS = {
    "sku": "item_sku",
    "name": "item_name",
    "barcode": "external_product_id",
    "barcode_type": "external_product_id_type",
    "additional_barcodes": "additional_external_product_information",
    "brand": "brand_name",
    "price": "standard_price",
    "tax_code": "product_tax_code",
    "category": "product_category",
    "subcategory": "product_subcategory",
    "unit": "unit",
    "status": "status",
}


def create_builtin(apps, schema_editor):
    MappingProfile = apps.get_model("catalog", "MappingProfile")
    MappingProfile.objects.update_or_create(
        name="Amazon field names",
        defaults={
            "is_builtin": True,
            "description": "Columns named as in Amazon's Upload Catalog (item_sku, external_product_id, …).",
            "columns": AMAZON_COLUMNS,
            "additional_barcode_columns": [],
            "list_separator": "|",
        },
    )


class Migration(migrations.Migration):
    dependencies = [("catalog", "0001_initial")]

    operations = [migrations.RunPython(create_builtin, migrations.RunPython.noop)]
