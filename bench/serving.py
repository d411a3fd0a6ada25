"""What the server benchmarks share: services, a database of their own, gunicorn, the load tools.

Used by ``bench/gate.py``, ``bench/purchases_connector.py`` and ``bench/load.py`` (not a benchmark
itself). Each bench runs gunicorn with ``jwo_admin.settings.production`` on loopback, against a
PostgreSQL database and a Redis database index of its own on the throwaway servers of
``scripts/services.sh``, so a bench never touches the data of tests running beside it.

* ``services``, ``production_env``, ``django_setup``, ``database_create``/``database_drop``,
  ``bench_database`` — the environment and the bench's database (created, migrated, dropped);
* ``Server``, ``start_server``, ``wait_ready``, ``drain``, ``running``, ``log_errors`` — gunicorn,
  each in a process group of its own (cleanup reaches its workers) with a fresh
  ``PROMETHEUS_MULTIPROC_DIR``, as a multi-worker deployment needs; ``connector_and_bare``: the
  connector and the bare reference view the connector benches measure it against;
* ``exchanges``, ``send`` — an open-loop generator: call *i* is due at t0 + i/rate, however the
  earlier ones fare, and its latency runs from that due time (no coordinated omission);
  ``timing`` and ``latency_lines``: its percentiles, and how the benches print them;
* ``WRK_SCRIPT``, ``wrk_run``, ``wrk_figures`` and ``wrk_throughput`` — Debian's wrk cycling
  through planned bodies, closed loop;
* ``NGINX``, ``nginx_config``, ``nginx_start`` — ``deploy/nginx/jwo-admin.conf`` as shipped, on
  loopback ports of the run's own (``bench/load.py``, ``tests/deploy/test_nginx.py``);
* ``CpuSampler`` — the CPU each part of a run used (gunicorn, PostgreSQL, the load generator), from /proc.
"""

# Imports inside functions: Django loads after django_setup() is given the bench's environment, and
# psycopg only where a bench manages its database.

import asyncio
import gc
import itertools
import json
import math
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
REQUEST_TIMEOUT = 10.0  # seconds; the open loop counts a call still unanswered then as an error


def say(text: str = "") -> None:
    print(text, flush=True)


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def percentile(values: list[float], share: float) -> float:
    """Nearest rank."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def ratio(figure: float, reference: float) -> str:
    return f"{figure / reference:.2f}" if reference > 0 else "n/a"


# --- Services, environment, database --------------------------------------------------------------


def services() -> dict[str, str]:
    """DATABASE_URL and REDIS_URL: from the environment (``make bench``), else ``services.sh start``."""
    found = {name: os.environ.get(name, "") for name in ("DATABASE_URL", "REDIS_URL")}
    if found["DATABASE_URL"].startswith("postgres") and found["REDIS_URL"]:
        return found
    output = subprocess.run(
        ["bash", str(ROOT / "scripts" / "services.sh"), "start"], check=True, stdout=subprocess.PIPE, text=True
    ).stdout
    for line in output.splitlines():
        match = re.fullmatch(r"export (\w+)=(.*)", line.strip())
        if match:
            found[match.group(1)] = match.group(2)
    if not found.get("DATABASE_URL", "").startswith("postgres") or not found.get("REDIS_URL"):
        raise SystemExit("bench: scripts/services.sh did not give DATABASE_URL and REDIS_URL")
    return found


def production_env(found: dict[str, str], db_name: str, redis_db: int) -> dict[str, str]:
    """What the servers and the bench run with: production settings on the bench's own databases."""
    database = urlsplit(found["DATABASE_URL"])._replace(path=f"/{db_name}")
    redis_url = urlsplit(found["REDIS_URL"])._replace(path=f"/{redis_db}")
    return {
        "DJANGO_SETTINGS_MODULE": "jwo_admin.settings.production",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": f"{HOST},localhost",
        "DJANGO_READ_DOT_ENV_FILE": "false",
        "DJANGO_SECURE_SSL_REDIRECT": "false",  # plain HTTP on loopback; TLS ends at the gateway
        "DATABASE_URL": urlunsplit(database),
        "REDIS_URL": urlunsplit(redis_url),
        "CELERY_BROKER_URL": urlunsplit(redis_url),
        "JWO_SCAN_KEY_SECRETS": secrets.token_urlsafe(32),
        # Production names every outside system; the bench reaches none of them.
        "JWO_AMAZON_ENDPOINT": "http://127.0.0.1:9/nowhere",
        "AWS_REGION": "us-east-1",
        "JWO_AMAZON_ROLE_ARN": "arn:aws:iam::123456789012:role/jwo-catalog-api",
        "JWO_PAYMENT_GATEWAY": "jwo_admin.integrations.payments.sandbox.SandboxGateway",
        "EMAIL_URL": "memorymail://",
        "JWO_MEDIA_STORAGE": "local",  # one machine
    }


