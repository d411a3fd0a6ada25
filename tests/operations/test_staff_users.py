"""The staff page: invite by email, the emailed link sets the password, role and stores change,
deactivate and reactivate, password reset by email."""

import re

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.test import Client

from catalog.models import StaffStoreAccess, Store
from catalog.selectors.staff_stores import staff_store_ids
from jwo_admin.core.roles import STORE_MANAGER, VIEWER

LINK = re.compile(r"http://testserver(/accounts/password/[^/]+/[^/]+/)")


def _admin(admin_user: User) -> Client:
    client = Client()
    client.force_login(admin_user)
    return client


def _invite(client: Client, store: Store, email: str = "new.manager@example.com") -> None:
    response = client.post("/operations/staff/", {"email": email, "role": STORE_MANAGER, "stores": [str(store.pk)]})
    assert (response.status_code, response["Location"]) == (302, "/operations/staff/")


@pytest.mark.django_db
def test_an_invited_user_sets_a_password_through_the_emailed_link_and_sees_only_their_store(
    admin_user: User, store: Store, other_store: Store
) -> None:
    _invite(_admin(admin_user), store)

    user = User.objects.get(username="new.manager@example.com")
    assert (user.email, user.is_active, user.has_usable_password()) == ("new.manager@example.com", True, False)
    assert [group.name for group in user.groups.all()] == [STORE_MANAGER]
    assert staff_store_ids(user=user) == frozenset({store.pk})
    assert [message.to for message in mail.outbox] == [["new.manager@example.com"]]
    assert mail.outbox[0].subject == "You are invited to jwo-admin"

    visitor = Client()
    link = LINK.search(str(mail.outbox[0].body))
    assert link is not None
    form_page = visitor.get(link.group(1), follow=True)
    set_password = form_page.redirect_chain[-1][0]
    saved = visitor.post(set_password, {"new_password1": "a-long-new-pass-42", "new_password2": "a-long-new-pass-42"})
    assert (saved.status_code, saved["Location"]) == (302, "/accounts/password/done/")
    signed_in = visitor.post(
        "/accounts/login/", {"username": "new.manager@example.com", "password": "a-long-new-pass-42"}
    )
    assert (signed_in.status_code, signed_in["Location"]) == (302, "/")
    home = visitor.get("/").content.decode()
    assert "Test Store" in home
    assert "Other Store" not in home
    assert visitor.get(link.group(1)).context["validlink"] is False  # the link works once


@pytest.mark.django_db
def test_inviting_an_email_that_has_an_account_is_refused_and_sends_nothing(admin_user: User, store: Store) -> None:
    client = _admin(admin_user)
    _invite(client, store)
    mail.outbox.clear()

    response = client.post(
        "/operations/staff/", {"email": "New.Manager@example.com", "role": VIEWER, "all_stores": "on"}
    )

    assert response.status_code == 200
    assert "new.manager@example.com already has an account" in response.content.decode()
    assert User.objects.filter(email__iexact="new.manager@example.com").count() == 1
    assert mail.outbox == []


@pytest.mark.django_db
def test_an_admin_changes_role_and_stores(admin_user: User, viewer: User, store: Store, other_store: Store) -> None:
    response = _admin(admin_user).post(
        f"/operations/staff/{viewer.pk}/", {"role": STORE_MANAGER, "stores": [str(other_store.pk)]}
    )

    assert (response.status_code, response["Location"]) == (302, "/operations/staff/")
    assert [group.name for group in viewer.groups.all()] == [STORE_MANAGER]
    access = StaffStoreAccess.objects.get(user=viewer)
    assert (access.all_stores, [s.pk for s in access.stores.all()]) == (False, [other_store.pk])


@pytest.mark.django_db
def test_a_role_below_admin_needs_stores(admin_user: User, viewer: User) -> None:
    response = _admin(admin_user).post(f"/operations/staff/{viewer.pk}/", {"role": STORE_MANAGER})

    assert response.status_code == 200
    assert "Choose the stores they work for, or every store." in response.content.decode()
    assert StaffStoreAccess.objects.get(user=viewer).all_stores is True


@pytest.mark.django_db
def test_deactivate_and_reactivate(admin_user: User, viewer: User) -> None:
    client = _admin(admin_user)

    client.post(f"/operations/staff/{viewer.pk}/active/")
    viewer.refresh_from_db()
    assert viewer.is_active is False
    signed_out = Client().post("/accounts/login/", {"username": "viewer", "password": "x"})
    assert signed_out.status_code == 200

    client.post(f"/operations/staff/{viewer.pk}/active/", {"is_active": "on"})
    viewer.refresh_from_db()
    assert viewer.is_active is True


@pytest.mark.django_db
def test_an_admin_cannot_deactivate_their_own_account(admin_user: User) -> None:
    response = _admin(admin_user).post(f"/operations/staff/{admin_user.pk}/active/", follow=True)

    admin_user.refresh_from_db()
    assert admin_user.is_active is True
    assert "You cannot deactivate your own account." in response.content.decode()


@pytest.mark.django_db
def test_a_password_reset_emails_a_link(admin_user: User, viewer: User) -> None:
    viewer.email = "viewer@example.com"
    viewer.save()

    _admin(admin_user).post(f"/operations/staff/{viewer.pk}/password-reset/")

    assert [(message.to, message.subject) for message in mail.outbox] == [
        (["viewer@example.com"], "Set a new jwo-admin password")
    ]
    assert LINK.search(str(mail.outbox[0].body)) is not None


@pytest.mark.django_db
def test_the_list_shows_role_stores_and_state(admin_user: User, store_manager: User, store: Store) -> None:
    StaffStoreAccess.objects.filter(user=store_manager).update(all_stores=False)
    StaffStoreAccess.objects.get(user=store_manager).stores.set([store])

    page = _admin(admin_user).get("/operations/staff/").content.decode()

    row = re.search(r'<tr data-user="storemgr">(.*?)</tr>', page, re.S)
    assert row is not None
    assert '<td class="role">Store manager</td>' in row.group(1)
    assert '<td class="stores">Test Store</td>' in row.group(1)
    assert '<td class="active">yes</td>' in row.group(1)
