"""Production on two hosts, as README "Running in production" describes it.

Host A runs gunicorn (production settings, collectstatic, whitenoise, deploy/gunicorn.conf.py);
host B runs the Celery workers (the default queue and the payments queue), beat and the results
consumer. Each is a group of processes with its own working directory, MEDIA_ROOT and TMPDIR: they
share no disk, only PostgreSQL, Redis and S3 (moto, behind the fake Amazon).

A staff user in Chromium on A imports a file, which B imports from the bucket; A syncs it through
B to the fake Amazon. Gate calls and purchases go to A while B is killed and restarted, and right
after PostgreSQL is restarted. Afterwards: every gate call got an answer in under 2 s, none after
the database was back was the store default, and every purchase was priced once and charged once.
"""

import base64
import os
import secrets
import signal
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import psycopg
import pytest
import requests

from tests.conftest import PASSWORD, PRODUCTION_OUTSIDE
from tests.drills.servers import postgresql_restart
from tests.e2e.conftest import own_database_and_redis
from tests.e2e.processes import HOST, ROOT, Stack, free_port, wait_for_file, wait_for_http, wait_until

pytestmark = [pytest.mark.browser]

STORE_ID = "TWO-HOSTS-001"
REDIS_DB = 8
BUCKET = "jwo-media-two-hosts"
HOST_B = ("worker", "worker-payments", "beat", "results")


def _host(root: Path, name: str, env: dict[str, str]) -> Stack:
    """A machine of its own: its directory is its disk (media, temporary files, static, logs)."""
    home = root / name
    for folder in ("media", "tmp", "var", "static"):
        (home / folder).mkdir(parents=True)
    own = {
        **env,
        "DJANGO_MEDIA_ROOT": str(home / "media"),
        "TMPDIR": str(home / "tmp"),
        "JWO_VAR_DIR": str(home / "var"),
        "DJANGO_STATIC_ROOT": str(home / "static"),
        "PROMETHEUS_MULTIPROC_DIR": str(home / "metrics"),
    }
    return Stack(home, own, cwd=home)


def _start_host_b(b: Stack) -> None:
    celery = ("-m", "celery", "-A", "jwo_admin", "worker", "--pool=threads", "--loglevel=WARNING")
    b.start("worker", *celery, "-Q", "celery", "--concurrency=4", "--hostname=default@b")
    b.start("worker-payments", *celery, "-Q", "payments", "--concurrency=2", "--hostname=payments@b")
    b.start("beat", "-m", "celery", "-A", "jwo_admin", "beat", "--loglevel=WARNING",
            f"--schedule={b.workdir / 'var' / 'beat-schedule'}")  # fmt: skip
    b.start("results", str(ROOT / "manage.py"), "catalog_results", "--follow")


def _kill_host_b(b: Stack) -> None:
    for name in HOST_B:
        process = b.processes.pop(name)
        os.killpg(process.pid, signal.SIGKILL)  # no warm shutdown: a machine that dies
        process.wait(timeout=10)


@pytest.fixture(scope="module")
def hosts() -> Iterator[tuple[Stack, Stack, Stack, str]]:
    """(the fake Amazon, host A, host B, the database's URL)."""
    with own_database_and_redis("jwo_2h", REDIS_DB) as (own_database, own_redis):
        yield from _hosts(own_database, own_redis)


