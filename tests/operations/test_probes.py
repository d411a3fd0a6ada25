"""/readyz and /metrics: who sees what, each readiness check failing for its own reason, and the
counters moving by exactly one for a real connector call."""

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import redis
from django.test import Client
from django.utils import timezone
from prometheus_client import REGISTRY

from catalog.models import BatchStatus, ItemResult, Product, SyncItem, SyncRun, UploadBatch
from catalog.services.sync_records import batch_fail
from operations.selectors.health import watched
from tests.conftest import client_for
from tests.entry.conftest import gate_body, identity_key_for, make_shopper
from tests.orders.payment_helpers import card_shopper, payments_store, purchase_body

TOKEN = "scrape-token-for-tests"
ROOT = Path(__file__).resolve().parents[2]


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


@pytest.fixture
def broker_db(redis_url: str, settings: Any) -> Iterator[redis.Redis]:
    """A Redis database of its own as the broker /readyz reads, with tasks no longer run eagerly.
    Only Django's settings change: Celery's own configuration is loaded first, so it keeps its own."""
    from jwo_admin.celery import app

    assert app.conf.task_always_eager  # loaded now, from the unchanged settings
    url = redis_url.rsplit("/", 1)[0] + "/14" if redis_url.count("/") > 2 else redis_url.rstrip("/") + "/14"
    settings.CELERY_BROKER_URL = url
    settings.CELERY_TASK_ALWAYS_EAGER = False
    client = redis.Redis.from_url(url)
    client.delete("celery", "payments")
    yield client
    client.delete("celery", "payments")


# --- /readyz: the database alone decides; the rest is watched -----------------------------------


def test_readyz_tells_anyone_only_whether_the_database_answers(db: None, settings: Any) -> None:
    response = Client().get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ready", "checks": {"database": {"ok": True}}}


def test_readyz_shows_its_figures_to_a_scraper_with_the_token(db: None, settings: Any) -> None:
    settings.JWO_METRICS_TOKEN = TOKEN
    body = Client().get("/readyz", headers={"Authorization": f"Bearer {TOKEN}"}).json()
    assert body["status"] == "ready"
    assert set(body["checks"]) == {"database"}
    assert set(body["checks"]["database"]) == {"ok", "detail", "ms"}


def test_readyz_stays_ready_with_redis_down_and_the_dashboard_says_so(admin_user: Any, settings: Any) -> None:
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    admin = client_for(admin_user)

    response = admin.get("/readyz")
    page = admin.get("/").content.decode()

    assert (response.status_code, response.json()["status"]) == (200, "ready")
    assert "Redis does not answer: ConnectionError" in page
    assert [check.name for check in watched() if not check.ok] == ["redis"]


def test_a_deep_queue_is_an_alert_not_a_readiness_failure(
    admin_user: Any, settings: Any, broker_db: redis.Redis
) -> None:
    settings.REDIS_URL = ""
    settings.JWO_ALERT_QUEUE_DEPTH = 2
    broker_db.lpush("celery", "m1", "m2")
    admin = client_for(admin_user)
    assert "Celery backlog" not in admin.get("/").content.decode()
    broker_db.lpush("celery", "m3")
    broker_db.lpush("payments", "p1")

    assert admin.get("/readyz").status_code == 200
    assert "Celery backlog: celery holds 3 messages (limit 2). Check the workers." in admin.get("/").content.decode()
    [queues] = [check for check in watched() if check.name == "queues"]
    assert (queues.ok, queues.figures) == (False, {"celery": 3, "payments": 1})


def _accepted_batch(store: Any, *, accepted_ago: timedelta) -> UploadBatch:
    run = SyncRun.objects.create(store=store, status="waiting")
    return UploadBatch.objects.create(
        sync_run=run,
        sequence=1,
        status=BatchStatus.ACCEPTED,
        body=b"",
        item_count=1,
        ingestion_id=str(uuid.uuid4()),
        accepted_at=timezone.now() - accepted_ago,
    )