def maintenance(database_url: str, statement: str) -> None:
    """One statement on the server's ``postgres`` database (create, drop, a reachability check)."""
    import psycopg

    parts = urlsplit(database_url)
    with psycopg.connect(
        host=parts.hostname,
        port=parts.port,
        user=parts.username,
        password=parts.password,
        dbname="postgres",
        autocommit=True,
    ) as admin:
        admin.execute(statement)  # fixed text: our own database name


def _db_name(database_url: str) -> str:
    return urlsplit(database_url).path.lstrip("/")


def database_create(database_url: str) -> None:
    """The bench's database, afresh (a run that was killed may have left one)."""
    name = _db_name(database_url)
    maintenance(database_url, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    maintenance(database_url, f"CREATE DATABASE {name}")


def database_drop(database_url: str) -> None:
    from django.db import connections

    connections.close_all()
    maintenance(database_url, f"DROP DATABASE IF EXISTS {_db_name(database_url)} WITH (FORCE)")


def django_setup(env: dict[str, str]) -> None:
    """Django in this process, with the servers' environment (the bench seeds and reads through it)."""
    os.environ.update(env)
    import django  # here: Django is set up only once the bench's environment is known

    django.setup()


@contextmanager
def bench_database(env: dict[str, str]) -> Iterator[float]:
    """The bench's database, afresh and migrated, and its Redis database emptied (no connector key or
    store left from a past run); dropped on the way out. Gives the seconds the migration took."""
    # Django's modules are imported once django_setup has run, so not at the top of this module.
    from django.core.cache import cache
    from django.core.management import call_command

    database_create(env["DATABASE_URL"])
    try:
        started = time.perf_counter()
        call_command("migrate", verbosity=0, interactive=False)
        cache.clear()
        yield time.perf_counter() - started
    finally:
        database_drop(env["DATABASE_URL"])


# --- The servers --------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


@dataclass
class Server:
    name: str
    settings_module: str
    workers: int
    log: Path
    port: int = 0
    process: subprocess.Popen[bytes] | None = None
    restarts: int = 0
    threads: int = 1  # above 1, gunicorn's gthread workers
    nice: int = 0  # added to the master's niceness (its workers inherit it)


def start_server(server: Server, env: dict[str, str]) -> Server:
    server.port = free_port()
    # prometheus-client's multi-process mode: an empty directory per server (harmless if unused).
    metrics = tempfile.mkdtemp(prefix=f"metrics-{server.name}-", dir=server.log.parent)
    command = [
        sys.executable, "-m", "gunicorn", "jwo_admin.wsgi:application",
        "--workers", str(server.workers), "--threads", str(server.threads),
        "--bind", f"{HOST}:{server.port}", "--chdir", str(ROOT), "--timeout", "30", "--log-level", "warning",
    ]  # fmt: skip
    if server.nice:
        command = ["nice", "-n", str(server.nice), *command]
    with server.log.open("ab") as handle:
        server.process = subprocess.Popen(
            command,
            cwd=ROOT,
            env={
                **os.environ,
                **env,
                "DJANGO_SETTINGS_MODULE": server.settings_module,
                "PROMETHEUS_MULTIPROC_DIR": metrics,
            },
            stdout=handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so cleanup reaches its workers
        )
    return server


def wait_ready(server: Server, timeout: float = 60.0) -> None:
    """Until the server answers HTTP at all (the bare one has no /healthz: a 404 will do)."""
    assert server.process is not None  # noqa: S101 - started before
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise SystemExit(f"bench: gunicorn ({server.name}) exited:\n{server.log.read_text()[-3000:]}")
        try:
            with socket.create_connection((HOST, server.port), timeout=1) as sock:
                sock.sendall(f"GET /healthz HTTP/1.1\r\nHost: {HOST}\r\nConnection: close\r\n\r\n".encode())
                if sock.recv(16).startswith(b"HTTP/1."):
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"bench: gunicorn ({server.name}) did not answer within {timeout:.0f} s")


