"""Connector keys under attack and under rotation, through the real connectors: wrong keys are
throttled (a valid key never is), two keys rotate without a refused call, and a revoked key is
refused at once by every web process, not only the one that revoked it."""

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client

from catalog.models import Store
from entry.models import GateEvent
from jwo_admin.core.connector_keys import connector_key_create, connector_key_revoke
from jwo_admin.core.deadline import pool_shutdown
from orders.models import Purchase
from tests.conftest import missing_service
from tests.e2e.processes import free_port

ROOT = Path(__file__).resolve().parents[2]
GATE = "/v1/identity/identity-keys"
PURCHASES = "/v1/order/purchases"
BODY = {"requestId": "not-checked-before-the-key"}  # a body the key check comes before

pytestmark = pytest.mark.django_db(transaction=True)


def call(path: str, key: str, address: str = "10.0.0.1") -> Any:
    return Client(REMOTE_ADDR=address).post(
        path, data=json.dumps(BODY), content_type="application/json", headers={"X-JWO-Connector-Key": key}
    )


def test_wrong_keys_are_throttled_per_address_and_a_valid_key_never_is(
    store: Store, settings: Any, redis_url: str
) -> None:
    settings.JWO_CONNECTOR_KEY_FAILURES_PER_MINUTE = 5
    row, key = connector_key_create(name="gateway")
    wrong = f"jwock_{row.key_id}_not-the-secret"

    first = [call(GATE, wrong).status_code for _ in range(5)]
    throttled = call(GATE, wrong)
    valid = call(GATE, key)
    elsewhere = call(GATE, wrong, address="10.0.0.2")
    purchases = call(PURCHASES, wrong)

    assert first == [401] * 5
    assert throttled.status_code == 429
    assert throttled["Retry-After"] == "60"
    assert throttled.json() == {
        "message": "Too many failed connector keys from this address; wait a minute. Expected available in 60 seconds."
    }
    assert valid.status_code == 400  # past the key: the body is what is wrong
    assert elsewhere.status_code == 401  # another address has its own count
    assert purchases.status_code == 429
    assert Purchase.objects.count() == 0
    pool_shutdown()
    # Calls without a valid key are counted, not recorded; the valid key's call is a gate event.
    refusals = list(GateEvent.objects.order_by("pk").values_list("status_code", "reason"))
    assert refusals == [(400, "invalid_request")]


def test_two_keys_rotate_without_a_refused_call_and_the_old_one_is_refused_at_once(store: Store) -> None:
    old_row, old = connector_key_create(name="gateway 2025")
    assert call(GATE, old).status_code == 400  # cached now
    _, new = connector_key_create(name="gateway 2026")

    both = [call(GATE, old).status_code, call(GATE, new).status_code]
    connector_key_revoke(key_id=old_row.key_id)
    after = [call(GATE, old).status_code, call(GATE, new).status_code]

    assert both == [400, 400]
    assert after == [401, 400]


def _post(port: int, key: str) -> int:
    request = urllib.request.Request(  # noqa: S310 - loopback
        f"http://127.0.0.1:{port}{GATE}",
        data=json.dumps(BODY).encode(),
        headers={"Content-Type": "application/json", "X-JWO-Connector-Key": key},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310 - loopback
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


def test_a_revoked_key_is_refused_at_once_by_every_web_process(store: Store, redis_url: str) -> None:
    """Four gunicorn workers (separate processes, each with its own memory) have all admitted the
    key; the moment it is revoked here, none of them admits it again."""
    if connection.vendor != "postgresql":
        missing_service("PostgreSQL: the workers read the same database (`make test` starts one)")
    row, key = connector_key_create(name="gateway")
    database = settings.DATABASES["default"]
    url = f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}"
    port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "jwo_admin.settings.test",
        "DATABASE_URL": url,
        "REDIS_URL": redis_url,
        "DJANGO_READ_DOT_ENV_FILE": "false",
        "JWO_CONNECTOR_KEY_FAILURES_PER_MINUTE": "1000",  # this test is about revocation, not throttling
    }
    command = [sys.executable, "-m", "gunicorn", "--workers", "4", "--bind", f"127.0.0.1:{port}", "jwo_admin.wsgi"]
    server = subprocess.Popen(command, cwd=ROOT, env=env, stderr=subprocess.DEVNULL, start_new_session=True)  # noqa: S603
    try:
        deadline = time.monotonic() + 30
        while _post_or_none(port, key) is None:
            assert server.poll() is None
            assert time.monotonic() < deadline, "gunicorn did not start"
            time.sleep(0.2)
        before = [_post(port, key) for _ in range(40)]  # spread over the workers: each has it cached
        connector_key_revoke(key_id=row.key_id)
        after = [_post(port, key) for _ in range(40)]
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=20)

    assert set(before) == {400}
    assert after == [401] * 40


def _post_or_none(port: int, key: str) -> int | None:
    try:
        return _post(port, key)
    except OSError:
        return None
