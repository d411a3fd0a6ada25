"""The sync screens through the test client: who may do what, start, follow, inspect, retry, connectivity."""

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from catalog.models import AmazonCall, Product, Store, SyncItem, SyncRun, UploadBatch
from catalog.services.sync_plan import sync_plan
from jwo_admin.integrations.amazon_catalog import client_reset
from tests.catalog.helpers import COLA, run_import, write_csv
from tests.catalog.sync_helpers import drive
from tests.conftest import client_for

TEA = ["SKU-4", "Hill Tea 20 bags", "4000000000037", "", "", "3.49", "Hill", "Tea"]
REJECTION = "external_product_id failed validation: check digit or format not accepted"

in_transactions = pytest.mark.django_db(transaction=True)


@pytest.fixture
def unfinished(amazon: Any) -> Iterator[Any]:
    """Ingestions accepted in this test stay INQUEUE and are forgotten after it: no notification of
    theirs reaches the queue while a later test reads it."""
    amazon.amazon.knobs.queue_seconds = 3600
    before = set(amazon.amazon.ingestions)
    yield amazon
    for ingestion_id in set(amazon.amazon.ingestions) - before:
        amazon.amazon.ingestions.pop(ingestion_id, None)


@pytest.fixture
def finished_run(sync_catalog: Store, amazon: Any) -> SyncRun:
    """A sync that ended with SKU-3 rejected by Amazon and the other two accepted."""
    amazon.amazon.knobs.reject_skus = {"SKU-3"}
    return drive(sync_plan(store=sync_catalog))


def item_rows(response: Any) -> list[tuple[str, str]]:
    return [(item.sku, item.result) for item in response.context["items"]]


def page_messages(response: Any) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def chart_data(html: str) -> Any:
    found = re.search(r'<script id="sync-chart-data" type="application/json">(.*?)</script>', html, re.S)
    assert found is not None
    return json.loads(found.group(1))


def store_counts(html: str, store_id: str) -> dict[str, int]:
    section = html.split(f'id="store-{store_id}"', 1)[1].split("Download as Amazon upload JSON", 1)[0]
    return {label: int(count) for count, label in re.findall(r"<strong>(\d+)</strong>([a-z ]+)\n", section)}


# --- permissions -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_anonymous_is_sent_to_sign_in(client: Client) -> None:
    response = client.get(reverse("catalog:sync_overview"))

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={reverse('catalog:sync_overview')}"


@pytest.mark.django_db
def test_anonymous_cannot_start_a_sync(client: Client, sync_catalog: Store) -> None:
    response = client.post(reverse("catalog:sync_start"), {"store": sync_catalog.pk})

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={reverse('catalog:sync_start')}"
    assert SyncRun.objects.count() == 0


@pytest.mark.django_db
def test_viewer_sees_the_overview_and_a_run_but_may_not_start_or_retry(
    sync_catalog: Store, viewer_client: Client
) -> None:
    run = SyncRun.objects.create(store=sync_catalog, status="done", items_total=1, items_rejected=1)

    overview = viewer_client.get(reverse("catalog:sync_overview"))
    detail = viewer_client.get(reverse("catalog:sync_detail", args=[run.pk]))
    start = viewer_client.post(reverse("catalog:sync_start"), {"store": sync_catalog.pk})
    retry = viewer_client.post(reverse("catalog:sync_retry", args=[run.pk]))

    assert (overview.status_code, detail.status_code, start.status_code, retry.status_code) == (200, 200, 403, 403)
    assert 'data-testid="sync-TEST_STORE_001"' not in overview.content.decode()
    assert 'id="retry-failed"' not in detail.content.decode()
    assert list(SyncRun.objects.values_list("pk", flat=True)) == [run.pk]
    assert SyncItem.objects.count() == 0


@pytest.mark.django_db
def test_store_manager_may_not_start_a_sync(sync_catalog: Store, store_manager: User) -> None:
    response = client_for(store_manager).post(reverse("catalog:sync_start"), {"store": sync_catalog.pk})

    assert response.status_code == 403
    assert SyncRun.objects.count() == 0


@pytest.mark.django_db
def test_start_of_an_unknown_store_is_not_found(sync_catalog: Store, catalog_client: Client) -> None:
    response = catalog_client.post(reverse("catalog:sync_start"), {"store": 999_999})

    assert response.status_code == 404
    assert SyncRun.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize("value", ["", "abc"])
def test_start_with_a_malformed_store_id_is_not_found(sync_catalog: Store, catalog_client: Client, value: str) -> None:
    response = catalog_client.post(reverse("catalog:sync_start"), {"store": value})

    assert response.status_code == 404
    assert SyncRun.objects.count() == 0


