"""The daily settlement of a store day worked out by hand (``tests/orders/settlement_world.py``):
Kiritimati's 7 Dec, with promotions, two tax rates, a refund, a write-off and an uncaptured purchase."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from catalog.models import Store
from catalog.services.staff_stores import staff_stores_set
from orders.models import Purchase
from orders.selectors.settlement import (
    CurrencySettlement,
    SimulationRunDays,
    TaxLine,
    settlement_chart,
    settlement_day,
    simulation_run_days,
)
from tests.conftest import client_for
from tests.orders.settlement_world import DAY, NOW, World, settlement_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(other_store: Store) -> World:
    return settlement_world(other_store)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(timezone, "now", lambda: NOW)


def test_the_settlement_of_a_store_day_adds_up_to_the_figures_worked_out_by_hand(world: World) -> None:
    settlement = settlement_day(store=world.store, day=DAY)

    assert settlement.trips == 4
    assert settlement.purchases == 4
    assert settlement.purchases_by_status == {"priced": 3, "empty": 1}
    assert settlement.currencies == (
        CurrencySettlement(
            currency="AUD",
            purchases_priced=3,
            gross=Decimal("24.00"),
            promotions=Decimal("3.00"),
            tax=Decimal("1.65"),
            total=Decimal("22.65"),
            refunds=Decimal("3.15"),
            captured=Decimal("7.55"),
            paid_at_counter=Decimal("0.00"),
            outstanding=Decimal("8.80"),
            written_off=Decimal("6.30"),
            tax_by_rate=(
                TaxLine(rate=Decimal("0.050000"), net=Decimal("9.00"), tax=Decimal("0.45")),
                TaxLine(rate=Decimal("0.100000"), net=Decimal("12.00"), tax=Decimal("1.20")),
            ),
        ),
    )
    money = settlement.currencies[0]
    assert money.total == money.captured + money.paid_at_counter + money.outstanding + money.written_off
    assert money.net_collected == Decimal("4.40")
    assert [line.percent for line in money.tax_by_rate] == ["5", "10"]


def test_a_purchase_at_23_30_utc_belongs_to_the_next_day_in_kiritimati(world: World) -> None:
    before = settlement_day(store=world.store, day=date(2026, 12, 6))

    assert before.trips == 1  # 09:59 UTC on 6 Dec: 23:59 there
    assert before.purchases == 1  # P5 only; P1 (23:30 UTC on 6 Dec) is on 7 Dec
    assert before.currencies[0].gross == Decimal("100.00")


def test_a_day_without_trips_has_no_money(world: World) -> None:
    quiet = settlement_day(store=world.store, day=date(2026, 12, 10))

    assert (quiet.trips, quiet.purchases, quiet.currencies) == (0, 0, ())


def test_the_chart_shows_the_last_30_days_gross_captured_and_refunds(world: World) -> None:
    chart = settlement_chart(store=world.store, last_day=DAY)

    assert len(chart["labels"]) == 30
    assert chart["labels"][-2:] == ["12-06", "12-07"]
    assert chart["gross"][-2:] == ["100.00", "24.00"]
    assert chart["captured"][-2:] == ["100.00", "7.55"]
    assert chart["refunds"][-2:] == ["0.00", "3.15"]
    assert set(chart["gross"][:-2]) == {"0.00"}


def test_the_settlement_page_shows_the_day_with_links_to_the_days_around_and_its_purchases(
    world: World, viewer: User, clock: None
) -> None:
    response = client_for(viewer).get(f"/orders/settlement/?store={world.store.pk}&day=2026-12-07")
    html = response.content.decode()

    assert response.status_code == 200
    assert response.context["settlement"].day == DAY
    assert f'href="/orders/settlement/?store={world.store.pk}&amp;day=2026-12-06"' in html
    assert f'href="/orders/settlement/?store={world.store.pk}&amp;day=2026-12-08"' in html
    assert f'href="/orders/purchases/?store={world.store.pk}&amp;date_from=2026-12-07&amp;date_to=2026-12-07"' in html
    assert '<td class="gross">24.00</td>' in html
    assert '<td class="outstanding">8.80</td>' in html
    assert '<td class="written-off">6.30</td>' in html
    assert '<td class="refunds">−3.15</td>' in html
    assert "Tax at 10 % (on 12.00)" in html
    assert 'id="settlement-chart-data"' in html


def test_the_settlement_page_defaults_to_the_users_first_store_and_its_today(
    world: World, viewer: User, clock: None
) -> None:
    staff_stores_set(user=viewer, all_stores=False, stores=[world.store])

    response = client_for(viewer).get("/orders/settlement/")

    assert response.status_code == 200
    assert response.context["store"] == world.store
    assert response.context["settlement"].day == DAY  # 19:00 on 7 Dec in Kiritimati


def test_a_user_of_another_store_gets_404_for_this_store(world: World, viewer: User) -> None:
    staff_stores_set(user=viewer, all_stores=False, stores=[world.other])
    client: Client = client_for(viewer)

    assert client.get("/orders/settlement/", {"store": world.store.pk}).status_code == 404
    own: Any = client.get("/orders/settlement/").context["store"]
    assert own == world.other


def test_a_simulation_runs_settlement_is_its_own_rows_only(world: World) -> None:
    simulated = settlement_day(store=world.store, day=DAY, simulation_run=1)

    assert (simulated.simulation_run, simulated.trips, simulated.purchases) == (1, 1, 1)
    assert simulated.purchases_by_status == {"priced": 1}
    assert simulated.currencies == (
        CurrencySettlement(
            currency="AUD",
            purchases_priced=1,
            gross=Decimal("50.00"),
            promotions=Decimal("0.00"),
            tax=Decimal("0.00"),
            total=Decimal("50.00"),
            refunds=Decimal("0.00"),
            captured=Decimal("50.00"),
            paid_at_counter=Decimal("0.00"),
            outstanding=Decimal("0.00"),
            written_off=Decimal("0.00"),
            tax_by_rate=(TaxLine(rate=Decimal("0.000000"), net=Decimal("50.00"), tax=Decimal("0.00")),),
        ),
    )
    assert settlement_day(store=world.store, day=DAY, simulation_run=2).currencies == ()
    assert settlement_chart(store=world.store, last_day=DAY, simulation_run=1)["gross"][-2:] == ["0.00", "50.00"]


def test_a_stores_simulation_runs_are_read_from_its_simulated_rows(world: World) -> None:
    Purchase.objects.filter(pk=world.purchases["BRAVO"].pk).update(simulation_run_id=2)  # the other store's run

    assert simulation_run_days(store=world.store) == [
        SimulationRunDays(
            run_id=1,
            first_at=datetime(2026, 12, 7, 0, 0, tzinfo=UTC),  # its purchase (14:00 there)
            last_at=datetime(2026, 12, 7, 1, 0, tzinfo=UTC),  # its admission
            first_day=DAY,
            last_day=DAY,
        )
    ]
    assert [run.run_id for run in simulation_run_days(store=world.other)] == [2]


def test_picking_a_simulation_run_shows_its_figures_labelled_not_real_money(
    world: World, viewer: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(timezone, "now", lambda: NOW + timedelta(days=3))  # the run's day is no longer today
    client = client_for(viewer)

    real = client.get(f"/orders/settlement/?store={world.store.pk}&day=2026-12-07").content.decode()
    response = client.get(f"/orders/settlement/?store={world.store.pk}&simulation_run=1")
    html = response.content.decode()

    assert '<option value="1">Simulation #1 (2026-12-07)</option>' in real
    assert "Simulated — not real money" not in real
    assert response.context["settlement"].day == DAY  # the run's first day, on the store's clock
    assert "Simulated — not real money." in html
    assert '<option value="1" selected>Simulation #1 (2026-12-07)</option>' in html
    assert '<td class="trips">1</td>' in html
    assert '<td class="gross">50.00</td>' in html
    assert '<td class="captured">50.00</td>' in html
    assert f'href="/orders/settlement/?store={world.store.pk}&amp;day=2026-12-06&amp;simulation_run=1"' in html
    assert 'id="settlement-exports"' not in html
    assert 'id="drill-down"' not in html


def test_a_simulation_run_of_another_store_answers_404(world: World, viewer: User) -> None:
    Purchase.objects.filter(pk=world.purchases["BRAVO"].pk).update(simulation_run_id=2)
    staff_stores_set(user=viewer, all_stores=False, stores=[world.store])
    client: Client = client_for(viewer)

    page = client.get(f"/orders/settlement/?store={world.store.pk}&day=2026-12-07").content.decode()

    assert "Simulation #1 (2026-12-07)" in page
    assert "Simulation #2" not in page
    assert client.get(f"/orders/settlement/?store={world.store.pk}&simulation_run=2").status_code == 404
    assert client.get(f"/orders/sales/?store={world.store.pk}&simulation_run=2").status_code == 404
