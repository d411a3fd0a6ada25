"""The store simulator against the app over real HTTP (pytest-django's live server), and its
independent recomputation catching a total that does not add up."""

import io
from decimal import Decimal
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from catalog.models import Product, Store
from entry.models import GateEvent, Shopper
from jwo_admin.core.models import ConnectorKey
from operations.models import SimulationRun, SimulationStatus
from operations.simulation.cast import shelf_read
from operations.simulation.checks import TaxTable, charges_check, line_problems, purchase_problems
from operations.simulation.config import ShelfItem
from orders.models import Purchase, PurchaseLine, ReconciliationItem, TaxRate


def simulated_store(*, inclusive: bool = False) -> Store:
    store = Store.objects.create(store_id="SIM_STORE", name="Sim Store", currency="USD", prices_include_tax=inclusive)
    TaxRate.objects.create(store=store, tax_code="GENERAL", rate=Decimal("0.0825"), is_default=True)
    TaxRate.objects.create(store=store, tax_code="FOOD", rate=Decimal("0"), is_exempt=True)
    for index in range(12):
        Product.objects.create(
            store=store,
            sku=f"SIM-{index:02}",
            name=f"Thing {index}",
            price=Decimal("1.99") + index,
            tax_code="FOOD" if index % 3 == 0 else "GENERAL",
        )
    Product.objects.create(store=store, sku="SIM-APPLES", name="Apples", price=Decimal("3.49"), unit="kg")
    return store


def simulate(live_server: Any, *extra: str) -> tuple[str, SimulationRun]:
    out = io.StringIO()
    call_command(
        "store_simulate",
        "--base-url",
        live_server.url,
        "--store",
        "SIM_STORE",
        "--gates",
        "3",
        "--shoppers",
        "24",
        "--seconds",
        "2",
        "--seed",
        "7",
        "--duplicate-share",
        "0.3",
        "--empty-share",
        "0.15",
        "--unknown-share",
        "0.15",
        "--refused-share",
        "0.15",
        "--no-progress",
        *extra,
        stdout=out,
    )
    return out.getvalue(), SimulationRun.objects.get()


def test_a_simulated_store_day_passes_and_its_summary_matches_the_database(
    transactional_db: None, live_server: Any
) -> None:
    store = simulated_store()
    output, run = simulate(live_server)

    assert run.status == SimulationStatus.PASSED, run.summary
    assert output.rstrip().endswith(f"simulation #{run.pk} passed")
    shoppers = Shopper.objects.filter(external_id__startswith=f"sim-{run.pk}-")
    assert shoppers.count() == 24
    purchases = Purchase.objects.filter(shopper__in=shoppers)
    summary = run.summary
    assert summary["carts"] == {
        "priced": purchases.filter(status="priced").count(),
        "empty": purchases.filter(status="empty").count(),
        "bad": purchases.filter(status="bad_cart").count(),
    }
    assert min(summary["carts"].values()) > 0  # the seed draws every kind of cart
    assert summary["entries"]["admitted"] == purchases.count()  # one purchase per admitted shopper
    events = GateEvent.objects.filter(store=store)
    assert summary["entries"]["admitted"] == events.filter(decision="admitted").count()
    refused = events.exclude(decision="admitted")
    assert sum(summary["entries"]["refused"].values()) == 24 - summary["entries"]["admitted"] == refused.count()
    assert summary["entries"]["refused"] == {
        reason: refused.filter(reason=reason).count() for reason in set(refused.values_list("reason", flat=True))
    }
    assert sum(purchases.values_list("replays", flat=True)) == summary["deliveries"]["duplicates"] > 0
    assert summary["errors"] == {}
    assert [invariant["ok"] for invariant in summary["invariants"]] == [True] * 6
    finance = "every trip reconciled; captures less refunds equal the totals less refunds"
    assert summary["invariants"][-1]["name"] == finance
    assert not ReconciliationItem.objects.filter(simulation_run_id=run.pk, status="open").exists()
    assert set(summary["latency"]) == {"app scan-keys", "identity", "purchases"}
    assert (
        summary["payments"].get("captured", 0)
        == purchases.filter(status="priced", shopper__visitor_type="SHOPPER").count()
    )
    assert not ConnectorKey.objects.filter(name=f"Simulation {run.pk}", revoked_at__isnull=True).exists()

    # Someone changes a stored total: the recomputation names the purchase.
    priced = purchases.filter(status="priced").first()
    assert priced is not None
    shelf = {item.sku: item for item in shelf_read(store=store)}
    assert purchase_problems(priced, shelf=shelf, taxes=TaxTable.read(store)) == []
    Purchase.objects.filter(pk=priced.pk).update(total=priced.total + Decimal("0.01"))
    priced.refresh_from_db()
    assert purchase_problems(priced, shelf=shelf, taxes=TaxTable.read(store)) == [
        f"{priced.purchase_id}: total {priced.total}, its lines add to {priced.total - Decimal('0.01')}"
    ]
    assert charges_check([priced]).ok is False  # captured the old total, which no longer equals it


