"""The load test: a peak hour of one store against gunicorn with production settings (``make load``).

What it does: a database of its own on the throwaway PostgreSQL, migrated with production
settings; the gate bench's store with 1,000 shoppers and the purchases bench's store with 10,000
products and 200 promotions (``bench/gate.py``, ``bench/purchases_connector.py``); identity bodies
with codes issued by the real service (70 % new, 20 % replays, 10 % forged, as the gate bench),
20-line carts (10 % replays); a staff user. Then gunicorn (4 sync workers: two per core, the
usual rule for CPU-bound Django) and locust, headless on loopback (``bench/locustfile.py``): 8
gates at 100 entries/s in all, walk-outs in bursts at 30 purchases/s on average, two staff
browsing; ``--seconds`` (60) after a 10 s warm-up. Then the same identity mix against a bare
Django JSON view on the same gunicorn settings for ``--reference-seconds`` (20), the reference.

It prints p50/p95/p99, requests/s and errors per endpoint beside the bars (Identity Connector
p99 ≤ 100 ms, Create Purchases p99 ≤ 250 ms, no errors, 100 entries/s + 30 purchases/s
sustained), what the server stored (gate events, purchases), and the CPU each part used (gunicorn,
PostgreSQL, Redis, locust) — which tells what limits it first. A bar that fails still exits 0.

    .venv/bin/python bench/load.py [--seconds 60] [--reference-seconds 20] [--workers 4]
"""

import argparse
import csv
import json
import os
import random
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import gate  # noqa: E402  (bench/ is on sys.path)
import purchases_connector  # noqa: E402

DB_NAME = "jwo_bench_load"
REDIS_DB = 5
WARM_UP = 10
ENTRY_RATE, PURCHASE_RATE = 100.0, 30.0
BARS_MS = {"identity": 100.0, "purchases": 250.0}
TICKS = os.sysconf("SC_CLK_TCK")


def say(text: str = "") -> None:
    print(text, flush=True)


def environment() -> dict[str, str]:
    found = gate.services()
    env = gate.production_env(found)
    database = urlunsplit(urlsplit(found["DATABASE_URL"])._replace(path=f"/{DB_NAME}"))
    redis_url = urlunsplit(urlsplit(found["REDIS_URL"])._replace(path=f"/{REDIS_DB}"))
    env.update(DATABASE_URL=database, REDIS_URL=redis_url, CELERY_BROKER_URL=redis_url)
    return env


def prepare(workdir: Path, seconds: float) -> dict[str, str]:
    """Seed, and write the bodies and the setup locust reads."""
    from django.core.cache import cache
    from django.core.management import call_command

    from jwo_admin.core.roles import VIEWER
    from jwo_admin.core.services import staff_user_create

    call_command("migrate", verbosity=0, interactive=False)
    cache.clear()
    rng = random.Random(20261124)  # noqa: S311 - a reproducible load, not security
    gate_seed = gate.seed(1000)
    entries = gate.plan(round(ENTRY_RATE * (seconds + WARM_UP) * 1.1), ENTRY_RATE, gate_seed.shoppers, rng)
    store_seed = purchases_connector.seed(10_000, rng)
    exits = purchases_connector.plan(
        round(PURCHASE_RATE * (seconds + WARM_UP) * 1.2), PURCHASE_RATE, store_seed, 20, rng, 0.10
    )
    password = secrets.token_urlsafe(16)
    staff_user_create(username="load-staff", password=password, role=VIEWER)
    (workdir / "identity.jsonl").write_text("".join(call.body.decode() + "\n" for call in entries))
    (workdir / "purchases.jsonl").write_text("".join(call.body.decode() + "\n" for call in exits))
    setup = {
        "header": gate_seed.key_header,
        "gate_key": gate_seed.connector_key,
        "exit_key": store_seed.key,
        "staff_user": "load-staff",
        "staff_password": password,
    }
    (workdir / "setup.json").write_text(json.dumps(setup))
    return {"identity": str(len(entries)), "purchases": str(len(exits))}


def cpu_seconds(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12]) + int(fields[13]) + int(fields[14])  # utime stime cutime cstime
        except (OSError, IndexError, ValueError):
            continue
    return total / TICKS


def pids_of(pattern: str) -> list[int]:
    found = subprocess.run(["pgrep", "-f", pattern], capture_output=True, text=True, check=False).stdout  # noqa: S607
    return [int(pid) for pid in found.split()]


