"""Fixtures shared by the orders tests."""

from collections.abc import Iterator

import pytest

from jwo_admin.core.connector_keys import connector_key_create
from tests.orders.mail_backends import FlakyBackend


@pytest.fixture
def key(db: None) -> str:
    """A connector key, as Amazon's calls carry it (through the retailer's API gateway)."""
    return connector_key_create(name="gateway")[1]


@pytest.fixture
def flaky_mail() -> Iterator[type[FlakyBackend]]:
    """The refusing mail server's counters, zero before and after the test (they are class-wide)."""
    FlakyBackend.failures = FlakyBackend.attempts = 0
    yield FlakyBackend
    FlakyBackend.failures = FlakyBackend.attempts = 0
