"""Apply Amazon's results for one batch: fetch the report (60-minute presigned link), keep the
raw copy, and give every item of the batch its final result exactly once."""

import logging
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from catalog.models import (
    BatchKind,
    BatchStatus,
    InboundMessage,
    ItemResult,
    Product,
    ProductChange,
    SyncItem,
    UploadBatch,
)
from catalog.services.sync_records import amazon_call_record, run_counts_add, sync_run_refresh
from catalog.sync_reports import Report, ReportUnreadable, report_read
from jwo_admin.core.metrics import sync_items
from jwo_admin.integrations.amazon_catalog import Outcome, client_from_settings, report_link_expiry
from jwo_admin.integrations.report_store import (
    report_download,
    stored_report_delete,
    stored_report_read,
    stored_report_save,
)

logger = logging.getLogger(__name__)


class ReportNotReady(Exception):
    """The report could not be fetched now (network, expired link twice); try again later."""


@dataclass(frozen=True)
class Notification:
    """An SQS message to record in the same transaction as the results it carries."""

    message_id: str
    ingestion_id: str
    body: str


def _download(batch: UploadBatch, link: str) -> bytes | None:
    """The report's bytes, or None when the link has expired or is refused (S3 answers 403).
    Every download is recorded as a call to Amazon, whatever came back."""
    download = report_download(link=link)
    amazon_call_record(download.call, batch)
    if download.content is not None:
        return download.content
    if download.is_link_refused:
        return None
    raise ReportNotReady(download.call.message)


def _fresh_link(batch: UploadBatch) -> str:
    """Ask the status API for a new presigned link (ours expired: they last 60 minutes)."""
    result = client_from_settings().status(batch.ingestion_id or "")
    amazon_call_record(result, batch)
    if result.outcome is not Outcome.OK or not result.report_link:
        raise ReportNotReady(f"No fresh report link: {result.outcome.value} {result.message}")
    _link_remember(batch, result.report_link)
    return result.report_link


def _link_remember(batch: UploadBatch, link: str) -> None:
    """Keep the link Amazon gave and when it stops working (the alert on reports expiring unread
    reads these), before trying it."""
    UploadBatch.objects.filter(pk=batch.pk).update(
        report_link=link, report_link_expires_at=report_link_expiry(link), updated_at=timezone.now()
    )


def _store_raw(batch: UploadBatch, raw: bytes) -> str:
    """Keep Amazon's report as received: our S3 bucket in production, local media otherwise."""
    return stored_report_save(name=f"reports/{timezone.now():%Y/%m}/{batch.ingestion_id}.json", raw=raw)


def report_raw_read(*, batch: UploadBatch) -> bytes:
    """The report kept for ``batch``, as it was received."""
    return stored_report_read(stored=str(batch.report_file))


def report_raw_delete(*, batch: UploadBatch) -> None:
    """Delete the report kept for ``batch`` (retention: catalog.services.files)."""
    stored_report_delete(stored=str(batch.report_file))


def batch_results_apply(*, batch_id: int, link: str, notification: Notification | None = None) -> bool:
    """Fetch, keep and apply the report of an accepted batch. Returns True when results were
    applied now, False when the batch already had them (a duplicate notice or poll).

    Raises ReportNotReady when the report cannot be had yet (the caller retries later).
    """
    batch = UploadBatch.objects.defer("body").get(pk=batch_id)
    if batch.status != BatchStatus.ACCEPTED:
        if notification is not None:
            _record_notification(notification, InboundMessage.Status.APPLIED, "results were already applied")
        return False
    if link:
        _link_remember(batch, link)
    raw = _download(batch, link) if link else None
    if raw is None:
        raw = _download(batch, _fresh_link(batch))
        if raw is None:
            raise ReportNotReady("The report link was refused even when fresh")
    try:
        report = report_read(raw)
    except ReportUnreadable as error:  # Amazon took the batch: what became of its items is unknown
        report = Report([], [f"Amazon's report could not be read ({error}); the raw report is kept."])
    stored = _store_raw(batch, raw)
    try:
        return _apply(batch, report, stored, notification)
    except IntegrityError:  # the same notification delivered twice at once: the other one applied it
        return False


def _record_notification(notification: Notification, status: str, error: str = "") -> None:
    try:
        with transaction.atomic():
            InboundMessage.objects.create(
                message_id=notification.message_id,
                ingestion_id=notification.ingestion_id,
                status=status,
                body=notification.body,
                error=error,
            )
    except IntegrityError:
        pass  # already recorded: a duplicate delivery