def group_pids(leader: int) -> list[int]:
    found = subprocess.run(["pgrep", "-g", str(leader)], capture_output=True, text=True, check=False).stdout  # noqa: S607
    return [int(pid) for pid in found.split()] or [leader]


def run_locust(host: str, workdir: Path, seconds: float, prefix: str, classes: list[str]) -> tuple[Path, float]:
    """Headless locust for ``seconds``; returns its stats CSV and the CPU seconds locust used."""
    command = [
        sys.executable, "-m", "locust", "-f", str(ROOT / "bench" / "locustfile.py"), "--headless",
        "--host", host, "--users", "24", "--spawn-rate", "24", "--run-time", f"{int(seconds)}s",
        "--csv", str(workdir / prefix), "--only-summary", "--loglevel", "WARNING", *classes,
    ]  # fmt: skip
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and bench files
        command, cwd=ROOT, env={**os.environ, "JWO_LOAD_DIR": str(workdir)}, stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    used = 0.0
    while process.poll() is None:
        used = max(used, cpu_seconds([process.pid]))
        time.sleep(0.5)
    if process.returncode not in (0, 1):  # 1: some requests failed, reported below
        raise SystemExit(f"load: locust failed:\n{(process.stderr.read() if process.stderr else '')[-2000:]}")
    return workdir / f"{prefix}_stats.csv", used


def read_failures(path: Path) -> list[str]:
    """Locust's failure table: how many of each, per endpoint."""
    failures = path.with_name(path.name.replace("_stats.csv", "_failures.csv"))
    if not failures.exists():
        return []
    with failures.open() as handle:
        return [f"{row['Name']}: {row['Error']} ×{row['Occurrences']}" for row in csv.DictReader(handle)]


