"""Fixtures shared by the whole suite.

In CI (CI=true) a test that needs PostgreSQL, Redis or Chromium fails when the service is missing;
on a developer's machine it is skipped with the reason.
"""

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from django.conf import settings
from django.contrib.auth.models import User
from django.core.cache import cache
from django.db import connection
from django.test import Client

from catalog.models import MappingProfile, Store
from catalog.services.staff_stores import staff_stores_set
from entry.services.identity import gate_events_drain_forget
from jwo_admin.core.cache import cache_local_clear
from jwo_admin.core.connector_keys import connector_keys_forget_marks
from jwo_admin.core.deadline import pool_shutdown
from jwo_admin.core.roles import ADMIN, CATALOG_MANAGER, STORE_MANAGER, VIEWER
from jwo_admin.core.services import staff_user_create
from jwo_admin.core.tasks import task_publish_reset
from orders.selectors.pricing import promotion_indexes_forget

# Playwright's sync API runs an event loop in the test thread; the ORM must still work there.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
PASSWORD = "correct-horse-battery-staple"
# The outside systems production refuses to start without, pointed nowhere real: processes that use
# the fake Amazon replace the endpoint; the sandbox is named, as production requires.
PRODUCTION_OUTSIDE = {
    "JWO_AMAZON_ENDPOINT": "http://127.0.0.1:9/nowhere",
    "AWS_REGION": "us-east-1",
    "JWO_AMAZON_ROLE_ARN": "arn:aws:iam::123456789012:role/jwo-catalog-api",
    "JWO_PAYMENT_GATEWAY": "jwo_admin.integrations.payments.sandbox.SandboxGateway",
    "EMAIL_URL": "memorymail://",
    "JWO_MEDIA_STORAGE": "local",  # one machine: its own disk (the two-host test uses S3)
}
# What production settings need to load at all, for commands that touch neither database nor Redis.
PRODUCTION_PLACEHOLDERS = {
    **PRODUCTION_OUTSIDE,
    "DJANGO_SECRET_KEY": "placeholder-secret-for-commands-that-use-none",
    "DJANGO_ALLOWED_HOSTS": "localhost",
    "DATABASE_URL": "postgres://placeholder@127.0.0.1:1/none",
    "REDIS_URL": "redis://127.0.0.1:1/0",
    "JWO_SCAN_KEY_SECRETS": "placeholder",
}


def missing_service(reason: str) -> None:
    """Fail in CI, skip elsewhere: a service a test needs is not available."""
    if IN_CI:
        pytest.fail(f"CI requires this service: {reason}")
    pytest.skip(reason)


@pytest.fixture
def redis_url() -> str:
    """The throwaway Redis ``make test`` starts (fail in CI, skip elsewhere, when it is not there)."""
    url = os.environ.get("REDIS_URL", "")
    if not url:
        missing_service("Redis (set REDIS_URL; `make test` starts one)")
    try:
        redis.Redis.from_url(url).ping()
    except redis.RedisError as error:
        missing_service(f"Redis at {url}: {error}")
    return url


@pytest.fixture
def require_postgres(db: None) -> None:
    if connection.vendor != "postgresql":
        missing_service("PostgreSQL (set DATABASE_URL; `make test` starts one)")


@pytest.fixture(autouse=True)
def _media_root(tmp_path: Path, settings: Any) -> None:
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture
def transactional_db(transactional_db: None) -> Iterator[None]:
    """pytest-django's committed database, with the connector's background work (gate records,
    the holds admissions start) drained before the database is flushed: autouse fixtures are torn
    down after it, too late for a flush that work would deadlock with."""
    yield
    pool_shutdown()


@pytest.fixture(autouse=True)
def _deadline_pool_and_cache() -> Iterator[None]:
    """Background database work (jwo_admin.core.deadline) ends with the test that started it, and
    no cached lookup (a store's id, a connector key) outlives the rows it was read from."""
    cache.clear()
    cache_local_clear()
    task_publish_reset()
    connector_keys_forget_marks()
    promotion_indexes_forget()
    yield
    pool_shutdown()
    gate_events_drain_forget()
    cache.clear()
    cache_local_clear()
    task_publish_reset()


@pytest.fixture
def store(db: None) -> Store:
    return Store.objects.create(store_id="TEST_STORE_001", name="Test Store", currency="USD")


@pytest.fixture
def other_store(db: None) -> Store:
    return Store.objects.create(store_id="TEST_STORE_002", name="Other Store", currency="EUR")


@pytest.fixture
def amazon_profile(db: None) -> MappingProfile:
    return MappingProfile.objects.get(is_builtin=True)