def _hosts(own_database: str, own_redis: str) -> Iterator[tuple[Stack, Stack, Stack, str]]:
    root = Path(tempfile.mkdtemp(prefix="jwo-two-hosts-"))
    web_port = free_port()
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": os.environ.get("HOME", "/root"),
        "PYTHONPATH": str(ROOT),  # the code; each host runs from its own directory
        "DJANGO_SETTINGS_MODULE": "jwo_admin.settings.production",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(40),
        "DJANGO_ALLOWED_HOSTS": f"{HOST},localhost",
        "DJANGO_SECURE_SSL_REDIRECT": "false",  # plain HTTP on loopback; TLS ends at the load balancer
        "DATABASE_URL": own_database,
        "REDIS_URL": own_redis,
        "CELERY_BROKER_URL": own_redis,
        "JWO_SCAN_KEY_SECRETS": secrets.token_urlsafe(32),
        "JWO_SCAN_KEY_TTL_SECONDS": "90",
        "JWO_PUBLIC_BASE_URL": f"http://localhost:{web_port}",
        "JWO_SQS_RUN_SECONDS": "5",
        "JWO_SQS_WAIT_SECONDS": "1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",  # moto's local credentials, not a secret
        "JWO_LOG_FORMAT": "plain",
        **PRODUCTION_OUTSIDE,
        "JWO_MEDIA_STORAGE": "s3",
        "JWO_MEDIA_BUCKET": BUCKET,
    }
    amazon = Stack(root / "amazon", dict(env))
    amazon.workdir.mkdir()
    a = b = None
    try:
        amazon.start(
            "fake-amazon", "-m", "fake_amazon", "--port", str(free_port()), "--moto-port", str(free_port()),
            "--store", STORE_ID, "--ready-file", str(amazon.workdir / "fake.json"),
        )  # fmt: skip
        endpoints = wait_for_file(amazon.workdir / "fake.json", amazon)
        env.update(
            JWO_AMAZON_ENDPOINT=endpoints["endpoint"],
            AWS_ENDPOINT_URL=endpoints["aws_endpoint_url"],
            JWO_SQS_QUEUE_URL=endpoints["queue_url"],
        )
        s3 = boto3.client("s3", endpoint_url=endpoints["aws_endpoint_url"], region_name="us-east-1",
                          aws_access_key_id="testing", aws_secret_access_key="testing")  # fmt: skip
        s3.create_bucket(Bucket=BUCKET)
        a, b = _host(root, "host-a", env), _host(root, "host-b", env)
        a.manage("migrate", "--no-input", "-v", "0")  # the release step, once
        a.manage("collectstatic", "--no-input", "-v", "0")  # and on every web host
        a.env["JWO_BIND"] = f"{HOST}:{web_port}"
        a.env["WEB_CONCURRENCY"] = "2"
        a.start(
            "gunicorn", "-m", "gunicorn", "-c", str(ROOT / "deploy" / "gunicorn.conf.py"), "jwo_admin.wsgi:application"
        )
        _start_host_b(b)
        wait_for_http(web_port, a)
        a.env["BASE_URL"] = f"http://localhost:{web_port}"
        yield amazon, a, b, own_database
    finally:
        for stack in (b, a, amazon):
            if stack is not None:
                stack.stop()


def _one(sql: psycopg.Connection[Any], query: str, *params: Any) -> Any:
    row = sql.execute(query, params).fetchone()
    return row[0] if row and len(row) == 1 else row


def _ean13(base: str) -> str:
    total = sum(int(digit) * (3 if index % 2 else 1) for index, digit in enumerate(base))
    return base + str((10 - total % 10) % 10)


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class Traffic:
    """Amazon's side: gate calls and Create Purchases calls to host A, every answer kept."""

    def __init__(self, base: str, headers: dict[str, str], tokens: dict[str, str]) -> None:
        self.base, self.headers, self.tokens = base, headers, tokens
        self.gate: list[tuple[str, int, dict[str, Any], float, float]] = []  # phase, status, body, seconds, asked
        self.trips: dict[str, str] = {}  # trip → the gate event it followed

    def code(self, shopper: str) -> str:
        issued = requests.post(f"{self.base}/api/app/v1/scan-keys", json={"storeId": STORE_ID},
                               headers={"Authorization": f"Token {self.tokens[shopper]}"}, timeout=10)  # fmt: skip
        assert issued.status_code == 201, issued.text
        return str(issued.json()["code"])

    def enter(self, phase: str, shopper: str, code: str) -> str:
        event = str(uuid.uuid4())
        body = {"requestId": str(uuid.uuid4()), "identityKey": base64.b64encode(code.encode()).decode(),
                "storeId": STORE_ID, "authEvent": {"id": event, "timestamp": _stamp(datetime.now(UTC)),
                                                   "location": "ENTRY"}}  # fmt: skip
        asked, started = time.time(), time.perf_counter()
        try:
            answer = requests.post(f"{self.base}/v1/identity/identity-keys", json=body, headers=self.headers, timeout=5)
            status, payload = answer.status_code, answer.json()
        except requests.RequestException:
            status, payload = 0, {}
        self.gate.append((phase, status, payload, time.perf_counter() - started, asked))
        return event

    def buy(self, shopper: str, event: str, lines: list[tuple[str, str]]) -> str:
        trip, end = str(uuid.uuid4()), datetime.now(UTC)
        body = {
            "requestId": str(uuid.uuid4()), "idempotentShoppingTripId": trip, "storeId": STORE_ID,
            "shoppingTrip": {"startTime": _stamp(end - timedelta(minutes=3)), "endTime": _stamp(end),
                             "authEvents": [{"id": event, "timestamp": _stamp(end - timedelta(minutes=3)),
                                             "location": "ENTRY", "payloadType": "SCAN_CODE",
                                             "scanResult": {"id": shopper, "type": "SHOPPER"}}]},
            "cartItems": [{"id": sku, "type": "SKU", "quantity": {"value": count, "unit": "unit"},
                           "lineItemId": f"l{n}"} for n, (sku, count) in enumerate(lines)],
        }  # fmt: skip
        for _ in range(20):  # Amazon retries a 503 (Retry-After) with the same trip
            answer = requests.post(f"{self.base}/v1/order/purchases", json=body, headers=self.headers, timeout=30)
            if answer.status_code == 201:
                break
            assert answer.status_code == 503, answer.text
            time.sleep(1)
        assert answer.status_code == 201, answer.text
        self.trips[trip] = event
        return trip

    def round(self, phase: str, shoppers: list[str]) -> None:
        codes = {shopper: self.code(shopper) for shopper in shoppers}  # issued before the phase's trouble
        for n, shopper in enumerate(shoppers):
            event = self.enter(phase, shopper, codes[shopper])
            self.buy(shopper, event, [(f"TH-{n % 20 + 1:03d}", str(n % 3 + 1))])