def stop_server(server: Server) -> None:
    process = server.process
    if process is not None and process.poll() is None:
        process.send_signal(signal.SIGQUIT)  # gunicorn's quick shutdown: calls in flight do not matter here
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)  # the group of the master we started
            process.wait(timeout=5)


def drain(server: Server, env: dict[str, str], timeout: float) -> float:
    """Wait until the server has worked off its queue (calls the client gave up on are still served):
    a GET joins the back of the accept queue, so its answer means the queue is empty. Past
    ``timeout``, restart the server instead, so the next measurement does not share the CPU with it."""
    started = time.perf_counter()
    try:
        with socket.create_connection((HOST, server.port), timeout=timeout) as sock:
            sock.sendall(f"GET /healthz HTTP/1.1\r\nHost: {HOST}\r\nConnection: close\r\n\r\n".encode())
            if sock.recv(16):
                return time.perf_counter() - started
    except OSError:
        pass
    stop_server(server)
    start_server(server, env)
    wait_ready(server)
    server.restarts += 1
    return time.perf_counter() - started


NGINX = "/usr/sbin/nginx"
NGINX_RECIPE = ROOT / "deploy" / "nginx" / "jwo-admin.conf"


def nginx_config(
    work: Path, *, listen: int, main: int, identity: int, workers: int = 1, connections: int = 256, timing: bool = False
) -> Path:
    """The deploy recipe unchanged but for its three ports (nginx on ``listen``, the main gunicorn
    on ``main``, the Identity Connector's on ``identity``), inside an ``nginx.conf`` that keeps
    every file in ``work``: what production runs, on loopback. Its path. ``timing``: an access log,
    ``work/timing.log``, of each call's path, status and seconds from nginx receiving it to its
    answer (``$request_time``) — the server's side of the latency, without the load generator's."""
    recipe = NGINX_RECIPE.read_text()
    for deployed, ours in (
        ("server 127.0.0.1:8000 ", f"server {HOST}:{main} "),
        ("server 127.0.0.1:8001 ", f"server {HOST}:{identity} "),
        ("listen 8080;", f"listen {HOST}:{listen};"),
    ):
        if recipe.count(deployed) != 1:
            raise SystemExit(f"bench: {NGINX_RECIPE} no longer has {deployed!r} once")
        recipe = recipe.replace(deployed, ours)
    work.mkdir(mode=0o777, exist_ok=True)
    (work / "jwo-admin.conf").write_text(recipe)
    config = work / "nginx.conf"
    config.write_text(
        f"daemon off;\nworker_processes {workers};\nworker_rlimit_nofile {4 * connections};\n"
        f"pid {work}/nginx.pid;\nerror_log {work}/error.log;\nevents {{ worker_connections {connections}; }}\n"
        "http {\n  log_format timing '$uri $status $request_time';\n"
        + (f"  access_log {work}/timing.log timing;\n" if timing else "  access_log off;\n")
        + f"  client_body_temp_path {work}/body;\n  proxy_temp_path {work}/proxy;\n"
        f"  fastcgi_temp_path {work}/f;\n  uwsgi_temp_path {work}/u;\n  scgi_temp_path {work}/s;\n"
        f"  include {work}/jwo-admin.conf;\n}}\n"
    )
    checked = subprocess.run([NGINX, "-t", "-c", str(config)], capture_output=True, text=True, check=False)  # noqa: S603
    if checked.returncode != 0:
        raise SystemExit(f"bench: nginx -t failed:\n{checked.stderr}")
    return config


