"""Migrations that move data keep every value: the store settings that left catalog.Store for entry's
StoreGate and orders' StorePayment (catalog 0008, entry 0003, orders 0008), forward and back."""

from collections.abc import Iterator
from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [
    ("catalog", "0007_sync_unknown_results_subscriptions"),
    ("entry", "0002_gateevent_store_index"),
    ("orders", "0007_receipt_delivery"),
]
AFTER = [("catalog", "0008_store_settings_moved"), ("entry", "0003_store_gate"), ("orders", "0008_store_payment")]


def _migrate(targets: list[tuple[str, str]]) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return MigrationExecutor(connection)


@pytest.fixture
def before_the_move(transactional_db: None) -> Iterator[None]:
    _migrate(BEFORE)
    yield
    _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())  # the database as every other test has it


def test_store_settings_move_to_entry_and_orders_without_loss_and_back(before_the_move: None) -> None:
    old = _migrate(BEFORE).loader.project_state(BEFORE).apps
    Store = old.get_model("catalog", "Store")
    opened = Store.objects.create(
        store_id="OPEN_1", name="Open", default_gate_decision="OPEN", preauthorisation_amount=Decimal("75.50")
    )
    closed = Store.objects.create(store_id="CLOSED_1", name="Closed")

    new = _migrate(AFTER).loader.project_state(AFTER).apps

    gates = new.get_model("entry", "StoreGate").objects.order_by("store_id")
    payments = new.get_model("orders", "StorePayment").objects.order_by("store_id")
    assert list(gates.values_list("store_id", "default_decision")) == [(opened.pk, "OPEN"), (closed.pk, "CLOSED")]
    assert list(payments.values_list("store_id", "preauthorisation_amount")) == [
        (opened.pk, Decimal("75.50")),
        (closed.pk, Decimal("50.00")),
    ]

    back = _migrate(BEFORE).loader.project_state(BEFORE).apps

    rows = back.get_model("catalog", "Store").objects.order_by("pk")
    assert list(rows.values_list("pk", "default_gate_decision", "preauthorisation_amount")) == [
        (opened.pk, "OPEN", Decimal("75.50")),
        (closed.pk, "CLOSED", Decimal("50.00")),
    ]
