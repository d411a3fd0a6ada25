# Staff users who existed before stores per user saw every store: they keep that, so an upgrade
# locks no one out. Accounts created from now on start with no store until an admin gives some.

from django.db import migrations


def grant_all_stores(apps, schema_editor):
    user_model = apps.get_model("auth", "User")
    access_model = apps.get_model("catalog", "StaffStoreAccess")
    have = set(access_model.objects.values_list("user_id", flat=True))
    access_model.objects.bulk_create(
        access_model(user_id=user_pk, all_stores=True)
        for user_pk in user_model.objects.values_list("pk", flat=True)
        if user_pk not in have
    )


class Migration(migrations.Migration):

    dependencies = [
        ("catalog", "0014_staff_store_access"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(grant_all_stores, migrations.RunPython.noop)]