def nginx_start(config: Path, log: Path) -> subprocess.Popen[bytes]:
    """nginx in the foreground, in a process group of its own (its CPU is counted apart, and
    SIGTERM to the group stops it and its workers)."""
    with log.open("ab") as handle:
        return subprocess.Popen(  # noqa: S603 - a fixed program
            [NGINX, "-c", str(config)], stdout=handle, stderr=subprocess.STDOUT, start_new_session=True
        )


@contextmanager
def running(servers: list[Server]) -> Iterator[None]:
    try:
        yield
    finally:
        for server in servers:
            stop_server(server)


def log_errors(server: Server) -> list[str]:
    """Error lines in the server's log (gunicorn's own and the app's ERROR records)."""
    text = server.log.read_text(errors="replace") if server.log.exists() else ""
    markers = (" ERROR ", "Traceback", "[ERROR]", "[CRITICAL]")
    return [line.strip() for line in text.splitlines() if any(marker in line for marker in markers)]


@contextmanager
def connector_and_bare(env: dict[str, str], workdir: Path, workers: int) -> Iterator[tuple[Server, Server]]:
    """Two gunicorns of ``workers`` sync workers each, answering: the connector with production
    settings, and the reference, a bare Django view that parses the same JSON body and answers 200
    (``bench/gate_bare_settings.py``, same middleware); both stopped on the way out."""
    connector = Server("connector", "jwo_admin.settings.production", workers, workdir / "connector.log")
    bare = Server("bare", "bench.gate_bare_settings", workers, workdir / "bare.log")
    servers = [start_server(connector, env), start_server(bare, env)]
    with running(servers):
        for server in servers:
            wait_ready(server)
        yield connector, bare


# --- The open-loop generator ----------------------------------------------------------------------


def request_bytes(body: bytes, port: int, key_header: str, key: str, path: str) -> bytes:
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {HOST}:{port}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n{key_header}: {key}\r\nConnection: close\r\n\r\n"
    )
    return head.encode() + body


@dataclass(frozen=True)
class Exchange:
    """One request on its own connection, as the generator saw it."""

    status: int  # 0: transport error or timeout
    payload: bytes
    latency: float  # seconds, from the due time to the last byte of the answer
    lag: float  # seconds, from the due time to the request written (the generator's own delay)
    error: str = ""


async def _exchange(port: int, raw: bytes, due: float) -> Exchange:
    loop = asyncio.get_running_loop()
    lag = 0.0
    try:
        async with asyncio.timeout(REQUEST_TIMEOUT):
            reader, writer = await asyncio.open_connection(HOST, port)
            try:
                lag = loop.time() - due
                writer.write(raw)
                status = int((await reader.readline()).split()[1])
                length = -1
                while (line := await reader.readline()) not in (b"\r\n", b"\n", b""):
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value)
                payload = await (reader.readexactly(length) if length >= 0 else reader.read())
            finally:
                writer.close()
    except (OSError, TimeoutError, ValueError, IndexError, asyncio.IncompleteReadError) as error:
        return Exchange(0, b"", loop.time() - due, lag, type(error).__name__)
    return Exchange(status, payload, loop.time() - due, lag)


