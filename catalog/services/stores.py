"""Stores and mapping profiles: small writes, each validated before it is saved."""

from typing import Any

from django.db import transaction

from catalog.importing.mapping import AMAZON_COLUMNS, AMAZON_PROFILE_NAME
from catalog.models import MappingProfile, Store
from catalog.services.products import products_fingerprint_refresh
from catalog.signals import store_saved_announce


@transaction.atomic
def store_save(*, store: Store) -> Store:
    """Validate and save a store (new or edited). Turning *send clean names* on or off changes the
    name Amazon is to receive for products with a suggested one: their fingerprints follow."""
    store.full_clean()
    before = Store.objects.filter(pk=store.pk).values_list("store_id", "send_clean_names").first() if store.pk else None
    previous = before[0] if before else None
    store.save()
    if before is not None and before[1] != store.send_clean_names:
        products_fingerprint_refresh(store=store)
    store_ids = {store.store_id, previous or store.store_id}
    store_saved_announce(store_ids=store_ids)  # now, and after commit (a call in between may re-cache it)
    transaction.on_commit(lambda: store_saved_announce(store_ids=store_ids))
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
