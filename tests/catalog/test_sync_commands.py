"""The sync commands run as an operator would, against the fake Amazon over HTTP and moto's SQS."""

import re
import time
from collections.abc import Iterator
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from catalog.models import AmazonCall, InboundMessage, Store, SyncItem, SyncRun, UploadBatch
from catalog.services.sync_plan import sync_plan
from catalog.services.sync_send import sync_batch_send
from jwo_admin.integrations.amazon_catalog import client_reset
from tests.catalog.sync_helpers import drive

pytestmark = pytest.mark.django_db

REJECTION = "external_product_id failed validation: check digit or format not accepted"
FATAL = "fatal_error (HTTP 500): Exception encountered while processing the request"


def run_command(name: str, *args: str) -> tuple[str, str]:
    stdout, stderr = StringIO(), StringIO()
    call_command(name, *args, stdout=stdout, stderr=stderr)
    return stdout.getvalue(), stderr.getvalue()


def failing_command(name: str, *args: str) -> tuple[str, str, str]:
    stdout, stderr = StringIO(), StringIO()
    with pytest.raises(CommandError) as caught:
        call_command(name, *args, stdout=stdout, stderr=stderr)
    return str(caught.value), stdout.getvalue(), stderr.getvalue()


def wait_until_notified(fake: Any, ingestion_id: str, timeout: float = 5.0) -> None:
    """The fake has finished the ingestion and published its notification (SNS → SQS)."""
    deadline = time.monotonic() + timeout
    while not fake.amazon.ingestions[ingestion_id].notified:
        assert time.monotonic() < deadline, "the fake did not finish the ingestion"
        time.sleep(0.01)


# --- catalog_upload ----------------------------------------------------------------------------


def test_dry_run_prints_each_store_and_sends_nothing(sync_catalog: Store, other_store: Store, amazon: Any) -> None:
    calls_to_fake = len(amazon.amazon.requests)

    stdout, stderr = run_command("catalog_upload", "--dry-run")

    assert stdout == (
        "TEST_STORE_001: 3 to send — 3 new, 0 changed, 0 reactivated, 0 to archive\n"
        "TEST_STORE_002: 0 to send — 0 new, 0 changed, 0 reactivated, 0 to archive\n"
    )
    assert stderr == ""
    assert (SyncRun.objects.count(), UploadBatch.objects.count(), AmazonCall.objects.count()) == (0, 0, 0)
    assert len(amazon.amazon.requests) == calls_to_fake


def test_wait_syncs_and_prints_the_final_counts_and_rejections(sync_catalog: Store, amazon: Any) -> None:
    amazon.amazon.knobs.reject_skus = {"SKU-2"}

    stdout, stderr = run_command("catalog_upload", "--store", "TEST_STORE_001", "--wait", "--no-progress")

    run = SyncRun.objects.get()
    assert stdout == (
        "TEST_STORE_001: 3 to send — 3 new, 0 changed, 0 reactivated, 0 to archive\n"
        f"  sync #{run.pk}: 1 batches queued\n"
        f"  sync #{run.pk} done: 2 accepted, 1 rejected, 0 failed\n"
        f"    SKU-2 rejected: {REJECTION}\n"
    )
    assert stderr == ""
    assert (run.status, run.items_accepted, run.items_rejected, run.items_failed) == ("done", 2, 1, 0)
    assert run.requested_by is None


def test_second_upload_has_nothing_to_send(sync_catalog: Store, amazon: Any) -> None:
    drive(sync_plan(store=sync_catalog))

    stdout, _ = run_command("catalog_upload", "--wait", "--no-progress")

    assert stdout == "TEST_STORE_001: 0 to send — 0 new, 0 changed, 0 reactivated, 0 to archive\n"
    assert SyncRun.objects.count() == 1


def test_failed_items_end_the_command_with_an_error(sync_catalog: Store, amazon: Any) -> None:
    amazon.amazon.knobs.fatal_500_rate = 1.0

    error, stdout, _ = failing_command("catalog_upload", "--wait", "--no-progress")

    run = SyncRun.objects.get()
    assert error == "Some items failed or the sync did not finish; see the sync pages for details."
    assert stdout == (
        "TEST_STORE_001: 3 to send — 3 new, 0 changed, 0 reactivated, 0 to archive\n"
        f"  sync #{run.pk}: 1 batches queued\n"
        f"  sync #{run.pk} done: 0 accepted, 0 rejected, 3 failed\n"
        f"    SKU-1 failed: {FATAL}\n"
        f"    SKU-2 failed: {FATAL}\n"
        f"    SKU-3 failed: {FATAL}\n"
    )
    assert list(AmazonCall.objects.values_list("operation", "status_code", "outcome")) == [
        ("upload", 500, "fatal_error")
    ]


def test_unknown_store_is_refused(sync_catalog: Store, amazon: Any) -> None:
    error, stdout, _ = failing_command("catalog_upload", "--store", "TEST_STORE_001", "--store", "NOPE")

    assert error == "No store with id NOPE."
    assert stdout == ""
    assert (SyncRun.objects.count(), AmazonCall.objects.count()) == (0, 0)


def test_store_already_sending_is_reported_and_fails_the_command(sync_catalog: Store, amazon: Any) -> None:
    sending = SyncRun.objects.create(store=sync_catalog, status="sending")

    error, stdout, stderr = failing_command("catalog_upload", "--no-progress")

    assert error == "Some items failed or the sync did not finish; see the sync pages for details."
    assert stdout == "TEST_STORE_001: 3 to send — 3 new, 0 changed, 0 reactivated, 0 to archive\n"
    assert stderr == "A sync of TEST_STORE_001 is already under way; wait for it to finish.\n"
    assert list(SyncRun.objects.values_list("pk", flat=True)) == [sending.pk]
    assert (SyncItem.objects.count(), AmazonCall.objects.count()) == (0, 0)