async def _paced(port: int, raws: list[bytes], rate: float | None) -> list[Exchange]:
    loop = asyncio.get_running_loop()
    if rate is None:
        return [await _exchange(port, raw, loop.time()) for raw in raws]
    start = loop.time() + 0.05
    tasks = []
    for index, raw in enumerate(raws):
        due = start + index / rate
        wait = due - loop.time()
        if wait > 0:
            await asyncio.sleep(wait)
        tasks.append(asyncio.create_task(_exchange(port, raw, due)))
    return list(await asyncio.gather(*tasks))


def exchanges(port: int, raws: list[bytes], rate: float | None) -> list[Exchange]:
    """Open loop at ``rate`` (call *i* due at t0 + i/rate, however the earlier ones fare), or one
    call at a time (each sent when the previous one is answered) when ``rate`` is None."""
    return asyncio.run(_paced(port, raws, rate))


def send(
    server: Server, bodies: Iterable[bytes], *, path: str, key_header: str, key: str, rate: float | None
) -> list[Exchange]:
    """``bodies`` POSTed to ``path`` with a connector key, by :func:`exchanges` (open loop at ``rate``,
    or one at a time when it is None)."""
    raws = [request_bytes(body, server.port, key_header, key, path) for body in bodies]
    # The generator must not pause: a full collection of this process's heap (Django, the seed, the
    # planned bodies) took 60-90 ms in the middle of an open loop, counted as the connector's latency.
    gc.collect()
    gc.freeze()
    try:
        return exchanges(server.port, raws, rate)
    finally:
        gc.unfreeze()


class Timed(Protocol):
    @property
    def latency(self) -> float: ...  # seconds, from the due time to the last byte of the answer

    @property
    def lag(self) -> float: ...  # seconds, from the due time to the request written


@dataclass(frozen=True)
class Timing:
    """Latency of a run's calls, in milliseconds; ``lag_p99_ms``: the generator's own delay."""

    count: int
    p50_ms: float
    p99_ms: float
    max_ms: float
    lag_p99_ms: float


def timing(results: Sequence[Timed]) -> Timing:
    latencies = [result.latency * 1000 for result in results]
    return Timing(
        count=len(results),
        p50_ms=percentile(latencies, 0.50),
        p99_ms=percentile(latencies, 0.99),
        max_ms=max(latencies, default=float("nan")),
        lag_p99_ms=percentile([result.lag * 1000 for result in results], 0.99),
    )


def latency_lines(
    ours: Timing, reference: Timing, *, indent: str, p99_bar_ms: float, max_bar_ms: float | None = None
) -> list[str]:
    """The p50, p99 and max rows of a connector against the bare view, with the bars' verdicts."""
    rows = []
    for name, figure, bare in (
        ("p50", ours.p50_ms, reference.p50_ms),
        ("p99", ours.p99_ms, reference.p99_ms),
        ("max", ours.max_ms, reference.max_ms),
    ):
        row = f"{indent}{name} latency      {figure:8.1f} ms   bare view {bare:6.1f} ms   ratio {ratio(figure, bare)}"
        if name == "p99":
            row += f"   bar ≤ {p99_bar_ms:.0f} ms   {verdict(figure <= p99_bar_ms)}"
        if name == "max" and max_bar_ms is not None:
            row += f"   bar < {max_bar_ms:.0f} ms   {verdict(figure < max_bar_ms)}"
        rows.append(row)
    return rows


# --- wrk, closed loop ----------------------------------------------------------------------------

