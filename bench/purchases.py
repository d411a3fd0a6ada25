"""Purchases benchmark: (a) the pricing engine alone, in memory; (b) the Create Purchases connector.

What is measured: ``orders.pricing.engine.cart_price`` on random 50-line carts (a fixed seed; one
product in ten is sold by weight, kg or lb) in a synthetic store of 100,000 products (250
categories, 2,000 brands, three tax codes) with 200 promotions, all active at the moment priced:
60 percent off, 30 amount off, 30 fixed price, 30 multi-buy, 30 buy X get Y and 20 spend-and-save.
Line promotions target a SKU list (half of them), a category or a few brands; one spend-and-save
is on the whole basket (every cart reaches it, so every cart gets 50 allocated basket discounts),
the others on a SKU list, category or brand. A tenth are exclusive; their windows use dates,
days of week and times of day. Plain frozen dataclasses: no database, no Django setup.

Two figures:

* **store index** — the store's ``PromotionIndex`` built once (when its promotions are loaded) and
  reused for every cart, as the Create Purchases connector is to run it. Held to the bar.
* **promotion list** — ``cart_price`` given the plain list, so every call matches the 200
  promotions against the cart (nothing cached at all); shown beside it.
* **floor** — the least any pricing does, on the same carts in the same run: a bare loop that
  multiplies each line's shelf price by its quantity and sums them in ``Decimal``. The store-index
  figure is printed as a ratio of it too (``× floor``), which the machine's load changes far less
  than the rate itself. Every cart must price the same from the index and from the list (a
  correctness check); the SHA-256 of every cart's ``repr`` is printed, so two runs (before and
  after a change to the engine) can be compared digit for digit. The engine's rules are held to
  recorded results by ``tests/orders/test_pricing_equivalence.py``.

Rates are carts per CPU-second of this process — the machine is shared, and CPU time is what the
engine itself costs; wall-clock rates are printed too — the median of ``--rounds`` rounds of
``--carts`` carts, with the slowest and fastest round. Bar (issue 20): (a) ≥ 10,000 carts/s
(the orders issue's was 2,000).

Part (b), ``POST /v1/order/purchases`` under gunicorn with production settings, PostgreSQL and
Redis, at a fixed 100 requests/s for 30 s with 20-line carts, against a bare Django JSON view in
the same run (bar: p99 ≤ 30 ms on a quiet machine, no errors; closed-loop throughput beside it): see
``bench/purchases_connector.py``. It runs after (a) unless ``--skip-connector``; without
PostgreSQL/Redis (``make bench`` starts them, else ``scripts/services.sh start`` is tried) or wrk
it says so and is skipped. It is a measurement, not a test: a bar that fails still exits 0; a
failed correctness check (a cart whose lines do not add up, index and list pricing differently)
exits 1.

    .venv/bin/python bench/purchases.py [--carts 2000] [--rounds 3] [--seed 20250603]
        [--profile N] [--skip-connector] [--rate 100] [--seconds 30] [--lines 20] [--products 10000]
"""

import argparse
import cProfile
import gc
import hashlib
import io
import os
import platform
import pstats
import random
import statistics
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from datetime import time as clock
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import purchases_connector  # noqa: E402  (bench/ is on sys.path: the script's directory)

from orders.pricing.engine import cart_price  # noqa: E402
from orders.pricing.promotions import PromotionIndex  # noqa: E402
from orders.pricing.types import (  # noqa: E402
    CartLine,
    PricedCart,
    PricedProduct,
    Promotion,
    PromotionKind,
    SaleUnit,
    StorePricing,
)

PRODUCTS = 100_000
LINES_PER_CART = 50
MIN_CARTS_PER_S = 10_000  # the bar, part (a) (issue 20)
WHOLE_BASKET_PROMOTIONS = 1  # of the spend-and-saves; each discounts all 50 lines of nearly every cart

CATEGORIES = [f"Category {n:03d}" for n in range(250)]  # 400 products each
BRANDS = [f"Brand {n:04d}" for n in range(2_000)]  # 50 products each
WEIGHT_UNITS = [SaleUnit.KG, SaleUnit.LB]
# Tuesday 3 June 2025, 10:31 in New York: inside every promotion's window below.
AT = datetime(2025, 6, 3, 14, 31, 47, tzinfo=UTC)
STORE = StorePricing(
    store_id="BENCH-STORE",
    currency="USD",
    prices_include_tax=False,
    time_zone="America/New_York",
    tax_rates={"STD": Decimal("0.0875"), "REDUCED": Decimal("0.02")},
    exempt_tax_codes=frozenset({"FOOD"}),
)

