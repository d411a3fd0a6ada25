"""The stores a staff user may see and act on, and the querysets limited to them.

Every staff screen reads the user's stores here once (``staff_store_ids``) and narrows its reads
with ``stores_scope``: one rule for lists, drop-downs, charts, exports, detail pages and actions.
"""

from typing import Any, TypeVar

from django.db.models import Model, QuerySet

from catalog.models import StaffStoreAccess, Store
from jwo_admin.core.roles import ADMIN

StoreIds = frozenset[int] | None  # None: every store
ModelT = TypeVar("ModelT", bound=Model)
RowsT = TypeVar("RowsT", bound="QuerySet[Any]")  # the queryset's own class (e.g. SimulatedQuerySet) is kept


def staff_store_ids(*, user: Any) -> StoreIds:
    """The pks of the stores ``user`` works for, or None for every store.

    Superusers and the Admin role see every store; others what their ``StaffStoreAccess`` gives
    (every store, or its list); a user without one (a new account) or signed out sees none.
    """
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return frozenset()
    if user.is_superuser or user.groups.filter(name=ADMIN).exists():
        return None
    access = StaffStoreAccess.objects.filter(user=user).first()
    if access is None:
        return frozenset()
    if access.all_stores:
        return None
    return frozenset(access.stores.values_list("pk", flat=True))


def stores_scope(queryset: RowsT, *, store_ids: StoreIds, field: str = "store") -> RowsT:
    """``queryset`` limited to rows whose ``field`` (a store foreign key, or ``pk`` for stores
    themselves) is one of ``store_ids``; unchanged for every store."""
    if store_ids is None:
        return queryset
    lookup = "pk__in" if field == "pk" else f"{field}__in"
    return queryset.filter(**{lookup: store_ids})


def staff_store_list(*, store_ids: StoreIds) -> QuerySet[Store]:
    """The user's stores by name: what their store drop-downs offer."""
    return stores_scope(Store.objects.order_by("name"), store_ids=store_ids, field="pk")


def store_is_allowed(*, store_ids: StoreIds, store_pk: int | None) -> bool:
    return store_ids is None or store_pk in store_ids
