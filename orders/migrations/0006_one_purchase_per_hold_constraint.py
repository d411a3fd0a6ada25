"""The constraint apart from the data fix before it, so each runs in its own transaction."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0005_one_hold_per_purchase"),
    ]

    operations = [
        migrations.AddConstraint(
            model_name='purchase',
            constraint=models.UniqueConstraint(condition=models.Q(('authorisation__isnull', False)), fields=('authorisation',), name='one_purchase_per_hold'),
        ),
    ]