# --- starting ----------------------------------------------------------------------------------


@in_transactions
def test_start_creates_a_run_sends_it_and_shows_it(
    sync_catalog: Store, catalog_manager: User, catalog_client: Client, unfinished: Any
) -> None:
    response = catalog_client.post(reverse("catalog:sync_start"), {"store": sync_catalog.pk})

    run = SyncRun.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("catalog:sync_detail", args=[run.pk])
    assert (run.store_id, run.requested_by_id, run.is_full, run.items_total, run.reasons) == (
        sync_catalog.pk,
        catalog_manager.pk,
        False,
        3,
        {"new": 3},
    )
    assert run.status == "waiting"  # the eager send ran once the request committed
    assert list(AmazonCall.objects.values_list("operation", "status_code", "outcome")) == [("upload", 201, "accepted")]
    batch = run.batches.get()
    assert batch.status == "accepted"
    assert batch.ingestion_id in unfinished.amazon.ingestions


@pytest.mark.django_db
def test_full_start_plans_every_active_product(
    sync_catalog: Store, catalog_client: Client, amazon: Any, django_capture_on_commit_callbacks: Any
) -> None:
    drive(sync_plan(store=sync_catalog))

    with django_capture_on_commit_callbacks(execute=True):  # the worker plans it (tasks run eagerly)
        catalog_client.post(reverse("catalog:sync_start"), {"store": sync_catalog.pk, "full": "1"})

    run = SyncRun.objects.get(is_full=True)
    assert (run.items_total, run.reasons) == (3, {"full": 3})


@pytest.mark.django_db
def test_nothing_to_send_says_so(
    sync_catalog: Store, catalog_client: Client, amazon: Any, django_capture_on_commit_callbacks: Any
) -> None:
    drive(sync_plan(store=sync_catalog))
    calls_before = AmazonCall.objects.count()

    with django_capture_on_commit_callbacks(execute=True):
        started = catalog_client.post(reverse("catalog:sync_start"), {"store": sync_catalog.pk})
    response = catalog_client.get(started["Location"])

    run = SyncRun.objects.latest("id")
    assert started["Location"] == reverse("catalog:sync_detail", args=[run.pk])
    assert "Nothing to send: Amazon has every product of this store as it is." in response.content.decode()
    assert (run.status, run.items_total) == ("done", 0)
    assert run.batches.count() == 0
    assert AmazonCall.objects.count() == calls_before


@pytest.mark.django_db
def test_start_while_a_sync_is_sending_shows_the_error_and_creates_nothing(
    sync_catalog: Store, catalog_client: Client, amazon: Any
) -> None:
    sending = SyncRun.objects.create(store=sync_catalog, status="sending")

    response = catalog_client.post(reverse("catalog:sync_start"), {"store": sync_catalog.pk}, follow=True)

    assert response.redirect_chain == [(reverse("catalog:sync_overview"), 302)]
    assert page_messages(response) == ["A sync of TEST_STORE_001 is already under way; wait for it to finish."]
    assert list(SyncRun.objects.values_list("pk", flat=True)) == [sending.pk]
    assert (SyncItem.objects.count(), UploadBatch.objects.count(), AmazonCall.objects.count()) == (0, 0, 0)


# --- following and inspecting ------------------------------------------------------------------


@pytest.mark.django_db
def test_detail_lists_problems_first_and_filters(finished_run: SyncRun, viewer_client: Client) -> None:
    url = reverse("catalog:sync_detail", args=[finished_run.pk])

    everything = viewer_client.get(url)
    rejected = viewer_client.get(url, {"result": "rejected"})
    accepted = viewer_client.get(url, {"result": "accepted"})
    by_sku = viewer_client.get(url, {"q": " sku-2 "})
    both = viewer_client.get(url, {"q": "SKU", "result": "rejected"})
    unknown_result = viewer_client.get(url, {"result": "lost"})

    assert item_rows(everything) == [("SKU-3", "rejected"), ("SKU-1", "accepted"), ("SKU-2", "accepted")]
    assert item_rows(rejected) == [("SKU-3", "rejected")]
    assert item_rows(accepted) == [("SKU-1", "accepted"), ("SKU-2", "accepted")]
    assert item_rows(by_sku) == [("SKU-2", "accepted")]
    assert item_rows(both) == [("SKU-3", "rejected")]
    assert (unknown_result.context["result"], len(item_rows(unknown_result))) == ("", 3)
    html = everything.content.decode()
    assert re.search(r'<span class="mono">INVALID_BARCODE</span>\s+' + re.escape(REJECTION), html)
    assert '<span class="badge ok" id="sync-status">Done</span>' in html
    assert everything.context["done_percent"] == 100
    nothing = viewer_client.get(url, {"q": "no-such-sku"})
    assert item_rows(nothing) == []
    assert "No items match." in nothing.content.decode()


