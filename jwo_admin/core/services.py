"""Writes for staff accounts."""

import secrets

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction

from jwo_admin.core.roles import ADMIN, CATALOG_MANAGER, STORE_MANAGER, VIEWER, roles_ensure

DEMO_STAFF = (("admin", ADMIN), ("catalog", CATALOG_MANAGER), ("store", STORE_MANAGER), ("viewer", VIEWER))


def staff_user_create(*, username: str, password: str, role: str, email: str = "") -> None:
    """Create or update a staff user holding exactly one role."""
    user_model = get_user_model()
    user, _ = user_model.objects.get_or_create(username=username, defaults={"email": email})
    user.is_staff = role == ADMIN  # the Django admin is for admins; other roles use the staff screens
    user.is_active = True
    user.set_password(password)
    user.full_clean()
    user.save()
    user.groups.set([Group.objects.get(name=role)])


@transaction.atomic
def demo_staff_ensure(*, password: str = "") -> list[tuple[str, str, str]]:
    """One demo user per role, all with the same password (generated unless given)."""
    roles_ensure()
    password = password or secrets.token_urlsafe(9)
    for username, role in DEMO_STAFF:
        staff_user_create(username=username, password=password, role=role)
    return [(username, password, role) for username, role in DEMO_STAFF]
