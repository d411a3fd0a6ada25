"""The sales report of Kiritimati's 7 Dec (``tests/orders/settlement_world.py``): quantity and gross
per product, category and hour of the store's clock, from priced real purchases' lines."""

from datetime import date
from decimal import Decimal

import pytest
from django.contrib.auth.models import User

from catalog.models import Store
from catalog.services.staff_stores import staff_stores_set
from orders.selectors.sales import SalesRow, sales_report
from tests.conftest import client_for
from tests.orders.settlement_world import DAY, FORMULA, World, settlement_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(other_store: Store) -> World:
    return settlement_world(other_store)


def test_the_sales_of_a_store_day_by_product_category_and_hour(world: World) -> None:
    report = sales_report(store=world.store, date_from=DAY, date_to=DAY)

    assert report.products == (
        SalesRow(label="Cola (COLA)", quantity=Decimal(6), gross=Decimal("15.00"), lines=2),
        SalesRow(label=f"{FORMULA} (BREAD)", quantity=Decimal(3), gross=Decimal("9.00"), lines=2),
    )
    assert report.categories == (
        SalesRow(label="Drinks", quantity=Decimal(6), gross=Decimal("15.00"), lines=2),
        SalesRow(label="Bakery", quantity=Decimal(3), gross=Decimal("9.00"), lines=2),
    )
    sold_hours = {row.label: (row.quantity, row.gross, row.lines) for row in report.hours if row.lines}
    assert sold_hours == {  # 13:30, 15:00 and 16:00 in Kiritimati; P2's empty twin at 17:00 has no lines
        "13:00": (Decimal(3), Decimal("8.00"), 2),
        "15:00": (Decimal(4), Decimal("10.00"), 1),
        "16:00": (Decimal(2), Decimal("6.00"), 1),
    }
    assert len(report.hours) == 24
    assert report.gross == Decimal("24.00")
    assert report.chart("categories") == {"labels": ["Drinks", "Bakery"], "gross": ["15.00", "9.00"]}


def test_a_range_takes_in_every_day_of_it(world: World) -> None:
    report = sales_report(store=world.store, date_from=date(2026, 12, 6), date_to=DAY)

    assert report.products[0] == SalesRow(label="Cola (COLA)", quantity=Decimal(46), gross=Decimal("115.00"), lines=3)
    assert report.gross == Decimal("124.00")


def test_the_sales_page_shows_the_report_with_its_charts(world: World, viewer: User) -> None:
    staff_stores_set(user=viewer, all_stores=False, stores=[world.store])

    response = client_for(viewer).get("/orders/sales/?date_from=2026-12-07&date_to=2026-12-07")
    html = response.content.decode()

    assert response.status_code == 200
    assert '<strong id="sales-gross">24.00 AUD</strong>' in html
    assert "&#x27;=HYPERLINK" not in html  # the page shows the name as is (escaped), not neutralised
    for chart in ("hours-chart-data", "categories-chart-data", "products-chart-data"):
        assert f'id="{chart}"' in html
    assert "Bravo" not in html


def test_a_range_ending_before_it_starts_is_refused(world: World, viewer: User) -> None:
    response = client_for(viewer).get(f"/orders/sales/?store={world.store.pk}&date_from=2026-12-08&date_to=2026-12-07")

    assert response.status_code == 200
    assert "report" not in response.context
    assert "“From” must not be after “To”." in response.content.decode()


def test_a_simulation_runs_sales_are_its_own_over_its_days(world: World, viewer: User) -> None:
    report = sales_report(store=world.store, date_from=DAY, date_to=DAY, simulation_run=1)
    response = client_for(viewer).get(f"/orders/sales/?store={world.store.pk}&simulation_run=1")
    html = response.content.decode()

    assert report.products == (SalesRow(label="Cola (COLA)", quantity=Decimal(20), gross=Decimal("50.00"), lines=1),)
    assert report.gross == Decimal("50.00")
    assert (response.context["report"].date_from, response.context["report"].date_to) == (DAY, DAY)
    assert '<strong id="sales-gross">50.00 AUD</strong> (simulated)' in html
    assert "Simulated — not real money." in html
