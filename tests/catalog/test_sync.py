"""The catalog sync against the fake Amazon over real HTTP, with moto's STS, S3, SNS and SQS."""

from pathlib import Path
from typing import Any

import pytest

from catalog.models import AmazonCall, InboundMessage, ItemResult, Product, Store, SyncItem, SyncRun
from catalog.selectors.sync import sync_preview, sync_runs_stuck_planning
from catalog.services.sync_plan import SyncAlreadyRunning, sync_plan, sync_request, sync_retry_failed, sync_run_fill
from jwo_admin.core.exceptions import ApplicationError
from tests.catalog.helpers import COLA, JUICE, WATER, run_import, write_csv
from tests.catalog.sync_helpers import drive

pytestmark = pytest.mark.django_db(transaction=True)


def test_sync_uploads_changes_and_applies_results_from_notifications(sync_catalog: Store, fake_amazon: Any) -> None:
    fake_amazon.amazon.knobs.reject_skus = {"SKU-2"}

    run = drive(sync_plan(store=sync_catalog))

    assert (run.status, run.items_total, run.items_accepted, run.items_rejected, run.items_failed) == (
        "done",
        3,
        2,
        1,
        0,
    )
    assert run.reasons == {"new": 3}
    water = SyncItem.objects.get(sku="SKU-2")
    assert (water.result, water.code) == (ItemResult.REJECTED, "INVALID_BARCODE")
    assert water.message.startswith("external_product_id failed validation")
    synced = Product.objects.get(sku="SKU-1")
    assert synced.synced_fingerprint == synced.amazon_fingerprint
    assert synced.synced_at is not None
    assert Product.objects.get(sku="SKU-2").synced_fingerprint == ""
    assert Product.objects.get(sku="SKU-2").sync_error == water.message
    batch = run.batches.get()
    assert batch.status == "done"
    assert str(batch.report_file.name).endswith(f"{batch.ingestion_id}.json")
    assert InboundMessage.objects.filter(ingestion_id=batch.ingestion_id, status="applied").count() == 1
    calls = AmazonCall.objects.filter(batch=batch).order_by("id")
    assert list(calls.values_list("operation", "status_code", "outcome", "message", "request_bytes")) == [
        ("upload", 201, "accepted", "", len(batch.request_body)),
        ("report", 200, "ok", "", 0),  # the report's download, recorded like every call to Amazon
    ]
    download = calls.get(operation="report")
    assert download.response_excerpt == batch.report_file.read()[:500].decode()


def test_nothing_pending_means_an_empty_finished_run(sync_catalog: Store, fake_amazon: Any) -> None:
    drive(sync_plan(store=sync_catalog))

    second = sync_plan(store=sync_catalog)

    assert (second.status, second.items_total) == ("done", 0)
    assert second.batches.count() == 0
    preview = sync_preview(store=sync_catalog)
    assert (preview.new, preview.changed, preview.archived) == (0, 0, 0)


def test_only_real_changes_are_sent_again(sync_catalog: Store, fake_amazon: Any, tmp_path: Path) -> None:
    drive(sync_plan(store=sync_catalog))
    renamed = [*WATER]
    renamed[1] = "Harbor Spring Water 500ml"
    run_import(sync_catalog, write_csv(tmp_path / "b.csv", [COLA, renamed, JUICE]))

    preview = sync_preview(store=sync_catalog)
    run = drive(sync_plan(store=sync_catalog))

    assert (preview.new, preview.changed) == (0, 1)
    assert list(run.items.values_list("sku", "reason", "result")) == [("SKU-2", "changed", "accepted")]
    sent = run.batches.get().payload["catalogItems"]
    assert [item["item_name"] for item in sent] == ["Harbor Spring Water 500ml"]


def test_polling_gets_results_when_no_notification_arrives(sync_catalog: Store, fake_amazon: Any) -> None:
    run = drive(sync_plan(store=sync_catalog), use_notifications=False)

    assert (run.items_accepted, run.items_failed) == (3, 0)
    operations = list(AmazonCall.objects.values_list("operation", flat=True).order_by("id"))
    assert operations[0] == "upload"
    assert "status" in operations


def test_batches_respect_the_configured_size(sync_catalog: Store, fake_amazon: Any, settings: Any) -> None:
    settings.JWO_SYNC_BATCH_SIZE = 2

    run = drive(sync_plan(store=sync_catalog))

    assert list(run.batches.values_list("sequence", "item_count", "status")) == [(1, 2, "done"), (2, 1, "done")]
    assert run.items_accepted == 3


