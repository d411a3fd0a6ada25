"""The load test: a peak hour of one store against gunicorn with production settings (``make load``).

Setup: a database of its own (``jwo_bench_load``) on the throwaway PostgreSQL and Redis database
5, migrated with production settings; the gate bench's store with 1,000 shoppers and the
purchases bench's store with 10,000 products and 200 promotions (``bench/gate.py``,
``bench/purchases_connector.py``); a staff user (Viewer). Then every connector call is planned
with its due time (``bench/locustfile.py`` sends it then):

* Identity Connector, ``--entries`` (100) calls/s from 8 gates, one every 10 ms: Scan Key Codes
  issued by the real service right here, ``authEvent.timestamp`` 2 s after each issue (fresh
  whenever the call is sent); 70 % new codes, 20 % replays of a call 0.5-10 s earlier, 10 %
  forged (401 is the right answer);
* Create Purchases, ``--purchases`` (30) calls/s on average in bursts of walk-outs: in every
  ``--burst-period`` (2 s) the calls are due at ``--burst-peak`` (2) × the average rate, then
  none until the next period; 20-line carts of known SKUs, 10 % replays of a trip 1-10 s earlier.

gunicorn: ``--workers`` (4) sync workers, one thread each — two per core. A call is CPU-bound
(Python, then PostgreSQL on the same two cores; its waits on the database are short), so a
second worker per core only covers those waits, and more workers or threads add no CPU: they
share the same two cores among more calls at once, which makes each call slower (measured: see
the README). In front of gunicorn, nginx with ``deploy/nginx/jwo-admin.conf`` as shipped (its
ports aside): every call goes through it, as in production, and it stamps ``X-Request-Start``.
Locust runs beside it (FastHttpUser for the connectors) in ``--locust-processes`` (2) processes
of its own, each sending its share of the plan (every n-th call) from one start time: one
process lagged at about 1,000 calls/s (its own send lag, printed), and independent processes
need no master. The overload step sends Amazon's calls with ``bench/amazon_calls.py`` instead (one
asyncio process, keep-alive raw sockets: a quarter of locust's CPU per call), and times each from
when it was sent, its lag apart.

The run: ``--warm-up`` (10) s, then ``--seconds`` (60) s measured, on loopback. Then the
reference, on the same gunicorn settings: the same calls for ``--reference-seconds`` (20) against
a bare Django view that parses the body and answers 200 (``bench/gate_bare_settings.py``).

It prints, per endpoint over the measured seconds: calls, rate, p50/p95/p99 and errors, each
beside its bar with PASS/FAIL (Identity Connector p99 ≤ 100 ms, Create Purchases p99 ≤ 250 ms, no
errors, 100 entries/s + 30 purchases/s sustained), the reference as a ratio, what the app stored
(gate decisions and purchases, against the calls sent), the CPU of each part (gunicorn,
PostgreSQL, Redis, locust, everything else on this shared machine) and which limits first, and
what one more machine of workers would give. A bar that fails still exits 0.

    .venv/bin/python bench/load.py [--seconds 60] [--warm-up 10] [--reference-seconds 20] [--workers 4]
"""

# Imports inside functions: Django and the project's modules load after django.setup(), once the load
# test's own database and Redis are known.

import argparse
import json
import os
import random
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import gate  # noqa: E402  (bench/ is on sys.path)
import purchases_connector  # noqa: E402
import serving  # noqa: E402
from serving import say  # noqa: E402

DB_NAME = "jwo_bench_load"
REDIS_DB = 5
STAFF_USER = "load-staff"
GATE_USERS = 32  # bench/locustfile.py's least pool of gate users


def gate_users(rate: float) -> int:
    """A free gate user for every call due while the answers take up to 2.5 s: with 32 users and
    answers of half a second, 100 calls/s went out up to 14 s late (locust's send lag), and the
    run measured the generator, not the server."""
    return round(rate * 2.5) + GATE_USERS


def walk_out_users(args: argparse.Namespace) -> int:
    """Enough walk-out users that a whole burst goes out on time, whatever the answers take."""
    return max(32, round(args.purchases * args.burst_period) + 8)


@dataclass(frozen=True)
class Planned:
    due: float
    kind: str
    expected: int
    body: str

    def line(self) -> str:
        return f"{self.due:.4f}\t{self.kind}\t{self.expected}\t{self.body}\n"


