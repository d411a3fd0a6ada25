"""Connector keys (SPEC §3.2): created once, kept as a hash, verified from a short cache, revoked at once."""

import hashlib
import re

import pytest
from django.core.cache import cache

from jwo_admin.core.connector_keys import (
    ConnectorPrincipal,
    connector_key_create,
    connector_key_revoke,
    connector_key_verify,
)
from jwo_admin.core.exceptions import ApplicationError
from jwo_admin.core.models import ConnectorKey

KEY_SHAPE = re.compile(r"jwock_(?P<key_id>[0-9a-f]{12})_(?P<secret>[A-Za-z0-9_-]{43})")


@pytest.fixture(autouse=True)
def _empty_cache() -> None:
    cache.clear()


def test_create_returns_the_full_key_and_stores_only_its_hash(db: None) -> None:
    key, full = connector_key_create(name="  API gateway prod  ", created_by="boss")

    shape = KEY_SHAPE.fullmatch(full)
    assert shape is not None
    row = ConnectorKey.objects.get()
    assert row.pk == key.pk
    assert (row.name, row.key_id, row.created_by, row.revoked_at, row.last_used_at) == (
        "API gateway prod",
        shape["key_id"],
        "boss",
        None,
        None,
    )
    assert row.secret_hash == hashlib.sha256(shape["secret"].encode()).hexdigest()
    stored = [str(value) for value in ConnectorKey.objects.values_list().get()]
    assert not any(shape["secret"] in value for value in stored)


def test_each_key_is_new(db: None) -> None:
    _, first = connector_key_create(name="gateway a")
    _, second = connector_key_create(name="gateway b")

    assert first != second
    assert ConnectorKey.objects.count() == 2
    assert len(set(ConnectorKey.objects.values_list("key_id", flat=True))) == 2


def test_verify_accepts_the_key_and_names_it(db: None) -> None:
    key, full = connector_key_create(name="gateway")

    assert connector_key_verify(full) == ConnectorPrincipal(key_pk=key.pk, key_id=key.key_id, name="gateway")
    # Again, now from the cache: the same principal.
    assert connector_key_verify(full) == ConnectorPrincipal(key_pk=key.pk, key_id=key.key_id, name="gateway")


def test_verify_refuses_a_wrong_secret_for_a_known_key_id(db: None) -> None:
    key, full = connector_key_create(name="gateway")
    secret = full.split("_", 2)[2]
    wrong = ("B" if secret[0] != "B" else "C") + secret[1:]

    assert connector_key_verify(f"jwock_{key.key_id}_{wrong}") is None
    assert connector_key_verify(f"jwock_{key.key_id}_{secret}x") is None
    assert connector_key_verify(f"jwock_{key.key_id}_{secret[:-1]}") is None
    assert connector_key_verify(full) is not None  # the wrong tries did not spoil the right key


def test_verify_refuses_an_unknown_key_id(db: None) -> None:
    _, full = connector_key_create(name="gateway")
    secret = full.split("_", 2)[2]

    assert connector_key_verify(f"jwock_000000000000_{secret}") is None


@pytest.mark.parametrize(
    "presented",
    [
        "",
        "jwock",
        "jwock_",
        "jwock__",
        "jwock_abc",
        "jwock_abc_",
        "jwock__secret",
        "JWOCK_abc_secret",
        "other_abc_secret",
        "Bearer jwock_abc_secret",
    ],
)
def test_verify_refuses_malformed_keys(db: None, presented: str) -> None:
    connector_key_create(name="gateway")

    assert connector_key_verify(presented) is None


def test_verify_refuses_a_full_key_with_another_key_id(db: None) -> None:
    first, first_full = connector_key_create(name="gateway a")
    second, _ = connector_key_create(name="gateway b")

    swapped = first_full.replace(first.key_id, second.key_id)

    assert connector_key_verify(swapped) is None


def test_revoke_refuses_the_key_at_once_even_when_cached(transactional_db: None) -> None:
    key, full = connector_key_create(name="old gateway")
    assert connector_key_verify(full) is not None  # now cached for a few seconds

    revoked = connector_key_revoke(key_id=key.key_id)

    assert revoked.revoked_at is not None
    assert ConnectorKey.objects.get().revoked_at == revoked.revoked_at
    assert connector_key_verify(full) is None


def test_revoke_leaves_other_keys_working(transactional_db: None) -> None:
    old, old_full = connector_key_create(name="old gateway")
    new, new_full = connector_key_create(name="new gateway")
    connector_key_verify(old_full)
    connector_key_verify(new_full)

    connector_key_revoke(key_id=old.key_id)

    assert connector_key_verify(old_full) is None
    assert connector_key_verify(new_full) == ConnectorPrincipal(key_pk=new.pk, key_id=new.key_id, name="new gateway")


def test_revoking_twice_keeps_the_first_time(transactional_db: None) -> None:
    key, _ = connector_key_create(name="gateway")
    first = connector_key_revoke(key_id=key.key_id)

    second = connector_key_revoke(key_id=key.key_id)

    assert second.revoked_at == first.revoked_at
    assert ConnectorKey.objects.get().revoked_at == first.revoked_at


def test_revoking_an_unknown_key_is_an_application_error(db: None) -> None:
    key, full = connector_key_create(name="gateway")

    with pytest.raises(ApplicationError) as error:
        connector_key_revoke(key_id="000000000000")

    assert error.value.message == "No connector key '000000000000'."
    assert ConnectorKey.objects.get().revoked_at is None
    assert connector_key_verify(full) is not None


@pytest.mark.parametrize("name", ["", "   ", "\t\n"])
def test_create_with_a_blank_name_is_refused(db: None, name: str) -> None:
    with pytest.raises(ApplicationError) as error:
        connector_key_create(name=name)

    assert error.value.message == "Give the key a name that says where it is used."
    assert ConnectorKey.objects.count() == 0


def test_create_with_a_name_longer_than_the_column_is_refused(db: None) -> None:
    """The staff form and the command pass the name as typed: too long must be a message, not a crash."""
    with pytest.raises(ApplicationError) as error:
        connector_key_create(name="x" * 101)

    assert error.value.message == "name: Ensure this value has at most 100 characters (it has 101)."
    assert ConnectorKey.objects.count() == 0


def test_create_accepts_a_name_as_long_as_the_column(db: None) -> None:
    key, full = connector_key_create(name="x" * 100)

    assert connector_key_verify(full) == ConnectorPrincipal(key_pk=key.pk, key_id=key.key_id, name="x" * 100)
