"""deploy/nginx/jwo-admin.conf, run for real in front of gunicorn (two sync workers): four clients
that trickle their headers hold both workers when they reach gunicorn directly, and hold nothing
when nginx is in front (it reads whole requests before passing them on). And in front of an
Identity Connector pool that stalls, is down or is full: the gate still gets the app's own
store-default 500 from nginx, within Amazon's 2 s."""

import contextlib
import http.client
import os
import signal
import socket
import socketserver
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from jwo_admin.core.arrival import IDENTITY_PATH, ShedLateCalls
from tests.conftest import missing_service
from tests.e2e.processes import free_port

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))  # the load test's own renderer, imported as bench/load.py does

from serving import NGINX, NGINX_RECIPE, nginx_config  # noqa: E402

RECIPE = NGINX_RECIPE


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


@contextlib.contextmanager
def _nginx(work: Path, main: int, identity: int) -> Iterator[int]:
    """The recipe as shipped, on loopback: nginx on a port of its own in front of ``main`` and
    ``identity`` (bench/serving.py renders it, as the load test does)."""
    if not Path(NGINX).exists():
        missing_service("nginx (Debian package nginx; `make test` installs it)")
    port = free_port()
    config = nginx_config(work / "nginx", listen=port, main=main, identity=identity)
    with _process([NGINX, "-c", str(config)], work / "nginx.log") as process:
        _wait_for(port, process, work / "nginx.log")
        yield port


@pytest.fixture
def nginx_port(tmp_path: Path, gunicorn_port: int) -> Iterator[int]:
    with _nginx(tmp_path, gunicorn_port, free_port()) as port:
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


# --- The Identity Connector behind nginx ---------------------------------------------------------

DEADLINE = 1.6  # proxy_connect_timeout + proxy_send_timeout + proxy_read_timeout in the recipe
GATE_BODY = b'{"identityKey": "k", "storeId": "s"}'


class _Pool(socketserver.ThreadingTCPServer):
    """A stand-in for the identity pool that answers every call with ``answer`` and keeps the
    headers it was sent; ``healthz`` answers nginx's readiness probe on the main upstream."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, answer: bytes) -> None:
        self.answer = answer
        self.seen: list[dict[str, str]] = []
        super().__init__(("127.0.0.1", 0), _PoolHandler)


class _PoolHandler(socketserver.StreamRequestHandler):
    server: _Pool

    def handle(self) -> None:
        self.rfile.readline()
        headers: dict[str, str] = {}
        while (line := self.rfile.readline().decode("latin-1").strip()) != "":
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        self.rfile.read(int(headers.get("content-length", "0")))
        self.server.seen.append(headers)
        self.wfile.write(self.server.answer)


def _http_answer(status: str, body: bytes) -> bytes:
    return (
        f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n"
        "Connection: close\r\n\r\n"
    ).encode() + body


@contextlib.contextmanager
def _pool(answer: bytes) -> Iterator[_Pool]:
    pool = _Pool(answer)
    thread = threading.Thread(target=pool.serve_forever, daemon=True)
    thread.start()
    try:
        yield pool
    finally:
        pool.shutdown()
        pool.server_close()


@contextlib.contextmanager
def _stalled_pool() -> Iterator[int]:
    """A pool that takes connections (the kernel completes them into the listen backlog) and never
    answers: a gunicorn whose workers are all busy."""
    with socket.socket() as stalled:
        stalled.bind(("127.0.0.1", 0))
        stalled.listen(128)
        yield stalled.getsockname()[1]


@pytest.fixture
def main_pool() -> Iterator[int]:
    with _pool(_http_answer("200 OK", b"{}")) as pool:
        yield pool.server_address[1]


def _gate_call(port: int, headers: dict[str, str] | None = None) -> tuple[float, int, dict[str, str], bytes]:
    """One Identity Connector call through nginx: seconds to the answer, status, headers, body."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    started = time.perf_counter()
    try:
        connection.request("POST", IDENTITY_PATH, GATE_BODY, {"Content-Type": "application/json", **(headers or {})})
        response = connection.getresponse()
        body = response.read()
    finally:
        connection.close()
    return time.perf_counter() - started, response.status, {k.lower(): v for k, v in response.getheaders()}, body


