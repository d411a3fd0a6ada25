"""The reconciliation queue page: everyone sees it; a Store manager resolves an item with a note
(who and when are kept and shown) or reconciles a day; a Viewer's POST is refused and changes nothing."""

from datetime import UTC, date, datetime
from io import StringIO
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.urls import reverse

from catalog.models import Store
from operations.selectors.alerts import alerts_now
from orders.models import PaymentStatus, ReconciliationDay, ReconciliationItem
from orders.tasks import reconciliation_nightly_task
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


def test_the_reconcile_command_runs_the_day_and_says_what_it_found(store: Store) -> None:
    failed = make_purchase(
        store, at=datetime(2025, 3, 10, 12, tzinfo=UTC), total="4.00", payment_status=PaymentStatus.FAILED
    )
    out = StringIO()

    call_command("reconcile", "--store", store.store_id, "--day", "2025-03-10", stdout=out)

    assert out.getvalue().splitlines()[-1] == (
        "TEST_STORE_001 2025-03-10: 0 admissions (missing carts not decided yet (too early)), "
        "1 priced purchases checked; 1 new, 0 cleared, 1 open."
    )
    assert list(ReconciliationItem.objects.values_list("trip_id", flat=True)) == [failed.trip_id]


def test_the_nightly_task_runs_each_due_store_day_once(
    store: Store, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.JWO_MISSING_CART_HOURS = 2
    monkeypatch.setattr("django.utils.timezone.now", lambda: datetime(2025, 3, 11, 3, tzinfo=UTC))

    assert reconciliation_nightly_task.delay().get() == 1
    assert reconciliation_nightly_task.delay().get() == 0
    day = ReconciliationDay.objects.get()
    assert (day.store, day.day, day.is_closed) == (store, DAY, True)


def test_an_open_missing_cart_raises_the_alert(item: ReconciliationItem) -> None:
    assert [(alert.key, alert.message, alert.url) for alert in alerts_now() if alert.key == "missing_carts"] == [
        (
            "missing_carts",
            "1 admitted shopper with no purchase (missing cart): holds kept until staff decide",
            "/orders/reconciliation/?kind=missing_cart",
        )
    ]
