"""A worker machine's scrape target: the counts of its Celery workers and results consumer (each
unit's PROMETHEUS_MULTIPROC_DIR), summed as one, behind the bearer token."""

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import redis
from celery import Celery

from tests.e2e.processes import free_port

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "worker-scrape-token"
COUNT = """
import json, sys
import django
django.setup()
from jwo_admin.core.metrics import payments_settled, sync_items
for status, times in json.loads(sys.argv[1]).items():
    for _ in range(times):
        payments_settled.labels(status=status).inc()
sync_items.labels(result="accepted").inc(int(sys.argv[2]))
"""


def _count(directory: Path, settled: dict[str, int], synced: int) -> None:
    env = {"PATH": os.environ.get("PATH", ""), "DJANGO_SETTINGS_MODULE": "jwo_admin.settings.test",
           "PROMETHEUS_MULTIPROC_DIR": str(directory)}  # fmt: skip
    done = subprocess.run(  # noqa: S603 - our own interpreter and a fixed script
        [sys.executable, "-c", COUNT, json.dumps(settled), str(synced)],
        cwd=ROOT, env=env, capture_output=True, text=True, check=False, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr


def _scrape(port: int, authorization: str | None) -> tuple[int, str]:
    headers = {"Authorization": authorization} if authorization else {}
    request = urllib.request.Request(f"http://127.0.0.1:{port}/metrics", headers=headers)  # noqa: S310 - loopback
    try:
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310 - loopback
            return int(response.status), response.read().decode()
    except urllib.error.HTTPError as error:
        return int(error.code), error.read().decode()


def test_one_endpoint_sums_every_worker_process_of_the_machine(tmp_path: Path) -> None:
    worker, results = tmp_path / "jwo-worker", tmp_path / "jwo-results"
    worker.mkdir()
    results.mkdir()
    _count(worker, {"captured": 3, "failed": 1}, 0)  # one worker process
    _count(worker, {"captured": 2}, 0)  # another (its own files)
    _count(results, {}, 7)  # the results consumer
    port = free_port()
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "jwo_admin.settings.test", "JWO_METRICS_TOKEN": TOKEN}
    command = [sys.executable, "manage.py", "metrics_serve", "--host", "127.0.0.1", "--port", str(port),
               "--dir", str(worker), "--dir", str(results)]  # fmt: skip
    server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)  # noqa: S603
    try:
        deadline = time.monotonic() + 30
        while _scrape_or_none(port) is None:
            assert server.poll() is None, server.stdout.read().decode() if server.stdout else ""
            assert time.monotonic() < deadline
            time.sleep(0.2)
        status, text = _scrape(port, f"Bearer {TOKEN}")
        refused = [_scrape(port, None)[0], _scrape(port, "Bearer wrong")[0]]
    finally:
        server.terminate()
        server.wait(timeout=10)

    assert status == 200
    lines = set(text.splitlines())
    assert 'jwo_payments_settled_total{status="captured"} 5.0' in lines
    assert 'jwo_payments_settled_total{status="failed"} 1.0' in lines
    assert 'jwo_sync_items_total{result="accepted"} 7.0' in lines
    assert sum(line.startswith('jwo_payments_settled_total{status="captured"}') for line in lines) == 1
    assert refused == [401, 401]


def _scrape_or_none(port: int) -> int | None:
    try:
        return _scrape(port, None)[0]
    except OSError:
        return None


def test_without_a_token_the_command_refuses_to_serve(tmp_path: Path) -> None:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "jwo_admin.settings.test", "JWO_METRICS_TOKEN": ""}
    done = subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, "manage.py", "metrics_serve", "--port", "0", "--dir", str(tmp_path)],
        cwd=ROOT, env=env, capture_output=True, text=True, check=False, timeout=60,
    )  # fmt: skip

    assert done.returncode == 1
    assert "Set JWO_METRICS_TOKEN: worker metrics are served only behind the bearer token." in done.stderr


@pytest.mark.parametrize(
    ("task", "queue"),
    [
        ("orders.tasks.hold_place_task", "payments"),
        ("orders.tasks.holds_place_task", "payments"),
        ("orders.tasks.purchase_settle_task", "payments"),
        ("orders.tasks.refund_process_task", "payments"),
        ("orders.tasks.receipt_send_task", "celery"),
        ("catalog.tasks.catalog_import_run_task", "celery"),
        ("catalog.tasks.sync_batch_send_task", "celery"),
        ("operations.tasks.simulation_run_task", "celery"),
    ],
)
def test_gate_holds_and_charges_are_published_to_a_queue_of_their_own(task: str, queue: str, redis_url: str) -> None:
    """Published for real, to a Redis database of its own, by an app configured from our settings."""
    broker = redis_url.rsplit("/", 1)[0] + "/13"
    client = redis.Redis.from_url(broker)
    client.delete("celery", "payments")
    app = Celery("routing-check")
    app.config_from_object("django.conf:settings", namespace="CELERY")
    app.conf.update(broker_url=broker, task_always_eager=False)  # published, as in production
    try:
        app.send_task(task, args=[1])
        depths = {name: int(client.llen(name)) for name in ("celery", "payments")}
    finally:
        client.delete("celery", "payments")
        app.close()

    assert depths == {"celery": int(queue == "celery"), "payments": int(queue == "payments")}