def test_second_sync_of_a_store_is_refused_while_the_first_sends(sync_catalog: Store, fake_amazon: Any) -> None:
    sending = SyncRun.objects.create(store=sync_catalog, status="sending")

    with pytest.raises(SyncAlreadyRunning):
        sync_plan(store=sync_catalog)

    assert list(SyncRun.objects.values_list("pk", flat=True)) == [sending.pk]
    assert SyncItem.objects.count() == 0


def test_throttling_and_retryable_errors_are_retried_until_accepted(
    sync_catalog: Store, fake_amazon: Any, settings: Any
) -> None:
    fake_amazon.amazon.knobs.throttle_rate = 0.5
    fake_amazon.amazon.knobs.retryable_500_rate = 0.3
    # 65 % of calls fail at random: 8 failures in a row (the default limit) happen about 3 runs in
    # a hundred; this test is about retrying, not about giving up.
    settings.JWO_SYNC_MAX_ATTEMPTS = 40

    run = drive(sync_plan(store=sync_catalog))

    assert run.items_accepted == 3
    outcomes = list(AmazonCall.objects.filter(operation="upload").order_by("id").values_list("outcome", flat=True))
    assert outcomes[-1] == "accepted"
    assert set(outcomes[:-1]) <= {"throttled", "retryable_error"}


def test_non_retryable_error_fails_the_batch_with_amazons_message(sync_catalog: Store, fake_amazon: Any) -> None:
    fake_amazon.amazon.knobs.fatal_500_rate = 1.0

    run = drive(sync_plan(store=sync_catalog))

    assert (run.items_failed, run.items_accepted) == (3, 0)
    assert set(run.items.values_list("message", flat=True)) == {
        "fatal_error (HTTP 500): Exception encountered while processing the request"
    }
    assert AmazonCall.objects.filter(operation="upload").count() == 1
    assert Product.objects.filter(synced_fingerprint="").count() == 3


def test_unknown_store_is_refused_whole_with_errormsg(sync_catalog: Store, fake_amazon: Any) -> None:
    fake_amazon.amazon.known_stores = {"SOMEONE_ELSES_STORE"}

    run = drive(sync_plan(store=sync_catalog))

    assert run.items_failed == 3
    assert run.batches.get().last_error == (
        "store_id_error (HTTP 400): One or more StoreID's present in the request is incorrect"
    )


def test_retries_give_up_after_max_attempts(sync_catalog: Store, fake_amazon: Any, settings: Any) -> None:
    settings.JWO_SYNC_MAX_ATTEMPTS = 3
    fake_amazon.amazon.knobs.throttle_rate = 1.0

    run = drive(sync_plan(store=sync_catalog))

    assert run.items_failed == 3
    assert run.batches.get().last_error.startswith("Gave up after 3 attempts; last: throttled (HTTP 429)")
    assert AmazonCall.objects.filter(operation="upload").count() == 3


def test_duplicate_notifications_apply_once(sync_catalog: Store, fake_amazon: Any) -> None:
    fake_amazon.amazon.knobs.duplicate_notifications = 3

    run = drive(sync_plan(store=sync_catalog))

    assert run.items_accepted == 3
    batch = run.batches.get()
    assert InboundMessage.objects.filter(ingestion_id=batch.ingestion_id).count() == 3
    assert SyncItem.objects.filter(result="accepted").count() == 3


def test_fatal_ingestion_fails_every_item(sync_catalog: Store, fake_amazon: Any) -> None:
    fake_amazon.amazon.knobs.fatal_ingestion_rate = 1.0

    run = drive(sync_plan(store=sync_catalog))

    assert run.items_failed == 3
    assert set(run.items.values_list("message", flat=True)) == {
        "Amazon ended the ingestion as FATAL; nothing of it was applied. Sync again."
    }


def test_expired_report_link_is_refreshed_through_the_status_api(sync_catalog: Store, fake_amazon: Any) -> None:
    fake_amazon.amazon.knobs.expired_links = 1  # the link in the notification has already expired

    run = drive(sync_plan(store=sync_catalog))

    assert run.items_accepted == 3
    batch = run.batches.get()
    assert list(AmazonCall.objects.filter(batch=batch).order_by("id").values_list("operation", "outcome")) == [
        ("upload", "accepted"),
        ("report", "link_refused"),
        ("status", "ok"),
        ("report", "ok"),
    ]
    refused = AmazonCall.objects.get(batch=batch, outcome="link_refused")
    assert (refused.status_code, refused.message) == (403, "The report link answered HTTP 403")
    assert InboundMessage.objects.get(ingestion_id=batch.ingestion_id).status == "applied"


