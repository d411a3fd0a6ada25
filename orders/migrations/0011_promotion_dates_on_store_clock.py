"""A promotion's start and end become wall-clock times on each store's clock (stored as UTC, their
zone ignored: ``orders.pricing.types``). They were typed on the site's clock (``TIME_ZONE``) and
stored as instants; each keeps the date and time of day staff typed. With the default UTC site
zone nothing changes."""

from datetime import UTC
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import migrations


def _as_typed(apps: Any, schema_editor: Any) -> None:
    site = ZoneInfo(settings.TIME_ZONE)
    promotion_model = apps.get_model("orders", "Promotion")
    for promotion in promotion_model.objects.exclude(starts_at=None, ends_at=None):
        for name in ("starts_at", "ends_at"):
            moment = getattr(promotion, name)
            if moment is not None:
                setattr(promotion, name, moment.astimezone(site).replace(tzinfo=UTC))
        promotion.save(update_fields=["starts_at", "ends_at"])


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0010_refund_request_key"),
    ]

    operations = [migrations.RunPython(_as_typed, migrations.RunPython.noop)]
