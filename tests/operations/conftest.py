"""Fixtures shared by the operations tests."""

import pytest

from jwo_admin.core.connector_keys import connector_key_create


@pytest.fixture
def key(db: None) -> str:
    """A connector key, as Amazon's calls carry it (through the retailer's API gateway)."""
    return connector_key_create(name="gateway")[1]
