"""Every route under /v1/ × every error it can give, through gunicorn with production settings, over
real HTTP: one answer shape — JSON ``{"message": …}``, ``application/json; charset=utf-8``,
``Cache-Control: no-store``, ``Retry-After`` on every 429 — and the status Amazon's gateway acts on.

Also: bodies that break parsers are 400s in words (never HTML, never 5xx); a chunked body is read;
the connectors are never redirected to HTTPS (TLS ends at the gateway) while staff pages are;
calls without a valid key write no row; identical replays all get the first answer.
(The 500 and 503 answers under a failing database are walked in ``tests/drills/test_database_outage.py``.)
"""

import copy
import http.client
import json
import socket
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from catalog.models import Store
from entry.models import GateEvent
from orders.models import Purchase
from tests.drills.servers import Server, database_url, drill_shop, gunicorn, production_env
from tests.entry.conftest import gate_body, identity_key_for

pytestmark = pytest.mark.django_db(transaction=True)

IDENTITY = "/v1/identity/identity-keys"
PURCHASES = "/v1/order/purchases"
ROUTES = [IDENTITY, PURCHASES]
SPEC_EXAMPLE = json.loads((Path(__file__).parent.parent / "fixtures" / "create_purchases.json").read_text())
JSON = "application/json; charset=utf-8"
LIMIT = 2 * 1024 * 1024  # JWO_CONNECTOR_MAX_BODY_BYTES's default


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    raw: bytes

    @property
    def body(self) -> Any:
        return json.loads(self.raw)


def send(port: int, method: str, path: str, body: bytes | None, headers: dict[str, str]) -> Reply:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        return Reply(response.status, {k.lower(): v for k, v in response.getheaders()}, response.read())
    finally:
        connection.close()


def send_partly(port: int, path: str, length: int, sent: int, headers: dict[str, str]) -> Reply:
    """Announce a body of ``length`` bytes, send only its first ``sent`` bytes, read the answer:
    a server that reads a huge body to the end before refusing it would never answer. (gunicorn
    reads a body at least 1 KiB at a time and reads ahead what has arrived: a few KiB past the
    limit satisfy it, and nothing is left unread to reset the connection when it closes.)"""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        head = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", f"Content-Length: {length}"]
        head += [f"{name}: {value}" for name, value in headers.items()]
        sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode())
        chunk = b'{"x": "' + b"a" * (sent - 7)  # exactly ``sent`` bytes
        sock.sendall(chunk)
        response = http.client.HTTPResponse(sock)
        response.begin()
        return Reply(response.status, {k.lower(): v for k, v in response.getheaders()}, response.read())


def send_chunked(port: int, path: str, body: bytes, headers: dict[str, str]) -> Reply:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        pieces = [body[i : i + 100] for i in range(0, len(body), 100)]
        connection.request("POST", path, body=iter(pieces), headers=headers, encode_chunked=True)
        response = connection.getresponse()
        return Reply(response.status, {k.lower(): v for k, v in response.getheaders()}, response.read())
    finally:
        connection.close()


def assert_shape(reply: Reply, status: int, message: str | None = None) -> None:
    """The one answer shape, whatever the error."""
    assert reply.status == status, reply.raw[:300]
    assert reply.headers["content-type"] == JSON
    assert reply.headers["cache-control"] == "no-store"
    body = reply.body
    assert isinstance(body, dict), body
    assert isinstance(body["message"], str), body
    assert set(body) <= {"message", "field"}, body
    if message is not None:
        assert body["message"] == message
    if status == 429:
        assert int(reply.headers["retry-after"]) >= 1
    if status == 401:
        assert reply.headers["www-authenticate"] == f'ConnectorKey header="{settings.JWO_CONNECTOR_KEY_HEADER}"'
    if status == 405:
        assert reply.headers["allow"] == "POST"


