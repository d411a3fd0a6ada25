"""Drill: Redis stops answering without closing anything (`SIGSTOP`: what a hung server, a full
network buffer or a paused VM look like), while Amazon calls the gate.

A private redis-server is the cache, the limiter and the broker of gunicorn with production
settings. What must hold: every gate call is answered in time and decided from the database while
Redis is stopped (every Redis client gives up after its timeout, and the cache is not asked again
for a few seconds), and calls are as before once it continues.
"""

import os
import signal
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import redis

from catalog.models import Store
from entry.services.shoppers import scan_key_issue
from tests.conftest import missing_service
from tests.drills.servers import Answer, Server, database_url, drill_shop, gate_call, gunicorn, production_env
from tests.e2e.processes import free_port

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.drill]

GATE = "/v1/identity/identity-keys"


def _calls_for(seconds: float, web: Server, codes: list[str], store_id: str, headers: dict[str, str]) -> list[Answer]:
    """Four callers, one call after another each, for ``seconds``: what a busy entrance sends."""
    deadline = time.monotonic() + seconds
    answers: list[Answer] = []

    def caller(offset: int) -> None:
        index = offset
        while time.monotonic() < deadline and index < len(codes):
            answers.append(web.post(GATE, gate_call(codes[index], store_id), headers, timeout=10))
            index += 4

    with ThreadPoolExecutor(max_workers=4) as callers:
        list(callers.map(caller, range(4)))
    return answers


def test_with_redis_stopped_every_gate_call_is_answered_in_time_from_the_database(store: Store, tmp_path: Path) -> None:
    server_binary = "/usr/bin/redis-server"
    if not Path(server_binary).exists():
        missing_service("redis-server (Debian package redis-server)")
    port = free_port()
    server = subprocess.Popen(  # noqa: S603 - a fixed program and arguments
        [server_binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        client = redis.Redis(port=port)
        for _ in range(50):
            try:
                client.ping()
                break
            except redis.ConnectionError:
                time.sleep(0.1)
        shopper, headers = drill_shop(store, "cust-stalled")
        codes = [scan_key_issue(shopper=shopper, store=store).code for _ in range(1200)]
        env = production_env(database=database_url(), redis=f"redis://127.0.0.1:{port}/0")
        with gunicorn(env, tmp_path / "web.log", workers=2) as web:
            before = _calls_for(2, web, codes[:100], store.store_id, headers)
            os.kill(server.pid, signal.SIGSTOP)
            try:
                stopped = _calls_for(8, web, codes[100:1000], store.store_id, headers)
            finally:
                os.kill(server.pid, signal.SIGCONT)
            after = _calls_for(3, web, codes[1000:], store.store_id, headers)
    finally:
        server.terminate()
        server.wait(timeout=10)

    for phase in (before, stopped, after):
        assert phase, "every phase made calls"
        assert {(answer.status, answer.body.get("visitorDetails", {}).get("type")) for answer in phase} == {
            (200, "SHOPPER")
        }
        assert max(answer.seconds for answer in phase) < 2.0, sorted(answer.seconds for answer in phase)[-5:]
    print(f"redis stopped 8 s: {len(stopped)} gate calls, slowest {max(a.seconds for a in stopped):.2f} s")  # noqa: T201
    assert len(stopped) >= 20  # calls kept flowing, not one stuck call per caller
