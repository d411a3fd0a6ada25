"""Drill: the (fake) Amazon answers garbage — a 200 whose body is an HTML page — to uploads, then to
status polls, over real HTTP.

What must hold: each garbage answer is recorded as *unexpected* and retried later; nothing is
taken for an acceptance or a result (no item marked synced, no product marked sent); once Amazon
answers properly, every item ends accepted exactly once and each product is marked synced.
"""

import contextlib
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from catalog.models import AmazonCall, BatchStatus, ItemResult, Product, Store, SyncItem, UploadBatch
from catalog.services.sync_plan import sync_plan
from catalog.services.sync_poll import sync_batch_poll
from catalog.services.sync_results import ReportNotReady
from catalog.services.sync_send import sync_batch_send
from tests.catalog.helpers import COLA, JUICE, WATER, run_import, write_csv
from tests.catalog.sync_helpers import drive

pytestmark = [pytest.mark.django_db, pytest.mark.drill]


def test_garbage_from_amazon_is_retried_never_believed(
    store: Store, fake_amazon: Any, settings: Any, tmp_path: Path
) -> None:
    settings.JWO_SQS_WAIT_SECONDS = 0
    settings.JWO_SYNC_MAX_ATTEMPTS = 10
    fake_amazon.amazon.knobs.rate_limit = 1000
    run_import(store, write_csv(tmp_path / "seed.csv", [COLA, WATER, JUICE]))
    run = sync_plan(store=store)
    [batch] = run.batches.all()

    fake_amazon.amazon.knobs.garbage_rate = 1.0
    for _ in range(3):  # three garbage answers to the upload
        UploadBatch.objects.filter(pk=batch.pk).update(next_attempt_at=None)
        sync_batch_send(batch_id=batch.pk)
    after_garbage_uploads = UploadBatch.objects.get(pk=batch.pk)
    synced_during = Product.objects.exclude(synced_fingerprint="").count()

    fake_amazon.amazon.knobs.garbage_rate = 0.0
    UploadBatch.objects.filter(pk=batch.pk).update(next_attempt_at=None)
    sync_batch_send(batch_id=batch.pk)  # accepted now
    fake_amazon.amazon.knobs.garbage_rate = 1.0
    for _ in range(2):  # polls answered with garbage: no report, no result
        UploadBatch.objects.filter(pk=batch.pk).update(next_poll_at=timezone.now())
        with contextlib.suppress(ReportNotReady):
            sync_batch_poll(batch_id=batch.pk)
    while_polls_were_garbage = (
        UploadBatch.objects.get(pk=batch.pk).status,
        SyncItem.objects.filter(batch=batch, result=ItemResult.PENDING).count(),
    )

    fake_amazon.amazon.knobs.garbage_rate = 0.0
    finished = drive(run, use_notifications=False)

    assert (after_garbage_uploads.status, after_garbage_uploads.attempts) == (BatchStatus.PENDING, 3)
    assert after_garbage_uploads.last_error == "unexpected (HTTP 200): HTTP 200 with a body that is not a JSON object"
    assert synced_during == 0
    assert while_polls_were_garbage == (BatchStatus.ACCEPTED, 3)
    uploads = list(AmazonCall.objects.filter(operation="upload").order_by("pk").values_list("outcome", flat=True))
    assert uploads == ["unexpected", "unexpected", "unexpected", "accepted"]
    statuses = list(AmazonCall.objects.filter(operation="status").order_by("pk").values_list("outcome", flat=True))
    assert statuses[:2] == ["unexpected", "unexpected"]
    assert finished.status == "done"
    assert sorted(SyncItem.objects.filter(batch=batch).values_list("sku", "result")) == sorted(
        (row[0], ItemResult.ACCEPTED) for row in (COLA, WATER, JUICE)
    )
    assert Product.objects.filter(store=store).exclude(synced_fingerprint="").count() == 3
    assert Product.objects.filter(store=store, synced_fingerprint="").count() == 0