# How many of the 200 promotions are of each kind.
KIND_COUNTS = {
    PromotionKind.PERCENT_OFF: 60,
    PromotionKind.AMOUNT_OFF: 30,
    PromotionKind.FIXED_PRICE: 30,
    PromotionKind.MULTI_BUY: 30,
    PromotionKind.BUY_X_GET_Y: 30,
    PromotionKind.SPEND_AND_SAVE: 20,
}
PROMOTIONS = sum(KIND_COUNTS.values())


def say(text: str) -> None:
    print(text, flush=True)


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def money(rng: random.Random, low_cents: int, high_cents: int) -> Decimal:
    return Decimal(rng.randint(low_cents, high_cents)).scaleb(-2)


# --- The synthetic store (untimed) ----------------------------------------------------------------


def make_products(rng: random.Random) -> list[PricedProduct]:
    products = []
    for n in range(PRODUCTS):
        is_weight = n % 10 == 0
        products.append(
            PricedProduct(
                sku=f"SKU-{n:06d}",
                price=money(rng, 25, 2500),
                unit=rng.choice(WEIGHT_UNITS) if is_weight else SaleUnit.EACH,
                tax_code=rng.choice(["STD", "STD", "REDUCED", "FOOD"]),
                category=rng.choice(CATEGORIES),
                subcategory="",
                brand=rng.choice(BRANDS),
                name=f"Product {n}",
            )
        )
    return products


def make_targets(rng: random.Random, products: Sequence[PricedProduct]) -> dict[str, Any]:
    """Half by SKU list (10-200 SKUs), a quarter by category, a quarter by brand (1-3 brands)."""
    by = rng.random()
    if by < 0.5:
        return {"skus": frozenset(item.sku for item in rng.sample(products, rng.randint(10, 200)))}
    if by < 0.75:
        return {"categories": frozenset({rng.choice(CATEGORIES)})}
    return {"brands": frozenset(rng.sample(BRANDS, rng.randint(1, 3)))}


def make_window(rng: random.Random) -> dict[str, Any]:
    """Every window contains AT: dated, on Tuesdays, in the morning, or overnight into Tuesday."""
    window: dict[str, Any] = {}
    shape = rng.randrange(4)
    if shape >= 1:
        window.update(starts_at=datetime(2025, 5, 1, tzinfo=UTC), ends_at=datetime(2025, 7, 1, tzinfo=UTC))
    if shape == 2:
        window.update(days_of_week=frozenset({0, 1, 2, 3, 4}), time_from=clock(8), time_to=clock(20))
    if shape == 3:
        window.update(days_of_week=frozenset({1}))
    return window


def make_promotions(rng: random.Random, products: Sequence[PricedProduct]) -> list[Promotion]:
    promotions: list[Promotion] = []
    for kind, count in KIND_COUNTS.items():
        for position in range(count):
            fields: dict[str, Any] = {
                "priority": rng.randint(0, 5),
                "is_exclusive": rng.random() < 0.1,
                **make_window(rng),
            }
            if kind is PromotionKind.SPEND_AND_SAVE:
                # A couple on the whole basket (spend 50-150), the others on a SKU list, category or brand (spend 5-20).
                if position < WHOLE_BASKET_PROMOTIONS:
                    fields["minimum_spend"] = money(rng, 5000, 15000)
                else:
                    fields.update(make_targets(rng, products))
                    fields["minimum_spend"] = money(rng, 500, 2000)
                if rng.random() < 0.5:
                    fields["amount"] = money(rng, 100, 1000)
                else:
                    fields["percent"] = Decimal(rng.choice([5, 10, 15]))
            else:
                fields.update(make_targets(rng, products))
                if kind is PromotionKind.PERCENT_OFF:
                    fields["percent"] = Decimal(rng.choice(["5", "10", "12.5", "20", "25", "33", "50"]))
                elif kind is PromotionKind.AMOUNT_OFF:
                    fields["amount"] = money(rng, 10, 300)
                elif kind is PromotionKind.FIXED_PRICE:
                    fields["amount"] = money(rng, 99, 999)
                elif kind is PromotionKind.MULTI_BUY:
                    fields.update(buy_quantity=rng.randint(2, 4), amount=money(rng, 200, 1500))
                else:
                    fields.update(buy_quantity=rng.randint(1, 3), get_quantity=rng.randint(1, 2))
                    if rng.random() < 0.3:
                        fields["percent"] = Decimal(50)
            identifier = len(promotions) + 1
            promotions.append(Promotion(id=identifier, name=f"{kind} #{identifier}", kind=kind, **fields))
    return promotions


