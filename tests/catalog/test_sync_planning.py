"""Planning a sync on PostgreSQL: a store's planning looks only at its own items on their way, a
planning in progress is never waited on by a second plan task nor re-queued by the dispatcher,
the planner's statistics are fresh for the next store, and a run's figures are kept as results
arrive rather than recounted."""

import threading
import time
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection, connections, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from catalog.models import Barcode, ItemResult, Product, Store, SyncItem, SyncRun, SyncStatus
from catalog.selectors.sync import pending_uploads, sync_runs_stuck_planning
from catalog.services.sync_plan import sync_plan, sync_run_fill
from catalog.services.sync_records import batch_fail, sync_run_refresh
from tests.catalog.helpers import COLA, JUICE, WATER, run_import, write_csv

pytestmark = pytest.mark.django_db(transaction=True)


def products(store: Store, count: int, start: int = 0) -> None:
    """``count`` products of ``store`` with a barcode each, none sent to Amazon yet."""
    rows = Product.objects.bulk_create(
        Product(
            store=store,
            sku=f"{store.store_id}-{n}",
            name=f"Product {n}",
            price=Decimal("1.00"),
            amazon_fingerprint=f"fp-{n}",
        )
        for n in range(start, start + count)
    )
    Barcode.objects.bulk_create(
        Barcode(
            store=store, product=row, value=f"{n:013d}", type="EAN", match_key=f"{n:014d}", is_primary=True, position=0
        )
        for n, row in enumerate(rows, start=start)
    )


def test_a_stores_planning_leaves_out_only_its_own_items_on_their_way(require_postgres: None, store: Store) -> None:
    other = Store.objects.create(store_id="TEST_STORE_002", name="Other", currency="USD")
    products(store, 30)
    products(other, 20, start=1000)
    first = sync_plan(store=store)
    SyncRun.objects.filter(pk=first.pk).update(status=SyncStatus.WAITING)  # sent, results to come
    Product.objects.filter(store=store, sku__in=[f"{store.store_id}-{n}" for n in range(5)]).update(
        amazon_fingerprint="fp-renamed"
    )

    assert pending_uploads(store=store).count() == 0  # all 30 are on their way
    assert pending_uploads(store=other).count() == 20  # nothing of the other store is
    second = sync_plan(store=other)

    assert (second.items_total, second.reasons) == (20, {"new": 20})
    assert set(SyncItem.objects.filter(sync_run=second).values_list("product__store_id", flat=True)) == {other.pk}


def test_a_run_being_planned_is_neither_waited_on_nor_queued_again(require_postgres: None, store: Store) -> None:
    run = SyncRun.objects.create(store=store, status=SyncStatus.PLANNING)
    SyncRun.objects.filter(pk=run.pk).update(updated_at=timezone.now() - timedelta(hours=1))
    locked, release = threading.Event(), threading.Event()

    def planner() -> None:  # a worker in the middle of planning: it holds the run's row
        with transaction.atomic():
            SyncRun.objects.select_for_update().get(pk=run.pk)
            locked.set()
            release.wait(30)
        connections.close_all()

    worker = threading.Thread(target=planner)
    worker.start()
    try:
        assert locked.wait(10)
        started = time.monotonic()
        second = sync_run_fill(run_id=run.pk)
        stuck = sync_runs_stuck_planning()
        elapsed = time.monotonic() - started
    finally:
        release.set()
        worker.join()

    assert elapsed < 1.0  # neither waited for the lock
    assert second.status == SyncStatus.PLANNING
    assert stuck == []  # a live planning is never taken for a dead one
    assert sync_runs_stuck_planning() == [run.pk]  # once its planner is gone, it is


def test_planning_leaves_the_planners_statistics_fresh(require_postgres: None, store: Store) -> None:
    products(store, 400)

    sync_plan(store=store)

    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE relname = 'catalog_syncitem'")
        (after,) = cursor.fetchone()
    assert after == 400  # the planner knows the 400 new items (it would not until autovacuum came by)


def test_a_runs_figures_are_kept_as_results_arrive_and_refreshing_never_counts_items(
    require_postgres: None, store: Store, tmp_path: Any
) -> None:
    run_import(store, write_csv(tmp_path / "seed.csv", [COLA, WATER, JUICE]))
    run = sync_plan(store=store)
    batch = run.batches.get()
    SyncItem.objects.filter(batch=batch, sku="SKU-1").update(result=ItemResult.ACCEPTED)  # not through a service

    batch_fail(batch, "Refused for the test")
    with CaptureQueriesContext(connection) as queries:
        refreshed = sync_run_refresh(run_id=run.pk)

    # batch_fail counted the two items it moved; the one moved behind its back is not counted
    assert (refreshed.items_accepted, refreshed.items_failed, refreshed.status) == (0, 2, SyncStatus.DONE)
    assert not any("catalog_syncitem" in query["sql"] for query in queries.captured_queries)
    batch_fail(batch, "again")  # a second failure of the same batch moves nothing: counts stay
    assert SyncRun.objects.values_list("items_failed", flat=True).get(pk=run.pk) == 2