def _captured(sql: psycopg.Connection[Any]) -> int:
    return int(_one(sql, "SELECT count(*) FROM orders_purchase WHERE payment_status = 'captured'"))


def test_two_hosts_share_only_postgresql_redis_and_s3(hosts: tuple[Stack, Stack, Stack, str], page: Any) -> None:
    began = time.monotonic()
    _, a, b, database = hosts
    base = a.env["BASE_URL"]
    sql = psycopg.connect(database, autocommit=True)
    a.manage(
        "shell", "-c",
        "from decimal import Decimal; from catalog.services.stores import store_create; "
        "from orders.models import TaxRate; from jwo_admin.core.services import staff_user_create; "
        f"store = store_create(store_id='{STORE_ID}', name='Two hosts', currency='USD'); "
        "TaxRate.objects.create(store=store, tax_code='GENERAL', rate=Decimal('0.08'), is_default=True); "
        f"staff_user_create(username='ops', password='{PASSWORD}', role='Admin')",
    )  # fmt: skip

    # 1. A staff user on host A imports a file; host B imports it, from the bucket.
    source = a.workdir.parent / "catalog.csv"  # on the staff user's own computer
    rows = ["item_sku,item_name,external_product_id,external_product_id_type,standard_price,product_tax_code"]
    rows += [f"TH-{n:03d},Thing {n},{_ean13(f'40098765{n:04d}')},EAN,{n % 7 + 1}.25,GENERAL" for n in range(1, 21)]
    source.write_text("\n".join(rows) + "\n")
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", "ops")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")
    page.click("nav >> text=Catalog")
    page.click("text=Import a file")
    page.set_input_files("#id_file", str(source))
    page.click("text=Check file")
    page.wait_for_selector("#import-status >> text=Previewed", timeout=60_000)
    page.click("#apply-import")
    page.wait_for_selector("#import-status >> text=Applied", timeout=60_000)
    assert _one(sql, "SELECT count(*) FROM catalog_product") == 20
    stored = [item["Key"] for item in boto3.client(
        "s3", endpoint_url=a.env["AWS_ENDPOINT_URL"], region_name="us-east-1", aws_access_key_id="testing",
        aws_secret_access_key="testing").list_objects_v2(Bucket=BUCKET).get("Contents", [])]  # fmt: skip
    assert [key.rsplit("/", 1)[-1] for key in stored] == ["catalog.csv"]
    for host in (a, b):  # no shared disk: neither keeps the upload
        assert not [path for path in (host.workdir / "media").rglob("*") if path.is_file()]

    # 2. Sync from host A's page; host B sends, and the results come back through SNS → SQS.
    page.click("nav >> text=Sync")
    page.click(f'[data-testid="sync-{STORE_ID}"]')
    wait_until(
        "the sync accepted",
        lambda: _one(sql, "SELECT count(*) FROM catalog_syncitem WHERE result = 'accepted'") == 20,
        b,
        timeout=180,
    )

    # 3. Shoppers; Amazon's traffic to host A while host B dies and comes back, and PostgreSQL restarts.
    key = a.manage("connector_key", "create", "--name", "gateway").splitlines()[1].strip()
    shoppers = [f"two-{n}" for n in range(6)]
    tokens = {}
    for shopper in shoppers:
        a.manage("shopper_add", shopper, "--name", shopper, "--email", f"{shopper}@example.com",
                 "--password", "shopper-pass-123", "--card", "12/2099")  # fmt: skip
        tokens[shopper] = requests.post(f"{base}/api/app/v1/token", json={"email": f"{shopper}@example.com",
                                        "password": "shopper-pass-123"}, timeout=10).json()["token"]  # fmt: skip
    traffic = Traffic(base, {"X-JWO-Connector-Key": key}, tokens)
    traffic.round("normal", shoppers)
    _kill_host_b(b)
    traffic.round("host B down", shoppers)
    _start_host_b(b)
    traffic.round("host B back", shoppers)
    wait_until("the purchases so far charged", lambda: _captured(sql) == len(traffic.trips), b, timeout=240)
    codes = [traffic.code("two-0") for _ in range(60)]  # for the gate calls made through the restart
    stop = threading.Event()

    def gate_through_the_restart() -> None:
        while codes and not stop.is_set():
            traffic.enter("through the restart", "two-0", codes.pop())
            time.sleep(0.1)

    caller = threading.Thread(target=gate_through_the_restart)
    caller.start()
    time.sleep(0.5)
    sql.close()
    postgresql_restart()
    database_back = time.time()
    time.sleep(2)
    stop.set()
    caller.join(timeout=30)
    traffic.round("after the database restart", shoppers)
    sql = psycopg.connect(database, autocommit=True)

    wait_until("every purchase charged", lambda: _captured(sql) == len(traffic.trips), b, timeout=240)

    # Every gate call answered in time; none after the database was back fell to the store default.
    through = [entry for entry in traffic.gate if entry[0] == "through the restart"]
    assert len(traffic.gate) - len(through) == 24
    assert len(through) >= 10
    assert max(seconds for *_, seconds, _ in traffic.gate) < 2.0, traffic.gate
    assert [
        (phase, status) for phase, status, body, _, at in traffic.gate if at >= database_back and status != 200
    ] == []
    assert {
        body.get("visitorDetails", {}).get("type") for phase, status, body, *_ in traffic.gate if status == 200
    } == {"SHOPPER"}
    # Every purchase priced once and charged once, for its total.
    purchases = sql.execute(
        "SELECT trip_id, replays, total, captured_total, status FROM orders_purchase ORDER BY created_at"
    ).fetchall()
    assert sorted(trip for trip, *_ in purchases) == sorted(traffic.trips)
    assert {(replays, status) for _, replays, _, _, status in purchases} == {(0, "priced")}
    assert all(total == captured for _, _, total, captured, _ in purchases)
    # One approved capture per purchase (the gateway's own books: "capture:<pk>", ":<n>" on a retry),
    # for the purchase's total, whether it took the hold placed at the gate or (the hold still
    # queued while host B was down) a charge of its own; and no other capture anywhere.
    charged = sql.execute(
        "SELECT p.trip_id, count(c.id), coalesce(sum(c.amount), 0) = p.total FROM orders_purchase p "
        "LEFT JOIN orders_sandboxcharge c ON c.kind = 'capture' AND c.outcome = 'approved' "
        "AND (c.idempotency_key = 'capture:' || p.id OR c.idempotency_key LIKE 'capture:' || p.id || ':%%') "
        "GROUP BY p.trip_id, p.total"
    ).fetchall()
    assert {trip: (count, exact) for trip, count, exact in charged} == dict.fromkeys(traffic.trips, (1, True))
    assert _one(sql, "SELECT count(*) FROM orders_sandboxcharge WHERE kind = 'capture' AND outcome = 'approved'") == 24
    sql.close()
    defaults = sum(1 for _, status, *_ in traffic.gate if status == 500)
    print(  # noqa: T201 - the figures of the run, for people
        f"two hosts: {len(traffic.gate)} gate calls, slowest {max(entry[3] for entry in traffic.gate):.2f} s, "
        f"{defaults} store-default answers (all asked while PostgreSQL restarted), "
        f"{len(traffic.trips)} purchases each charged once; {time.monotonic() - began:.0f} s"
    )
