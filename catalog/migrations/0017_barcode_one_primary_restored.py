"""One primary barcode per product, in the database again.

The model has declared ``barcode_one_primary`` since the start, but on PostgreSQL migration 0003
(``Barcode.product`` altered to ``db_index=False``) dropped every single-column index on
``product_id``, the partial unique one included, while Django's migration state kept it: the rule
was enforced only by the import's own code. SQLite rebuilt the table from the state and kept it.
So the constraint is added where it is missing, and the state (which has it) is left alone."""

from typing import Any

from django.db import migrations


def restore(apps: Any, schema_editor: Any) -> None:
    barcode = apps.get_model("catalog", "Barcode")
    table = barcode._meta.db_table
    with schema_editor.connection.cursor() as cursor:
        present = schema_editor.connection.introspection.get_constraints(cursor, table)
    if "barcode_one_primary" in present:
        return
    constraint = next(c for c in barcode._meta.constraints if c.name == "barcode_one_primary")
    schema_editor.add_constraint(barcode, constraint)


def drop(apps: Any, schema_editor: Any) -> None:
    """Back to 0016's database (the constraint missing on PostgreSQL, as 0003 left it)."""
    if schema_editor.connection.vendor != "postgresql":
        return
    barcode = apps.get_model("catalog", "Barcode")
    constraint = next(c for c in barcode._meta.constraints if c.name == "barcode_one_primary")
    schema_editor.remove_constraint(barcode, constraint)


class Migration(migrations.Migration):
    dependencies = [("catalog", "0016_product_last_import_unindexed")]

    operations = [migrations.RunPython(restore, drop)]