def test_a_simulation_against_nothing_is_an_error_and_says_why(transactional_db: None) -> None:
    simulated_store()
    with pytest.raises(CommandError, match="could not run"):
        call_command(
            "store_simulate", "--base-url", "http://127.0.0.1:1", "--shoppers", "2", "--seconds", "1",
            "--no-progress", stdout=io.StringIO(),
        )  # fmt: skip
    run = SimulationRun.objects.get()
    assert (run.status, run.message) == (
        SimulationStatus.ERROR,
        "RuntimeError: http://127.0.0.1:1 does not answer: ConnectionError",
    )
    assert not Shopper.objects.exists()  # nobody was created for a run that could not start
    assert not ConnectorKey.objects.exists()


def line(**fields: Any) -> PurchaseLine:
    defaults = {"position": 0, "sku": "A", "quantity": Decimal(1), "gross": Decimal("0"), "discount_total": Decimal(0)}
    return PurchaseLine(**{**defaults, **fields})


@pytest.mark.parametrize(
    ("inclusive", "quantity", "price", "expected"),
    [
        # tax added: 2 × 1.99 = 3.98; 8.25 % of 3.98 = 0.32835 → 0.33
        (False, "2", "1.99", {"gross": "3.98", "net": "3.98", "tax": "0.33", "total": "4.31"}),
        # tax included: 3.98 × 0.0825 / 1.0825 = 0.30332… → 0.30, total is the net
        (True, "2", "1.99", {"gross": "3.98", "net": "3.98", "tax": "0.30", "total": "3.98"}),
        # weight: 0.532 kg × 3.49 = 1.85668 → 1.86; 0.153461 → 0.15
        (False, "0.532", "3.49", {"gross": "1.86", "net": "1.86", "tax": "0.15", "total": "2.01"}),
    ],
)
def test_the_recomputation_of_a_line(inclusive: bool, quantity: str, price: str, expected: dict[str, str]) -> None:
    taxes = TaxTable({"GENERAL": Decimal("0.0825")}, frozenset(), "GENERAL")
    item = ShelfItem("A", Decimal(price), "each", "GENERAL")
    right = line(quantity=Decimal(quantity), **{name: Decimal(value) for name, value in expected.items()})
    assert (
        line_problems(right, item=item, taxes=taxes, inclusive=inclusive, unit=Decimal("0.01"), discounts=Decimal(0))
        == []
    )
    wrong = line(quantity=Decimal(quantity), **{**{n: Decimal(v) for n, v in expected.items()}, "tax": Decimal("9.99")})
    assert line_problems(
        wrong, item=item, taxes=taxes, inclusive=inclusive, unit=Decimal("0.01"), discounts=Decimal(0)
    ) == [f"line 0 (A): tax 9.99, recomputed {expected['tax']}"]


def test_the_recomputation_puts_pounds_and_grams_of_a_per_kg_product_in_kilos() -> None:
    taxes = TaxTable({"GENERAL": Decimal("0.0825")}, frozenset(), "GENERAL")
    steak = ShelfItem("A", Decimal("6.79"), "kg", "GENERAL")
    # 1.5 lb = 0.680388555 kg → 0.680389; × 6.79 = 4.61984… → 4.62; 8.25 % of 4.62 = 0.38115 → 0.38
    pounds = line(quantity=Decimal("1.5"), unit="lb", gross=Decimal("4.62"), net=Decimal("4.62"), tax=Decimal("0.38"))
    pounds.total = Decimal("5.00")
    # 250 g = 0.25 kg × 6.79 = 1.6975 → 1.70; 8.25 % of 1.70 = 0.14025 → 0.14
    grams = line(quantity=Decimal("250"), unit="g", gross=Decimal("1.70"), net=Decimal("1.70"), tax=Decimal("0.14"))
    grams.total = Decimal("1.84")
    # charged as if 1.5 lb were 1.5 kg: 10.19, caught
    as_kilos = line(quantity=Decimal("1.5"), unit="lb", gross=Decimal("10.19"), net=Decimal("10.19"))

    def check(stored: PurchaseLine) -> list[str]:
        return line_problems(
            stored, item=steak, taxes=taxes, inclusive=False, unit=Decimal("0.01"), discounts=Decimal(0)
        )

    assert (check(pounds), check(grams)) == ([], [])
    assert check(as_kilos)[0] == "line 0 (A): gross 10.19, recomputed 4.62"