def make_carts(rng: random.Random, products: Sequence[PricedProduct], count: int) -> list[list[CartLine]]:
    carts = []
    for _ in range(count):
        lines = []
        for number, item in enumerate(rng.sample(products, LINES_PER_CART), 1):
            if item.unit is SaleUnit.EACH:
                quantity = Decimal(rng.choice([1, 1, 1, 1, 2, 2, 3, 4, 6]))
            else:
                quantity = Decimal(rng.randint(100, 2500)).scaleb(-3)  # 0.100 to 2.500 kg (lb)
            lines.append(CartLine(f"li-{number}", item, quantity))
        carts.append(lines)
    return carts


# --- Measurement ----------------------------------------------------------------------------------


def measure(
    carts: Sequence[Sequence[CartLine]], promotions: Any, rounds: int, price: Any = cart_price
) -> list[tuple[float, float]]:
    """(carts per CPU second, carts per wall second) of each round; ``price``: the engine (or the floor)."""
    for lines in carts[:50]:  # warm-up
        price(lines=lines, store=STORE, promotions=promotions, at=AT)
    rates = []
    for _ in range(rounds):
        cpu_started, wall_started = time.process_time(), time.perf_counter()
        for lines in carts:
            price(lines=lines, store=STORE, promotions=promotions, at=AT)
        cpu, wall = time.process_time() - cpu_started, time.perf_counter() - wall_started
        rates.append((len(carts) / cpu, len(carts) / wall))
    return rates


def floor_price(*, lines: Sequence[CartLine], store: StorePricing, promotions: Any, at: datetime) -> Decimal:
    """The floor: each line's shelf price × its quantity, summed in ``Decimal`` (no rounding, no promotion)."""
    total = Decimal(0)
    for line in lines:
        total += line.product.price * line.quantity
    return total


def check(carts: Sequence[Sequence[CartLine]], promotions: Sequence[Promotion], index: PromotionIndex) -> list[str]:
    """Every cart adds up and prices the same from the list and from the index; promotions do apply."""
    failures = []
    line_discounted = basket_discounts = applied = 0
    digest = hashlib.sha256()
    for number, lines in enumerate(carts):
        cart: PricedCart = cart_price(lines=lines, store=STORE, promotions=index, at=AT)
        text = repr(cart)
        if text != repr(cart_price(lines=lines, store=STORE, promotions=promotions, at=AT)):
            failures.append(f"cart {number}: the store index priced it differently from the list")
        digest.update(text.encode())
        if cart.total != sum((line.total for line in cart.lines), Decimal(0)) or cart.total != (
            cart.subtotal - cart.discount_total + cart.tax_total
        ):
            failures.append(f"cart {number}: lines do not add up to {cart.total}")
        if any(line.net < 0 for line in cart.lines):
            failures.append(f"cart {number}: a negative line")
        for line in cart.lines:
            kinds = [discount.kind for discount in line.discounts]
            line_discounted += any(kind is not PromotionKind.SPEND_AND_SAVE for kind in kinds)
            basket_discounts += kinds.count(PromotionKind.SPEND_AND_SAVE)
        applied += len(cart.promotions)
    if not line_discounted:
        failures.append("no line promotion discounted any line: the benchmark measures nothing")
    count = len(carts)
    say(
        f"· checked {count:,} carts; per cart on average: {line_discounted / count:.1f} lines with a line "
        f"promotion, {basket_discounts / count:.1f} basket discounts, {applied / count:.1f} promotions applied; "
        f"results sha256 {digest.hexdigest()[:16]}"
    )
    return failures