@pytest.fixture
def stack(require_postgres: None, store: Store, tmp_path: Path, redis_url: str) -> Iterator[tuple[Server, Any]]:
    """gunicorn, production settings with their HTTPS redirect on, a store, a shopper, a key."""
    shopper, headers = drill_shop(store, "cust-answers")
    env = production_env(
        database=database_url(),
        redis=redis_url,
        DJANGO_SECURE_SSL_REDIRECT="true",
        JWO_CONNECTOR_KEY_FAILURES_PER_MINUTE="3",
    )
    with gunicorn(env, tmp_path / "web.log") as server:
        yield server, (shopper, headers)


def bodies(shopper: Any, store: Store) -> dict[str, dict[str, Any]]:
    purchase = copy.deepcopy(SPEC_EXAMPLE)
    purchase.update(storeId=store.store_id, idempotentShoppingTripId=str(uuid.uuid4()))
    purchase["cartItems"][0]["id"] = "SKU-COLA"
    return {IDENTITY: gate_body(identity_key_for(shopper), store_id=store.store_id), PURCHASES: purchase}


def test_every_connector_error_has_one_shape(stack: tuple[Server, Any], store: Store) -> None:
    server, (shopper, key_headers) = stack
    port = server.port
    json_headers = {"Content-Type": "application/json", **key_headers}
    valid = bodies(shopper, store)

    for path in ROUTES:
        body = json.dumps(valid[path]).encode()
        cases: list[tuple[str, Reply, int, str | None]] = [
            (
                "no key",
                send(port, "POST", path, body, {"Content-Type": "application/json"}),
                401,
                "Unauthorized - missing or invalid connector key",
            ),
            (
                "wrong key",
                send(port, "POST", path, body, {"Content-Type": "application/json", key_header(): "jwock_x_y"}),
                401,
                "Unauthorized - missing or invalid connector key",
            ),
            (
                "GET",
                send(port, "GET", path, None, key_headers),
                405,
                "Method GET not allowed: the connectors take POST.",
            ),
            (
                "PUT",
                send(port, "PUT", path, body, json_headers),
                405,
                "Method PUT not allowed: the connectors take POST.",
            ),
            (
                "text/plain",
                send(port, "POST", path, body, {"Content-Type": "text/plain", **key_headers}),
                415,
                "The body must be JSON (Content-Type: application/json).",
            ),
            ("empty object", send(port, "POST", path, b"{}", json_headers), 400, None),
            ("not JSON", send(port, "POST", path, b"{nope", json_headers), 400, None),
            ("10,000 deep", send(port, "POST", path, b"[" * 10_000 + b"]" * 10_000, json_headers), 400, None),
            ("1e400", send(port, "POST", path, body[:-1] + b', "extra": 1e400}', json_headers), 400, None),
            ("NaN", send(port, "POST", path, b'{"requestId": NaN}', json_headers), 400, None),
            (
                "OPTIONS",
                send(port, "OPTIONS", path, None, key_headers),
                405,
                "Method OPTIONS not allowed: the connectors take POST.",
            ),
            ("Infinity", send(port, "POST", path, b'{"requestId": -Infinity}', json_headers), 400, None),
            ("not UTF-8", send(port, "POST", path, b'{"requestId": "\xff\xfe"}', json_headers), 400, None),
            ("accept html", send(port, "POST", path, b"{}", {**json_headers, "Accept": "text/html"}), 400, None),
            ("10 MB", send_partly(port, path, 10_000_000, LIMIT + 4096, json_headers), 400, None),
            ("100 MB", send_partly(port, path, 100_000_000, LIMIT + 4096, json_headers), 400, None),
            (
                "unknown path",
                send(port, "POST", path + "/more", body, json_headers),
                404,
                "No such connector endpoint.",
            ),
        ]
        for name, reply, status, message in cases:
            try:
                assert_shape(reply, status, message)
            except AssertionError as error:
                raise AssertionError(f"{path} {name}: {error}") from error
        by_name = {name: reply for name, reply, _, _ in cases}
        for name in ("10,000 deep", "1e400", "NaN", "Infinity", "not UTF-8", "not JSON"):
            assert by_name[name].body["message"].startswith("Invalid body: The body is not valid JSON: "), name
        for name in ("10 MB", "100 MB"):
            assert by_name[name].body["message"] == (
                f"Invalid body: The body is larger than {LIMIT:,} bytes; nothing was read."
            ), name
        assert by_name["1e400"].body["message"].endswith("out of range")
        assert by_name["10,000 deep"].body["message"].endswith("the body is nested too deeply")
    assert_shape(send(port, "POST", "/v1/nothing", b"{}", json_headers), 404, "No such connector endpoint.")
    assert_shape(send(port, "POST", "/v1/nothing", b"{}", {}), 404, "No such connector endpoint.")
    # Only the calls with a valid key were recorded at the gate (the body errors); nothing was stored.
    assert Purchase.objects.count() == 0
    assert GateEvent.objects.filter(status_code__in=(401, 429)).count() == 0
    assert server.errors() == []