WRK_SCRIPT = r"""
-- bench/serving.py: each wrk thread cycles through its share of the planned bodies and counts
-- the statuses it gets; done() prints one JSON line for the bench to read.
local threads, counter = {}, 0

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  local file, nthreads = args[1], tonumber(args[2])
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers[args[3]] = args[4]
  bodies, expected, statuses, sent, wrapped, position = {}, {}, {}, {}, 0, 1
  local n = 0
  for line in io.lines(file) do
    if n % nthreads == id then
      local status, body = line:match("^(%d+)\t(.*)$")
      bodies[#bodies + 1] = body
      expected[#expected + 1] = status
    end
    n = n + 1
  end
end

function request()
  if position > #bodies then
    position = 1
    wrapped = wrapped + 1
  end
  local i = position
  position = position + 1
  sent[expected[i]] = (sent[expected[i]] or 0) + 1
  return wrk.format(nil, nil, nil, bodies[i])
end

function response(status, headers, body)
  local key = tostring(status)
  statuses[key] = (statuses[key] or 0) + 1
end

local function encode(map)
  local parts = {}
  for k, v in pairs(map) do parts[#parts + 1] = string.format('"%s": %d', k, v) end
  return "{" .. table.concat(parts, ", ") .. "}"
end

function done(summary, latency, requests)
  local all_statuses, all_sent, all_wrapped = {}, {}, 0
  for _, thread in ipairs(threads) do
    for k, v in pairs(thread:get("statuses")) do all_statuses[k] = (all_statuses[k] or 0) + v end
    for k, v in pairs(thread:get("sent")) do all_sent[k] = (all_sent[k] or 0) + v end
    all_wrapped = all_wrapped + thread:get("wrapped")
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH-JSON {"requests": %d, "duration_us": %d, "connect": %d, "read": %d, "write": %d, "timeout": %d, '
      .. '"p50_us": %d, "p99_us": %d, "max_us": %d, "wrapped": %d, "statuses": %s, "sent": %s}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(99), latency.max, all_wrapped,
    encode(all_statuses), encode(all_sent)))
end
"""


@dataclass(frozen=True)
class WrkRun:
    """One closed-loop wrk run: ``bodies`` holds ``status<TAB>body`` lines, ``script`` WRK_SCRIPT."""

    bodies: Path
    script: Path
    threads: int
    connections: int
    seconds: int
    key_header: str
    key: str


def wrk_figures(server: Server, path: str, run: WrkRun) -> dict[str, Any]:
    """wrk against ``path`` of ``server``: the figures its done() printed (requests, duration,
    transport errors, p50/p99/max, statuses got and sent, restarts of the body list)."""
    wrk = shutil.which("wrk")
    if wrk is None:
        raise SystemExit("bench: wrk is missing; `make bench` installs it (apt-get install wrk)")
    command = [
        wrk, f"-t{run.threads}", f"-c{run.connections}", f"-d{run.seconds}s", "--timeout", "5s",
        "-s", str(run.script), f"http://{HOST}:{server.port}{path}",
        "--", str(run.bodies), str(run.threads), run.key_header, run.key,
    ]  # fmt: skip
    output = subprocess.run(command, check=True, stdout=subprocess.PIPE, text=True).stdout
    line = next((text for text in output.splitlines() if text.startswith("BENCH-JSON ")), None)
    if line is None:
        raise SystemExit(f"bench: wrk printed no figures:\n{output}")
    figures: dict[str, Any] = json.loads(line.removeprefix("BENCH-JSON "))
    return figures


def wrk_run(
    workdir: Path,
    planned: Iterable[tuple[int, bytes]],
    *,
    threads: int,
    connections: int,
    seconds: int,
    key_header: str,
    key: str,
) -> WrkRun:
    """A wrk run over ``planned`` (status expected, body), its body list and script written in ``workdir``."""
    bodies = workdir / "bodies.txt"
    bodies.write_text("".join(f"{status}\t{body.decode()}\n" for status, body in planned))
    script = workdir / "bodies.lua"
    script.write_text(WRK_SCRIPT)
    return WrkRun(bodies, script, threads, connections, seconds, key_header, key)


