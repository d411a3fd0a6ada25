"""Drill: PostgreSQL restarts (the real server, `pg_ctl restart -m fast`) between two rushes of gate
calls to gunicorn with production settings.

Every pool thread of every web process holds a connection from before the restart. What must
hold: once the database accepts connections again, no gate call answers the store default — each
thread finds its connection dead on use, reconnects and decides — and every answer is in time.
"""

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from catalog.models import Store
from entry.models import GateEvent
from entry.services.shoppers import scan_key_issue
from tests.drills.servers import (
    Answer,
    Server,
    database_url,
    drill_shop,
    gate_call,
    gunicorn,
    postgresql_restart,
    production_env,
)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.drill]

GATE = "/v1/identity/identity-keys"


def _rush(web: Server, bodies: list[dict[str, Any]], headers: dict[str, str]) -> list[Answer]:
    with ThreadPoolExecutor(max_workers=8) as callers:
        return list(callers.map(lambda body: web.post(GATE, body, headers, timeout=10), bodies))


def test_after_a_postgresql_restart_no_gate_call_answers_the_store_default(
    store: Store, redis_url: str, tmp_path: Path
) -> None:
    shopper, headers = drill_shop(store, "cust-restart")
    codes = [scan_key_issue(shopper=shopper, store=store).code for _ in range(48)]
    env = production_env(database=database_url(), redis=redis_url, JWO_IDENTITY_DB_THREADS="4")

    with gunicorn(env, tmp_path / "web.log", workers=2) as web:
        warm = _rush(web, [gate_call(code, store.store_id) for code in codes[:16]], headers)
        restart_seconds = postgresql_restart()
        at_once = _rush(web, [gate_call(code, store.store_id) for code in codes[16:32]], headers)
        time.sleep(10)  # past what a connection's own idle checks would have needed
        later = _rush(web, [gate_call(code, store.store_id) for code in codes[32:]], headers)
        log = (tmp_path / "web.log").read_text(errors="replace")

    connection.close()  # the test's own connection died with the server too
    assert restart_seconds < 30
    for rush in (warm, at_once, later):
        decided = [(answer.status, answer.body.get("visitorDetails", {}).get("type")) for answer in rush]
        assert decided == [(200, "SHOPPER")] * 16
        assert max(answer.seconds for answer in rush) < 2.0
    assert GateEvent.objects.filter(status_code=200).count() == 48
    assert not GateEvent.objects.exclude(status_code=200).exists()
    assert "a pool thread's database connection was dead (server restarted?): reconnected" in log
