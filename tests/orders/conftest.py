"""Fixtures shared by the orders tests."""

from collections.abc import Iterator

import pytest

from catalog.models import Store
from jwo_admin.core.connector_keys import connector_key_create
from tests.orders.mail_backends import FlakyBackend
from tests.orders.payment_helpers import payments_store


@pytest.fixture
def key(db: None) -> str:
    """A connector key, as Amazon's calls carry it (through the retailer's API gateway)."""
    return connector_key_create(name="gateway")[1]


@pytest.fixture
def shop(db: None) -> Store:
    """The payments tests' store (``payments_store``); a module with a store of its own overrides it."""
    return payments_store()


@pytest.fixture
def flaky_mail() -> Iterator[type[FlakyBackend]]:
    """The refusing mail server's counters, zero before and after the test (they are class-wide)."""
    FlakyBackend.failures = FlakyBackend.attempts = 0
    yield FlakyBackend
    FlakyBackend.failures = FlakyBackend.attempts = 0
