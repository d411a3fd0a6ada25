"""deploy/nginx/jwo-admin.conf, run for real in front of gunicorn (two sync workers): four clients
that trickle their headers hold both workers when they reach gunicorn directly, and hold nothing
when nginx is in front (it reads whole requests before passing them on)."""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import missing_service
from tests.e2e.processes import free_port

ROOT = Path(__file__).resolve().parents[2]
RECIPE = ROOT / "deploy" / "nginx" / "jwo-admin.conf"
NGINX = "/usr/sbin/nginx"


def _wait_for(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):  # noqa: S310 - loopback
                return
        except OSError:
            assert process.poll() is None, log.read_text(errors="replace")
            assert time.monotonic() < deadline, log.read_text(errors="replace")
            time.sleep(0.2)


@contextlib.contextmanager
def _process(command: list[str], log: Path, env: dict[str, str] | None = None) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("wb") as handle:
        process = subprocess.Popen(  # noqa: S603 - fixed programs and arguments
            command, cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        yield process
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=20)


@pytest.fixture
def gunicorn_port(tmp_path: Path) -> Iterator[int]:
    port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "jwo_admin.settings.test",
        "JWO_BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "2",
        "JWO_WEB_TIMEOUT": "30",
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics"),
    }
    command = [sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py", "jwo_admin.wsgi:application"]
    with _process(command, tmp_path / "gunicorn.log", env) as process:
        _wait_for(port, process, tmp_path / "gunicorn.log")
        yield port


@pytest.fixture
def nginx_port(tmp_path: Path, gunicorn_port: int) -> Iterator[int]:
    if not Path(NGINX).exists():
        missing_service("nginx (Debian package nginx; `make test` installs it)")
    port = free_port()
    work = tmp_path / "nginx"
    work.mkdir(mode=0o777)
    recipe = RECIPE.read_text().replace("127.0.0.1:8000", f"127.0.0.1:{gunicorn_port}")
    recipe = recipe.replace("listen 8080;", f"listen 127.0.0.1:{port};")
    assert recipe.count(str(gunicorn_port)) == 1
    assert recipe.count(f":{port};") == 1
    (work / "jwo-admin.conf").write_text(recipe)
    (work / "nginx.conf").write_text(
        f"daemon off;\nworker_processes 1;\npid {work}/nginx.pid;\nerror_log {work}/error.log;\n"
        f"events {{ worker_connections 256; }}\n"
        f"http {{\n  access_log off;\n  client_body_temp_path {work}/body;\n  proxy_temp_path {work}/proxy;\n"
        f"  fastcgi_temp_path {work}/f;\n  uwsgi_temp_path {work}/u;\n  scgi_temp_path {work}/s;\n"
        f"  include {work}/jwo-admin.conf;\n}}\n"
    )
    checked = subprocess.run([NGINX, "-t", "-c", str(work / "nginx.conf")], capture_output=True, text=True, check=False)  # noqa: S603
    assert checked.returncode == 0, checked.stderr
    with _process([NGINX, "-c", str(work / "nginx.conf")], tmp_path / "nginx.log") as process:
        _wait_for(port, process, tmp_path / "nginx.log")
        yield port


def _slow_clients(port: int, count: int) -> list[socket.socket]:
    """Clients that send the start of a request and then nothing, as a phone in a car park might."""
    clients = []
    for _ in range(count):
        client = socket.create_connection(("127.0.0.1", port))
        client.sendall(b"POST /api/app/v1/token HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100000\r\n")
        clients.append(client)
    time.sleep(0.5)  # the server has taken each connection
    return clients


def _answer_seconds(port: int, timeout: float) -> float | None:
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=timeout) as response:  # noqa: S310
            assert response.status == 200
    except OSError:
        return None
    return time.perf_counter() - started


def test_slow_clients_hold_gunicorns_workers_directly_and_nothing_behind_nginx(
    gunicorn_port: int, nginx_port: int
) -> None:
    through_nginx = _slow_clients(nginx_port, 4)
    try:
        answered = [_answer_seconds(nginx_port, timeout=5) for _ in range(5)]
    finally:
        for client in through_nginx:
            client.close()

    direct = _slow_clients(gunicorn_port, 4)
    try:
        blocked = _answer_seconds(gunicorn_port, timeout=3)
    finally:
        for client in direct:
            client.close()

    assert all(seconds is not None and seconds < 1 for seconds in answered), answered
    assert blocked is None  # without nginx both sync workers wait on the slow clients


def test_the_recipe_says_what_makes_it_work() -> None:
    recipe = RECIPE.read_text()

    for directive in (
        "proxy_request_buffering on;",
        "proxy_buffering on;",
        "client_max_body_size 512m;",
        "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;",
        "proxy_set_header X-Request-Id $http_x_request_id;",
    ):
        assert directive in recipe