def key_header() -> str:
    return settings.JWO_CONNECTOR_KEY_HEADER


def test_too_many_wrong_keys_are_429_with_retry_after_on_both_connectors(
    stack: tuple[Server, Any], store: Store
) -> None:
    server, (shopper, _) = stack
    wrong = {"Content-Type": "application/json", key_header(): "jwock_000000000000_secret"}
    valid = bodies(shopper, store)

    statuses = [
        send(server.port, "POST", IDENTITY, json.dumps(valid[IDENTITY]).encode(), wrong).status for _ in range(3)
    ]
    throttled = [send(server.port, "POST", path, json.dumps(valid[path]).encode(), wrong) for path in ROUTES]

    assert statuses == [401] * 3
    for reply in throttled:
        assert_shape(reply, 429)
        assert reply.headers["retry-after"] == "60"
    assert GateEvent.objects.count() == 0


def test_a_chunked_body_is_read_and_priced(stack: tuple[Server, Any], store: Store) -> None:
    server, (shopper, key_headers) = stack
    valid = bodies(shopper, store)
    headers = {"Content-Type": "application/json", **key_headers}

    purchase = send_chunked(server.port, PURCHASES, json.dumps(valid[PURCHASES]).encode(), headers)
    gate = send_chunked(server.port, IDENTITY, json.dumps(valid[IDENTITY]).encode(), headers)

    stored = Purchase.objects.get(trip_id=valid[PURCHASES]["idempotentShoppingTripId"])
    assert (purchase.status, purchase.body) == (201, {"purchaseId": stored.purchase_id})
    assert str(stored.total) == "4.180"  # 2 × 1.99 = 3.98 + 5 % 0.199 → 0.20: 4.18
    assert (gate.status, gate.body) == (200, {"visitorDetails": {"id": "cust-answers", "type": "SHOPPER"}})
    assert purchase.headers["cache-control"] == gate.headers["cache-control"] == "no-store"


def test_the_connectors_are_never_redirected_to_https_but_staff_pages_are(
    stack: tuple[Server, Any], store: Store
) -> None:
    server, (shopper, key_headers) = stack
    valid = bodies(shopper, store)
    headers = {"Content-Type": "application/json", **key_headers}

    gate = send(server.port, "POST", IDENTITY, json.dumps(valid[IDENTITY]).encode(), headers)  # no X-Forwarded-Proto
    staff = send(server.port, "GET", "/accounts/login/", None, {})
    scrape = send(server.port, "GET", "/metrics", None, {})  # each host, inside the network

    assert gate.status == 200
    assert scrape.status == 401  # asked for its bearer token, not sent to https
    assert staff.status == 301
    assert staff.headers["location"] == f"https://127.0.0.1:{server.port}/accounts/login/"


def test_fifty_identical_replays_all_get_the_first_answer(stack: tuple[Server, Any], store: Store) -> None:
    server, (shopper, key_headers) = stack
    sent = bodies(shopper, store)[IDENTITY]
    headers = {"Content-Type": "application/json", **key_headers}

    replies = [
        send(server.port, "POST", IDENTITY, json.dumps({**sent, "requestId": str(uuid.uuid4())}).encode(), headers)
        for _ in range(50)
    ]

    assert {(reply.status, reply.raw) for reply in replies} == {
        (200, b'{"visitorDetails":{"id":"cust-answers","type":"SHOPPER"}}')
    }
    event = GateEvent.objects.get(auth_event_id=sent["authEvent"]["id"])
    assert event.replays == 49
