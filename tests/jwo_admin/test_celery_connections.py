"""The worker keeps its database connection between tasks (Celery's Django fixup would close it
before and after each one) and closes it after a task as Django does after a request."""

import time
from types import SimpleNamespace

import pytest
from celery.fixups.django import DjangoWorkerFixup  # type: ignore[attr-defined]  # not in its __all__
from django.db import connection

from jwo_admin.celery import _db_connections_tidy, app

pytestmark = pytest.mark.django_db(transaction=True)  # autocommit, as in a worker

ON_A_WORKER = SimpleNamespace(request=SimpleNamespace(is_eager=False))


def _a_task_runs(fixup: DjangoWorkerFixup) -> None:
    fixup.on_task_prerun(sender=ON_A_WORKER)
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    fixup.on_task_postrun(sender=ON_A_WORKER)
    _db_connections_tidy(task=ON_A_WORKER)


def test_the_worker_keeps_its_connection_from_task_to_task() -> None:
    fixup = DjangoWorkerFixup(app)
    connection.ensure_connection()
    opened = connection.connection

    for _ in range(3):
        _a_task_runs(fixup)

    assert connection.connection is opened


@pytest.mark.skipif(connection.vendor != "postgresql", reason="Django never closes SQLite's in-memory test database")
def test_a_connection_past_its_age_is_closed_after_the_task() -> None:
    fixup = DjangoWorkerFixup(app)
    connection.ensure_connection()
    connection.close_at = time.monotonic() - 1  # CONN_MAX_AGE has run out

    _a_task_runs(fixup)

    assert connection.connection is None
