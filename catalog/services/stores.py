"""Stores and mapping profiles: small writes, each validated before it is saved."""

from typing import Any

from django.db import transaction

from catalog.importing.mapping import AMAZON_COLUMNS, AMAZON_PROFILE_NAME
from catalog.models import MappingProfile, Store


def store_save(*, store: Store) -> Store:
    """Validate and save a store (new or edited)."""
    store.full_clean()
    store.save()
    return store


def store_create(**fields: Any) -> Store:
    return store_save(store=Store(**fields))


@transaction.atomic
def mapping_profile_save(*, profile: MappingProfile) -> MappingProfile:
    if profile.pk and MappingProfile.objects.filter(pk=profile.pk, is_builtin=True).exists():
        raise ValueError("The built-in profile cannot be changed.")
    profile.full_clean()
    profile.save()
    return profile


def mapping_profile_ensure_builtin() -> MappingProfile:
    """The profile for files that already use Amazon's field names; kept in step with the code."""
    profile, _ = MappingProfile.objects.update_or_create(
        name=AMAZON_PROFILE_NAME,
        defaults={
            "is_builtin": True,
            "description": "Columns named as in Amazon's Upload Catalog (item_sku, external_product_id, …).",
            "columns": dict(AMAZON_COLUMNS),
            "additional_barcode_columns": [],
            "list_separator": "|",
        },
    )
    return profile
