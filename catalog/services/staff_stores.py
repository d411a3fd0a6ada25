"""Writes of a staff user's stores: every store, or a list (see ``catalog.models.StaffStoreAccess``)."""

from collections.abc import Iterable
from typing import Any

from django.db import transaction

from catalog.models import StaffStoreAccess, Store


@transaction.atomic
def staff_stores_set(*, user: Any, all_stores: bool, stores: Iterable[Store] = ()) -> StaffStoreAccess:
    """Give ``user`` every store (``all_stores``) or exactly ``stores``; replaces what they had."""
    access, _ = StaffStoreAccess.objects.get_or_create(user=user)
    access.all_stores = all_stores
    access.full_clean()
    access.save()
    access.stores.set([] if all_stores else list(stores))
    return access