@pytest.mark.django_db
def test_progress_partial_polls_while_waiting_and_refreshes_when_done(
    sync_catalog: Store, catalog_client: Client, amazon: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        catalog_client.post(reverse("catalog:sync_start"), {"store": sync_catalog.pk})
    run = SyncRun.objects.get()
    url = reverse("catalog:sync_progress", args=[run.pk])

    waiting = catalog_client.get(url)
    drive(run)
    done = catalog_client.get(url)

    assert waiting.status_code == 200
    assert "HX-Refresh" not in waiting
    assert f'hx-get="{url}" hx-trigger="every 1s"' in waiting.content.decode()
    assert "3 items — 3 waiting for a result" in waiting.content.decode()
    assert done["HX-Refresh"] == "true"
    assert "hx-get" not in done.content.decode()
    assert '<strong id="sync-accepted">3</strong>' in done.content.decode()


@pytest.mark.django_db
def test_retry_sends_the_rejected_items_again(
    finished_run: SyncRun, catalog_client: Client, amazon: Any, django_capture_on_commit_callbacks: Any
) -> None:
    amazon.amazon.knobs.reject_skus = set()
    detail = catalog_client.get(reverse("catalog:sync_detail", args=[finished_run.pk]))

    with django_capture_on_commit_callbacks(execute=True):
        response = catalog_client.post(reverse("catalog:sync_retry", args=[finished_run.pk]), {"include_rejected": "1"})

    retry = SyncRun.objects.get(retry_of=finished_run)
    html = detail.content.decode()
    assert "Retry the 1 rejected item" in html
    assert "Rejected items need fixing first: Amazon refuses them again until their product changes" in html
    assert '<input type="hidden" name="include_rejected" value="1">' in html
    assert response["Location"] == reverse("catalog:sync_detail", args=[retry.pk])
    assert list(retry.items.values_list("sku", "reason")) == [("SKU-3", "retry")]
    page = catalog_client.get(response["Location"]).content.decode()
    assert f'retries <a href="{reverse("catalog:sync_detail", args=[finished_run.pk])}">#{finished_run.pk}</a>' in page


@pytest.mark.django_db
def test_retry_without_asking_for_the_rejected_items_says_they_need_fixing_and_creates_nothing(
    finished_run: SyncRun, catalog_client: Client
) -> None:
    response = catalog_client.post(reverse("catalog:sync_retry", args=[finished_run.pk]), follow=True)

    assert response.redirect_chain == [(reverse("catalog:sync_detail", args=[finished_run.pk]), 302)]
    assert page_messages(response) == [
        "Nothing failed in this sync; its rejected items need their product fixed before they are sent again."
    ]
    assert not SyncRun.objects.filter(retry_of=finished_run).exists()


@pytest.mark.django_db
def test_while_a_sync_runs_its_tables_poll_the_page_and_stop_when_it_is_done(
    sync_catalog: Store, catalog_client: Client
) -> None:
    run = sync_plan(store=sync_catalog)
    url = reverse("catalog:sync_detail", args=[run.pk])

    running = catalog_client.get(url, {"result": "pending"}).content.decode()
    overview_running = catalog_client.get(reverse("catalog:sync_overview")).content.decode()
    SyncRun.objects.filter(pk=run.pk).update(status="done")
    done = catalog_client.get(url).content.decode()
    overview_done = catalog_client.get(reverse("catalog:sync_overview")).content.decode()

    polled = f'hx-get="{url}?result=pending" hx-trigger="every 2s" hx-swap="outerHTML"'
    assert f'{polled} hx-select="#sync-batches"' in running
    assert f'{polled} hx-select="#sync-items"' in running
    assert 'hx-get="/catalog/sync/" hx-trigger="every 2s" hx-swap="outerHTML" hx-select="#sync-history-live"' in (
        overview_running
    )
    assert 'hx-select="#sync-batches"' not in done
    assert 'hx-select="#sync-items"' not in done
    assert 'hx-select="#sync-history-live"' not in overview_done


@pytest.mark.django_db
def test_retry_with_nothing_failed_says_so_and_creates_nothing(
    sync_catalog: Store, catalog_client: Client, amazon: Any
) -> None:
    run = drive(sync_plan(store=sync_catalog))

    response = catalog_client.post(reverse("catalog:sync_retry", args=[run.pk]), follow=True)

    assert response.redirect_chain == [(reverse("catalog:sync_detail", args=[run.pk]), 302)]
    assert page_messages(response) == ["Nothing to retry: every item of this sync was accepted or is still pending."]
    assert list(SyncRun.objects.values_list("pk", flat=True)) == [run.pk]


# --- connectivity ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_viewer_may_not_test_connectivity_and_nothing_is_called(viewer_client: Client, amazon: Any) -> None:
    response = viewer_client.post(reverse("catalog:sync_connectivity"))

    assert response.status_code == 403
    assert AmazonCall.objects.count() == 0
    assert 'id="test-connectivity"' not in viewer_client.get(reverse("catalog:sync_overview")).content.decode()


@pytest.mark.django_db
def test_connectivity_against_the_fake_is_a_success(catalog_client: Client, amazon: Any) -> None:
    response = catalog_client.post(reverse("catalog:sync_connectivity"))

    html = response.content.decode()
    call = AmazonCall.objects.get()
    assert response.status_code == 200
    assert re.search(
        r'<span class="badge ok" id="connectivity-amazon">Amazon: Success: signed call answered in '
        r"\d+ ms</span>",
        html,
    )
    assert '<span class="badge ok" id="connectivity-queue">Queue: Success: 0 messages waiting</span>' in html
    assert (call.operation, call.status_code, call.outcome, call.batch_id) == (
        "connectivity",
        400,
        "ok",
        None,
    )


@pytest.mark.django_db
def test_connectivity_to_a_closed_port_shows_the_failure(catalog_client: Client, amazon: Any, settings: Any) -> None:
    settings.JWO_AMAZON_ENDPOINT = "http://127.0.0.1:9"
    client_reset()

    response = catalog_client.post(reverse("catalog:sync_connectivity"))

    html = response.content.decode()
    assert re.search(
        r'<span class="badge bad" id="connectivity-amazon">Amazon: network_error \(HTTP —\): ConnectionError: ', html
    )
    assert list(AmazonCall.objects.values_list("operation", "status_code", "outcome")) == [
        ("connectivity", None, "network_error")
    ]


@pytest.mark.django_db
def test_anonymous_cannot_test_connectivity(client: Client) -> None:
    response = client.post(reverse("catalog:sync_connectivity"))

    assert response.status_code == 302
    assert AmazonCall.objects.count() == 0


# --- overview ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_overview_shows_counts_by_reason_per_store_and_todays_results(
    sync_catalog: Store, other_store: Store, viewer_client: Client, amazon: Any, tmp_path: Path
) -> None:
    run_import(sync_catalog, write_csv(tmp_path / "tea.csv", [TEA]))
    amazon.amazon.knobs.reject_skus = {"SKU-4"}
    drive(sync_plan(store=sync_catalog))
    renamed = [*COLA]
    renamed[1] = "Acme Cola Zero 330ml"
    lemonade = ["SKU-5", "Sunny Lemonade 1L", "4000000000044", "", "", "1.99", "Sunny", "Juice"]
    run_import(sync_catalog, write_csv(tmp_path / "changes.csv", [renamed, lemonade]))
    Product.objects.filter(sku="SKU-2").update(status="archived")
    Product.objects.filter(sku="SKU-3").update(is_archived_on_amazon=True)

    response = viewer_client.get(reverse("catalog:sync_overview"))

    html = response.content.decode()
    previews = {preview.store.store_id: preview for preview in response.context["previews"]}
    ours = previews["TEST_STORE_001"]
    assert (ours.new, ours.changed, ours.reactivated, ours.archived) == (2, 1, 1, 1)
    assert store_counts(html, "TEST_STORE_001") == {"new": 2, "changed": 1, "reactivated": 1, "to archive": 1}
    assert store_counts(html, "TEST_STORE_002") == {"new": 0, "changed": 0, "reactivated": 0, "to archive": 0}
    assert chart_data(html) == {
        "labels": [timezone.localdate().isoformat()],
        "accepted": [3],
        "rejected": [1],
        "failed": [0],
    }


@pytest.mark.django_db
def test_overview_chart_is_empty_before_any_sync(sync_catalog: Store, viewer_client: Client) -> None:
    response = viewer_client.get(reverse("catalog:sync_overview"))

    html = response.content.decode()
    assert chart_data(html) == {"labels": [], "accepted": [], "rejected": [], "failed": []}
    assert store_counts(html, "TEST_STORE_001") == {"new": 3, "changed": 0, "reactivated": 0, "to archive": 0}
    assert "No syncs yet." in html


@pytest.mark.django_db
def test_catalog_manager_sees_the_sync_button_with_the_count(sync_catalog: Store, catalog_client: Client) -> None:
    html = catalog_client.get(reverse("catalog:sync_overview")).content.decode()

    button = re.search(r'data-testid="sync-TEST_STORE_001">\s*(.*?)\s*</button>', html)
    assert button is not None
    assert button.group(1) == "Sync 3 to Amazon"
