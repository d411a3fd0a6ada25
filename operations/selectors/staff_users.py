"""The staff page's list: every staff user with their role, stores, state and last sign-in."""

from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.db.models import Prefetch

from catalog.models import StaffStoreAccess, Store
from jwo_admin.core.roles import ADMIN


@dataclass(frozen=True)
class StaffRow:
    user: User
    role: str
    stores: str  # "every store", "no store" or the store names
    all_stores: bool
    store_pks: tuple[int, ...]
    last_login: datetime | None


def staff_user_rows() -> list[StaffRow]:
    """Every user by user name (shoppers are not users); superusers and admins have every store."""
    access = Prefetch("store_access__stores", queryset=Store.objects.order_by("name"), to_attr="access_stores")
    users = get_user_model().objects.prefetch_related("groups").select_related("store_access").prefetch_related(access)
    rows = []
    for user in users.order_by("username"):
        roles = sorted(group.name for group in user.groups.all())
        record: StaffStoreAccess | None = getattr(user, "store_access", None)
        everything = user.is_superuser or ADMIN in roles or bool(record and record.all_stores)
        chosen = list(getattr(record, "access_stores", [])) if record else []
        text = "every store" if everything else (", ".join(store.name for store in chosen) or "no store")
        rows.append(
            StaffRow(
                user=user,
                role=", ".join(roles) or ("superuser" if user.is_superuser else "no role"),
                stores=text,
                all_stores=everything,
                store_pks=tuple(store.pk for store in chosen),
                last_login=user.last_login,
            )
        )
    return rows
