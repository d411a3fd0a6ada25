"""Writes of a staff user's stores: every store, or a list (see ``catalog.models.StaffStoreAccess``)."""

from collections.abc import Iterable
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction

from catalog.models import StaffStoreAccess, Store
from jwo_admin.core.services import staff_user_create


@transaction.atomic
def staff_stores_set(*, user: Any, all_stores: bool, stores: Iterable[Store] = ()) -> StaffStoreAccess:
    """Give ``user`` every store (``all_stores``) or exactly ``stores``; replaces what they had."""
    access, _ = StaffStoreAccess.objects.get_or_create(user=user)
    access.all_stores = all_stores
    access.full_clean()
    access.save()
    access.stores.set([] if all_stores else list(stores))
    return access


def staff_member_create(
    *, username: str, password: str, role: str, all_stores: bool, stores: Iterable[Store] = (), email: str = ""
) -> Any:
    """A staff user with one role (the kernel's ``staff_user_create``) who works for every store
    (``all_stores``) or for ``stores``: said each time, since a user without stores sees none."""
    staff_user_create(username=username, password=password, role=role, email=email)
    user = get_user_model().objects.get(username=username)
    staff_stores_set(user=user, all_stores=all_stores, stores=stores)
    return user