def _apps_own_store_default() -> tuple[int, dict[str, str], bytes]:
    """What the app answers a call that waited too long (ShedLateCalls in jwo_admin/wsgi.py)."""
    answered: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]]) -> None:
        answered.update(status=int(status.split()[0]), headers={k.lower(): v for k, v in headers})

    environ = {"REQUEST_METHOD": "POST", "PATH_INFO": IDENTITY_PATH, "HTTP_X_REQUEST_START": f"t={time.time() - 60}"}
    body = b"".join(ShedLateCalls(lambda *_: [b"not shed"])(environ, start_response))
    return answered["status"], answered["headers"], body


def _assert_store_default(status: int, headers: dict[str, str], body: bytes) -> None:
    own_status, own_headers, own_body = _apps_own_store_default()
    assert (
        (status, body)
        == (own_status, own_body)
        == (
            500,
            b'{"message": "The shopper could not be verified in time; follow the store\'s default."}',
        )
    )
    for name in ("content-type", "cache-control"):
        assert headers[name] == own_headers[name], name
    assert headers["content-length"] == str(len(own_body))


def test_a_stalled_identity_pool_gets_the_store_default_500_from_nginx_before_amazons_2_s(
    tmp_path: Path, main_pool: int
) -> None:
    with _stalled_pool() as identity, _nginx(tmp_path, main_pool, identity) as port:
        seconds, status, headers, body = _gate_call(port)

    _assert_store_default(status, headers, body)
    assert 1.4 <= seconds < DEADLINE + 0.3, seconds  # it waited for the pool, then answered in time


def test_an_identity_pool_that_is_down_gets_the_store_default_500_at_once(tmp_path: Path, main_pool: int) -> None:
    with _nginx(tmp_path, main_pool, free_port()) as port:
        seconds, status, headers, body = _gate_call(port)

    _assert_store_default(status, headers, body)
    assert seconds < 1, seconds


def test_past_32_calls_in_flight_the_next_gets_the_store_default_500_at_once(tmp_path: Path, main_pool: int) -> None:
    with _stalled_pool() as identity, _nginx(tmp_path, main_pool, identity) as port:
        waiting = [threading.Thread(target=_gate_call, args=(port,)) for _ in range(32)]
        for thread in waiting:
            thread.start()
        time.sleep(0.4)  # all 32 are with the pool now
        seconds, status, headers, body = _gate_call(port)
        for thread in waiting:
            thread.join()

    _assert_store_default(status, headers, body)
    assert seconds < 0.8, seconds  # not queued behind the 32: answered before they time out


@pytest.mark.parametrize(
    ("status", "body"),
    [
        ("200 OK", b'{"visitorDetails": {"id": "cust-000982", "type": "SHOPPER"}}'),
        ("401 Unauthorized", b'{"message": "Unauthorized"}'),
        (
            "500 Internal Server Error",
            b'{"message": "The store\'s records could not be read."}',
        ),
    ],
)
def test_the_pools_own_answers_pass_through_nginx_unchanged_with_the_arrival_stamped(
    tmp_path: Path, main_pool: int, status: str, body: bytes
) -> None:
    with _pool(_http_answer(status, body)) as identity:
        with _nginx(tmp_path, main_pool, identity.server_address[1]) as port:
            before = time.time()
            _, answered, headers, received = _gate_call(port, {"X-Request-Start": "t=1", "X-Request-Id": "r-1"})
            after = time.time()
        seen = identity.seen

    assert (answered, received) == (int(status.split()[0]), body)
    assert headers["content-type"] == "application/json"
    assert len(seen) == 1
    # nginx's own stamp of when it received the call, not the caller's: the app times the call from it
    stamp = seen[0]["x-request-start"]
    assert stamp.startswith("t=")
    assert before - 0.002 <= float(stamp.removeprefix("t=")) <= after
    assert seen[0]["x-request-id"] == "r-1"
