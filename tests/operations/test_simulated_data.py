"""A simulation never touches real figures: its shoppers, gate events and purchases are marked with
the run, left out of the dashboard, queues, alerts and lists unless asked for, and its clean-up
leaves no row behind; production runs it on test stores only."""

import io
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command
from django.test import override_settings
from django.utils import timezone

from entry.models import GateEvent, Shopper
from entry.selectors.gate import GateEventFilters, gate_event_list
from entry.selectors.shoppers import ShopperFilters, shopper_list
from entry.services.shoppers import shopper_create
from operations.models import SimulationRun
from operations.selectors.alerts import alerts_now
from operations.selectors.dashboard import dashboard
from operations.simulation.cleanup import simulation_clean_up
from orders.models import PaymentIssue, Purchase
from orders.selectors.reports import PurchaseFilters, bad_cart_queue, payment_issue_queue, purchase_list
from tests.conftest import client_for
from tests.operations.test_store_simulate import simulate, simulated_store

# Every alert could fire on a simulation's rows: a refusal share over any 1 call, bad carts at once.
ALERTS_ON_ANYTHING = {"JWO_ALERT_REFUSAL_MIN_CALLS": 1, "JWO_ALERT_UNPRICED_MINUTES": 0}


def figures(now: datetime) -> dict[str, Any]:
    """What staff read: the dashboard, the alerts, the queues and the lists' lengths."""
    return {
        "dashboard": dashboard(now=now),
        "alerts": alerts_now(now=now),
        "bad_carts": bad_cart_queue(),
        "issues": payment_issue_queue(),
        "purchases": purchase_list(filters=PurchaseFilters()).count(),
        "shoppers": shopper_list(filters=ShopperFilters()).count(),
        "gate_log": gate_event_list(filters=GateEventFilters()).count(),
    }


def row_counts() -> dict[str, int]:
    return {
        model._meta.label: model._default_manager.count()
        for app in ("entry", "orders", "core")
        for model in apps.get_app_config(app).get_models()
    }


@override_settings(**ALERTS_ON_ANYTHING)
def test_a_simulation_leaves_the_figures_as_they_were_and_its_clean_up_leaves_no_row(
    transactional_db: None, live_server: Any
) -> None:
    simulated_store()
    shopper_create(external_id="cust-real", name="Real Shopper", email="real@example.com")
    now = timezone.now() + timedelta(seconds=30)
    before, counts_before = figures(now), row_counts()

    _, run = simulate(live_server)

    shoppers = Shopper.objects.filter(simulation_run_id=run.pk)
    assert shoppers.count() == 24 == Shopper.objects.count() - 1
    assert GateEvent.objects.filter(simulation_run_id=run.pk).count() == GateEvent.objects.count() == 24
    purchases = Purchase.objects.filter(simulation_run_id=run.pk)
    assert purchases.count() == Purchase.objects.count() == run.summary["entries"]["admitted"]
    assert purchases.filter(status="bad_cart").count() == run.summary["carts"]["bad"] > 0
    # Left out of every figure, queue, alert and list (all would move: see the lists shown whole below).
    assert figures(now) == before
    assert purchase_list(filters=PurchaseFilters(show_simulated=True)).count() == purchases.count()
    assert shopper_list(filters=ShopperFilters(show_simulated=True)).count() == 25
    assert gate_event_list(filters=GateEventFilters(show_simulated=True)).count() == 24
    assert len(bad_cart_queue(show_simulated=True)) == run.summary["carts"]["bad"]
    with override_settings(JWO_ALERT_UNCHARGED_MINUTES=0):
        assert {alert.key for alert in alerts_now(now=now)} == {alert.key for alert in before["alerts"]}

    purchase_count = purchases.count()
    removed = simulation_clean_up(run=run)

    assert (removed.shoppers, removed.gate_events, removed.purchases) == (24, 24, purchase_count)
    assert removed.sandbox_entries > 0
    assert row_counts() == {**counts_before, "core.ConnectorKey": counts_before["core.ConnectorKey"] + 1}
    assert figures(now) == before
    assert SimulationRun.objects.filter(pk=run.pk).exists()  # the launch checklist still reads it
    assert simulation_clean_up(run=run) == replace(removed, shoppers=0, gate_events=0, purchases=0,
                                                   payment_holds=0, sandbox_entries=0)  # fmt: skip


@override_settings(**ALERTS_ON_ANYTHING)
def test_the_lists_show_simulated_rows_labelled_only_when_asked(
    transactional_db: None, live_server: Any, store_manager: Any
) -> None:
    simulated_store()
    _, run = simulate(live_server)
    client = client_for(store_manager)
    shopper = Shopper.objects.filter(simulation_run_id=run.pk).first()
    assert shopper is not None

    hidden = client.get("/entry/shoppers/").content.decode()
    shown = client.get("/entry/shoppers/?simulated=on").content.decode()
    assert shopper.external_id not in hidden
    assert shopper.external_id in shown
    assert shown.count(">Simulated</span>") == 24

    purchases = client.get("/orders/purchases/?simulated=on").content.decode()
    assert purchases.count(">Simulated</span>") == Purchase.objects.count()
    assert ">Simulated</span>" not in client.get("/orders/purchases/").content.decode()


def test_production_refuses_a_store_not_flagged_as_a_test_store(store_manager: Any, store: Any) -> None:
    counts = row_counts()
    with override_settings(JWO_SIMULATOR_TEST_STORES_ONLY=True):
        client = client_for(store_manager)
        page = client.get("/operations/simulator/").content.decode()
        assert f'value="{store.store_id}"' not in page
        response = client.post(
            "/operations/simulator/", {"store": store.store_id, "gates": 1, "shoppers": 1, "seconds": 5, "seed": 1}
        )
        assert response.status_code == 200
        assert (
            f"Store {store.store_id} is not a test store: here the simulator runs only on stores flagged "
            "“Test store”" in response.content.decode()
        )
        with pytest.raises(CommandError, match="is not a test store"):
            call_command("store_simulate", "--base-url", "http://127.0.0.1:1", "--store", store.store_id,
                         stdout=io.StringIO())  # fmt: skip
    assert not SimulationRun.objects.exists()
    assert row_counts() == counts

    store.is_test_store = True
    store.save()
    with override_settings(JWO_SIMULATOR_TEST_STORES_ONLY=True):
        assert f'value="{store.store_id}"' in client_for(store_manager).get("/operations/simulator/").content.decode()


def test_a_payment_issue_is_simulated_through_its_purchase_or_its_shopper(db: None) -> None:
    real = shopper_create(external_id="cust-1", name="Real", email="real@example.com")
    simulated = shopper_create(external_id="sim-9-1", name="Sim", email="sim@example.com", simulation_run_id=9)
    kept = PaymentIssue.objects.create(shopper=real, kind="hold", outcome="declined")
    PaymentIssue.objects.create(shopper=simulated, kind="hold", outcome="declined")
    assert list(PaymentIssue.objects.real()) == [kept]
