"""The results path always ends (issue: a batch "Waiting" forever): every wait on Amazon's results
has a deadline, each report link is kept with the expiry its X-Amz-Date and X-Amz-Expires give, and
the fake's links are real SigV4 presigned links that S3-style refuse themselves after 60 minutes.
Each test would fail against the client as it was."""

import contextlib
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.utils import timezone

from catalog.models import BatchStatus, Store, SyncRun, UploadBatch
from catalog.services.sync import (
    sync_batch_poll,
    sync_batch_send,
    sync_follow_up_request,
    sync_plan,
    sync_run_fill,
)
from catalog.services.sync_results import ReportNotReady
from operations.alerts import alerts_now
from tests.catalog.sync_helpers import drive

pytestmark = pytest.mark.django_db(transaction=True)


def sent_and_processed(store: Store, amazon: Any) -> UploadBatch:
    """One batch of the store's three products, accepted by the fake and finished there."""
    run = sync_plan(store=store)
    batch = run.batches.get()
    sync_batch_send(batch_id=batch.pk)
    batch.refresh_from_db()
    assert batch.status == BatchStatus.ACCEPTED
    deadline = timezone.now() + timedelta(seconds=10)
    while amazon.amazon.ingestions[batch.ingestion_id].status != "DONE":
        assert timezone.now() < deadline, "the fake did not finish the ingestion"
    return batch


def poll_now(batch: UploadBatch) -> UploadBatch:
    """The dispatcher's poll, as if its time had come."""
    UploadBatch.objects.filter(pk=batch.pk).update(next_poll_at=timezone.now())
    with contextlib.suppress(ReportNotReady):
        sync_batch_poll(batch_id=batch.pk)
    batch.refresh_from_db()
    return batch


def link_expiry(link: str) -> datetime:
    query = parse_qs(urlsplit(link).query)
    signed = datetime.strptime(query["X-Amz-Date"][0], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    return signed + timedelta(seconds=int(query["X-Amz-Expires"][0]))


def test_a_report_link_that_never_works_ends_the_wait_at_the_deadline(
    sync_catalog: Store, amazon: Any, settings: Any
) -> None:
    settings.JWO_SYNC_POLL_MAX_SECONDS = 3600
    amazon.amazon.knobs.expired_links = 1000  # the status API keeps handing out expired links
    batch = sent_and_processed(sync_catalog, amazon)

    batch = poll_now(batch)
    assert (batch.status, batch.last_error) == ("accepted", "The report link was refused even when fresh")
    assert batch.next_poll_at is not None
    assert batch.next_poll_at > timezone.now()
    assert batch.report_link_expires_at is not None
    assert batch.report_link_expires_at < timezone.now()

    UploadBatch.objects.filter(pk=batch.pk).update(accepted_at=timezone.now() - timedelta(seconds=3601))
    batch = poll_now(batch)

    run = SyncRun.objects.get(pk=batch.sync_run_id)
    assert (batch.status, batch.gave_up, batch.last_error) == (
        "failed",
        True,
        "No result from Amazon 60 minutes after it accepted the batch. "
        "Last: The report link was refused even when fresh",
    )
    assert (run.status, run.items_accepted, run.items_failed, run.items_pending) == ("done", 0, 3, 0)
    assert run.follow_up_at is not None  # its items go back to be sent

    amazon.amazon.knobs.expired_links = 0
    SyncRun.objects.filter(pk=run.pk).update(follow_up_at=timezone.now())
    follow_up = sync_follow_up_request(run_id=run.pk)
    assert follow_up is not None
    sync_run_fill(run_id=follow_up.pk)
    follow_up = drive(SyncRun.objects.get(pk=follow_up.pk))
    assert (follow_up.items_total, follow_up.items_accepted, follow_up.is_follow_up) == (3, 3, True)


def test_each_report_link_is_kept_with_the_expiry_it_states(sync_catalog: Store, amazon: Any) -> None:
    amazon.amazon.knobs.report_error_status = 503  # the report cannot be read for now
    batch = sent_and_processed(sync_catalog, amazon)
    before = timezone.now()

    batch = poll_now(batch)

    assert batch.status == "accepted"
    assert batch.last_error == "The report link answered HTTP 503"
    assert batch.report_link.startswith(f"{amazon.endpoint}/reports/{batch.ingestion_id}.json?X-Amz-Algorithm=")
    assert batch.report_link_expires_at == link_expiry(batch.report_link)
    # 60 minutes from the moment the fake signed it (X-Amz-Date has whole seconds)
    assert (
        timedelta(minutes=59, seconds=59) <= batch.report_link_expires_at - before <= timedelta(minutes=60, seconds=1)
    )


def test_a_link_expiring_unread_raises_the_alert(sync_catalog: Store, amazon: Any, settings: Any) -> None:
    settings.JWO_ALERT_REPORT_EXPIRY_MINUTES = 15
    amazon.amazon.knobs.report_error_status = 503
    amazon.amazon.knobs.link_expiry_seconds = 14 * 60
    batch = sent_and_processed(sync_catalog, amazon)
    assert [alert.key for alert in alerts_now()] == []

    poll_now(batch)

    reports = [alert for alert in alerts_now() if alert.key == "reports"]
    assert [alert.message for alert in reports] == ["1 report link from Amazon expire within 15 min unread"]

    amazon.amazon.knobs.report_error_status = 0
    batch = poll_now(batch)  # read at last: the alert ends
    assert (batch.status, [alert.key for alert in alerts_now() if alert.key == "reports"]) == ("done", [])


def test_the_fakes_report_link_is_refused_once_expired_or_altered(sync_catalog: Store, amazon: Any) -> None:
    batch = sent_and_processed(sync_catalog, amazon)
    ingestion = amazon.amazon.ingestions[batch.ingestion_id]
    link = amazon.amazon.presign(ingestion)

    good = requests.get(link, timeout=10)
    assert (good.status_code, good.json()["ingestionId"]) == (200, batch.ingestion_id)

    longer = link.replace("X-Amz-Expires=3600", "X-Amz-Expires=7200")
    altered = requests.get(longer, timeout=10)
    assert (altered.status_code, "<Code>SignatureDoesNotMatch</Code>" in altered.text) == (403, True)

    amazon.amazon.knobs.expired_links = 1
    expired = requests.get(amazon.amazon.presign(ingestion), timeout=10)
    assert (expired.status_code, expired.text) == (
        403,
        '<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code>'
        "<Message>Request has expired</Message></Error>",
    )
    unsigned = requests.get(link.split("?")[0], timeout=10)
    assert unsigned.status_code == 403