def test_late_results_are_an_alert_not_a_readiness_failure(store: Any, admin_user: Any, settings: Any) -> None:
    settings.REDIS_URL = ""
    settings.JWO_ALERT_NOTIFICATION_AGE_SECONDS = 900
    batch = _accepted_batch(store, accepted_ago=timedelta(seconds=800))
    admin = client_for(admin_user)
    assert "results are late" not in admin.get("/").content.decode()
    UploadBatch.objects.filter(pk=batch.pk).update(accepted_at=timezone.now() - timedelta(seconds=1000))

    assert admin.get("/readyz").status_code == 200
    assert (
        "Amazon&#x27;s results are late: results of an upload waiting 1000 s (limit 900 s)."
        in admin.get("/").content.decode()
    )


# --- /metrics -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("configured", "sent", "expected"),
    [
        ("", "", 401),
        ("", "Bearer ", 401),  # a blank token never matches
        (TOKEN, "Bearer wrong", 401),
        (TOKEN, f"Token {TOKEN}", 401),
        (TOKEN, f"Bearer {TOKEN}", 200),
    ],
)
def test_metrics_need_the_bearer_token(db: None, settings: Any, configured: str, sent: str, expected: int) -> None:
    settings.JWO_METRICS_TOKEN = configured
    response = Client().get("/metrics", headers={"Authorization": sent} if sent else {})
    assert response.status_code == expected
    if expected == 401:
        assert response["WWW-Authenticate"] == 'Bearer realm="metrics"'
        assert b"jwo_" not in response.content


def test_metrics_are_for_admins_among_staff(viewer: Any, store_manager: Any, admin_user: Any) -> None:
    assert client_for(viewer).get("/metrics").status_code == 403
    assert client_for(store_manager).get("/metrics").status_code == 403
    response = client_for(admin_user).get("/metrics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    assert b"# TYPE jwo_gate_decisions_total counter" in response.content


def test_an_identity_call_is_timed_and_its_decision_counted_once(transactional_db: None, settings: Any) -> None:
    from catalog.models import Store
    from jwo_admin.core.connector_keys import connector_key_create

    store = Store.objects.create(store_id="METRICS_STORE", name="Metrics Store", currency="USD")
    shopper = make_shopper("cust-metrics-1")
    key = connector_key_create(name="gateway")[1]
    before_admitted = sample("jwo_gate_decisions_total", decision="admitted", reason="admitted")
    before_timed = sample("jwo_connector_request_seconds_count", connector="identity", outcome="200")
    response = Client().post(
        "/v1/identity/identity-keys",
        data=gate_body(identity_key_for(shopper), store_id=store.store_id, event_id=str(uuid.uuid4())),
        content_type="application/json",
        headers={settings.JWO_CONNECTOR_KEY_HEADER: key},
    )
    assert response.status_code == 200
    assert sample("jwo_gate_decisions_total", decision="admitted", reason="admitted") == before_admitted + 1
    assert sample("jwo_connector_request_seconds_count", connector="identity", outcome="200") == before_timed + 1

    before_refused = sample("jwo_gate_decisions_total", decision="refused", reason="connector_key")
    refused = Client().post("/v1/identity/identity-keys", data={}, content_type="application/json")
    assert refused.status_code == 401
    assert sample("jwo_gate_decisions_total", decision="refused", reason="connector_key") == before_refused + 1
    assert sample("jwo_gate_decisions_total", decision="admitted", reason="admitted") == before_admitted + 1


def test_create_purchases_counts_new_replayed_and_refused_calls(key: str, settings: Any) -> None:
    store = payments_store()
    shopper = card_shopper("cust-metrics-2", "pm_metrics_4242")
    body = purchase_body(store, shopper, str(uuid.uuid4()), [("COLA", "2")])
    headers = {settings.JWO_CONNECTOR_KEY_HEADER: key}
    before = {result: sample("jwo_purchase_calls_total", result=result) for result in ("new", "replay", "refused")}

    first = Client().post("/v1/order/purchases", data=body, content_type="application/json", headers=headers)
    again = Client().post("/v1/order/purchases", data=body, content_type="application/json", headers=headers)
    refused = Client().post(
        "/v1/order/purchases", data={**body, "storeId": "NOPE"}, content_type="application/json", headers=headers
    )
    assert (first.status_code, again.status_code, refused.status_code) == (201, 201, 400)
    after = {result: sample("jwo_purchase_calls_total", result=result) for result in ("new", "replay", "refused")}
    assert {result: after[result] - before[result] for result in after} == {"new": 1, "replay": 1, "refused": 1}


def test_open_bad_carts_are_read_from_the_database_at_scrape_time(key: str, settings: Any) -> None:
    settings.JWO_METRICS_TOKEN = TOKEN
    store = payments_store()
    shopper = card_shopper("cust-metrics-3", "pm_metrics_4243")
    body = purchase_body(store, shopper, str(uuid.uuid4()), [("NOT-IN-CATALOG", "1")])
    headers = {settings.JWO_CONNECTOR_KEY_HEADER: key}
    assert (
        Client().post("/v1/order/purchases", data=body, content_type="application/json", headers=headers).status_code
        == 201
    )
    text = Client().get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).content.decode()
    assert 'jwo_open_work{kind="bad_carts"} 1.0' in text
    assert 'jwo_open_work{kind="payment_issues"} 0.0' in text
    assert Product.objects.filter(store=store).count() == 2  # nothing was added to the catalog


