"""Every constraint and index a model declares is in the migrated database.

Django's migration state can keep a constraint the database lost (an ``AlterField`` that drops a
column's indexes takes a partial unique one with it on PostgreSQL: ``barcode_one_primary`` was
enforced by nothing but the import's code from catalog 0003 to 0017). ``makemigrations --check``
compares models with the state only; this compares them with the database the tests run on."""

import pytest
from django.apps import apps
from django.db import connection

pytestmark = pytest.mark.django_db


def test_every_declared_constraint_and_index_exists_in_the_database() -> None:
    missing = []
    with connection.cursor() as cursor:
        for model in apps.get_models():
            if not model._meta.managed or model._meta.proxy:
                continue
            present = connection.introspection.get_constraints(cursor, model._meta.db_table)
            declared = [*model._meta.constraints, *model._meta.indexes]
            missing += [f"{model._meta.label}.{item.name}" for item in declared if item.name not in present]

    assert missing == []
