"""Capacity per core: the rate each connector serves with p99 ≤ 50 ms, and how many stores that is.

The README's capacity table comes from this run. On a database of its own (``jwo_bench_capacity``)
and Redis database 7: bench/gate.py's store (1,000 shoppers with cards) and bench/purchases's
store (10,000 products, 200 promotions, three tax codes). Two gunicorns with production settings,
``--workers`` sync workers each (2 × CPUs, as deployed): the connectors, and the bare Django view
that parses the same JSON body and answers 200 (the reference, same middleware).

For each of the Identity Connector (the gate bench's mix: 70 % new codes, 20 % replays, 10 %
forged), Create Purchases (20-line carts, 10 % replays) and the bare view, an open loop (bench/
serving.py's generator: call *i* due at t0 + i/rate, latency from the due time) runs for
``--step-seconds`` at rising rates — × ``--growth`` from ``--start-rate`` — until a step's p99
passes ``--p99-ms`` (50) or a call goes wrong; then the rate is bisected ``--bisections`` times
between the last step that held and the first that did not. The capacity is the highest rate that
held; per core, that divided by the CPUs of this machine (which also run PostgreSQL, Redis and the
generator, as one small host would).

Then the stores it serves: a store at its peak sends ``--store-entries`` gate calls and
``--store-purchases`` purchases per hour (600 each by default: a busy city store's lunch hour, one
trip every 6 s); one core serves ``1 / (entries/s ÷ identity per core + purchases/s ÷ purchases per
core)`` such stores. It is a measurement, not a test: it exits 0 whatever it finds.

    .venv/bin/python bench/capacity.py [--step-seconds 6] [--start-rate 40] [--growth 1.4]
        [--bisections 2] [--p99-ms 50] [--store-entries 600] [--store-purchases 600]
"""

# Imports inside functions: Django and the project's modules load after serving.django_setup(), which
# points Django at the bench's own database and Redis first.

import argparse
import os
import random
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import gate  # noqa: E402  (bench/ is on sys.path)
import purchases_connector  # noqa: E402
import serving  # noqa: E402
from serving import say  # noqa: E402

DB_NAME = "jwo_bench_capacity"
REDIS_DB = 7
MAX_RATE = 1500.0  # the generator's own ceiling on this machine is near: past it, it measures itself


@dataclass(frozen=True)
class Step:
    rate: float
    calls: int
    p99_ms: float
    errors: int

    def held(self, p99_bar: float) -> bool:
        return self.errors == 0 and self.p99_ms <= p99_bar


# A load: given a rate, send rate × seconds calls at it and return the step's figures.
Load = Callable[[float], Step]


def search(name: str, load: Load, args: argparse.Namespace) -> tuple[float, bool]:
    """Rising rates until one fails the bar, then bisection: the highest rate that held (0 if none),
    and whether a rate failed at all (if not, the capacity is at least that: the generator's ceiling)."""
    held, failed = 0.0, 0.0
    rate = args.start_rate
    while rate <= MAX_RATE:
        step = load(rate)
        say(f"  {name:<18} {rate:7.0f}/s  {step.calls:6,d} calls  p99 {step.p99_ms:8.1f} ms  errors {step.errors}")
        if not step.held(args.p99_ms):
            failed = rate
            break
        held = rate
        rate *= args.growth
    for _ in range(args.bisections if failed else 0):
        rate = (held + failed) / 2
        step = load(rate)
        say(f"  {name:<18} {rate:7.0f}/s  {step.calls:6,d} calls  p99 {step.p99_ms:8.1f} ms  errors {step.errors}")
        if step.held(args.p99_ms):
            held = rate
        else:
            failed = rate
    return held, failed > 0


def identity_load(server: serving.Server, seeded: gate.Seed, args: argparse.Namespace, *, bare: bool) -> Load:
    rng = random.Random(args.seed)

    def run(rate: float) -> Step:
        from django.db import connections

        calls = gate.plan(round(rate * args.step_seconds), rate, seeded.shoppers, rng)
        connections.close_all()
        results = gate.open_loop(server, calls, rate, seeded, bare=bare)
        serving.drain(server, {}, 10.0)
        time.sleep(1.0)
        timing = serving.timing(results)
        return Step(rate, timing.count, timing.p99_ms, sum(1 for result in results if not result.ok))

    return run


