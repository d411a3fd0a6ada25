"""Reads for the staff settings pages."""

from dataclasses import dataclass

from django.contrib.auth import get_user_model


@dataclass(frozen=True)
class StaffMember:
    username: str
    full_name: str
    roles: tuple[str, ...]
    is_superuser: bool
    is_active: bool


def staff_list() -> list[StaffMember]:
    """Every staff user with their roles (groups), for the settings page."""
    users = get_user_model().objects.prefetch_related("groups").order_by("username")
    return [
        StaffMember(
            username=user.get_username(),
            full_name=user.get_full_name(),
            roles=tuple(sorted(group.name for group in user.groups.all())),
            is_superuser=user.is_superuser,
            is_active=user.is_active,
        )
        for user in users
    ]
