"""Fixtures for entry: shoppers with cards, a connector key, and a gate that posts like Amazon.

The Identity Connector does its database work on a pool of threads with their own connections,
so these tests use committed data (``transactional_db``) rather than a rolled-back transaction.
"""

import base64
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from catalog.models import Store
from entry.models import Shopper, VisitorType
from entry.services.shoppers import payment_method_add, scan_key_issue, shopper_create
from jwo_admin.core.connector_keys import connector_key_create
from jwo_admin.core.deadline import pool_shutdown

IDENTITY_URL = "/v1/identity/identity-keys"


@pytest.fixture(autouse=True)
def _fresh_caches() -> Iterator[None]:
    cache.clear()
    yield
    pool_shutdown()  # let recording threads finish before the database is flushed
    cache.clear()


@pytest.fixture
def gate_store(transactional_db: None) -> Store:
    return Store.objects.create(store_id="TEST_STORE_001", name="Test Store", currency="USD")


@pytest.fixture
def second_store(transactional_db: None) -> Store:
    return Store.objects.create(store_id="TEST_STORE_002", name="Other Store", currency="EUR")


def make_shopper(
    external_id: str, *, visitor_type: str = VisitorType.SHOPPER, card: tuple[int, int] | None = (12, 2099)
) -> Shopper:
    shopper = shopper_create(
        external_id=external_id,
        name=f"Shopper {external_id}",
        email=f"{external_id}@example.com",
        visitor_type=visitor_type,
        password="shopper-pass-123",
    )
    if card is not None:
        payment_method_add(
            shopper=shopper,
            provider_reference=f"pm_{external_id}",
            expiry_month=card[0],
            expiry_year=card[1],
            brand="Visa",
            last4="4242",
        )
    return shopper


@pytest.fixture
def shopper(transactional_db: None) -> Shopper:
    return make_shopper("cust-0001")


@pytest.fixture
def connector_key(transactional_db: None) -> str:
    _, key = connector_key_create(name="test gateway")
    return key


def identity_key_for(shopper: Shopper, *, now: datetime | None = None, store: Store | None = None) -> str:
    issued = scan_key_issue(shopper=shopper, store=store, now=now)
    return base64.b64encode(issued.code.encode()).decode()


def gate_body(
    identity_key: str,
    *,
    store_id: str = "TEST_STORE_001",
    event_id: str | None = None,
    at: datetime | None = None,
    **overrides: Any,
) -> dict[str, Any]:
    at = at or timezone.now()
    body: dict[str, Any] = {
        "requestId": str(uuid.uuid4()),
        "identityKey": identity_key,
        "storeId": store_id,
        "authEvent": {
            "id": event_id or str(uuid.uuid4()),
            "timestamp": at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "location": "ENTRY",
        },
        "keyChannel": "OPTICAL",
    }
    body.update(overrides)
    return body


@pytest.fixture
def gate(connector_key: str) -> Callable[..., Any]:
    """POST a body (dict, or raw text) to the connector as Amazon would, with the connector key."""
    client = Client()

    def post(body: Any, *, key: str | None = connector_key) -> Any:
        headers = {settings.JWO_CONNECTOR_KEY_HEADER: key} if key is not None else {}
        if isinstance(body, str | bytes):
            return client.post(IDENTITY_URL, data=body, content_type="application/json", headers=headers)
        return client.post(IDENTITY_URL, data=body, content_type="application/json", headers=headers)

    return post