def purchases_load(server: serving.Server, seeded: purchases_connector.Seed, args: argparse.Namespace) -> Load:
    rng = random.Random(args.seed)

    def run(rate: float) -> Step:
        count = round(rate * args.step_seconds)
        calls = purchases_connector.plan(count, rate, seeded, 20, rng, purchases_connector.REPLAY_SHARE)
        results = purchases_connector.check_replays(purchases_connector.load(server, calls, seeded, rate, bare=False))
        serving.drain(server, {}, 10.0)
        time.sleep(1.0)
        timing = serving.timing(results)
        return Step(rate, timing.count, timing.p99_ms, sum(1 for result in results if result.error))

    return run


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--step-seconds", type=float, default=6.0, help="each rate's open loop (default 6)")
    parser.add_argument("--start-rate", type=float, default=40.0)
    parser.add_argument("--growth", type=float, default=1.4, help="rate × this after a step that held")
    parser.add_argument("--bisections", type=int, default=2)
    parser.add_argument("--p99-ms", type=float, default=50.0, help="the bar a rate must hold (default 50)")
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1), help="gunicorn workers (2 × CPUs)")
    parser.add_argument("--store-entries", type=float, default=600.0, help="gate calls per hour, a store's peak")
    parser.add_argument("--store-purchases", type=float, default=600.0, help="purchases per hour, a store's peak")
    parser.add_argument("--seed", type=int, default=20261207)
    args = parser.parse_args(argv)
    if args.step_seconds <= 0 or args.start_rate <= 0 or args.growth <= 1 or args.p99_ms <= 0:
        parser.error("--step-seconds, --start-rate and --p99-ms must be positive, --growth above 1")
    return args


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    env = serving.production_env(serving.services(), DB_NAME, REDIS_DB)
    serving.django_setup(env)
    from django.db import connections  # here: Django is set up above, with the bench's environment

    cores = os.cpu_count() or 1
    with serving.bench_database(env) as migrated, tempfile.TemporaryDirectory(prefix="jwo-bench-capacity-") as temp:
        say(f"setup: {DB_NAME} migrated with production settings in {migrated:.1f} s")
        gate_seed = gate.seed(1000)
        shop_seed = purchases_connector.seed(10_000, random.Random(args.seed))
        connections.close_all()
        say("setup: gate store (1,000 shoppers) and purchases store (10,000 products, 200 promotions) seeded")
        say(
            f"capacity: the highest open-loop rate with p99 ≤ {args.p99_ms:.0f} ms and no error, "
            f"{args.step_seconds:.0f} s per rate; gunicorn {args.workers} sync workers, production settings, "
            f"{cores} CPUs"
        )
        with serving.connector_and_bare(env, Path(temp), args.workers) as (connector, bare):
            # Warm-up, one call at a time: every worker imports its views and opens its connections.
            rng = random.Random(args.seed + 1)
            for server in (connector, bare):
                gate.one_at_a_time(server, gate.plan(60, 50.0, gate_seed.shoppers, rng), gate_seed, bare=server is bare)
            purchases_connector.load(
                connector, purchases_connector.plan(30, 50.0, shop_seed, 20, rng, 0.0), shop_seed, None, bare=False
            )
            connections.close_all()
            identity, _ = search("identity", identity_load(connector, gate_seed, args, bare=False), args)
            purchases, _ = search("create purchases", purchases_load(connector, shop_seed, args), args)
            reference, bounded = search("bare view", identity_load(bare, gate_seed, args, bare=True), args)
    report(args, cores, identity, purchases, reference, bounded)
    return 0


def report(
    args: argparse.Namespace, cores: int, identity: float, purchases: float, reference: float, bounded: bool
) -> None:
    """The table; ``bounded``: the bare view failed a rate (else its figure, and the ratios, are
    bounds: it held at the generator's ceiling)."""
    entries_s, purchases_s = args.store_entries / 3600, args.store_purchases / 3600
    at_least = "" if bounded else "≥"
    at_most = "" if bounded else "≤"
    say()
    say(f"capacity at p99 ≤ {args.p99_ms:.0f} ms, {cores} CPUs (PostgreSQL, Redis and the load generator on them too)")
    say("  connector          calls/s   per core   bare view per core   ratio")
    for name, rate in (("Identity Connector", identity), ("Create Purchases", purchases)):
        say(
            f"  {name:<18} {rate:7.0f}   {rate / cores:8.0f}   {at_least:>2}{reference / cores:16.0f}   "
            f"{at_most}{serving.ratio(rate, reference)}"
        )
    if identity > 0 and purchases > 0:
        share = entries_s / (identity / cores) + purchases_s / (purchases / cores)
        say(
            f"  stores at their peak ({args.store_entries:.0f} entries + {args.store_purchases:.0f} purchases an hour) "
            f"served per core: {1 / share:.0f}; by this machine: {cores / share:.0f}"
        )


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
