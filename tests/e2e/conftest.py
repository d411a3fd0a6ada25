"""The stack of the end-to-end test, as separate processes on a database and a Redis db of its own.

PostgreSQL and Redis are the ones ``make test`` starts (``DATABASE_URL``, ``REDIS_URL``); the test
creates ``jwo_e2e_<random>`` on that server, migrates it with production settings through
``manage.py``, and drops it at the end. Nothing here goes through pytest-django's test database:
the processes and the test read and write the same database, the test with plain SQL.
"""

import contextlib
import os
import secrets
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
import redis

from tests.conftest import PRODUCTION_OUTSIDE, missing_service
from tests.e2e.processes import HOST, Stack, free_port, wait_for_file, wait_for_http

STORE_ID = "E2E-STORE-001"
REDIS_DB = 7


def admin_connection(database_url: str) -> psycopg.Connection[Any]:
    """The server's maintenance database, to create and drop a database of one's own."""
    parts = urlsplit(database_url)
    return psycopg.connect(
        host=parts.hostname, port=parts.port, user=parts.username, password=parts.password, dbname="postgres",
        autocommit=True,
    )  # fmt: skip


@contextlib.contextmanager
def own_database_and_redis(prefix: str, redis_db: int) -> Iterator[tuple[str, str]]:
    """A database ``<prefix>_<random>`` on `make test`'s PostgreSQL (dropped afterwards) and an
    emptied Redis database: the URLs of both, for processes that must not share the test's own."""
    database_url, redis_url = os.environ.get("DATABASE_URL", ""), os.environ.get("REDIS_URL", "")
    if not database_url.startswith("postgres"):
        missing_service("PostgreSQL (set DATABASE_URL; `make test` starts one)")
    if not redis_url:
        missing_service("Redis (set REDIS_URL; `make test` starts one)")
    name = f"{prefix}_{secrets.token_hex(4)}"
    with admin_connection(database_url) as admin:
        admin.execute(f"CREATE DATABASE {name}")  # a fixed prefix and hex: no injection
    own_redis = urlunsplit(urlsplit(redis_url)._replace(path=f"/{redis_db}"))
    redis.Redis.from_url(own_redis).flushdb()
    try:
        yield urlunsplit(urlsplit(database_url)._replace(path=f"/{name}")), own_redis
    finally:
        with admin_connection(database_url) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture(scope="module")
def stack(collected_static: str) -> Iterator[Stack]:
    with own_database_and_redis("jwo_e2e", REDIS_DB) as (own_database, own_redis):
        yield from _stack(collected_static, own_database, own_redis)


def _stack(collected_static: str, own_database: str, own_redis: str) -> Iterator[Stack]:
    workdir = Path(tempfile.mkdtemp(prefix="jwo-e2e-"))
    web_port = free_port()
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": os.environ.get("HOME", "/root"),
        "DJANGO_SETTINGS_MODULE": "jwo_admin.settings.production",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(40),
        "DJANGO_ALLOWED_HOSTS": f"{HOST},localhost",
        "DJANGO_SECURE_SSL_REDIRECT": "false",  # plain HTTP on loopback; TLS ends at the gateway
        "DJANGO_MEDIA_ROOT": str(workdir / "media"),
        "DJANGO_STATIC_ROOT": collected_static,  # collectstatic's output, as the release step leaves it
        **PRODUCTION_OUTSIDE,  # the fake Amazon's endpoints replace these below
        "DATABASE_URL": own_database,
        "REDIS_URL": own_redis,
        "CELERY_BROKER_URL": own_redis,
        "JWO_SCAN_KEY_SECRETS": secrets.token_urlsafe(32),
        "JWO_PUBLIC_BASE_URL": f"http://localhost:{web_port}",
        "JWO_SQS_RUN_SECONDS": "5",
        "JWO_SQS_WAIT_SECONDS": "1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",  # moto's local credentials, not a secret
        "JWO_LOG_FORMAT": "plain",
    }
    stack = Stack(workdir, env)
    try:
        stack.start(
            "fake-amazon", "-m", "fake_amazon", "--port", str(free_port()), "--moto-port", str(free_port()),
            "--store", STORE_ID, "--ready-file", str(workdir / "fake.json"),
        )  # fmt: skip
        endpoints = wait_for_file(workdir / "fake.json", stack)
        env.update(
            JWO_AMAZON_ENDPOINT=endpoints["endpoint"],
            AWS_ENDPOINT_URL=endpoints["aws_endpoint_url"],
            JWO_SQS_QUEUE_URL=endpoints["queue_url"],
        )
        stack.manage("migrate", "--no-input", "-v", "0")
        stack.start(
            "gunicorn", "-m", "gunicorn", "jwo_admin.wsgi:application", "--workers", "2",
            "--bind", f"{HOST}:{web_port}", "--timeout", "60",
        )  # fmt: skip
        stack.start(
            "worker", "-m", "celery", "-A", "jwo_admin", "worker", "--beat", "--pool=threads", "--concurrency=4",
            "--loglevel=WARNING", f"--schedule={workdir / 'beat-schedule'}",
        )  # fmt: skip
        stack.start("results", "manage.py", "catalog_results", "--follow")
        wait_for_http(web_port, stack)
        env["E2E_BASE_URL"] = f"http://localhost:{web_port}"
        yield stack
    finally:
        stack.stop()


@pytest.fixture(scope="module")
def sql(stack: Stack) -> Iterator[psycopg.Connection[Any]]:
    """The stack's database, for the test's assertions (autocommit: every read sees the latest)."""
    with psycopg.connect(stack.env["DATABASE_URL"], autocommit=True) as connection:
        yield connection
