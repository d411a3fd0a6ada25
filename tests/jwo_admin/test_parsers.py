"""The APIs' JSON parser: a body PostgreSQL could not store (NUL, half a surrogate pair) is a 400
naming the body, on both connectors, and nothing is stored; everything else parses as before."""

import copy
import io
import json
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from rest_framework.exceptions import ParseError

from catalog.models import Store
from entry.models import GateEvent
from jwo_admin.core.api.parsers import StorableJSONParser
from jwo_admin.core.connector_keys import connector_key_create
from jwo_admin.core.deadline import pool_shutdown
from orders.models import Purchase

PURCHASE = json.loads((Path(__file__).parent.parent / "fixtures" / "create_purchases.json").read_text())


def parse(raw: bytes) -> Any:
    return StorableJSONParser().parse(io.BytesIO(raw))


@pytest.mark.parametrize(
    "raw",
    [
        rb'{"storeId": "A\u0000B"}',
        rb'{"cartItems": [{"id": "x", "note\u0000": 1}]}',  # in an unknown attribute's name
        rb'{"storeId": "\ud800"}',  # a high surrogate alone
        rb'{"storeId": "x\udc00y"}',  # a low one
    ],
)
def test_text_postgresql_cannot_store_is_refused(raw: bytes) -> None:
    with pytest.raises(ParseError) as refused:
        parse(raw)
    assert "NUL character" in str(refused.value.detail)


@pytest.mark.parametrize(
    ("raw", "parsed"),
    [
        (rb'{"name": "\\u0000 is six characters"}', {"name": "\\u0000 is six characters"}),  # an escaped backslash
        (rb'{"name": "\ud83d\ude00"}', {"name": "\U0001f600"}),  # a whole pair is one character
        (b'{"name": "Cr\xc3\xa8me"}', {"name": "Crème"}),
    ],
)
def test_everything_else_parses_as_json(raw: bytes, parsed: Any) -> None:
    assert parse(raw) == parsed


@pytest.mark.parametrize("raw", [b'{"a": NaN}', b'{"a": Infinity}', b"{'a': 1}", b"\xff\xfe"])
def test_what_is_not_json_is_refused(raw: bytes) -> None:
    with pytest.raises(ParseError):
        parse(raw)


@pytest.mark.django_db(transaction=True)
def test_both_connectors_answer_400_naming_the_body_and_store_nothing(store: Store) -> None:
    key = connector_key_create(name="gateway")[1]
    headers = {"X-JWO-Connector-Key": key}
    purchase = copy.deepcopy(PURCHASE)
    purchase["storeId"] = store.store_id
    purchase["cartItems"][0]["id"] = "RET\u0000451"
    gate = {
        "requestId": "3f2c9a10-5b7e-4c1d-9e8f-0a1b2c3d4e5f",
        "identityKey": "QUJD",
        "storeId": store.store_id,
        "authEvent": {"id": "9d8c7b6a-1234-4abc-8def-0123456789ab", "timestamp": "2025-06-03T14:22:05Z"},
        "note": "\ud800",
    }

    bought = Client().post(
        "/v1/order/purchases", data=json.dumps(purchase), content_type="application/json", headers=headers
    )
    scanned = Client().post(
        "/v1/identity/identity-keys", data=json.dumps(gate), content_type="application/json", headers=headers
    )

    assert bought.status_code == 400
    assert bought.json()["field"] == "body"
    assert "NUL character" in bought.json()["message"]
    assert Purchase.objects.count() == 0
    assert scanned.status_code == 400
    assert scanned.json()["field"] == "body"
    pool_shutdown()  # the refusal is recorded in the background, without the body it could not keep
    assert list(GateEvent.objects.values_list("status_code", "reason")) == [(400, "invalid_request")]
