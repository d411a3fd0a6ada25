"""What a simulation does, and the carts it draws: pure, so a seed always gives the same store day."""

import random
from dataclasses import asdict, dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

WEIGHT_UNITS = ("kg", "g", "lb", "oz", "l")


@dataclass(frozen=True)
class SimulationConfig:
    store_id: str
    gates: int = 4
    shoppers: int = 40
    seconds: float = 30.0
    seed: int = 1
    unknown_share: float = 0.05  # carts with one SKU the catalog does not have (bad carts)
    empty_share: float = 0.10  # shoppers who walk out with nothing
    duplicate_share: float = 0.10  # Create Purchases deliveries Amazon sends twice
    concurrent_duplicate_share: float = 0.5  # of those, sent at the same moment rather than later
    refused_share: float = 0.05  # entries with a stale or forged code
    associate_share: float = 0.05  # store associates (let in, never charged)
    burst_share: float = 0.30  # shoppers who all walk out at once at the end
    max_lines: int = 12

    def __post_init__(self) -> None:
        if not 1 <= self.gates <= 64:
            raise ValueError("gates: 1 to 64")
        if not 1 <= self.shoppers <= 100_000:
            raise ValueError("shoppers: 1 to 100,000")
        if not 0 < self.seconds <= 24 * 3600:
            raise ValueError("seconds: more than 0, at most a day")
        for name in ("unknown_share", "empty_share", "duplicate_share", "refused_share", "associate_share"):
            if not 0 <= getattr(self, name) <= 1:
                raise ValueError(f"{name}: a share between 0 and 1")

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class ShelfItem:
    """A product as the simulator read it from the catalog (its own copy, for the recomputation)."""

    sku: str
    price: Decimal
    unit: str
    tax_code: str


@dataclass(frozen=True)
class CartLine:
    sku: str
    quantity: str  # as Amazon sends it: a decimal string
    unit: str  # "unit" for things sold each, else the weight or volume unit


@dataclass(frozen=True)
class Journey:
    """One shopper's visit: how they enter and what they take."""

    number: int
    entry: str  # "valid", "stale", "forged"
    cart: tuple[CartLine, ...]
    duplicate: str  # "", "later", "concurrent"
    in_burst: bool
    unknown_sku: bool
    is_associate: bool


def _quantity(rng: random.Random, item: ShelfItem) -> CartLine:
    if item.unit in WEIGHT_UNITS:
        amount = Decimal(rng.randint(150, 2500)) / 1000  # 0.150 … 2.500
        if item.unit == "kg":  # a scale may weigh in grams or pounds: the connector converts
            way = rng.random()
            if way < 0.25:
                return CartLine(item.sku, str(int(amount * 1000)), "g")
            if way < 0.5:
                return CartLine(item.sku, str((amount * Decimal("2.2")).quantize(Decimal("0.01"))), "lb")
        return CartLine(item.sku, str(amount.quantize(Decimal("0.001"), ROUND_HALF_UP)), item.unit)
    return CartLine(item.sku, str(rng.choice((1, 1, 1, 2, 2, 3, 4, 6))), "unit")  # multi-buys need 2+


def journeys_plan(config: SimulationConfig, shelf: list[ShelfItem], *, run_tag: str) -> list[Journey]:
    """Every shopper's journey, from the seed alone."""
    if not shelf:
        raise ValueError("the store has no active products to put in carts")
    rng = random.Random(config.seed)  # noqa: S311 - a reproducible simulation, not security
    plans = []
    for number in range(config.shoppers):
        draw = rng.random()
        entry = "forged" if draw < config.refused_share / 2 else "stale" if draw < config.refused_share else "valid"
        empty = rng.random() < config.empty_share
        unknown = not empty and rng.random() < config.unknown_share
        lines: list[CartLine] = []
        if not empty:
            for item in rng.sample(shelf, k=min(rng.randint(1, config.max_lines), len(shelf))):
                lines.append(_quantity(rng, item))
            if unknown:
                lines.append(CartLine(f"SIM-UNKNOWN-{run_tag}-{number}", "1", "unit"))
        duplicate = ""
        if rng.random() < config.duplicate_share:
            duplicate = "concurrent" if rng.random() < config.concurrent_duplicate_share else "later"
        in_burst = rng.random() < config.burst_share
        associate = rng.random() < config.associate_share
        plans.append(Journey(number, entry, tuple(lines), duplicate, in_burst, unknown, associate))
    return plans