UNMENTIONED = "Amazon's report does not mention this item: its result is unknown (the next sync sends it again)."


@transaction.atomic
def _apply(batch: UploadBatch, report: Report, stored: str, notification: Notification | None) -> bool:
    locked = UploadBatch.objects.select_for_update().only("pk", "status").get(pk=batch.pk)
    if notification is not None:
        InboundMessage.objects.create(
            message_id=notification.message_id,
            ingestion_id=notification.ingestion_id,
            status=InboundMessage.Status.APPLIED,
            body=notification.body,
        )
    if locked.status != BatchStatus.ACCEPTED:
        return False
    now = timezone.now()
    by_sku = {entry.sku: entry for entry in report.entries}
    pending = list(
        SyncItem.objects.filter(batch=batch, result=ItemResult.PENDING).order_by().only("pk", "sku", "product_id")
    )
    accepted_ids: list[int] = []
    changed: list[SyncItem] = []
    rejected_products: list[Product] = []
    for item in pending:
        entry = by_sku.get(item.sku)
        if entry is not None and entry.is_accepted:
            accepted_ids.append(item.pk)
            continue
        if entry is None:  # not "failed": Amazon took the item and did not say what became of it
            item.result, item.code, item.message = ItemResult.UNKNOWN, "NOT_IN_REPORT", UNMENTIONED
        else:
            item.result, item.code, item.message, item.details = (
                ItemResult.REJECTED,
                entry.code,
                entry.message,
                entry.details,
            )
            rejected_products.append(Product(pk=item.product_id, sync_error=item.message[:500]))
        item.finished_at = now
        changed.append(item)
    accepted = 0
    for start in range(0, len(accepted_ids), 5000):
        accepted += SyncItem.objects.filter(pk__in=accepted_ids[start : start + 5000]).update(
            result=ItemResult.ACCEPTED, finished_at=now
        )
    SyncItem.objects.bulk_update(changed, ["result", "code", "message", "details", "finished_at"], batch_size=2000)
    unknown = sum(1 for item in changed if item.result == ItemResult.UNKNOWN)
    run_counts_add(run_id=batch.sync_run_id, accepted=accepted, rejected=len(changed) - unknown, unknown=unknown)
    Product.objects.bulk_update(rejected_products, ["sync_error"], batch_size=2000)
    ProductChange.objects.bulk_create(
        [
            ProductChange(
                product_id=product.pk,
                source=ProductChange.Source.SYNC,
                sync_run_id=batch.sync_run_id,
                changes={"sync_error": ["", product.sync_error]},
            )
            for product in rejected_products
        ],
        batch_size=2000,
    )
    products_synced_update(batch=batch, now=now)
    notes = list(report.notes)
    if unknown:
        notes.append(
            f"The report mentions {len(pending) - unknown} of the batch's {len(pending)} items: "
            f'{unknown} marked "result unknown".'
        )
    UploadBatch.objects.filter(pk=batch.pk).update(
        status=BatchStatus.DONE,
        processing_status="DONE",
        report_file=stored,
        report_note=" ".join(notes),
        results_applied_at=now,
        updated_at=now,
        last_error="",
    )
    transaction.on_commit(lambda: sync_run_refresh(run_id=batch.sync_run_id))
    transaction.on_commit(lambda: _count_results(len(accepted_ids), changed))
    logger.info(
        "batch %s (%s): %d accepted, %d not, %d unknown",
        batch.pk,
        BatchKind(batch.kind).label,
        len(accepted_ids),
        len(changed) - unknown,
        unknown,
    )
    return True


def _count_results(accepted: int, changed: list[SyncItem]) -> None:
    """For /metrics, once the results are committed."""
    sync_items.labels(result=ItemResult.ACCEPTED).inc(accepted)
    for result in (ItemResult.REJECTED, ItemResult.UNKNOWN):
        sync_items.labels(result=result).inc(sum(1 for item in changed if item.result == result))


def products_synced_update(*, batch: UploadBatch, now: Any) -> None:
    """Accepted items: the product's Amazon copy is now the fingerprint that was sent."""
    # .order_by(): without it the models' default ordering joins three tables into each subquery.
    accepted = SyncItem.objects.filter(batch=batch, result=ItemResult.ACCEPTED).order_by()
    sent = accepted.filter(product_id=OuterRef("pk")).values("fingerprint")[:1]
    Product.objects.filter(pk__in=accepted.values("product_id")).update(
        synced_fingerprint=Subquery(sent),
        synced_at=now,
        sync_error="",
        is_archived_on_amazon=batch.kind == BatchKind.ARCHIVE,
    )