def profile(carts: Sequence[Sequence[CartLine]], index: PromotionIndex, top: int) -> None:
    """cProfile over one round of the store-index figure (after a warm-up round): the top frames."""
    measure(carts, index, 1)
    profiler = cProfile.Profile()
    profiler.enable()
    for lines in carts:
        cart_price(lines=lines, store=STORE, promotions=index, at=AT)
    profiler.disable()
    for order in ("tottime", "cumulative"):
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats(order).print_stats(top)
        say(f"-- by {order} --")
        say("\n".join(row.replace(str(ROOT) + "/", "") for row in out.getvalue().splitlines()[4:] if row.strip()))


def report(
    carts: int,
    rounds: int,
    by_index: list[tuple[float, float]],
    by_list: list[tuple[float, float]],
    floor: list[tuple[float, float]],
) -> None:
    say("")
    say(
        f"results: {carts:,} carts × {rounds} rounds, {LINES_PER_CART} lines each, {PRODUCTS:,} products, "
        f"{PROMOTIONS} active promotions, Python {platform.python_version()}, {os.cpu_count()} CPUs"
    )
    floor_cpu = statistics.median(rate for rate, _ in floor)
    for label, rates in (("store index   ", by_index), ("promotion list", by_list), ("floor         ", floor)):
        cpu = statistics.median(rate for rate, _ in rates)
        wall = statistics.median(rate for _, rate in rates)
        line = (
            f"(a) engine, {label} {cpu:>7,.0f} carts/s   {1000 / cpu:.2f} ms per cart   rounds "
            f"{min(rate for rate, _ in rates):,.0f}-{max(rate for rate, _ in rates):,.0f}   wall {wall:,.0f} carts/s"
        )
        if rates is by_index:
            ratio = cpu / MIN_CARTS_PER_S
            line += f"   bar ≥ {MIN_CARTS_PER_S:,} carts/s   ratio {ratio:.2f}   {verdict(cpu >= MIN_CARTS_PER_S)}"
            line += f"   × floor {cpu / floor_cpu:.3f}"
        elif rates is by_list:
            line += "   (no bar: the 200 promotions matched against each cart, nothing cached)"
        else:
            line += "   (price × quantity summed in Decimal, nothing else: same carts, same run)"
        say(line)


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--carts", type=int, default=2_000, help="carts per round (default 2000)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds per figure (default 3)")
    parser.add_argument("--seed", type=int, default=20250603, help="random seed (default 20250603)")
    parser.add_argument(
        "--profile",
        type=int,
        default=0,
        metavar="N",
        help="profile one round of the store-index figure with cProfile, print its top N frames by self and "
        "by cumulative time, and stop (bench/profiles/pricing.txt)",
    )
    purchases_connector.add_arguments(parser)
    args = parser.parse_args(argv)
    if args.carts < 50 or args.rounds < 1:
        parser.error("--carts must be at least 50 and --rounds at least 1")
    return args


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    rng = random.Random(args.seed)
    started = time.perf_counter()
    products = make_products(rng)
    promotions = make_promotions(rng, products)
    carts = make_carts(rng, products, args.carts)
    index = PromotionIndex(promotions)
    say(
        f"· generated {len(products):,} products, {len(promotions)} promotions and {len(carts):,} carts of "
        f"{LINES_PER_CART} lines in {time.perf_counter() - started:.1f} s (not measured)"
    )
    if args.profile:
        profile(carts, index, args.profile)
        return 0
    failures = check(carts, promotions, index)
    # The synthetic store stays alive for the whole run, as a worker's startup heap would: keep the
    # cyclic collector from rescanning its 100,000 products on every collection.
    gc.collect()
    gc.freeze()
    for failure in failures:
        say(f"CHECK FAILED: {failure}")
    by_index = measure(carts, index, args.rounds)
    by_list = measure(carts, promotions, args.rounds)
    floor = measure(carts, promotions, args.rounds, price=floor_price)
    report(len(carts), args.rounds, by_index, by_list, floor)
    gc.unfreeze()
    del products, promotions, carts, index
    if args.skip_connector:
        say("(b) connector under gunicorn       skipped (--skip-connector)")
    else:
        purchases_connector.run(args)
    if failures:
        say(f"{len(failures)} correctness check(s) failed")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