def test_with_a_multiprocess_directory_the_figures_of_every_process_are_summed(
    db: None, settings: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.JWO_METRICS_TOKEN = TOKEN
    count_once = (
        "from jwo_admin.core.metrics import gate_decisions; "
        "gate_decisions.labels(decision='admitted', reason='multiprocess-test').inc()"
    )
    environment = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    for _ in range(2):  # two processes, as two gunicorn workers
        subprocess.run(  # noqa: S603 - our own interpreter and code
            [sys.executable, "-c", count_once], cwd=ROOT, env=environment, check=True, timeout=60
        )
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    text = Client().get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).content.decode()
    assert 'jwo_gate_decisions_total{decision="admitted",reason="multiprocess-test"} 2.0' in text


def test_sync_items_are_counted_by_result_when_their_batch_fails(
    store: Any, django_capture_on_commit_callbacks: Any
) -> None:
    product = Product.objects.create(store=store, sku="M-1", name="Metered", price=Decimal("1.00"))
    batch = _accepted_batch(store, accepted_ago=timedelta(seconds=1))
    SyncItem.objects.create(sync_run=batch.sync_run, batch=batch, product=product, sku="M-1")
    before = sample("jwo_sync_items_total", result="failed")
    with django_capture_on_commit_callbacks(execute=True):
        batch_fail(batch, "Amazon answered 403")
    assert SyncItem.objects.get().result == ItemResult.FAILED
    assert sample("jwo_sync_items_total", result="failed") == before + 1


def test_a_worker_observes_how_long_a_task_waited_in_its_queue(transactional_db: None, redis_url: str) -> None:
    """A real publication to Redis (a queue of this test's own) and a real worker, a thread of this
    process, taking it."""
    from celery.contrib.testing.worker import start_worker

    from entry.tasks import scan_keys_purge_task
    from jwo_admin.celery import app

    name, queue = scan_keys_purge_task.name, f"test-lag-{uuid.uuid4().hex}"
    before = sample("jwo_celery_queue_lag_seconds_count", task=name)
    waited_before = sample("jwo_celery_queue_lag_seconds_sum", task=name)
    eager, routes = app.conf.task_always_eager, app.conf.task_routes
    assert app.conf.broker_url.startswith("redis://"), "the tests' broker is Redis"
    app.conf.update(task_always_eager=False, task_routes={name: {"queue": queue}})
    client = redis.Redis.from_url(app.conf.broker_url)
    try:
        app.tasks[name].delay()  # through our app itself, whichever app a plugin made "current"
        assert client.llen(queue) == 1  # published, stamped, waiting
        with start_worker(app, perform_ping_check=False, pool="solo", shutdown_timeout=10, queues=[queue]):
            deadline = time.monotonic() + 20
            while sample("jwo_celery_queue_lag_seconds_count", task=name) == before:
                assert time.monotonic() < deadline, "the worker did not start the task"
                time.sleep(0.05)
    finally:
        app.conf.update(task_always_eager=eager, task_routes=routes)
        client.delete(queue)
    assert sample("jwo_celery_queue_lag_seconds_count", task=name) == before + 1
    assert sample("jwo_celery_queue_lag_seconds_sum", task=name) > waited_before
