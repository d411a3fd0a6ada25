"""A store manager starts a short simulation from the staff page and reads its summary."""

from typing import Any

import pytest

from catalog.services.staff_stores import staff_member_create
from entry.models import Shopper
from jwo_admin.core.roles import STORE_MANAGER
from operations.models import SimulationRun, SimulationStatus
from orders.models import Purchase
from tests.conftest import PASSWORD, sign_in
from tests.operations.test_store_simulate import simulated_store

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_store_manager_runs_a_simulation_and_sees_it_pass(page: Any, live_server: Any) -> None:
    simulated_store()
    staff_member_create(username="manager", password=PASSWORD, role=STORE_MANAGER, all_stores=True)
    sign_in(page, live_server.url, "manager")

    page.click("nav >> text=Simulator")
    page.fill("#id_shoppers", "10")
    page.fill("#id_seconds", "5")
    page.fill("#id_seed", "3")
    page.click("#simulation-form button[type=submit]")
    page.wait_for_selector("#simulation-status", timeout=60_000)

    run = SimulationRun.objects.get()
    assert run.status == SimulationStatus.PASSED, run.summary
    assert run.base_url == live_server.url
    assert page.inner_text("#simulation-status") == "Passed"
    assert page.locator("#simulation-invariants > li").count() == 6
    assert page.locator("#simulation-invariants .badge.bad").count() == 0
    purchases = Purchase.objects.filter(shopper__external_id__startswith=f"sim-{run.pk}-")
    assert page.inner_text("#simulation-report").count("PASS") == 6
    assert str(run.summary["carts"]["priced"]) in page.inner_text("#simulation-counts")
    assert run.summary["carts"]["priced"] == purchases.filter(status="priced").count()
    page.click("text=← Simulator")
    assert page.inner_text("#simulation-runs").count(f"#{run.pk}") == 1


def test_a_simulation_leaves_the_dashboard_as_it_was_and_its_clean_up_removes_it(page: Any, live_server: Any) -> None:
    simulated_store()
    staff_member_create(username="manager", password=PASSWORD, role=STORE_MANAGER, all_stores=True)
    sign_in(page, live_server.url, "manager")
    page.goto(live_server.url + "/")
    today_before = page.inner_text("#store-today")
    alerts_before = page.inner_text("#alerts")

    page.click("nav >> text=Simulator")
    page.fill("#id_shoppers", "10")
    page.fill("#id_seconds", "5")
    page.fill("#id_seed", "3")
    page.click("#simulation-form button[type=submit]")
    page.wait_for_selector("#simulation-status", timeout=60_000)
    run = SimulationRun.objects.get()
    assert Purchase.objects.filter(simulation_run_id=run.pk).count() > 0

    page.goto(live_server.url + "/")
    assert page.inner_text("#store-today") == today_before
    assert page.inner_text("#alerts") == alerts_before

    page.goto(f"{live_server.url}/operations/simulator/{run.pk}/")
    asked: list[str] = []

    def answer_ok(dialog: Any) -> None:
        asked.append(dialog.message)
        dialog.accept()

    page.once("dialog", answer_ok)
    page.click("#simulation-clean-up button[type=submit]")
    page.wait_for_selector("text=Removed 10 simulated shoppers")
    assert asked == [
        f"Delete every shopper, gate event and purchase simulation #{run.pk} created? This cannot be undone."
    ]
    assert not Purchase.objects.exists()
    assert not Shopper.objects.exists()
    page.goto(live_server.url + "/")
    assert page.inner_text("#store-today") == today_before