def burst_dues(count: int, rate: float, period: float, peak: float) -> list[float]:
    """Due times of walk-outs: ``rate`` × ``period`` calls per period, spaced at ``peak`` × ``rate``
    from its start, then none until the next period."""
    if not count:
        return []
    per_period = max(1, round(rate * period))
    return [(n // per_period) * period + (n % per_period) / (rate * peak) for n in range(count)]


def prepare(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    """Seed, plan every call, and write what locust reads."""
    from django.core.cache import cache
    from django.core.management import call_command

    from catalog.services.staff_stores import staff_member_create
    from jwo_admin.core.roles import VIEWER

    call_command("migrate", verbosity=0, interactive=False)
    cache.clear()  # our own Redis database: nothing left from a past run
    rng = random.Random(args.seed)
    length = args.warm_up + args.seconds
    gate_seed = gate.seed(1000)
    entries = gate.plan(round(args.entries * length), args.entries, gate_seed.shoppers, rng)
    store_seed = purchases_connector.seed(10_000, rng)
    exits = purchases_connector.plan(
        round(args.purchases * length), args.purchases, store_seed, 20, rng, purchases_connector.REPLAY_SHARE
    )
    password = secrets.token_urlsafe(16)
    staff_member_create(username=STAFF_USER, password=password, role=VIEWER, all_stores=True)
    identity = [
        Planned(index / (args.entries or 1), call.kind, call.expected, call.body.decode())
        for index, call in enumerate(entries)
    ]
    dues = burst_dues(len(exits), args.purchases, args.burst_period, args.burst_peak)
    purchases = [Planned(due, call.kind, 201, call.body.decode()) for due, call in zip(dues, exits, strict=True)]
    setup = {
        "header": gate_seed.key_header,
        "gate_key": gate_seed.connector_key,
        "exit_key": store_seed.key,
        "staff_user": STAFF_USER,
        "staff_password": password,
        "staff": args.staff,
        "gate_users": gate_users(args.entries),
        "walk_out_users": walk_out_users(args),
    }
    write_plan(workdir / "app", setup, identity, purchases)
    cut = args.reference_warm_up + args.reference_seconds  # the reference: the first seconds of the same plan
    write_plan(
        workdir / "bare",
        {**setup, "bare": True, "staff": 0},
        [call for call in identity if call.due < cut],
        [call for call in purchases if call.due < cut],
    )
    return {"identity": identity, "purchases": purchases, "gate_seed": gate_seed, "store_seed": store_seed, "rng": rng}


def write_plan(directory: Path, setup: dict[str, Any], identity: list[Planned], purchases: list[Planned]) -> None:
    directory.mkdir()
    (directory / "setup.json").write_text(json.dumps(setup))
    (directory / "identity.tsv").write_text("".join(call.line() for call in identity))
    (directory / "purchases.tsv").write_text("".join(call.line() for call in purchases))


LOCUST_STARTUP = 5.0  # seconds for a locust process to load before the plan's users are spawned


def run_locust(host: str, directory: Path, bound: float, users: dict[str, int], processes: int, nice: int = 0) -> None:
    """Headless locust in ``processes`` processes, each with every ``processes``-th planned call
    and its share of the users, all due from one start time, until each has its share answered
    (at most ``bound`` seconds). ``nice`` below 0 (root only; else 0) puts them before the servers."""
    share = {name: -(-count // processes) for name, count in users.items()}  # rounded up
    lead = 1.0 + sum(share.values()) / 1000  # all spawned at 1,000/s by then
    start = time.time() + LOCUST_STARTUP + lead
    running = []
    for shard in range(processes):
        command = [
            *(["nice", "-n", str(nice)] if nice else []),
            sys.executable, "-m", "locust", "-f", str(ROOT / "bench" / "locustfile.py"), "--headless",
            "--host", host, "--users", str(sum(share.values())), "--spawn-rate", "1000",
            "--run-time", f"{int(bound + LOCUST_STARTUP + lead)}s", "--stop-timeout", "10", "--only-summary",
            "--loglevel", "WARNING", *(name for name, n in share.items() if n),
        ]  # fmt: skip
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env={
                **os.environ,
                "JWO_LOAD_DIR": str(directory),
                "JWO_LOAD_SHARD": f"{shard}/{processes}",
                "JWO_LOAD_START": f"{start:.6f}",
            },
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,  # a process group of its own: its CPU is counted as locust's
        )
        LOCUST_GROUPS.add(process.pid)
        running.append(process)
    for process in running:
        _, errors = process.communicate()
        if process.returncode not in (0, 1):  # 1: some calls failed, counted from the trace
            raise SystemExit(f"load: locust failed:\n{errors[-2000:]}")


GENERATOR_STARTUP = 3.0  # seconds for bench/amazon_calls.py to read the plan and build its requests


def run_generator(port: int, directory: Path, bound: float, nice: int = 0) -> None:
    """``bench/amazon_calls.py`` (Amazon's side, one process, keep-alive raw sockets) on the plan in
    ``directory`` through nginx on ``port``, until every call is answered (at most ``bound`` seconds)."""
    start = time.time() + GENERATOR_STARTUP
    command = [
        *(["nice", "-n", str(nice)] if nice else []),
        sys.executable, str(ROOT / "bench" / "amazon_calls.py"), str(directory), f"{start:.6f}", str(port),
    ]  # fmt: skip
    process = subprocess.Popen(  # noqa: S603 - our own script
        command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, start_new_session=True
    )
    GENERATOR_GROUPS.add(process.pid)
    try:
        _, errors = process.communicate(timeout=bound + GENERATOR_STARTUP + 30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGTERM)  # the group of the generator started above
        _, errors = process.communicate()
    if process.returncode != 0:
        raise SystemExit(f"load: bench/amazon_calls.py failed:\n{errors[-2000:]}")


LOCUST_GROUPS: set[int] = set()
GENERATOR_GROUPS: set[int] = set()
SERVER_GROUPS: dict[int, str] = {}  # process group → "gunicorn", "gunicorn, identity" or "nginx"


def classify(pid: int, group: int, cmdline: str) -> str | None:
    """Which part of the run a process is (bench/serving.py's CpuSampler)."""
    if group in SERVER_GROUPS:
        return SERVER_GROUPS[group]
    if group in LOCUST_GROUPS:
        return "locust"
    if group in GENERATOR_GROUPS:
        return "load generator"
    if cmdline.startswith("postgres: "):
        return "postgresql" if f" {DB_NAME} " in cmdline else "postgresql, other databases"
    if cmdline.startswith("/usr/lib/postgresql/"):
        return "postgresql, other databases"  # the postmaster: shared with every database
    if cmdline.startswith("redis-server"):
        return "redis"
    return None


def server_side(since: datetime, until: datetime) -> dict[str, Any]:
    """What the app stored: decisions and purchases in the measured seconds, and in the whole run
    with the replays it counted (each replay is answered from the stored row and counted on it)."""
    from django.db import connections
    from django.db.models import Sum

    from entry.models import GateEvent
    from orders.models import Purchase

    connections.close_all()
    events = GateEvent.objects.all()
    purchases = Purchase.objects.all()
    return {
        "identity": {
            "window": events.filter(created_at__gte=since, created_at__lt=until).count(),
            "rows": events.count(),
            "replays": events.aggregate(total=Sum("replays"))["total"] or 0,
            "latency_ms": sorted(
                events.filter(created_at__gte=since, created_at__lt=until).values_list("latency_ms", flat=True)
            ),
        },
        "purchases": {
            "window": purchases.filter(created_at__gte=since, created_at__lt=until).count(),
            "rows": purchases.count(),
            "replays": purchases.aggregate(total=Sum("replays"))["total"] or 0,
        },
    }


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--seconds", type=float, default=60.0, help="measured, after the warm-up (default 60)")
    parser.add_argument("--warm-up", type=float, default=10.0, help="at the full rates, not measured (default 10)")
    parser.add_argument("--reference-seconds", type=float, default=20.0, help="the bare view (default 20)")
    parser.add_argument("--reference-warm-up", type=float, default=3.0)
    parser.add_argument("--entries", type=float, default=100.0, help="Identity Connector calls/s (default 100)")
    parser.add_argument("--purchases", type=float, default=30.0, help="Create Purchases calls/s (default 30)")
    parser.add_argument("--burst-period", type=float, default=2.0, help="seconds between walk-out bursts")
    parser.add_argument("--burst-peak", type=float, default=2.0, help="rate in a burst ÷ the average rate")
    parser.add_argument("--staff", type=int, default=2, help="staff users browsing")
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1), help="gunicorn workers (2 × CPUs)")
    parser.add_argument("--threads", type=int, default=1, help="per worker; above 1, gthread workers")
    parser.add_argument(
        "--identity-workers", type=int, default=0, help="a gunicorn of this many workers for the Identity Connector"
    )
    parser.add_argument(
        "--overload-seconds", type=float, default=20.0, help="the overload step's burst (0: no overload step)"
    )
    parser.add_argument("--overload-factor", type=float, default=3.0, help="the burst's rate ÷ the measured capacity")
    parser.add_argument(
        "--overload-identity-workers",
        type=int,
        default=2,
        help="the Identity Connector's own gunicorn in the overload step, as deployed (deploy/nginx)",
    )
    parser.add_argument(
        "--locust-processes", type=int, default=2, help="locust processes, each sending its share (default 2)"
    )
    parser.add_argument("--seed", type=int, default=20261124, help="random seed of the plan")
    parser.add_argument(
        "--settings", default="jwo_admin.settings.production", help="the app's settings module (to measure a change)"
    )
    parser.add_argument("--keep", type=Path, help="copy the plan, locust's traces and the server logs here")
    args = parser.parse_args(argv)
    if min(args.seconds, args.burst_period) <= 0 or min(args.entries, args.purchases) < 0 or args.burst_peak < 1:
        parser.error("--seconds and --burst-period must be positive, --entries and --purchases not negative, "
                     "--burst-peak ≥ 1")  # fmt: skip
    return args


def measure(args: argparse.Namespace, env: dict[str, str], workdir: Path, module: str, name: str) -> dict[str, Any]:
    """One locust run on the plan in ``workdir / name`` through nginx (``deploy/nginx``) to gunicorn
    (two of them with ``--identity-workers``: the Identity Connector on its own, as nginx routes
    it in production; with one, nginx sends both routes to it): the trace, CPU, server log errors."""
    # Two pools as deployed: the main one at jwo-web's niceness, below the Identity Connector's.
    nice = deployed_nice("jwo-web") if args.identity_workers else 0
    servers = [serving.Server(name, module, args.workers, workdir / f"{name}.log", threads=args.threads, nice=nice)]
    if args.identity_workers:
        servers.append(serving.Server(f"{name}-identity", module, args.identity_workers, workdir / f"{name}-id.log"))
    with serving.running([serving.start_server(server, env) for server in servers]):
        for server in servers:
            serving.wait_ready(server)
            assert server.process is not None  # noqa: S101 - started above
            is_identity = server.name.endswith("-identity")
            SERVER_GROUPS[server.process.pid] = "gunicorn, identity" if is_identity else "gunicorn"
        setup = json.loads((workdir / name / "setup.json").read_text())
        length = {"app": args.warm_up + args.seconds, "overload": setup.get("length", 0.0)}.get(
            name, args.reference_warm_up + args.reference_seconds
        )
        users = {
            "Gate": setup.get("gate_users", GATE_USERS),
            "WalkOut": setup.get("walk_out_users", walk_out_users(args)),
            "Staff": 0 if name in ("bare", "overload") else args.staff,
        }
        with (
            front(workdir / f"nginx-{name}", servers[0].port, servers[-1].port, sum(users.values())) as port,
            serving.CpuSampler(classify) as sampler,
        ):
            if name == "overload":
                run_generator(port, workdir / name, length + setup.get("retry_bound", 60), GENERATOR_NICE)
            else:
                run_locust(
                    f"http://{serving.HOST}:{port}",
                    workdir / name,
                    length + setup.get("retry_bound", 60),
                    users,
                    args.locust_processes,
                )
        errors = [line for server in servers for line in serving.log_errors(server)]
    trace = read_trace(workdir / name)
    timing = workdir / f"nginx-{name}" / "timing.log"
    return {"trace": trace, "sampler": sampler, "log_errors": errors, "servers": servers, "nginx_timing": timing}


def nginx_seconds(timing: Path, path: str) -> list[float]:
    """nginx's own time for each call to ``path`` (``$request_time``: from receiving it to the last
    byte of its answer sent), read from the run's timing log."""
    lines = timing.read_text().splitlines() if timing.exists() else []
    return [float(fields[2]) for fields in (line.split() for line in lines) if fields[:1] == [path]]


@contextmanager
def front(work: Path, main: int, identity: int, clients: int) -> Iterator[int]:
    """nginx as deployed in front of the two pools, a worker per core (Debian's ``worker_processes
    auto``), with a connection for each locust user and each call it passes on; its port."""
    port = serving.free_port()
    config = serving.nginx_config(
        work,
        listen=port,
        main=main,
        identity=identity,
        workers=os.cpu_count() or 1,
        connections=2 * clients + 1024,
        timing=True,
    )
    process = serving.nginx_start(config, work / "nginx.log")
    SERVER_GROUPS[process.pid] = "nginx"
    try:
        serving.wait_ready(serving.Server("nginx", "", 0, work / "nginx.log", port=port, process=process))
        yield port
    finally:
        os.killpg(process.pid, signal.SIGTERM)  # the group of the nginx started above
        process.wait(timeout=20)


def deployed_nice(unit: str) -> int:
    """The niceness a systemd unit in deploy/systemd runs at (``Nice=``, 0 without one)."""
    for line in (ROOT / "deploy" / "systemd" / f"{unit}.service").read_text().splitlines():
        if line.startswith("Nice="):
            return int(line.removeprefix("Nice="))
    return 0


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    env = serving.production_env(serving.services(), DB_NAME, REDIS_DB)
    # Staff pages under production settings read the static manifest: collected afresh for this run,
    # as a release does (a stale var/staticfiles would answer them 500).
    static_root = tempfile.mkdtemp(prefix="jwo-load-static-")
    env["DJANGO_STATIC_ROOT"] = static_root
    os.environ.update(env)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connections

    call_command("collectstatic", interactive=False, verbosity=0)
    serving.database_create(env["DATABASE_URL"])
    try:
        with tempfile.TemporaryDirectory(prefix="jwo-load-") as temp:
            workdir = Path(temp)
            started = time.perf_counter()
            planned = prepare(args, workdir)
            connections.close_all()
            say(
                f"· {DB_NAME} migrated and seeded with production settings, {len(planned['identity']):,} identity "
                f"and {len(planned['purchases']):,} purchase calls planned in {time.perf_counter() - started:.0f} s"
            )
            app = measure(args, env, workdir, args.settings, "app")
            start = app["trace"].start + args.warm_up
            since = datetime.fromtimestamp(start, tz=UTC)
            until = datetime.fromtimestamp(start + args.seconds, tz=UTC)
            stored = server_side(since, until)
            bare = measure(args, env, workdir, "bench.gate_bare_settings", "bare")
            report(args, planned, app, bare, stored)
            if args.overload_seconds > 0:
                overload(args, env, workdir, planned, app)
            if args.keep:
                shutil.copytree(workdir, args.keep, dirs_exist_ok=True)
    finally:
        serving.database_drop(env["DATABASE_URL"])
        shutil.rmtree(static_root, ignore_errors=True)
    return 0


# --- The figures -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sent:
    due: float  # epoch seconds
    sent: float  # when the generator began the call (its first attempt)
    done: float  # its final answer
    name: str
    kind: str
    error: str
    first: float  # its first answer (a 503 before retries)


@dataclass
class Trace:
    start: float  # epoch seconds of due time 0
    calls: list[Sent]


def read_trace(directory: Path) -> Trace:
    start, calls = 0.0, []
    for path in directory.glob("trace-*.tsv"):
        for line in path.read_text().splitlines():
            fields = line.split("\t")
            if fields[0] == "start":
                start = float(fields[1])
            elif len(fields) in (6, 7):  # locust's (6: no first answer apart) or bench/amazon_calls.py's
                due, sent, done, name, kind, error = fields[:6]
                first = float(fields[6]) if len(fields) == 7 else float(done)
                calls.append(Sent(float(due), float(sent), float(done), name, kind, error, first))
    if not start:
        raise SystemExit(f"load: locust left no trace in {directory}")
    return Trace(start, calls)


@dataclass
class Figures:
    planned: int
    answered: int
    errors: int  # wrong answers and planned calls never answered
    p50: float
    p95: float
    p99: float
    lag_p99: float  # due time to sent: locust's own delay
    error_kinds: dict[str, int]


def figures(trace: Trace, planned: list[Planned], name: str, since: float, until: float) -> Figures:
    """One endpoint's calls due in [since, until), seconds after the trace's start."""
    inside = [call for call in trace.calls if call.name == name and since <= call.due - trace.start < until]
    due = sum(1 for call in planned if since <= call.due < until) if planned else len(inside)
    latencies = [(call.done - call.due) * 1000 for call in inside]
    kinds: dict[str, int] = {}
    for call in inside:
        if call.error:
            kinds[call.error] = kinds.get(call.error, 0) + 1
    if due > len(inside):
        kinds["never answered"] = due - len(inside)
    return Figures(
        planned=due,
        answered=sum(1 for call in inside if not call.error),
        errors=sum(kinds.values()),
        p50=serving.percentile(latencies, 0.50),
        p95=serving.percentile(latencies, 0.95),
        p99=serving.percentile(latencies, 0.99),
        lag_p99=serving.percentile([(call.sent - call.due) * 1000 for call in inside], 0.99),
        error_kinds=kinds,
    )


# p99 ms, the rate to sustain (calls/s), and the option that sets the plan's rate.
BARS = {"identity": (100.0, 100.0, "entries"), "purchases": (250.0, 30.0, "purchases")}


def report(
    args: argparse.Namespace,
    planned: dict[str, list[Planned]],
    app: dict[str, Any],
    bare: dict[str, Any],
    stored: dict[str, Any],
) -> None:
    verdict, trace = serving.verdict, app["trace"]
    since, until = args.warm_up, args.warm_up + args.seconds
    reference_span = (args.reference_warm_up, args.reference_warm_up + args.reference_seconds)
    say()
    say(
        f"load — gunicorn {args.workers} {'sync workers' if args.threads == 1 else f'gthread workers × {args.threads}'}"
        + (f" (+ {args.identity_workers} for the Identity Connector alone)" if args.identity_workers else "")
        + f"; walk-outs due at {args.burst_peak:g}× the average rate in each {args.burst_period:g} s burst"
        f", nginx in front, production settings, PostgreSQL, Redis; locust in {args.locust_processes} process"
        f"{'es' if args.locust_processes > 1 else ''} on the same {os.cpu_count()} cores; "
        f"{args.seconds:.0f} s measured after a {args.warm_up:.0f} s warm-up; latency from each call's due time "
        "to its answer's last byte"
    )
    for name, (bar_ms, bar_rate, rate_option) in BARS.items():
        ours = figures(trace, planned[name], name, since, until)
        reference = figures(bare["trace"], planned[name], name, *reference_span)
        target = getattr(args, rate_option)
        rate = ours.answered / args.seconds
        # Bursts make the calls due in a window depend on where it falls: the bar is every planned
        # call answered, at a plan whose average rate is the target.
        sustained = ours.answered == ours.planned and target >= bar_rate
        say(
            f"  {name:<10} {ours.planned:>6,} calls   answered {rate:6.1f}/s; plan {target:.0f}/s "
            f"(bar ≥ {bar_rate:.0f}/s planned and every call answered {verdict(sustained)})"
            f"   errors {ours.errors} (bar 0 {verdict(ours.errors == 0)})"
            + "".join(f"; {count} {kind}" for kind, count in list(ours.error_kinds.items())[:3])
        )
        say(
            f"  {'':<10} p50 {ours.p50:5.0f} ms   p95 {ours.p95:5.0f} ms   p99 {ours.p99:5.0f} ms "
            f"(bar ≤ {bar_ms:.0f} ms {verdict(ours.p99 <= bar_ms)})   bare view p99 {reference.p99:.0f} ms, "
            f"ratio {serving.ratio(ours.p99, reference.p99)}   locust's send lag p99 {ours.lag_p99:.0f} ms"
        )
    pages = figures(trace, [], "staff pages", since, until)
    say(
        f"  staff pages {pages.planned:>5,} loads by {args.staff} people   p50 {pages.p50:.0f} ms"
        f"   p95 {pages.p95:.0f} ms   p99 {pages.p99:.0f} ms   errors {pages.errors} (no bar)"
    )
    say(
        f"  reference: the first {args.reference_seconds:.0f} s of the same plan (after {args.reference_warm_up:.0f} s)"
        " against a bare Django view that parses the body and answers 200, same gunicorn settings, no staff"
    )
    in_burst = args.burst_period / args.burst_peak
    phases = {True: [], False: []}  # type: dict[bool, list[float]]
    for call in trace.calls:
        if call.name == "identity" and since <= call.due - trace.start < until:
            phases[(call.due - trace.start) % args.burst_period < in_burst].append((call.done - call.due) * 1000)
    inside = stored["identity"]["latency_ms"]
    say(
        f"  where the identity tail is: p99 {serving.percentile(phases[True], 0.99):.0f} ms while walk-outs are due, "
        f"{serving.percentile(phases[False], 0.99):.0f} ms between bursts; the connector's own timing (view entry "
        f"to answer, its gate events) p50 {serving.percentile(inside, 0.5):.1f} ms, "
        f"p99 {serving.percentile(inside, 0.99):.1f} ms"
    )
    server_check(args, planned, app, stored)
    cpu(args, app)
    errors = app["log_errors"]
    say(f"  app log: {len(errors)} error lines" + "".join(f"\n    {line[:200]}" for line in errors[:3]))


def server_check(
    args: argparse.Namespace, planned: dict[str, list[Planned]], app: dict[str, Any], stored: dict[str, Any]
) -> None:
    """The rates as the app saw them: rows it wrote in the measured seconds, and every call of the
    run accounted for (a first call writes a row, a replay is counted on it)."""
    since, until = args.warm_up, args.warm_up + args.seconds
    for name, row in (("identity", "gate decisions"), ("purchases", "purchases")):
        firsts = sum(1 for call in planned[name] if call.kind != "replay" and since <= call.due < until)
        answered = sum(1 for call in app["trace"].calls if call.name == name and not call.error)
        found = stored[name]
        accounted = found["rows"] + found["replays"]
        say(
            f"  stored by the app: {found['window']:,} {row} in the measured {args.seconds:.0f} s "
            f"({found['window'] / args.seconds:.1f}/s; first-time calls due then {firsts:,}); whole run "
            f"{found['rows']:,} rows + {found['replays']:,} replays counted = {accounted:,} for {answered:,} calls "
            f"answered {serving.verdict(accounted == answered and abs(found['window'] - firsts) <= 0.01 * firsts)}"
        )


def cpu(args: argparse.Namespace, app: dict[str, Any]) -> None:
    """CPU of each part over the measured seconds, what limits first, and a second machine on paper."""
    start = app["trace"].start
    parts, busy, shares = app["sampler"].between(start + args.warm_up, start + args.warm_up + args.seconds)
    if not shares:
        return
    cores = os.cpu_count() or 1
    span = len(shares) * app["sampler"].interval
    parts["everything else"] = max(0.0, busy - sum(parts.values()))
    listed = ", ".join(
        f"{part} {seconds:.1f} s ({seconds / (cores * span):.0%})"
        for part, seconds in sorted(parts.items(), key=lambda item: -item[1])
    )
    saturated = sum(1 for share in shares if share >= 0.95) / len(shares)
    say(
        f"  CPU in the measured {span:.0f} s ({cores} cores = {cores * span:.0f} CPU-s): {listed}; machine "
        f"{busy / (cores * span):.0%} busy, ≥ 95 % busy in {saturated:.0%} of the half-seconds"
    )
    ours = {part: parts.get(part, 0.0) for part in ("gunicorn", "postgresql", "locust")}
    first = max(ours, key=lambda part: ours[part])
    others = ", ".join(f"{part} {seconds / span:.2f}" for part, seconds in ours.items() if part != first)
    say(
        f"  limits first: {first}, {ours[first] / span:.2f} cores of {cores} ({others});"
        + (" the machine is saturated while walk-outs are due, so calls queue for CPU" if saturated >= 0.1 else "")
    )
    web, database = parts.get("gunicorn", 0.0) / span, (parts.get("postgresql", 0.0) + parts.get("redis", 0.0)) / span
    target = 0.7 * cores  # each machine at 70 % busy, headroom for bursts
    alone = target / max(web + database, 1e-9)
    together = min(2 * target / max(web + database, 1e-9), target / max(database, 1e-9))
    say(
        f"  one more machine of workers (on paper, from these figures): this load needs {web:.2f} cores of gunicorn "
        f"and {database:.2f} of PostgreSQL + Redis, locust aside; one machine at 70 % busy carries {alone:.1f}× it, "
        f"two (gunicorn on both, PostgreSQL and Redis on the first, the gateway weighting calls to the second) "
        f"{together:.1f}× (≈ {together * args.entries:.0f} entries/s + {together * args.purchases:.0f} purchases/s), "
        f"PostgreSQL then {together * database:.2f} cores"
    )


# --- The overload step -----------------------------------------------------------------------------
# Locust plays Amazon, whose calls come from other machines and never wait for our CPU: in the
# overload step it runs before the servers (at 0 it sent calls up to 34 s late, and the step
# measured the generator).
GENERATOR_NICE = -5
AFTER_SECONDS = 10.0  # the normal rates after the burst; recovered if calls due from 5 s after it meet the bars
RECOVERY_SECONDS = 5.0
GATE_WAIT_MS = 2000.0  # Amazon's gate gives up then


def retry_pace() -> float:
    """Shed walk-outs asked back per second per web process, as the servers are configured."""
    from django.conf import settings

    return float(settings.JWO_PURCHASE_RETRIES_PER_SECOND)


def capacity(args: argparse.Namespace, app: dict[str, Any]) -> tuple[float, float]:
    """Calls/s this machine serves in the plan's mix, from the measured run: calls answered per
    CPU-second of nginx, gunicorn, PostgreSQL and Redis, times the cores. And the CPU-seconds per call."""
    start = app["trace"].start
    parts, _, _ = app["sampler"].between(start + args.warm_up, start + args.warm_up + args.seconds)
    used = sum(parts.get(part, 0.0) for part in ("nginx", "gunicorn", "postgresql", "redis"))
    answered = sum(
        1
        for call in app["trace"].calls
        if call.name in ("identity", "purchases") and args.warm_up <= call.due - start < args.warm_up + args.seconds
    )
    per_call = used / max(answered, 1)
    return (os.cpu_count() or 1) / max(per_call, 1e-9), per_call


def overload(
    args: argparse.Namespace, env: dict[str, str], workdir: Path, planned: dict[str, Any], app: dict[str, Any]
) -> None:
    """``--overload-factor`` × the capacity measured above for ``--overload-seconds``, the plan's
    identity : purchases mix, walk-outs spread evenly; then 10 s at the normal rates. Served as
    deployed: nginx in front (``deploy/nginx``: it stamps ``X-Request-Start``, bounds the identity
    pool's queue and answers the store-default 500 itself past its deadline), the Identity
    Connector on a gunicorn of its own."""
    from django.db import connections

    from orders.models import Purchase

    measured, per_call = capacity(args, app)
    total = args.overload_factor * measured
    share = args.entries / max(args.entries + args.purchases, 1e-9)
    rates = {"identity": total * share, "purchases": total * (1 - share)}
    burst, rng = args.overload_seconds, planned["rng"]
    identity: list[Planned] = []
    purchases: list[Planned] = []
    trips: list[str] = []
    for start, seconds, identity_rate, purchase_rate in (
        (0.0, burst, rates["identity"], rates["purchases"]),
        (burst, AFTER_SECONDS, args.entries, args.purchases),
    ):
        calls = gate.plan(round(identity_rate * seconds), identity_rate, planned["gate_seed"].shoppers, rng)
        identity += [
            Planned(start + n / identity_rate, c.kind, c.expected, c.body.decode()) for n, c in enumerate(calls)
        ]
        count = round(purchase_rate * seconds)
        exits = purchases_connector.plan(count, purchase_rate, planned["store_seed"], 20, rng, 0)
        purchases += [Planned(start + n / purchase_rate, c.kind, 201, c.body.decode()) for n, c in enumerate(exits)]
        trips += [c.trip for c in exits]
    connections.close_all()
    setup = json.loads((workdir / "app" / "setup.json").read_text())
    setup.update(
        overload=True,
        staff=0,
        length=burst + AFTER_SECONDS,
        gate_users=gate_users(rates["identity"]),
        # A user per trip: a walk-out waiting out its Retry-After holds its user, and with 3 s of
        # users the trips due later went out up to 45 s late (locust's send lag).
        walk_out_users=len(purchases),
        # Shed walk-outs come back at the pace Retry-After sets: the burst's whole share, at the
        # slowest, at JWO_PURCHASE_RETRIES_PER_SECOND per main-pool process, and a margin.
        retry_bound=60 + rates["purchases"] * burst / (args.workers * retry_pace()),
    )
    write_plan(workdir / "overload", setup, identity, purchases)
    say(
        f"· overload step: capacity {measured:.0f} calls/s in this mix ({per_call * 1000:.1f} ms of nginx, gunicorn, "
        f"PostgreSQL and Redis CPU per call, {os.cpu_count()} cores, measured in the run above); "
        f"{args.overload_factor:g}× = {rates['identity']:.0f} identity + {rates['purchases']:.0f} purchases/s "
        f"for {burst:.0f} s, then {args.entries:.0f} + {args.purchases:.0f}/s for {AFTER_SECONDS:.0f} s"
    )
    served = argparse.Namespace(**{**vars(args), "identity_workers": args.overload_identity_workers})
    result = measure(served, env, workdir, args.settings, "overload")
    connections.close_all()
    stored = Purchase.objects.filter(trip_id__in=trips).count()
    overload_report(args, result["trace"], identity, purchases, len(set(trips)), stored, burst)
    served_ms = [seconds * 1000 for seconds in nginx_seconds(result["nginx_timing"], "/v1/identity/identity-keys")]
    say(
        f"  nginx's own time   identity   {len(served_ms):,} calls, from nginx receiving each to its answer sent: "
        f"p50 {serving.percentile(served_ms, 0.5):.0f} ms, p99 {serving.percentile(served_ms, 0.99):.0f} ms, "
        f"max {max(served_ms, default=0):.0f} ms; over 2 s: {sum(1 for ms in served_ms if ms > GATE_WAIT_MS)} "
        "(the cross-check of the generator's time from being sent)"
    )
    overload_cpu(result, burst)


def overload_report(
    args: argparse.Namespace,
    trace: Trace,
    identity: list[Planned],
    purchases: list[Planned],
    trips: int,
    stored: int,
    burst: float,
) -> None:
    """The step's bars. Each call is timed from when the generator began it (Amazon's 2 s count from
    when Amazon sends the call); the generator's own lag (due → began) is printed apart, and the
    time from the due time as information."""
    verdict, pct = serving.verdict, serving.percentile
    gates = [call for call in trace.calls if call.name == "identity"]
    answers = ("", "store default 500")
    in_time = [call for call in gates if (call.done - call.sent) * 1000 <= GATE_WAIT_MS and call.error in answers]
    store_default = sum(1 for call in gates if call.error == "store default 500")
    missing = len(identity) - len(gates)
    sent_ms = [(call.done - call.sent) * 1000 for call in gates]
    due_ms = [(call.done - call.due) * 1000 for call in gates]
    lag_ms = [(call.sent - call.due) * 1000 for call in gates]
    others = Counter(call.error for call in gates if call.error not in answers)
    say(
        f"  overload identity  {len(identity):,} calls   answered within 2 s of being sent (as decided, or the "
        f"store-default 500) {len(in_time):,}, of them {store_default:,} store-default 500s; never answered "
        f"{missing}"
        + "".join(f"; {count} {error}" for error, count in others.most_common(3))
        + f"   (bar: every call {verdict(len(in_time) == len(identity))})"
    )
    say(
        f"  {'':<18} from being sent (the bar: Amazon's 2 s count from when it sends the call, here when the "
        f"generator opened the connection or wrote the request) p50 {pct(sent_ms, 0.5):.0f} ms, "
        f"p99 {pct(sent_ms, 0.99):.0f} ms, max {max(sent_ms, default=0):.0f} ms"
    )
    say(
        f"  {'':<18} the generator's lag (due → sent) p50 {pct(lag_ms, 0.5):.0f} ms, p99 {pct(lag_ms, 0.99):.0f} ms, "
        f"max {max(lag_ms, default=0):.0f} ms; from the due time (information, the lag included): "
        f"{sum(1 for ms in due_ms if ms <= GATE_WAIT_MS):,} within 2 s, p99 {pct(due_ms, 0.99):.0f} ms"
    )
    exits = [call for call in trace.calls if call.name == "purchases"]
    retried = sum(int(call.kind.split("+")[1]) for call in exits if "+" in call.kind)
    failed = sum(1 for call in exits if call.error)
    why = Counter(call.error for call in exits if call.error)
    say(
        f"  overload purchases {len(purchases):,} trips sent, {failed} not taken in the end, {retried:,} retries after "
        f"503 + Retry-After; stored {stored:,} purchases for {trips:,} trips   (bar: none lost or doubled "
        f"{verdict(stored == trips == len(purchases) and failed == 0 and len(exits) == len(purchases))})"
        + (f"; not taken: {', '.join(f'{count} {error}' for error, count in why.most_common(3))}" if why else "")
    )
    # Back to normal: the fresh calls (planned after the burst; the step plans no replays) due from
    # RECOVERY_SECONDS after it, each from being sent to its final answer (a fresh walk-out shed and
    # retried counts its whole wait), meet the normal bars. The burst's own shed walk-outs are not
    # fresh: they drain at the pace their Retry-After sets.
    for name, (bar_ms, _, _) in BARS.items():
        fresh = [
            call
            for call in trace.calls
            if call.name == name and burst + RECOVERY_SECONDS <= call.due - trace.start < burst + AFTER_SECONDS
        ]
        ms = [(call.done - call.sent) * 1000 for call in fresh]
        shed = sum(1 for call in fresh if "+" in call.kind)
        say(
            f"  after the burst    {name:<10} fresh calls due from {RECOVERY_SECONDS:.0f} s after it: {len(fresh):,}, "
            f"p99 {pct(ms, 0.99):.0f} ms from being sent to the final answer"
            + (f", {shed} shed and retried" if name == "purchases" else "")
            + f" (bar: back to normal, ≤ {bar_ms:.0f} ms {verdict(pct(ms, 0.99) <= bar_ms)})"
        )
    drained = [call for call in exits if call.due - trace.start < burst and "+" in call.kind]
    if drained:
        end = max(call.done for call in drained) - trace.start - burst
        burst_retries = sum(int(call.kind.split("+")[1]) for call in drained)
        pace = args.workers * retry_pace()
        say(
            f"  after the burst    the burst's {len(drained):,} shed walk-outs ({burst_retries:,} retries) were all "
            f"taken {end:.1f} s after it; Retry-After paces them at {args.workers} web processes × {retry_pace():g} "
            f"= {pace:g}/s (JWO_PURCHASE_RETRIES_PER_SECOND), {len(drained) / pace:.0f} s for these at the least "
            "(information: the drain, beside the fresh calls above)"
        )


def overload_cpu(result: dict[str, Any], burst: float) -> None:
    """Where the CPU went in the burst and in the recovery window: the two pools, PostgreSQL, the
    generator (locust, which plays Amazon and would be on another machine), and everyone else on
    this shared machine."""
    cores, start = os.cpu_count() or 1, result["trace"].start
    for label, since, until in (
        ("in the burst", 0.0, burst),
        ("recovery window", burst + RECOVERY_SECONDS, burst + AFTER_SECONDS),
    ):
        parts, busy, shares = result["sampler"].between(start + since, start + until)
        if not shares:
            continue
        span = len(shares) * result["sampler"].interval
        parts["everything else"] = max(0.0, busy - sum(parts.values()))
        listed = ", ".join(
            f"{part} {seconds / span:.2f}" for part, seconds in sorted(parts.items(), key=lambda item: -item[1])
        )
        say(f"  CPU {label} (cores of {cores}, {span:.0f} s): {listed}; machine {busy / (cores * span):.0%} busy")


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
