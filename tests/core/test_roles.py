"""Staff roles: the four groups migrate creates, exactly what each may do, and re-running is harmless."""

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.db.models import QuerySet

from jwo_admin.core.roles import ADMIN, CATALOG_MANAGER, OUR_APPS, STORE_MANAGER, VIEWER, roles_ensure, roles_granting

pytestmark = pytest.mark.django_db

USER_MANAGEMENT = {"auth.add_user", "auth.change_user", "auth.delete_user", "auth.view_user", "auth.view_group"}


def labels(permissions: QuerySet[Permission]) -> set[str]:
    return {
        f"{app_label}.{codename}"
        for app_label, codename in permissions.values_list("content_type__app_label", "codename")
    }


def role_permissions(role: str) -> set[str]:
    return labels(Group.objects.get(name=role).permissions.all())


def our_permissions() -> set[str]:
    return labels(Permission.objects.filter(content_type__app_label__in=OUR_APPS))


def our_view_permissions() -> set[str]:
    return {label for label in our_permissions() if label.split(".")[1].startswith("view_")}


def test_migrate_creates_the_four_role_groups() -> None:
    assert set(Group.objects.values_list("name", flat=True)) == {VIEWER, CATALOG_MANAGER, STORE_MANAGER, ADMIN}


def test_viewer_can_only_view_our_models() -> None:
    permissions = role_permissions(VIEWER)

    assert permissions == our_view_permissions()
    assert {"catalog.view_product", "catalog.view_store", "catalog.view_importjob"} <= permissions


def test_catalog_manager_edits_the_catalog_but_not_stores() -> None:
    permissions = role_permissions(CATALOG_MANAGER)

    assert permissions - our_view_permissions() == {
        "catalog.add_product",
        "catalog.change_product",
        "catalog.delete_product",
        "catalog.add_barcode",
        "catalog.change_barcode",
        "catalog.delete_barcode",
        "catalog.add_mappingprofile",
        "catalog.change_mappingprofile",
        "catalog.delete_mappingprofile",
        "catalog.add_importjob",
        "catalog.change_importjob",
        "catalog.delete_importjob",
        "catalog.import_catalog",
        "catalog.sync_catalog",
    }
    assert our_view_permissions() <= permissions
    assert "catalog.change_store" not in permissions


def test_store_manager_edits_stores_but_cannot_import() -> None:
    permissions = role_permissions(STORE_MANAGER)

    extra = {label for label in our_permissions() if label.split(".")[0] in ("entry", "orders", "operations")}
    assert permissions == our_view_permissions() | extra | {"catalog.change_store"}
    assert "catalog.import_catalog" not in permissions
    assert "catalog.change_product" not in permissions


def test_admin_has_all_our_permissions_and_manages_staff_accounts() -> None:
    permissions = role_permissions(ADMIN)

    assert our_permissions() | USER_MANAGEMENT <= permissions


def test_admin_gets_no_auth_permissions_beyond_user_management() -> None:
    permissions = role_permissions(ADMIN)

    assert permissions == our_permissions() | USER_MANAGEMENT


def test_no_role_but_admin_holds_an_auth_permission() -> None:
    for role in (VIEWER, CATALOG_MANAGER, STORE_MANAGER):
        assert {label for label in role_permissions(role) if label.startswith("auth.")} == set()


def test_roles_ensure_is_idempotent() -> None:
    before = {role: role_permissions(role) for role in (VIEWER, CATALOG_MANAGER, STORE_MANAGER, ADMIN)}

    first = roles_ensure()
    second = roles_ensure()

    assert first == second == {role: len(permissions) for role, permissions in before.items()}
    assert Group.objects.count() == 4
    assert {role: role_permissions(role) for role in before} == before


def test_roles_ensure_restores_a_role_edited_by_hand() -> None:
    viewer = Group.objects.get(name=VIEWER)
    viewer.permissions.add(Permission.objects.get(codename="delete_product"))
    viewer.permissions.remove(Permission.objects.get(codename="view_product"))
    Group.objects.get(name=STORE_MANAGER).delete()

    roles_ensure()

    assert role_permissions(VIEWER) == our_view_permissions()
    assert "catalog.change_store" in role_permissions(STORE_MANAGER)


def test_staff_hold_their_role_permissions(viewer: User, catalog_manager: User, store_manager: User) -> None:
    checks = ("catalog.view_product", "catalog.import_catalog", "catalog.change_product", "catalog.change_store")

    assert [viewer.has_perm(check) for check in checks] == [True, False, False, False]
    assert [catalog_manager.has_perm(check) for check in checks] == [True, True, True, False]
    assert [store_manager.has_perm(check) for check in checks] == [True, False, False, True]


def test_admin_user_can_manage_users_in_the_django_admin(admin_user: User) -> None:
    assert admin_user.is_staff is True
    assert admin_user.is_superuser is False
    assert all(admin_user.has_perm(label) for label in USER_MANAGEMENT)
    assert admin_user.has_perm("catalog.change_store") is True


def test_roles_granting_names_exactly_the_groups_that_hold_each_permission() -> None:
    every = labels(Permission.objects.filter(content_type__app_label__in=(*OUR_APPS, "auth")))
    held = {role: role_permissions(role) for role in (VIEWER, CATALOG_MANAGER, STORE_MANAGER, ADMIN)}

    for label in sorted(every):
        assert roles_granting(permissions=[label]) == [role for role, granted in held.items() if label in granted], (
            label
        )


def test_roles_granting_asks_for_every_permission_at_once() -> None:
    assert roles_granting(permissions=["catalog.view_product"]) == [VIEWER, CATALOG_MANAGER, STORE_MANAGER, ADMIN]
    assert roles_granting(permissions=["catalog.view_product", "catalog.change_store"]) == [STORE_MANAGER, ADMIN]
    assert roles_granting(permissions=["catalog.import_catalog", "catalog.change_store"]) == [ADMIN]
    assert roles_granting(permissions=["auth.change_group"]) == []