def test_archived_products_go_through_archive_catalog_with_every_store(
    sync_catalog: Store, other_store: Store, fake_amazon: Any
) -> None:
    drive(sync_plan(store=sync_catalog))
    Product.objects.filter(sku="SKU-3").update(status="archived")

    run = drive(sync_plan(store=sync_catalog))

    batch = run.batches.get()
    assert batch.kind == "archive"
    assert batch.payload == {"itemSkus": ["SKU-3"], "allApplicableStores": ["TEST_STORE_001", "TEST_STORE_002"]}
    assert run.items.get().result == "accepted"
    assert Product.objects.get(sku="SKU-3").is_archived_on_amazon is True

    Product.objects.filter(sku="SKU-3").update(status="active")
    again = drive(sync_plan(store=sync_catalog))
    assert list(again.items.values_list("sku", "reason", "result")) == [("SKU-3", "reactivated", "accepted")]
    assert Product.objects.get(sku="SKU-3").is_archived_on_amazon is False


def test_retry_failed_items_sends_only_those(sync_catalog: Store, fake_amazon: Any) -> None:
    fake_amazon.amazon.knobs.reject_skus = {"SKU-2"}
    first = drive(sync_plan(store=sync_catalog))
    fake_amazon.amazon.knobs.reject_skus = set()

    retry = drive(sync_retry_failed(run=first, include_rejected=True))

    assert list(retry.items.values_list("sku", "reason", "result")) == [("SKU-2", "retry", "accepted")]
    assert (retry.retry_of_id, retry.retry_includes_rejected) == (first.pk, True)


def test_a_retry_sends_the_failed_items_and_the_rejected_ones_only_when_asked(
    sync_catalog: Store, fake_amazon: Any
) -> None:
    fake_amazon.amazon.knobs.reject_skus = {"SKU-2"}
    first = drive(sync_plan(store=sync_catalog))
    first.items.filter(sku="SKU-1").update(result="failed")
    fake_amazon.amazon.knobs.reject_skus = set()

    failed_only = drive(sync_retry_failed(run=first))
    both = drive(sync_retry_failed(run=first, include_rejected=True))

    assert list(failed_only.items.values_list("sku", "result")) == [("SKU-1", "accepted")]
    assert sorted(both.items.values_list("sku", "result")) == [("SKU-1", "accepted"), ("SKU-2", "accepted")]


def test_a_retry_of_rejected_items_alone_is_refused_unless_asked(sync_catalog: Store, fake_amazon: Any) -> None:
    fake_amazon.amazon.knobs.reject_skus = {"SKU-2"}
    first = drive(sync_plan(store=sync_catalog))

    with pytest.raises(ApplicationError) as refused:
        sync_retry_failed(run=first)

    assert refused.value.message == (
        "Nothing failed in this sync; its rejected items need their product fixed before they are sent again."
    )
    assert SyncRun.objects.filter(retry_of=first).count() == 0


def test_a_requested_sync_holds_the_store_and_a_dead_planner_is_replaced(
    sync_catalog: Store, fake_amazon: Any, settings: Any
) -> None:
    # As if the worker that was to plan it died: the run holds the store, planning, with no batch.
    run = SyncRun.objects.create(store=sync_catalog, status="planning")
    with pytest.raises(SyncAlreadyRunning):
        sync_request(store=sync_catalog)
    settings.JWO_SYNC_STALE_SECONDS = 0

    stuck = sync_runs_stuck_planning()
    planned = sync_run_fill(run_id=run.pk)
    again = sync_run_fill(run_id=run.pk)  # a second worker finds nothing left to plan

    assert stuck == [run.pk]
    assert (planned.status, planned.items_total, planned.batches.count()) == ("sending", 3, 1)
    assert (again.items_total, SyncItem.objects.count()) == (3, 3)
    assert drive(planned).items_accepted == 3


def test_preview_counts_products_amazon_refused_last_time(sync_catalog: Store, fake_amazon: Any) -> None:
    fake_amazon.amazon.knobs.reject_skus = {"SKU-2"}
    drive(sync_plan(store=sync_catalog))

    preview = sync_preview(store=sync_catalog)

    assert (preview.new, preview.changed, preview.previously_refused, preview.total) == (1, 0, 1, 1)
