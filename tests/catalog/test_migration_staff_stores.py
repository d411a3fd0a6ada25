"""The upgrade that gave staff users stores locks no one out: every user who existed before it
works for every store after it (catalog 0015); users created later start with no store."""

from collections.abc import Iterator

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("catalog", "0014_staff_store_access")]
AFTER = [("catalog", "0015_staff_store_access_for_existing_users")]


def _migrate(targets: list[tuple[str, str]]) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return MigrationExecutor(connection)


@pytest.fixture
def before_stores_per_user(transactional_db: None) -> Iterator[None]:
    _migrate(BEFORE)
    yield
    _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())  # the database as every other test has it


def test_every_existing_user_gets_every_store(before_stores_per_user: None) -> None:
    old = _migrate(BEFORE).loader.project_state(BEFORE).apps
    users = old.get_model("auth", "User")
    manager = users.objects.create(username="manager")
    viewer = users.objects.create(username="viewer", is_active=False)

    new = _migrate(AFTER).loader.project_state(AFTER).apps

    access = new.get_model("catalog", "StaffStoreAccess").objects.order_by("user_id")
    assert list(access.values_list("user_id", "all_stores")) == [(manager.pk, True), (viewer.pk, True)]