@dataclass
class Throughput:
    """A closed-loop wrk run's figures: ``transport`` errors (connect, read, write, timeout), the
    statuses got and the ones the plan expected for the bodies sent, wrk's own p50 and p99.
    ``errors`` and ``detail``: the transport errors until the bench judges the statuses too."""

    rate: float
    requests: int
    transport: int
    p50_ms: float
    p99_ms: float
    wrapped: int
    statuses: dict[str, int] = field(default_factory=dict)
    sent: dict[str, int] = field(default_factory=dict)
    errors: int = 0
    detail: str = ""


def wrk_throughput(server: Server, path: str, run: WrkRun) -> Throughput:
    figures = wrk_figures(server, path, run)
    transport = sum(figures[name] for name in ("connect", "read", "write", "timeout"))
    return Throughput(
        rate=figures["requests"] / (figures["duration_us"] / 1e6),
        requests=figures["requests"],
        transport=transport,
        p50_ms=figures["p50_us"] / 1000,
        p99_ms=figures["p99_us"] / 1000,
        wrapped=figures["wrapped"],
        statuses=figures["statuses"],
        sent=figures["sent"],
        errors=transport,
    )


# --- CPU of each part, from /proc ------------------------------------------------------------------


TICKS = os.sysconf("SC_CLK_TCK")


def _machine_ticks() -> tuple[int, int]:
    """(busy, total) jiffies of all CPUs since boot: busy is everything but idle and iowait."""
    fields = [int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    total = sum(fields[:8])  # user nice system idle iowait irq softirq steal (guest is inside user)
    return total - fields[3] - fields[4], total


class CpuSampler:
    """Samples every process's CPU time twice a second and sorts it into parts by ``classify(pid,
    process group, command line)`` (None: not ours, left in "everything else"). A process that
    starts or exits between two samples loses at most half a second of its CPU."""

    def __init__(self, classify: Callable[[int, int, str], str | None], interval: float = 0.5) -> None:
        self.classify = classify
        self.interval = interval
        self.samples: list[tuple[float, int, int, dict[int, tuple[str, int]]]] = []  # time, busy, total, pids
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._kinds: dict[tuple[int, str], str | None] = {}  # (pid, start time): part

    def _part(self, pid: int, fields: list[str]) -> str | None:
        key = (pid, fields[19])  # a pid reused later is another process
        if key not in self._kinds:
            try:
                cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                cmdline = ""
            self._kinds[key] = self.classify(pid, int(fields[2]), cmdline)
        return self._kinds[key]

    def sample(self) -> None:
        pids: dict[int, tuple[str, int]] = {}
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            part = self._part(int(entry.name), fields)
            if part is not None:
                pids[int(entry.name)] = (part, int(fields[11]) + int(fields[12]))  # utime + stime
        busy, total = _machine_ticks()
        self.samples.append((time.time(), busy, total, pids))

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.sample()

    def __enter__(self) -> "CpuSampler":
        self.sample()
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()
        self.sample()

    def between(self, since: float, until: float) -> tuple[dict[str, float], float, list[float]]:
        """CPU-seconds of each part and of the whole machine from ``since`` to ``until`` (the nearest
        samples), and the machine's busy share in each interval between samples (0-1)."""
        inside = [sample for sample in self.samples if since - self.interval / 2 <= sample[0] <= until]
        if len(inside) < 2:
            return {}, 0.0, []
        first, last_seen = inside[0][3], {}
        for sample in inside:
            last_seen.update(sample[3])
        parts: dict[str, float] = {}
        for pid, (part, ticks) in last_seen.items():
            parts[part] = parts.get(part, 0.0) + (ticks - first.get(pid, (part, 0))[1]) / TICKS
        shares = [
            (later[1] - earlier[1]) / max(later[2] - earlier[2], 1) for earlier, later in itertools.pairwise(inside)
        ]
        return parts, (inside[-1][1] - inside[0][1]) / TICKS, shares


if __name__ == "__main__":
    say("bench/serving.py: the server benches' shared parts; nothing to measure on its own")
