"""Connector keys: the shared secret Amazon's calls carry through the retailer's API gateway.

A key reads ``jwock_<key id>_<secret>``. The key id finds the row (and its cache entry); the
secret's SHA-256 is compared in constant time. Keys are 256-bit random, so a fast hash is enough.
Lookups are cached for a few seconds in the shared cache only (no per-process copy), so a gate
call needs no database read and revoking, which clears that entry, is refused at once by every
process. Failed attempts are counted per client address: past
``JWO_CONNECTOR_KEY_FAILURES_PER_MINUTE`` the next failures are answered 429, not 401.
"""

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from jwo_admin.core.cache import cache_add, cache_count, cache_delete, cache_get, cache_set
from jwo_admin.core.deadline import run_later, run_within
from jwo_admin.core.exceptions import ApplicationError
from jwo_admin.core.models import ConnectorKey

PREFIX = "jwock"
CACHE_SECONDS = 5
_MISSING = "missing"


@dataclass(frozen=True)
class ConnectorPrincipal:
    """Who called: a connector key, by id and name (never the secret), and the store simulation
    run it was made for (None: a real caller), so what its calls create is marked simulated."""

    key_pk: int
    key_id: str
    name: str
    simulation_run_id: int | None = None


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _cache_key(key_id: str) -> str:
    return f"jwo:connector-key:{key_id}"


def connector_key_create(
    *, name: str, created_by: str = "", simulation_run_id: int | None = None
) -> tuple[ConnectorKey, str]:
    """Create a key; returns the row and the full key, which is never shown again.
    ``simulation_run_id``: a key for one store simulation run's calls."""
    if not name.strip():
        raise ApplicationError("Give the key a name that says where it is used.")
    key_id = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    key = ConnectorKey(
        name=name.strip(),
        key_id=key_id,
        secret_hash=_hash(secret),
        created_by=created_by[:150],
        simulation_run_id=simulation_run_id,
    )
    try:
        key.full_clean()
    except ValidationError as error:
        raise ApplicationError(
            " ".join(f"{field}: {' '.join(m)}" for field, m in error.message_dict.items())
        ) from error
    key.save()
    cache_delete(_cache_key(key_id))
    return key, f"{PREFIX}_{key_id}_{secret}"


@transaction.atomic
def connector_key_revoke(*, key_id: str) -> ConnectorKey:
    """Revoke at once; revoking twice is harmless."""
    key = ConnectorKey.objects.select_for_update().filter(key_id=key_id).first()
    if key is None:
        raise ApplicationError(f"No connector key {key_id!r}.")
    if key.revoked_at is None:
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at"])
    # Now, and again after commit: a call between the two may have cached the row as still active.
    cache_delete(_cache_key(key_id))
    transaction.on_commit(lambda: cache_delete(_cache_key(key_id)))
    return key


def _touch(key_pk: int) -> None:
    ConnectorKey.objects.filter(pk=key_pk).update(last_used_at=timezone.now())


_marked_at: dict[str, float] = {}
MARK_USED_SECONDS = 60


def connector_key_mark_used(principal: ConnectorPrincipal) -> None:
    """Note when a key was last used, at most once a minute per key and off the request's path
    (staff check that the old key is idle before revoking it). Each process asks the shared
    cache at most once a minute, so most calls do nothing here."""
    now = time.monotonic()
    if now - _marked_at.get(principal.key_id, -MARK_USED_SECONDS) < MARK_USED_SECONDS:
        return
    _marked_at[principal.key_id] = now
    if cache_add(f"jwo:connector-key-used:{principal.key_id}", MARK_USED_SECONDS):
        run_later(_touch, principal.key_pk)


def connector_keys_forget_marks() -> None:
    """Forget when this process last noted each key's use (tests)."""
    _marked_at.clear()


def connector_key_list() -> QuerySet[ConnectorKey]:
    return ConnectorKey.objects.order_by("revoked_at", "-created_at")


def _read(key_id: str) -> tuple[int, str, str, int | None] | None:
    return (
        ConnectorKey.objects.filter(key_id=key_id, revoked_at__isnull=True)
        .values_list("pk", "secret_hash", "name", "simulation_run_id")
        .first()
    )


def _lookup(key_id: str, timeout: float | None) -> tuple[int, str, str, int | None] | None:
    cached = cache_get(_cache_key(key_id), local=False)
    if cached == _MISSING:
        return None
    if cached is not None:
        return tuple(cached)
    row = run_within(timeout, _read, key_id) if timeout is not None else _read(key_id)
    cache_set(_cache_key(key_id), list(row) if row else _MISSING, CACHE_SECONDS, local=False)
    return row


def connector_key_verify(presented: str, *, timeout: float | None = None) -> ConnectorPrincipal | None:
    """The principal for a valid, unrevoked key; None for anything else.

    With ``timeout``, a database read (on a cache miss) runs under that deadline and raises
    DeadlineExceeded or DatabaseError past it: the caller decides what an unknown answer means.
    """
    parts = presented.split("_", 2)
    if len(parts) != 3 or parts[0] != PREFIX or not parts[1] or not parts[2]:
        return None
    row = _lookup(parts[1], timeout)
    if row is None:
        return None
    pk, secret_hash, name, *run = row  # a row cached before the run column was read has three
    if not hmac.compare_digest(_hash(parts[2]), secret_hash):
        return None
    return ConnectorPrincipal(key_pk=pk, key_id=parts[1], name=name, simulation_run_id=run[0] if run else None)


FAILURE_WINDOW_SECONDS = 60


def connector_key_failure_count(client: str) -> int:
    """Count one failed attempt from ``client`` (an address) in the current minute; the count so far."""
    digest = hashlib.sha256(client.encode()).hexdigest()[:32]
    return cache_count(f"jwo:connector-key-failures:{digest}", FAILURE_WINDOW_SECONDS)
