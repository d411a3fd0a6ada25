"""The reconciliation queue page: everyone sees it; a Store manager resolves an item with a note
(who and when are kept and shown) or reconciles a day; a Viewer's POST is refused and changes nothing."""

from datetime import UTC, date, datetime
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from catalog.models import Store
from orders.models import PaymentStatus, ReconciliationDay, ReconciliationItem
from tests.conftest import client_for
from tests.orders.test_views import make_purchase, table_rows

pytestmark = pytest.mark.django_db

DAY = date(2025, 3, 10)


@pytest.fixture
def item(store: Store, settings: Any) -> ReconciliationItem:
    settings.TIME_ZONE = "UTC"
    return ReconciliationItem.objects.create(
        store=store, store_day=DAY, kind="missing_cart", trip_id="ev-lost", reason="Admitted at gate event ev-lost"
    )


def test_the_queue_lists_open_items_for_every_role(item: ReconciliationItem, viewer: User) -> None:
    html = client_for(viewer).get(reverse("orders:reconciliation")).content.decode()

    rows = table_rows(html, "reconciliation-queue")
    assert [row[:5] for row in rows] == [
        [
            "2025-03-10",
            "Test Store",
            "Missing cart (admitted, no purchase)",
            "ev-lost",
            "Admitted at gate event ev-lost",
        ]
    ]
    assert ">Resolve</button>" not in html  # a Viewer may only look
    assert "Reconcile this day" not in html


def test_filters_narrow_the_queue(item: ReconciliationItem, store: Store, viewer: User) -> None:
    client = client_for(viewer)

    assert table_rows(client.get(reverse("orders:reconciliation"), {"kind": "uncaptured"}).content.decode(),
                      "reconciliation-queue") == [["Nothing to reconcile here."]]  # fmt: skip
    rows = table_rows(
        client.get(reverse("orders:reconciliation"), {"store": str(store.pk), "day": "2025-03-10"}).content.decode(),
        "reconciliation-queue",
    )
    assert [row[3] for row in rows] == ["ev-lost"]


def test_resolving_with_a_note_records_who_and_when(item: ReconciliationItem, store_manager: User) -> None:
    client = client_for(store_manager)
    response = client.post(reverse("orders:reconciliation_resolve", args=[item.pk]), {"note": "Shopper left empty"})

    assert response.status_code == 302
    item.refresh_from_db()
    assert (item.status, item.resolution_note, item.resolved_by) == ("resolved", "Shopper left empty", store_manager)
    html = client.get(reverse("orders:reconciliation"), {"status": "resolved"}).content.decode()
    status_cell = table_rows(html, "reconciliation-queue")[0][7]
    assert status_cell.startswith("Resolved Shopper left empty — storemgr, ")


def test_a_resolve_without_a_note_changes_nothing(item: ReconciliationItem, store_manager: User) -> None:
    client_for(store_manager).post(reverse("orders:reconciliation_resolve", args=[item.pk]), {"note": "  "})

    item.refresh_from_db()
    assert (item.status, item.resolved_by) == ("open", None)


def test_a_viewer_is_refused_and_nothing_changes(item: ReconciliationItem, store: Store, viewer: User) -> None:
    client = client_for(viewer)

    resolve = client.post(reverse("orders:reconciliation_resolve", args=[item.pk]), {"note": "mine"})
    run = client.post(reverse("orders:reconciliation_run"), {"store": store.pk, "day": "2025-03-10"})

    assert (resolve.status_code, run.status_code) == (403, 403)
    item.refresh_from_db()
    assert (item.status, item.resolution_note, item.resolved_by) == ("open", "", None)
    assert ReconciliationDay.objects.count() == 0


def test_reconcile_this_day_runs_it_and_lists_the_day(store: Store, store_manager: User, settings: Any) -> None:
    settings.TIME_ZONE = "UTC"
    failed = make_purchase(
        store, at=datetime(2025, 3, 10, 12, tzinfo=UTC), total="4.00", payment_status=PaymentStatus.FAILED
    )
    client = client_for(store_manager)

    response = client.post(reverse("orders:reconciliation_run"), {"store": store.pk, "day": "2025-03-10"})

    assert response["Location"] == f"/orders/reconciliation/?store={store.pk}&day=2025-03-10"
    assert list(ReconciliationItem.objects.values_list("kind", "trip_id")) == [("uncaptured", failed.trip_id)]
    days = table_rows(client.get(response["Location"]).content.decode(), "reconciliation-days")
    assert [[row[0], row[1], row[3], row[4]] for row in days] == [["2025-03-10", "Test Store", "1", "Open"]]
