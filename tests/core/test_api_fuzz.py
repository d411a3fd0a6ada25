"""Fuzzing every published endpoint with schemathesis, from the contract at /api/schema/.

Each endpoint gets ``JWO_FUZZ_EXAMPLES`` examples (300 in ``make test``, more under ``make fuzz``)
in each of schemathesis's modes: bodies the schema allows and bodies it forbids, with a fixed
seed. The calls go to the real WSGI application on PostgreSQL and Redis, with a real connector
key and shopper token; a deterministic share of the bodies is pointed at a real store, real SKUs
and a real Scan Key Code so the fuzz reaches pricing and gate decisions, not only refusals.

What must hold for every call: no 5xx but the Identity Connector's deliberate store-default 500;
each status documented, each body matching its documented schema, content types as published;
everything the schema forbids refused with a 4xx; no call without the key or token accepted;
and no unhandled exception in the logs.
"""

import base64
import hashlib
import logging
import os
import re
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
import schemathesis
from django.conf import settings
from django.core.wsgi import get_wsgi_application
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, seed
from hypothesis import settings as hypothesis_settings

from catalog.models import Barcode, Product, Store
from entry.services.gate_answers import UNDECIDED_BODIES
from entry.services.shoppers import payment_method_add, scan_key_issue, shopper_create, shopper_token_create
from jwo_admin.core.connector_keys import connector_key_create

EXAMPLES = int(os.environ.get("JWO_FUZZ_EXAMPLES", "300"))
FUZZ_STORE = "FUZZ-STORE-001"
BASE64 = r"^(?:[A-Za-z0-9+/]{4})+(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$|^[A-Za-z0-9+/]{2}==$|^[A-Za-z0-9+/]{3}=$"
SKUS = ("FZ-COLA", "FZ-CHIPS", "FZ-APPLES")

SCHEMA = schemathesis.openapi.from_dict(SchemaGenerator().get_schema(request=None, public=True))
SCHEMA.app = get_wsgi_application()
SCHEMA.config.generation.update(modes=[schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE])

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.fuzz]


class World:
    """The real things a share of the generated bodies is pointed at."""

    connector_key = ""
    token = ""
    identity_key = ""


WORLD = World()


def _chosen(text: Any, share: int = 2) -> bool:
    """A deterministic coin from the generated data (so a failing example replays exactly)."""
    return int(hashlib.sha256(repr(text).encode()).hexdigest(), 16) % share == 0


def _replaceable(value: Any, *, pattern: str = "") -> bool:
    """Only a value the schema allows is swapped for a real one: a value a negative example made
    invalid (empty, too long, a number, off pattern) stays, or the example would no longer be
    negative."""
    if not isinstance(value, str) or not 1 <= len(value) <= 255:
        return False
    return not pattern or re.search(pattern, value) is not None


@SCHEMA.hook
def map_body(context: Any, body: Any) -> Any:
    if not isinstance(body, dict):
        return body
    if _replaceable(body.get("storeId")) and _chosen(body.get("requestId")):
        body["storeId"] = FUZZ_STORE
    key = body.get("identityKey")
    if _replaceable(key, pattern=BASE64) and WORLD.identity_key and _chosen(body.get("requestId"), 3):
        body["identityKey"] = WORLD.identity_key
    items = body.get("cartItems")
    for index, item in enumerate(items if isinstance(items, list) else []):
        if isinstance(item, dict) and _replaceable(item.get("id")) and _chosen((body.get("requestId"), index)):
            item["id"] = SKUS[index % len(SKUS)]
    return body


class ErrorLog(logging.Handler):
    """Error records from the app while the fuzz runs (the deliberate store-default 500 aside)."""

    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if "identity connector answered 500" in record.getMessage():
            return
        self.records.append(record)


@pytest.fixture
def error_log() -> Iterator[ErrorLog]:
    handler = ErrorLog()
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield handler
    finally:
        root.removeHandler(handler)


@pytest.fixture
def world(transactional_db: None, redis_url: str) -> World:
    store = Store.objects.create(store_id=FUZZ_STORE, name="Fuzz Store", currency="USD")
    for number, sku in enumerate(SKUS):
        product = Product.objects.create(store=store, sku=sku, name=f"Fuzz {sku}", price=Decimal("1.99"))
        value = f"40000000000{number}"
        Barcode.objects.create(store=store, product=product, value=value, type="EAN", match_key=f"0{value}")
    shopper = shopper_create(
        external_id="fuzz-shopper", name="Fuzz Shopper", email="fuzz@example.com", password="fuzz-pass-123"
    )
    payment_method_add(shopper=shopper, provider_reference="pm_fuzz", expiry_month=12, expiry_year=2099)
    WORLD.connector_key = connector_key_create(name="fuzz gateway")[1]
    WORLD.token = shopper_token_create(shopper=shopper)
    WORLD.identity_key = base64.b64encode(scan_key_issue(shopper=shopper, store=store).code.encode()).decode()
    return WORLD


def no_unexpected_server_error(ctx: Any, response: Any, case: Any) -> bool | None:
    """5xx only where it is the contract: the Identity Connector's store-default 500."""
    if response.status_code < 500:
        return None
    deliberate = case.path == "/v1/identity/identity-keys" and response.status_code == 500
    if deliberate and response.json() in UNDECIDED_BODIES.values():
        return None
    raise AssertionError(f"{response.status_code} from {case.method} {case.path}: {response.text[:500]}")


@SCHEMA.parametrize()
@seed(20261202)
@hypothesis_settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
    database=None,
)
def test_every_endpoint_keeps_its_contract(case: Any, world: World, error_log: ErrorLog) -> None:
    headers = {settings.JWO_CONNECTOR_KEY_HEADER: world.connector_key, "Authorization": f"Token {world.token}"}
    case.call_and_validate(
        headers=headers,
        excluded_checks=[schemathesis.checks.positive_data_acceptance, schemathesis.checks.not_a_server_error],
        additional_checks=[no_unexpected_server_error],
    )
    assert [record.getMessage() for record in error_log.records] == []