# --- catalog_results ---------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_results_command_applies_the_notifications(sync_catalog: Store, amazon: Any) -> None:
    amazon.amazon.knobs.reject_skus = {"SKU-3"}
    run = sync_plan(store=sync_catalog)
    batch = run.batches.get()
    sync_batch_send(batch_id=batch.pk)
    batch.refresh_from_db()
    wait_until_notified(amazon, batch.ingestion_id or "")

    stdout, _ = run_command("catalog_results")

    run.refresh_from_db()
    batch.refresh_from_db()
    assert stdout == "received 1, handled 1, failed 0, receive errors 0\n"
    assert (run.status, run.items_accepted, run.items_rejected, run.items_failed) == ("done", 2, 1, 0)
    assert batch.status == "done"
    assert list(run.items.values_list("sku", "result", "code")) == [
        ("SKU-1", "accepted", ""),
        ("SKU-2", "accepted", ""),
        ("SKU-3", "rejected", "INVALID_BARCODE"),
    ]
    assert list(InboundMessage.objects.values_list("ingestion_id", "status")) == [(batch.ingestion_id, "applied")]


def test_results_command_with_an_empty_queue(amazon: Any) -> None:
    stdout, _ = run_command("catalog_results")

    assert stdout == "received 0, handled 0, failed 0, receive errors 0\n"
    assert InboundMessage.objects.count() == 0


def test_results_command_needs_a_queue(settings: Any) -> None:
    settings.JWO_SQS_QUEUE_URL = ""

    error, stdout, _ = failing_command("catalog_results")

    assert (error, stdout) == ("JWO_SQS_QUEUE_URL is not set.", "")


# --- catalog_status ----------------------------------------------------------------------------


@pytest.fixture
def unfinished(amazon: Any) -> Iterator[Any]:
    """Ingestions accepted in this test stay INQUEUE and are forgotten after it: no notification of
    theirs reaches the queue while a later test reads it."""
    amazon.amazon.knobs.queue_seconds = 3600
    before = set(amazon.amazon.ingestions)
    yield amazon
    for ingestion_id in set(amazon.amazon.ingestions) - before:
        amazon.amazon.ingestions.pop(ingestion_id, None)


def test_status_of_a_waiting_ingestion_names_our_batch(sync_catalog: Store, unfinished: Any) -> None:
    run = sync_plan(store=sync_catalog)
    batch = run.batches.get()
    sync_batch_send(batch_id=batch.pk)
    batch.refresh_from_db()

    stdout, _ = run_command("catalog_status", batch.ingestion_id or "")

    assert stdout == (
        f"processingStatus: INQUEUE\nreportDownloadLink: —\nours: sync #{run.pk} batch 1 (upload, 3 items), accepted\n"
    )
    calls = AmazonCall.objects.filter(batch=batch).order_by("id")
    assert list(calls.values_list("operation", "status_code", "outcome")) == [
        ("upload", 201, "accepted"),
        ("status", 200, "ok"),
    ]


def test_status_of_a_finished_ingestion_gives_the_report_link(sync_catalog: Store, amazon: Any) -> None:
    run = drive(sync_plan(store=sync_catalog))
    batch = run.batches.get()

    stdout, _ = run_command("catalog_status", batch.ingestion_id or "")

    lines = stdout.splitlines()
    assert lines[0] == "processingStatus: DONE"
    assert re.fullmatch(
        rf"reportDownloadLink: {re.escape(amazon.endpoint)}/reports/{batch.ingestion_id}\.json"
        r"\?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIA[0-9A-F]{16}%2F\d{8}%2Fus-east-1%2Fs3%2Faws4_request"
        r"&X-Amz-Date=\d{8}T\d{6}Z&X-Amz-Expires=3600&X-Amz-SignedHeaders=host&X-Amz-Signature=[0-9a-f]{64}",
        lines[1],
    )
    assert lines[2:] == [f"ours: sync #{run.pk} batch 1 (upload, 3 items), done"]


def test_status_of_an_unknown_ingestion_is_an_error(amazon: Any) -> None:
    error, stdout, _ = failing_command("catalog_status", "not-an-ingestion")

    assert error == "invalid_body (HTTP 400): InvalidRequestException: ingestionId not associated with this retailer"
    assert stdout == ""
    assert list(AmazonCall.objects.values_list("operation", "status_code", "batch")) == [("status", 400, None)]


# --- jwo_connectivity --------------------------------------------------------------------------


def test_connectivity_command_against_the_fake(amazon: Any) -> None:
    stdout, _ = run_command("jwo_connectivity")

    assert re.fullmatch(
        r"Amazon catalog API: Success: signed call answered in \d+ ms\nResults queue: Success: 0 messages waiting\n",
        stdout,
    )
    assert list(AmazonCall.objects.values_list("operation", "status_code", "outcome")) == [("connectivity", 400, "ok")]


def test_connectivity_command_fails_when_amazon_is_unreachable(amazon: Any, settings: Any) -> None:
    settings.JWO_AMAZON_ENDPOINT = "http://127.0.0.1:9"
    client_reset()

    error, stdout, _ = failing_command("jwo_connectivity")

    assert error == "Amazon's catalog API is not reachable with our credentials."
    lines = stdout.splitlines()
    assert lines[0].startswith("Amazon catalog API: network_error (HTTP —): ConnectionError: ")
    assert lines[1:] == ["Results queue: Success: 0 messages waiting"]
