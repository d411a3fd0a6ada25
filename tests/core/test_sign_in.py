"""Staff sign-in: failures counted per account and per client address, a lock with a clear message
(the right password refused while it lasts), locks admins see and clear on the settings page."""

from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from jwo_admin.core.models import SignInLock
from tests.conftest import PASSWORD, client_for

LOGIN = "/accounts/login/"


@pytest.fixture(autouse=True)
def _limits(settings: Any) -> None:
    settings.JWO_SIGN_IN_ACCOUNT_FAILURES = 5
    settings.JWO_SIGN_IN_ADDRESS_FAILURES = 8
    settings.JWO_SIGN_IN_WINDOW_MINUTES = 15
    settings.JWO_SIGN_IN_LOCK_MINUTES = 15
    settings.JWO_TRUSTED_PROXIES = ["10.0.0.0/8"]


def sign_in(username: str, password: str, *, remote: str = "203.0.113.9", forwarded: str = "") -> tuple[int, str]:
    meta: dict[str, Any] = {"REMOTE_ADDR": remote}
    if forwarded:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    client = Client(**meta)
    response = client.post(LOGIN, {"username": username, "password": password})
    return response.status_code, response.content.decode() if response.status_code == 200 else response["Location"]


def locks() -> list[tuple[str, str, int, bool]]:
    now = timezone.now()
    return [
        (lock.kind, lock.key, lock.failures, bool(lock.locked_until and lock.locked_until > now))
        for lock in SignInLock.objects.order_by("kind", "key")
    ]


def test_five_wrong_passwords_lock_the_account_and_then_the_right_one_is_refused(store_manager: User) -> None:
    wrong = [sign_in("storemgr", f"guess-{n}") for n in range(5)]
    right = sign_in("storemgr", PASSWORD)

    assert [status for status, _ in wrong] == [200] * 5  # the form again, with its error
    assert "Please enter a correct username and password" in wrong[3][1]
    assert "Too many failed sign-ins for this account. Try again in 15 minutes" in wrong[4][1]
    assert right[0] == 200
    assert "Too many failed sign-ins for this account. Try again in 15 minutes" in right[1]
    assert "ask an admin to clear the lock" in right[1]
    assert locks() == [("account", "storemgr", 5, True), ("address", "203.0.113.9", 5, False)]


def test_a_rotating_forwarded_header_from_outside_our_proxies_buys_nothing(store_manager: User) -> None:
    for n in range(8):  # eight accounts tried from one address, each with a fresh X-Forwarded-For
        sign_in(f"someone-{n}", "guess", forwarded=f"198.51.100.{n}")
    status, page = sign_in("storemgr", PASSWORD, forwarded="198.51.100.99")

    assert status == 200
    assert "Too many failed sign-ins for your address" in page
    assert ("address", "203.0.113.9", 8, True) in locks()


def test_behind_our_proxy_each_client_has_its_own_address_budget(store_manager: User) -> None:
    for n in range(8):
        sign_in(f"someone-{n}", "guess", remote="10.0.0.5", forwarded=f"198.51.100.{n}")
    status, location = sign_in("storemgr", PASSWORD, remote="10.0.0.5", forwarded="198.51.100.200")

    assert (status, location) == (302, "/")
    assert not any(locked for kind, _, _, locked in locks() if kind == "address")


def test_a_success_clears_the_accounts_count(store_manager: User) -> None:
    for n in range(4):
        sign_in("storemgr", f"guess-{n}")
    assert sign_in("storemgr", PASSWORD) == (302, "/")
    for n in range(3):
        sign_in("storemgr", f"typo-{n}")

    assert sign_in("storemgr", PASSWORD) == (302, "/")  # 7 failures in all, never 5 in a row
    assert locks() == [("address", "203.0.113.9", 7, False)]  # the address keeps counting


def test_old_failures_fall_out_of_the_window(store_manager: User) -> None:
    for n in range(4):
        sign_in("storemgr", f"guess-{n}")
    SignInLock.objects.update(last_failure_at=timezone.now() - timedelta(minutes=16))
    sign_in("storemgr", "guess-again")

    assert sign_in("storemgr", PASSWORD) == (302, "/")


def test_an_expired_lock_lets_the_account_in(store_manager: User) -> None:
    for n in range(5):
        sign_in("storemgr", f"guess-{n}")
    SignInLock.objects.update(locked_until=timezone.now() - timedelta(seconds=1))

    assert sign_in("storemgr", PASSWORD) == (302, "/")


def test_the_admin_sign_in_counts_failures_too(admin_user: User) -> None:
    client = Client(REMOTE_ADDR="203.0.113.9")
    for n in range(5):
        client.post("/admin/login/?next=/admin/", {"username": "boss", "password": f"guess-{n}"})
    response = client.post("/admin/login/?next=/admin/", {"username": "boss", "password": PASSWORD})

    assert response.status_code == 200
    assert "Too many failed sign-ins for this account" in response.content.decode()


def test_admins_see_and_clear_locks_on_the_settings_page(store_manager: User, admin_user: User) -> None:
    for n in range(5):
        sign_in("storemgr", f"guess-{n}")
    admin = client_for(admin_user)
    page = admin.get("/settings/").content.decode()
    lock = SignInLock.objects.get(kind="account")

    assert 'id="sign-in-lock-table"' in page
    assert "<code>storemgr</code>" in page
    assert "<code>203.0.113.9</code>" not in page  # the address has 5 of 8: counted, not locked

    cleared = admin.post(f"/settings/sign-in-locks/{lock.pk}/clear/")
    assert (cleared.status_code, cleared["Location"]) == (302, "/settings/#sign-in-locks")
    assert "Sign-in lock on account storemgr cleared." in admin.get("/settings/").content.decode()
    assert sign_in("storemgr", PASSWORD) == (302, "/")


def test_other_roles_neither_see_nor_clear_locks(store_manager: User, viewer: User) -> None:
    for n in range(5):
        sign_in("storemgr", f"guess-{n}")
    lock = SignInLock.objects.get(kind="account")
    manager = client_for(store_manager)

    assert 'id="sign-in-lock-table"' not in manager.get("/settings/").content.decode()
    assert manager.post(f"/settings/sign-in-locks/{lock.pk}/clear/").status_code == 403
    assert SignInLock.objects.filter(pk=lock.pk).exists()