def read_stats(path: Path) -> dict[str, dict[str, float]]:
    rows = {}
    with path.open() as handle:
        for row in csv.DictReader(handle):
            rows[row["Name"]] = {
                "count": float(row["Request Count"]),
                "failures": float(row["Failure Count"]),
                "rps": float(row["Requests/s"]),
                "p50": float(row["50%"] or 0),
                "p95": float(row["95%"] or 0),
                "p99": float(row["99%"] or 0),
            }
    return rows


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--reference-seconds", type=float, default=20.0)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=1, help="per worker; above 1, gthread workers")
    parser.add_argument(
        "--identity-workers",
        type=int,
        default=0,
        help="give the Identity Connector a gunicorn of its own with this many workers (the gateway routes "
        "/v1/identity there), so checkout bursts never queue ahead of a gate",
    )
    args = parser.parse_args(argv)
    env = environment()
    os.environ.update(env)
    import django

    django.setup()
    from django.db import connections

    from entry.models import GateEvent
    from orders.models import Purchase

    gate.maintenance(env["DATABASE_URL"], f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
    gate.maintenance(env["DATABASE_URL"], f"CREATE DATABASE {DB_NAME}")
    try:
        with tempfile.TemporaryDirectory(prefix="jwo-load-") as temp:
            workdir = Path(temp)
            started = time.perf_counter()
            planned = prepare(workdir, args.seconds)
            connections.close_all()
            say(
                f"· seeded and planned in {time.perf_counter() - started:.0f} s: {planned['identity']} identity "
                f"bodies, {planned['purchases']} purchase bodies"
            )
            app = gate.Server("app", "jwo_admin.settings.production", args.workers, workdir / "app.log")
            bare = gate.Server("bare", "bench.gate_bare_settings", args.workers, workdir / "bare.log")
            app.threads = bare.threads = args.threads
            pools = [app]
            if args.identity_workers:
                pools.append(
                    gate.Server("identity", "jwo_admin.settings.production", args.identity_workers, workdir / "id.log")
                )
            with tempfile.TemporaryDirectory(prefix="jwo-metrics-") as metrics:
                os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics
                servers = [*(gate.start_server(pool, env) for pool in pools), gate.start_server(bare, env)]
                with gate.running(servers):
                    for server in servers:
                        gate.wait_ready(server)
                    web = [pid for pool in pools if pool.process for pid in group_pids(pool.process.pid)]
                    if len(pools) > 1:
                        os.environ["JWO_LOAD_IDENTITY_HOST"] = f"http://{gate.HOST}:{pools[1].port}"
                    before = {
                        "gunicorn": cpu_seconds(web),
                        "postgresql": cpu_seconds(pids_of("postgres")),
                        "redis": cpu_seconds(pids_of("redis-server")),
                    }
                    events_before, purchases_before = GateEvent.objects.count(), Purchase.objects.count()
                    connections.close_all()
                    ran = time.perf_counter()
                    stats_path, locust_cpu = run_locust(
                        f"http://{gate.HOST}:{app.port}", workdir, args.seconds + WARM_UP, "app", []
                    )
                    wall = time.perf_counter() - ran
                    used = {
                        "gunicorn": cpu_seconds(web) - before["gunicorn"],
                        "postgresql": cpu_seconds(pids_of("postgres")) - before["postgresql"],
                        "redis": cpu_seconds(pids_of("redis-server")) - before["redis"],
                        "locust": locust_cpu,
                    }
                    stored = {
                        "gate events": GateEvent.objects.count() - events_before,
                        "purchases": Purchase.objects.count() - purchases_before,
                    }
                    inside = sorted(
                        GateEvent.objects.order_by("pk")[events_before:].values_list("latency_ms", flat=True)
                    )
                    connections.close_all()
                    os.environ.pop("JWO_LOAD_IDENTITY_HOST", None)
                    gate.drain(app, env, 10.0)
                    reference_path, _ = run_locust(
                        f"http://{gate.HOST}:{bare.port}", workdir, args.reference_seconds, "bare", ["Gate"]
                    )
                    errors = [line for pool in pools for line in gate.log_errors(pool)]
            report(args, read_stats(stats_path), read_stats(reference_path), used, wall, stored, errors)
            if inside:
                say(
                    f"  the Identity Connector's own timing (view entry to answer, gate events): p50 "
                    f"{inside[len(inside) // 2]:.0f} ms, p99 {inside[int(len(inside) * 0.99)]:.0f} ms; the rest of "
                    "the client's latency is spent before the view starts (a free worker, the middleware)"
                )
            for failure in read_failures(stats_path)[:10]:
                say(f"  failed: {failure}")
    finally:
        connections.close_all()
        gate.maintenance(env["DATABASE_URL"], f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
    return 0


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def report(
    args: argparse.Namespace,
    stats: dict[str, dict[str, float]],
    reference: dict[str, dict[str, float]],
    used: dict[str, float],
    wall: float,
    stored: dict[str, int],
    errors: list[str],
) -> None:
    say()
    say(
        f"load — gunicorn {args.workers} workers × {args.threads} threads"
        + (f" + {args.identity_workers} for the Identity Connector" if args.identity_workers else "")
        + ", production settings, PostgreSQL, "
        f"Redis; locust on the same 2 cores; {args.seconds:.0f} s after a {WARM_UP} s warm-up (figures cover both)"
    )
    bare = reference.get("identity", {})
    for name, rate in (("identity", ENTRY_RATE), ("purchases", PURCHASE_RATE), ("staff pages", None)):
        row = stats.get(name)
        if row is None:
            say(f"  {name:<12} no calls")
            continue
        bar = BARS_MS.get(name)
        line = (
            f"  {name:<12} {row['count']:>6.0f} calls  {row['rps']:6.1f}/s  p50 {row['p50']:5.0f} ms  "
            f"p95 {row['p95']:5.0f} ms  p99 {row['p99']:5.0f} ms  errors {row['failures']:.0f}"
        )
        if bar is not None:
            line += f"   bar p99 ≤ {bar:.0f} ms {verdict(row['p99'] <= bar)}, errors 0 {verdict(not row['failures'])}"
        if rate is not None:
            line += f", ≥ {rate:.0f}/s {verdict(row['rps'] >= rate)}"
        say(line)
    if bare:
        ours = stats.get("identity", {})
        say(
            f"  reference: a bare Django JSON view, same gunicorn, the gates alone for {args.reference_seconds:.0f} s: "
            f"p50 {bare['p50']:.0f} ms, p99 {bare['p99']:.0f} ms, {bare['rps']:.1f}/s; identity p99 ratio "
            f"{ours.get('p99', 0) / max(bare['p99'], 1):.1f}"
        )
    say(f"  stored by the app: {stored['gate events']} gate events, {stored['purchases']} purchases (replays excluded)")
    total = sum(used.values())
    shares = ", ".join(f"{name} {seconds:.0f} s ({seconds / (2 * wall):.0%})" for name, seconds in used.items())
    say(f"  CPU over {wall:.0f} s on 2 cores: {shares}; all {total / (2 * wall):.0%} of the machine")
    busiest = max(used, key=lambda name: used[name])
    say(f"  limits first: {busiest} ({used[busiest]:.0f} CPU-seconds)")
    say(f"  app log: {len(errors)} error lines" + "".join(f"\n    {line[:200]}" for line in errors[:3]))


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
