"""Staff sign-in lockouts: a budget of failures per account and per client address.

Per account, so a password cannot be guessed from many addresses; per address, so one address
cannot try many accounts. A success clears the account's count (not the address's: an office
behind one address keeps its budget for everyone's typos). Our own few rows rather than
django-axes: the count keys on ``client_address`` (our proxies' word only), lives beside the
other records staff can see, and the staff settings page lists and clears locks.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from jwo_admin.core.exceptions import ApplicationError
from jwo_admin.core.models import SignInLock, SignInLockKind


@dataclass(frozen=True)
class Locked:
    kind: str
    until: datetime

    @property
    def message(self) -> str:
        minutes = max(int((self.until - timezone.now()).total_seconds() // 60) + 1, 1)
        whose = "this account" if self.kind == SignInLockKind.ACCOUNT else "your address"
        return (
            f"Too many failed sign-ins for {whose}. Try again in {minutes} minute{'s' if minutes != 1 else ''}, "
            "or ask an admin to clear the lock (Settings, Sign-in lockouts)."
        )


def _keys(*, username: str, address: str) -> list[tuple[str, str, int]]:
    return [
        (SignInLockKind.ACCOUNT, username.strip().lower()[:200], settings.JWO_SIGN_IN_ACCOUNT_FAILURES),
        (SignInLockKind.ADDRESS, address[:200], settings.JWO_SIGN_IN_ADDRESS_FAILURES),
    ]


def sign_in_lock_active(*, username: str, address: str) -> Locked | None:
    """The lock, if any, that refuses this sign-in before its password is even checked."""
    now = timezone.now()
    matches = Q()
    for kind, key, _ in _keys(username=username, address=address):
        matches |= Q(kind=kind, key=key)
    lock = SignInLock.objects.filter(matches, locked_until__gt=now).order_by("kind").first()
    return Locked(lock.kind, lock.locked_until) if lock and lock.locked_until else None


@transaction.atomic
def sign_in_failed(*, username: str, address: str) -> Locked | None:
    """Count a failure against the account and the address; the lock it set, if any."""
    now = timezone.now()
    window = timedelta(minutes=settings.JWO_SIGN_IN_WINDOW_MINUTES)
    locked = None
    for kind, key, limit in _keys(username=username, address=address):
        row, _ = SignInLock.objects.select_for_update().get_or_create(
            kind=kind, key=key, defaults={"first_failure_at": now, "last_failure_at": now}
        )
        if row.last_failure_at < now - window or (row.locked_until and row.locked_until <= now):
            row.failures, row.first_failure_at, row.locked_until = 0, now, None  # a fresh window
        row.failures += 1
        row.last_failure_at = now
        if row.failures >= limit and row.locked_until is None:
            row.locked_until = now + timedelta(minutes=settings.JWO_SIGN_IN_LOCK_MINUTES)
            locked = locked or Locked(kind, row.locked_until)
        row.save()
    return locked


def sign_in_succeeded(*, username: str) -> None:
    SignInLock.objects.filter(kind=SignInLockKind.ACCOUNT, key=username.strip().lower()).delete()


def sign_in_lock_clear(*, lock_id: int) -> SignInLock:
    lock = SignInLock.objects.filter(pk=lock_id).first()
    if lock is None:
        raise ApplicationError("That lock was already cleared.")
    lock.delete()
    return lock


def sign_in_locks() -> list[SignInLock]:
    """Locks in force now, newest first (what admins see on the settings page)."""
    return list(SignInLock.objects.filter(locked_until__gt=timezone.now()))
