# The gate default and the pre-authorisation amount left the store for their own apps' settings
# (entry.StoreGate, orders.StorePayment); those migrations copy every store's values first.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('catalog', '0007_sync_unknown_results_subscriptions'),
        ('entry', '0003_store_gate'),
        ('orders', '0008_store_payment'),
    ]

    operations = [
        migrations.RemoveField(
            model_name='store',
            name='default_gate_decision',
        ),
        migrations.RemoveField(
            model_name='store',
            name='preauthorisation_amount',
        ),
    ]