def _user(username: str, role: str) -> User:
    staff_user_create(username=username, password=PASSWORD, role=role)
    user = User.objects.get(username=username)
    staff_stores_set(user=user, all_stores=True)
    return user


@pytest.fixture
def viewer(db: None) -> User:
    return _user("viewer", VIEWER)


@pytest.fixture
def catalog_manager(db: None) -> User:
    return _user("catalog", CATALOG_MANAGER)


@pytest.fixture
def store_manager(db: None) -> User:
    return _user("storemgr", STORE_MANAGER)


@pytest.fixture
def admin_user(db: None) -> User:
    return _user("boss", ADMIN)


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def catalog_client(catalog_manager: User) -> Client:
    return client_for(catalog_manager)


@pytest.fixture
def viewer_client(viewer: User) -> Client:
    return client_for(viewer)


@pytest.fixture
def chromium_path() -> str:
    path = os.environ.get("JWO_CHROMIUM", "/usr/bin/chromium")
    if not shutil.which(path):
        missing_service(f"Chromium at {path} (Debian package chromium)")
    return path


@pytest.fixture(scope="session")
def collected_static(tmp_path_factory: pytest.TempPathFactory) -> str:
    """STATIC_ROOT after production's `collectstatic` (whitenoise's hashed, compressed copies), made
    once per run: production pages cannot render without its manifest, as in a real deploy."""
    import subprocess
    import sys

    root = tmp_path_factory.mktemp("static")
    result = subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
        cwd=Path(__file__).resolve().parents[1],
        env={
            "PATH": os.environ.get("PATH", ""),
            "DJANGO_SETTINGS_MODULE": "jwo_admin.settings.production",
            "DJANGO_READ_DOT_ENV_FILE": "false",
            "DJANGO_STATIC_ROOT": str(root),
            **PRODUCTION_PLACEHOLDERS,
        },
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return str(root)


@pytest.fixture
def browser(chromium_path: str) -> Iterator[Any]:
    """Headless Debian Chromium driven by Playwright; never a downloaded browser."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=chromium_path,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        try:
            yield instance
        finally:
            instance.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        yield page
    finally:
        context.close()


assert settings.CELERY_TASK_ALWAYS_EAGER, "tests run Celery tasks eagerly"  # noqa: S101


@pytest.fixture(scope="session")
def fake_amazon_server() -> Iterator[Any]:
    """moto (STS, S3, SNS, SQS) and the fake Catalog API, over real HTTP on loopback."""
    from fake_amazon.server import start

    running = start(known_stores=["TEST_STORE_001", "TEST_STORE_002"])
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def fake_amazon(fake_amazon_server: Any, settings: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Point the app at the fake for one test, with the fake's knobs reset afterwards."""
    from fake_amazon.app import Knobs
    from jwo_admin.integrations.amazon_catalog import client_reset

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    settings.JWO_AMAZON_ENDPOINT = fake_amazon_server.endpoint
    settings.AWS_ENDPOINT_URL = fake_amazon_server.aws_endpoint_url
    settings.AWS_REGION = fake_amazon_server.region
    settings.JWO_SQS_QUEUE_URL = fake_amazon_server.resources.queue_url
    settings.JWO_SNS_CONFIRM_HOSTS = [fake_amazon_server.endpoint.removeprefix("http://")]
    settings.JWO_SQS_WAIT_SECONDS = 1
    settings.JWO_SYNC_BACKOFF_BASE = 0.01
    settings.JWO_SYNC_BACKOFF_CAP = 0.05
    settings.REDIS_URL = ""
    fake_amazon_server.amazon.knobs = Knobs(queue_seconds=0.01, process_seconds=0.02)
    fake_amazon_server.amazon.known_stores = {"TEST_STORE_001", "TEST_STORE_002"}
    client_reset()
    _drain_queue(fake_amazon_server)
    try:
        yield fake_amazon_server
    finally:
        client_reset()
        _drain_queue(fake_amazon_server)


def _drain_queue(running: Any) -> None:
    import boto3

    sqs = boto3.client(
        "sqs",
        endpoint_url=running.aws_endpoint_url,
        region_name=running.region,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    while True:  # purge_queue is allowed once a minute; receive-and-delete is not limited
        messages = sqs.receive_message(
            QueueUrl=running.resources.queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0
        ).get("Messages", [])
        if not messages:
            return
        for message in messages:
            sqs.delete_message(QueueUrl=running.resources.queue_url, ReceiptHandle=message["ReceiptHandle"])


def sign_in(page: Any, base_url: str, username: str) -> None:
    """Sign a staff user in through the login page (password: PASSWORD)."""
    page.goto(f"{base_url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base_url}/")
