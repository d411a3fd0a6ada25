"""The app as it runs in production, for drills: gunicorn with production settings in processes of
its own, on the test database (through a fault proxy when the drill needs one)."""

import base64
import contextlib
import json
import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.conf import settings

from tests.conftest import PRODUCTION_OUTSIDE, missing_service
from tests.e2e.processes import free_port

ROOT = Path(__file__).resolve().parents[2]


def require_postgresql() -> None:
    """A drill of the production stack runs on PostgreSQL: in CI its absence fails the drill."""
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        missing_service("PostgreSQL (set DATABASE_URL; `make test` starts one)")


def drill_shop(store: Any, external_id: str) -> tuple[Any, dict[str, str]]:
    """The store sells a cola (1.99, FOOD taxed 5 %) to a shopper with a card; Amazon's calls
    carry a connector key. Returns the shopper and the headers of those calls."""
    from decimal import Decimal

    from catalog.models import Product
    from entry.services.shoppers import payment_method_add, shopper_create
    from jwo_admin.core.connector_keys import connector_key_create
    from orders.models import TaxRate

    require_postgresql()
    Product.objects.create(store=store, sku="SKU-COLA", name="Cola", price=Decimal("1.99"), tax_code="FOOD")
    TaxRate.objects.create(store=store, tax_code="FOOD", rate=Decimal("0.05"))
    shopper = shopper_create(
        external_id=external_id, name="Drill", email=f"{external_id}@example.com", password="x-y-z-1-2-3"
    )
    payment_method_add(shopper=shopper, provider_reference=f"pm_{external_id}", expiry_month=12, expiry_year=2099)
    _, key = connector_key_create(name="gateway")
    return shopper, {settings.JWO_CONNECTOR_KEY_HEADER: key}


def database_url(*, host: str | None = None, port: int | None = None) -> str:
    """The test database (pytest-django's), optionally reached through another host/port."""
    database = settings.DATABASES["default"]
    user = database.get("USER") or "postgres"
    password = f":{database['PASSWORD']}" if database.get("PASSWORD") else ""
    return f"postgres://{user}{password}@{host or database['HOST']}:{port or database['PORT']}/{database['NAME']}"


def production_env(*, database: str, redis: str, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "jwo_admin.settings.production",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DJANGO_READ_DOT_ENV_FILE": "false",
        "DJANGO_SECURE_SSL_REDIRECT": "false",  # plain HTTP on loopback; TLS ends at the gateway
        "DATABASE_URL": database,
        "REDIS_URL": redis,
        "CELERY_BROKER_URL": redis,
        # Codes issued by the test process must verify in the server.
        "JWO_SCAN_KEY_SECRETS": ",".join(settings.JWO_SCAN_KEY_SECRETS),
        "JWO_LOG_FORMAT": "plain",
        **PRODUCTION_OUTSIDE,
        **extra,
    }


def gate_call(code: str, store_id: str) -> dict[str, Any]:
    """An Identity Connector call as Amazon sends it, for a Scan Key Code issued just now."""
    return {
        "requestId": str(uuid.uuid4()),
        "identityKey": base64.b64encode(code.encode()).decode(),
        "storeId": store_id,
        "authEvent": {
            "id": str(uuid.uuid4()),
            "timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "location": "ENTRY",
        },
    }


PG_BIN = Path("/usr/lib/postgresql/15/bin")
SERVICES = Path(os.environ.get("JWO_SERVICES_DIR", "/tmp/jwo-services"))  # noqa: S108 - scripts/services.sh's


def postgresql_restart() -> float:
    """Restart the throwaway PostgreSQL that `make test` started (scripts/services.sh), as an
    operator would (`pg_ctl restart -m fast`); the seconds it took."""
    data = SERVICES / "pg"
    if not (data / "postmaster.pid").exists():
        missing_service("the throwaway PostgreSQL of scripts/services.sh (this test restarts it)")
    # -l: the new server writes to its log, never to this process's pipes (it outlives them).
    command = [str(PG_BIN / "pg_ctl"), "-D", str(data), "-l", str(data / "server.log"), "-m", "fast", "-w", "-t", "60"]
    command.append("restart")
    if os.getuid() == 0:
        command = ["runuser", "-u", "postgres", "--", *command]
    started = time.perf_counter()
    done = subprocess.run(  # noqa: S603 - a fixed program and arguments
        command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        check=False, timeout=90,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return time.perf_counter() - started


@dataclass
class Answer:
    status: int
    body: Any
    seconds: float
    headers: dict[str, str]


@dataclass
class Server:
    port: int
    process: subprocess.Popen[bytes]
    log: Path

    def post(self, path: str, body: Any, headers: dict[str, str], timeout: float = 30) -> Answer:
        request = urllib.request.Request(  # noqa: S310 - loopback
            f"http://127.0.0.1:{self.port}{path}",
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json", **headers},
            method="POST",
        )
        started = time.perf_counter()
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - loopback
                status, payload, got = int(response.status), response.read(), dict(response.headers)
        except urllib.error.HTTPError as error:
            status, payload, got = int(error.code), error.read(), dict(error.headers)
        seconds = time.perf_counter() - started
        try:
            parsed: Any = json.loads(payload)
        except ValueError:
            parsed = payload.decode(errors="replace")
        return Answer(status, parsed, seconds, got)

    def errors(self) -> list[str]:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return [line for line in text.splitlines() if "Traceback" in line or "[CRITICAL]" in line]


@contextlib.contextmanager
def gunicorn(env: dict[str, str], log: Path, *, workers: int = 2) -> Iterator[Server]:
    port = free_port()
    command = [
        sys.executable, "-m", "gunicorn", "jwo_admin.wsgi:application", "--workers", str(workers),
        "--bind", f"127.0.0.1:{port}", "--timeout", "30", "--log-level", "warning",
    ]  # fmt: skip
    with log.open("wb") as handle:
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
            command, cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True
        )
    server = Server(port, process, log)
    try:
        deadline = time.monotonic() + 40
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):  # noqa: S310
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"gunicorn did not start:\n{log.read_text(errors='replace')[-3000:]}") from None
                time.sleep(0.2)
        yield server
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=5)
