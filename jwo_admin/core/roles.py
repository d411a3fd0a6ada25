"""Staff roles as Django groups.

Each role is a list of permission patterns (``app_label.codename`` with shell wildcards) matched
against the permissions of our own apps, so a new model's permissions join the right roles
without editing this file.
"""

from collections.abc import Iterable
from fnmatch import fnmatchcase

from django.contrib.auth.models import Group, Permission
from django.db import transaction

VIEWER = "Viewer"
CATALOG_MANAGER = "Catalog manager"
STORE_MANAGER = "Store manager"
ADMIN = "Admin"

OUR_APPS = ("core", "catalog", "entry", "orders", "operations")

ROLE_PATTERNS: dict[str, tuple[str, ...]] = {
    VIEWER: ("*.view_*",),
    CATALOG_MANAGER: (
        "*.view_*",
        "catalog.*_product",
        "catalog.*_barcode",
        "catalog.*_mappingprofile",
        "catalog.*_importjob",
        "catalog.import_catalog",
        "catalog.sync_catalog",
    ),
    STORE_MANAGER: ("*.view_*", "entry.*", "orders.*", "operations.*", "catalog.change_store"),
    ADMIN: ("*.*", "auth.*_user", "auth.view_group"),
}


def _matches(label: str, patterns: tuple[str, ...]) -> bool:
    return any(fnmatchcase(label, pattern) for pattern in patterns)


def _allowed(permission: Permission, patterns: tuple[str, ...]) -> bool:
    return _label_allowed(f"{permission.content_type.app_label}.{permission.codename}", patterns)


def _label_allowed(label: str, patterns: tuple[str, ...]) -> bool:
    """Wildcard app patterns ("*.view_*") reach only our apps; auth permissions need a pattern
    that names auth explicitly ("auth.*_user"), so no role can edit groups or permissions."""
    app_label = label.partition(".")[0]
    if app_label in OUR_APPS:
        return _matches(label, patterns)
    return _matches(label, tuple(pattern for pattern in patterns if pattern.startswith(f"{app_label}.")))


def roles_granting(*, permissions: Iterable[str]) -> list[str]:
    """The roles whose patterns grant every one of ``permissions`` (``app_label.codename``), in
    ``ROLE_PATTERNS`` order: what a refused page tells staff to ask for."""
    wanted = tuple(permissions)
    return [role for role, patterns in ROLE_PATTERNS.items() if all(_label_allowed(p, patterns) for p in wanted)]


@transaction.atomic
def roles_ensure() -> dict[str, int]:
    """Create the role groups and set their permissions to exactly what the patterns give.

    Safe to run any number of times; returns the permission count per role.
    """
    permissions = list(
        Permission.objects.select_related("content_type").filter(content_type__app_label__in=(*OUR_APPS, "auth"))
    )
    counts: dict[str, int] = {}
    for role, patterns in ROLE_PATTERNS.items():
        group, _ = Group.objects.get_or_create(name=role)
        chosen = [permission for permission in permissions if _allowed(permission, patterns)]
        group.permissions.set(chosen)
        counts[role] = len(chosen)
    return counts
