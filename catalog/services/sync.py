"""Catalog sync: plan what Amazon must receive, send it in batches, and apply Amazon's results.

States (each move is a conditional UPDATE, so every step is safe to run twice):
  batch  PENDING → SENDING → ACCEPTED → DONE          (results applied to every item)
                       ↘ PENDING (retry later)   ↘ FAILED (refused, retries exhausted, FATAL)
  item   PENDING → ACCEPTED | REJECTED | FAILED      (exactly once per sync, with the reason)
  run    SENDING (holds the store) → WAITING (results to come) → DONE
"""

import logging
import random
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from itertools import islice
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, F, Max, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from catalog.amazon_items import catalog_item, currency_places, name_sent
from catalog.models import (
    ITEM_RESULTS_TO_RETRY,
    AmazonCall,
    AmazonStoreList,
    Barcode,
    BatchKind,
    BatchStatus,
    ItemResult,
    Product,
    ProductStatus,
    Store,
    SyncItem,
    SyncRun,
    SyncStatus,
    UploadBatch,
)
from jwo_admin.core.db import bulk_insert, statistics_refresh
from jwo_admin.core.exceptions import ApplicationError
from jwo_admin.core.metrics import sync_items
from jwo_admin.core.tasks import task_enqueue, task_enqueue_on_commit
from jwo_admin.integrations.amazon_catalog import CallResult, Outcome, client_from_settings

logger = logging.getLogger(__name__)

PLAN_TASK = "catalog.tasks.sync_plan_task"
SEND_TASK = "catalog.tasks.sync_batch_send_task"

IN_FLIGHT = (BatchStatus.PENDING, BatchStatus.SENDING, BatchStatus.ACCEPTED)
WAITING_STATUSES = ("INQUEUE", "INPROGRESS")
FAILED_STATUSES = ("CANCELLED", "FATAL")


class SyncAlreadyRunning(ApplicationError):
    pass


# --- what must be sent ------------------------------------------------------------------------
ACTIVE_RUN_STATUSES = (SyncStatus.SENDING, SyncStatus.WAITING)


def _in_flight(store: Store) -> Exists:
    """The product is already on its way to Amazon in another sync of its store: NOT EXISTS on the
    (product, result) index, limited to the store's unfinished runs (a 100,000-item sync of one
    store must cost nothing to the planning of the next). A NOT IN over every pending item
    degrades badly past work_mem."""
    return Exists(
        SyncItem.objects.filter(
            product_id=OuterRef("pk"),
            result=ItemResult.PENDING,
            sync_run__store_id=store.pk,
            sync_run__status__in=ACTIVE_RUN_STATUSES,
        ).order_by()
    )


def _store_has_in_flight(store: Store) -> bool:
    return SyncRun.objects.filter(store=store, status__in=ACTIVE_RUN_STATUSES, items_total__gt=0).exists()


def pending_uploads(*, store: Store, is_full: bool = False) -> QuerySet[Product]:
    """Active products Amazon does not have as they are (or all active ones, for a full sync),
    leaving out products already on their way in another sync of the store."""
    products = Product.objects.filter(store=store, status=ProductStatus.ACTIVE)
    if not is_full:
        products = products.filter(~Q(amazon_fingerprint=F("synced_fingerprint")) | Q(is_archived_on_amazon=True))
    return products.exclude(_in_flight(store)) if _store_has_in_flight(store) else products


def pending_archives(*, store: Store) -> QuerySet[Product]:
    """Archived products that Amazon still has as active (Archive Catalog, SPEC §6)."""
    archives = Product.objects.filter(store=store, status=ProductStatus.ARCHIVED, is_archived_on_amazon=False).exclude(
        synced_fingerprint=""
    )
    return archives.exclude(_in_flight(store)) if _store_has_in_flight(store) else archives


@dataclass(frozen=True)
class SyncPreview:
    store: Store
    new: int
    changed: int
    reactivated: int
    archived: int
    sample: list[Product]
    previously_refused: int = 0  # among the above: Amazon refused them last time (see their sync error)

    @property
    def total(self) -> int:
        return self.new + self.changed + self.reactivated + self.archived


def sync_preview(*, store: Store, is_full: bool = False, sample_size: int = 10) -> SyncPreview:
    """Counts by reason and a sample of what a sync of ``store`` would send."""
    uploads = pending_uploads(store=store, is_full=is_full)
    counts = uploads.aggregate(
        new=Count("pk", filter=Q(synced_fingerprint="")),
        reactivated=Count("pk", filter=Q(is_archived_on_amazon=True)),
        refused=Count("pk", filter=~Q(sync_error="")),
        total=Count("pk"),
    )
    return SyncPreview(
        store=store,
        new=counts["new"],
        reactivated=counts["reactivated"],
        changed=counts["total"] - counts["new"] - counts["reactivated"],
        archived=pending_archives(store=store).count(),
        sample=list(uploads.order_by("-updated_at")[:sample_size]),
        previously_refused=counts["refused"],
    )


def _reason(row: "_PlanRow", is_full: bool) -> str:
    if row.is_archived_on_amazon:
        return "reactivated"
    if not row.synced_fingerprint:
        return "new"
    if row.amazon_fingerprint != row.synced_fingerprint:
        return "changed"
    return "full" if is_full else "retry"


@dataclass(frozen=True, slots=True)
class _PlanRow:
    pk: int
    sku: str
    name: str
    price: Decimal | None
    brand: str
    tax_code: str
    category: str
    subcategory: str
    amazon_fingerprint: str
    synced_fingerprint: str
    is_archived_on_amazon: bool
    suggested_name: str


_PLAN_FIELDS = tuple(_PlanRow.__dataclass_fields__)


def _chunks(
    queryset: QuerySet[Product], size: int
) -> Iterator[tuple[list[_PlanRow], dict[int, list[tuple[str, str]]]]]:
    """The products in pk order, ``size`` at a time, each chunk with its barcodes (plain values:
    a 200,000-item sync builds no model instances). Two streams in pk order — the products, and
    the barcodes of the same products (one semi-join, not a list of ids per chunk) — merged as
    they come: the cost per product stays flat however many products and however few changed."""
    rows = (_PlanRow(*values) for values in queryset.order_by("pk").values_list(*_PLAN_FIELDS).iterator(2000))
    codes = (
        Barcode.objects.filter(product_id__in=queryset.order_by().values("pk"))
        .order_by("product_id", "position")
        .values_list("product_id", "value", "type")
        .iterator(5000)
    )
    pending = next(codes, None)
    while chunk := list(islice(rows, size)):
        barcodes: dict[int, list[tuple[str, str]]] = {}
        last = chunk[-1].pk
        while pending is not None and pending[0] <= last:
            barcodes.setdefault(pending[0], []).append((pending[1], pending[2]))
            pending = next(codes, None)
        yield chunk, barcodes


# --- planning ---------------------------------------------------------------------------------
def _run_create(*, store: Store, is_full: bool, requested_by: Any, retry_of: SyncRun | None) -> SyncRun:
    try:
        with transaction.atomic():
            return SyncRun.objects.create(
                store=store, is_full=is_full, requested_by=requested_by, retry_of=retry_of, status=SyncStatus.PLANNING
            )
    except IntegrityError:
        raise SyncAlreadyRunning(f"A sync of {store.store_id} is already under way; wait for it to finish.") from None


def sync_request(
    *, store: Store, is_full: bool = False, requested_by: Any = None, retry_of: SyncRun | None = None
) -> SyncRun:
    """Take the store for a new sync now and plan it on a worker (a big catalog takes a while to
    plan: no request should wait for it). Raises SyncAlreadyRunning."""
    run = _run_create(store=store, is_full=is_full, requested_by=requested_by, retry_of=retry_of)
    task_enqueue_on_commit(PLAN_TASK, run.pk, what=f"the planning of sync {run.pk}")
    return run


def sync_plan(
    *, store: Store, is_full: bool = False, requested_by: Any = None, retry_of: SyncRun | None = None
) -> SyncRun:
    """Create a sync run and plan it here and now (commands, tests). Raises SyncAlreadyRunning."""
    run = _run_create(store=store, is_full=is_full, requested_by=requested_by, retry_of=retry_of)
    return sync_run_fill(run_id=run.pk)


@transaction.atomic
def sync_run_fill(*, run_id: int) -> SyncRun:
    """Plan a run: its batches (request bodies) and items, in one transaction; queue the batches once
    committed. Safe to run twice: only a run still planning is filled, and a run another worker is
    planning right now is left to it at once (``skip_locked``): a second plan task never waits on
    the first, so redelivered plan tasks cannot fill the worker pool."""
    run = SyncRun.objects.select_for_update(skip_locked=True).select_related("store").filter(pk=run_id).first()
    if run is None:
        return SyncRun.objects.get(pk=run_id)  # being planned by another worker
    if run.status != SyncStatus.PLANNING:
        return run
    store, is_full, retry_of = run.store, run.is_full, run.retry_of
    again = (ItemResult.FAILED,) if run.is_follow_up else ITEM_RESULTS_TO_RETRY
    product_ids = (
        list(retry_of.items.filter(result__in=again).values_list("product_id", flat=True))
        if retry_of is not None
        else None
    )
    uploads = pending_uploads(store=store, is_full=is_full or product_ids is not None)
    archives = pending_archives(store=store)
    if product_ids is not None:
        uploads, archives = uploads.filter(pk__in=product_ids), archives.filter(pk__in=product_ids)
    size = settings.JWO_SYNC_BATCH_SIZE
    places = currency_places(store.currency)
    sequence = 0
    reasons: dict[str, int] = {}
    for chunk, barcodes in _chunks(uploads, size):
        sendable = [row for row in chunk if barcodes.get(row.pk)]  # no barcode: Amazon cannot take it
        if not sendable:
            continue
        items = [
            catalog_item(
                store_id=store.store_id,
                sku=row.sku,
                name=name_sent(row.name, row.suggested_name, send_clean_names=store.send_clean_names),
                barcodes=barcodes[row.pk],
                price=row.price,
                places=places,
                brand=row.brand,
                tax_code=row.tax_code,
                category=row.category,
                subcategory=row.subcategory,
            )
            for row in sendable
        ]
        sequence += 1
        _create_batch(
            run,
            sequence,
            BatchKind.UPLOAD,
            {"catalogItems": items},
            sendable,
            is_full,
            reasons,
            retry=retry_of is not None,
        )
    amazon_store_ids = amazon_known_store_ids(also=store)
    for chunk, _ in _chunks(archives, size):
        sequence += 1
        payload = {"itemSkus": [row.sku for row in chunk], "allApplicableStores": amazon_store_ids}
        _create_batch(run, sequence, BatchKind.ARCHIVE, payload, chunk, is_full, reasons, archive=True)
    run.items_total = sum(reasons.values())
    run.reasons = reasons
    run.status = SyncStatus.SENDING if run.items_total else SyncStatus.DONE
    if not run.items_total:
        run.finished_at = timezone.now()
    run.save(update_fields=["items_total", "reasons", "status", "finished_at", "updated_at"])
    if run.items_total:
        statistics_refresh(SyncItem)  # the next store's planning reads these rows: plan on true counts
        batch_ids = list(run.batches.values_list("pk", flat=True))
        transaction.on_commit(lambda: _enqueue_sends(batch_ids))
    return run


_ITEM_COLUMNS = (
    "sync_run_id",
    "batch_id",
    "product_id",
    "sku",
    "fingerprint",
    "reason",
    "result",
    "code",
    "message",
    "details",
)


def _create_batch(
    run: SyncRun,
    sequence: int,
    kind: str,
    payload: dict[str, Any],
    rows: list[_PlanRow],
    is_full: bool,
    reasons: dict[str, int],
    *,
    archive: bool = False,
    retry: bool = False,
) -> None:
    batch = UploadBatch.objects.create(
        sync_run=run, kind=kind, sequence=sequence, body=UploadBatch.encode_body(payload), item_count=len(rows)
    )
    records: list[tuple[Any, ...]] = []
    for row in rows:
        reason = "archived" if archive else ("retry" if retry else _reason(row, is_full))
        reasons[reason] = reasons.get(reason, 0) + 1
        records.append(
            (
                run.pk,
                batch.pk,
                row.pk,
                row.sku,
                row.amazon_fingerprint,
                reason,
                ItemResult.PENDING.value,
                "",
                "",
                {},
            )
        )
    bulk_insert(SyncItem, _ITEM_COLUMNS, records)


def amazon_known_store_ids(*, also: Store) -> list[str]:
    """The stores Amazon knows, for ``allApplicableStores`` (SPEC §6: an archive names every store
    of the retailer, and one Amazon does not know makes it refuse the call): the list Amazon last
    gave when it refused one, else ours it has accepted an upload for, and ``also`` — the store
    whose products are archived — never every store in our database."""
    listed = AmazonStoreList.objects.values_list("store_ids", flat=True).first()
    if listed:
        return sorted({*listed, also.store_id})
    known = SyncRun.objects.filter(batches__kind=BatchKind.UPLOAD, batches__status=BatchStatus.DONE).values("store_id")
    return sorted(set(Store.objects.filter(pk__in=known).values_list("store_id", flat=True)) | {also.store_id})


_QUOTED = re.compile(r"""['"]([^'"]{1,255})['"]""")


def stores_listed(message: str) -> list[str]:
    """[INFERRED] The store ids in Amazon's refusal of an archive that did not name them all (its
    wording is not published): the quoted ones, else the comma-separated ones after the last colon."""
    quoted = _QUOTED.findall(message)
    if quoted:
        return sorted(set(quoted))
    _, colon, tail = message.rpartition(":")
    parts = [part.strip(" []().") for part in tail.split(",")] if colon else []
    return sorted({part for part in parts if part and " " not in part})


def _archive_stores_learned(batch: UploadBatch, message: str) -> bool:
    """Amazon refused an archive for its store list and said which stores it has: keep its list,
    rewrite the batch with it and send it again at once. False when the message lists none new."""
    listed = stores_listed(message)
    payload = batch.payload
    if not listed or sorted(payload.get("allApplicableStores", [])) == listed:
        return False
    AmazonStoreList.objects.update_or_create(pk=1, defaults={"store_ids": listed, "source": message[:2000]})
    UploadBatch.objects.filter(pk=batch.pk, status=BatchStatus.SENDING).update(
        status=BatchStatus.PENDING,
        body=UploadBatch.encode_body({**payload, "allApplicableStores": listed}),
        next_attempt_at=timezone.now(),
        last_error=f"Amazon listed its stores; sending again with them: {message}"[:2000],
        updated_at=timezone.now(),
    )
    task_enqueue_on_commit(SEND_TASK, batch.pk, what=f"the send of batch {batch.pk}")
    return True


def _enqueue_sends(batch_ids: list[int]) -> None:
    for batch_id in batch_ids:
        task_enqueue(SEND_TASK, batch_id, what=f"the send of batch {batch_id}")


def sync_retry_failed(*, run: SyncRun, requested_by: Any = None, background: bool = False) -> SyncRun:
    """A new sync of the items that ended rejected, failed or with no known result in ``run`` (as
    they are now); planned on a worker with ``background``. Raises ApplicationError when there is
    nothing to retry."""
    if not run.items.filter(result__in=ITEM_RESULTS_TO_RETRY).exists():
        raise ApplicationError("Nothing to retry: every item of this sync was accepted or is still pending.")
    if background:
        return sync_request(store=run.store, requested_by=requested_by, retry_of=run)
    return sync_plan(store=run.store, requested_by=requested_by, retry_of=run)


# --- sending ----------------------------------------------------------------------------------
def amazon_call_record(result: CallResult, batch: UploadBatch | None) -> AmazonCall:
    return AmazonCall.objects.create(
        operation=result.operation,
        batch=batch,
        outcome=result.outcome.value,
        status_code=result.status_code,
        message=result.message[:2000],
        duration_ms=result.duration_ms,
        request_bytes=result.request_bytes,
        response_excerpt=result.excerpt,
    )


def backoff_seconds(attempt: int, retry_after: float | None = None) -> float:
    """Capped exponential backoff with full jitter; Amazon's Retry-After wins when it is longer."""
    ceiling = min(settings.JWO_SYNC_BACKOFF_CAP, settings.JWO_SYNC_BACKOFF_BASE * 2 ** max(attempt - 1, 0))
    delay = random.uniform(ceiling / 2, ceiling)  # noqa: S311 - jitter, not security
    return max(delay, retry_after or 0.0)


def _claim_for_send(batch_id: int) -> bool:
    now = timezone.now()
    stale = now - timedelta(seconds=settings.JWO_SYNC_STALE_SECONDS)
    due = Q(status=BatchStatus.PENDING) & (Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
    abandoned = Q(status=BatchStatus.SENDING, claimed_at__lt=stale)
    return bool(
        UploadBatch.objects.filter(Q(pk=batch_id) & (due | abandoned)).update(
            status=BatchStatus.SENDING, claimed_at=now, attempts=F("attempts") + 1, updated_at=now
        )
    )


def sync_batch_send(*, batch_id: int) -> float | None:
    """Send one batch if it is due and unclaimed. Returns seconds until a retry is due, else None."""
    if not _claim_for_send(batch_id):
        return None
    batch = UploadBatch.objects.select_related("sync_run__store").get(pk=batch_id)
    client = client_from_settings()
    operation = "archive" if batch.kind == BatchKind.ARCHIVE else "upload"
    result = client.send(operation, batch.request_body)
    now = timezone.now()
    if not result.is_sent:
        # Refused on our side (no rate-limit slot, or Redis, which holds the shared limit, down):
        # nothing reached Amazon, so no attempt is spent; the dispatcher sends it when it is due.
        delay = backoff_seconds(1, result.retry_after)
        UploadBatch.objects.filter(pk=batch.pk, status=BatchStatus.SENDING).update(
            status=BatchStatus.PENDING,
            attempts=F("attempts") - 1,
            next_attempt_at=now + timedelta(seconds=delay),
            last_error=result.message,
            updated_at=now,
        )
        return delay
    amazon_call_record(result, batch)
    if result.outcome is Outcome.ACCEPTED:
        try:
            with transaction.atomic():
                UploadBatch.objects.filter(pk=batch.pk, status=BatchStatus.SENDING).update(
                    status=BatchStatus.ACCEPTED,
                    ingestion_id=result.ingestion_id,
                    accepted_at=now,
                    next_poll_at=now + timedelta(seconds=2),
                    last_error="",
                    updated_at=now,
                )
        except IntegrityError:  # the same ingestion id twice: Amazon's problem, keep it visible
            batch_fail(batch, f"Amazon returned ingestion id {result.ingestion_id} already used by another batch")
        sync_run_refresh(run_id=batch.sync_run_id)
        return None
    detail = f"{result.outcome.value} (HTTP {result.status_code}): {result.message}"
    is_archive = batch.kind == BatchKind.ARCHIVE
    if is_archive and result.outcome is Outcome.STORE_ID_ERROR and _archive_stores_learned(batch, result.message):
        return 0.0
    if result.outcome in (Outcome.TOO_LARGE, Outcome.INVALID_BODY) and batch.item_count > 1:
        # Never the same body again: halve it until the item Amazon refuses stands alone (a
        # 10,000-item batch with one bad item costs about 14 more requests, not 10,000 failures).
        batch_split(batch, detail)
        return None
    attempts = (
        settings.JWO_SYNC_SERVER_ERROR_ATTEMPTS
        if result.outcome is Outcome.SERVER_ERROR
        else settings.JWO_SYNC_MAX_ATTEMPTS
    )
    if result.outcome.is_retryable and batch.attempts < attempts:
        delay = backoff_seconds(batch.attempts, result.retry_after)
        UploadBatch.objects.filter(pk=batch.pk, status=BatchStatus.SENDING).update(
            status=BatchStatus.PENDING,
            next_attempt_at=now + timedelta(seconds=delay),
            last_error=detail,
            updated_at=now,
        )
        return delay
    gave_up = result.outcome.is_retryable or result.outcome is Outcome.FATAL_ERROR
    if result.outcome.is_retryable:
        detail = f"Gave up after {batch.attempts} attempts; last: {detail}"
    batch_fail(batch, detail, gave_up=gave_up)
    return None


@transaction.atomic
def batch_split(batch: UploadBatch, reason: str) -> list[UploadBatch]:
    """Replace a batch Amazon refused as a whole (413 too large, 400 invalid body) by its two
    halves, each with its own items, queued to send; the batch itself ends *split* with the reason."""
    SyncRun.objects.select_for_update().only("pk").get(pk=batch.sync_run_id)  # one split of a run at a time
    if not UploadBatch.objects.filter(pk=batch.pk, status=BatchStatus.SENDING).update(
        status=BatchStatus.SPLIT, last_error=f"Split in two: {reason}", updated_at=timezone.now()
    ):
        return []
    payload = batch.payload
    key = "itemSkus" if batch.kind == BatchKind.ARCHIVE else "catalogItems"
    entries = payload[key]
    middle = len(entries) // 2
    sequence = UploadBatch.objects.filter(sync_run_id=batch.sync_run_id).aggregate(Max("sequence"))["sequence__max"]
    halves = []
    for offset, part in enumerate((entries[:middle], entries[middle:]), start=1):
        half = UploadBatch.objects.create(
            sync_run_id=batch.sync_run_id,
            kind=batch.kind,
            sequence=sequence + offset,
            body=UploadBatch.encode_body({**payload, key: part}),
            item_count=len(part),
            split_from=batch,
        )
        skus = [entry if isinstance(entry, str) else entry["item_sku"] for entry in part]
        for start in range(0, len(skus), 5000):
            SyncItem.objects.filter(batch=batch, sku__in=skus[start : start + 5000]).update(batch=half)
        halves.append(half)
    for half in halves:
        task_enqueue_on_commit(SEND_TASK, half.pk, what=f"the send of batch {half.pk}")
    return halves


def batch_fail(batch: UploadBatch, reason: str, *, gave_up: bool = False) -> None:
    """The whole batch failed: every pending item of it ends failed with the reason. ``gave_up``:
    it failed for want of an answer (throttled, server errors, no result in time), not because
    Amazon refused it: its run schedules a follow-up sync of those items."""
    now = timezone.now()
    with transaction.atomic():
        updated = UploadBatch.objects.filter(pk=batch.pk).exclude(
            status__in=(BatchStatus.DONE, BatchStatus.FAILED, BatchStatus.SPLIT)
        )
        if updated.update(status=BatchStatus.FAILED, last_error=reason, gave_up=gave_up, updated_at=now):
            items = SyncItem.objects.filter(batch=batch, result=ItemResult.PENDING)
            Product.objects.filter(pk__in=items.values("product_id")).update(sync_error=reason[:500])
            failed = items.update(result=ItemResult.FAILED, message=reason, finished_at=now)
            run_counts_add(run_id=batch.sync_run_id, failed=failed)
            transaction.on_commit(lambda: sync_items.labels(result=ItemResult.FAILED).inc(failed))
    sync_run_refresh(run_id=batch.sync_run_id)


def run_counts_add(*, run_id: int, accepted: int = 0, rejected: int = 0, failed: int = 0, unknown: int = 0) -> None:
    """Count items that just got their result (each moves from pending once, by a conditional
    update that says how many it moved): the run's figures are kept as they happen, never
    recounted over its items."""
    if accepted or rejected or failed or unknown:
        SyncRun.objects.filter(pk=run_id).update(
            items_accepted=F("items_accepted") + accepted,
            items_rejected=F("items_rejected") + rejected,
            items_failed=F("items_failed") + failed,
            items_unknown=F("items_unknown") + unknown,
        )


def sync_run_refresh(*, run_id: int) -> SyncRun:
    """Move a run on from its batches' states: SENDING while batches await sending, WAITING while
    Amazon's results are due, DONE when every batch has its results. One read of the batches'
    distinct states (an index on the run): the item figures are kept as results arrive."""
    run = SyncRun.objects.get(pk=run_id)
    if run.status in (SyncStatus.PLANNING, SyncStatus.DONE):
        return run  # a worker is still planning it, or nothing more can happen to it
    statuses = set(run.batches.order_by().values_list("status", flat=True).distinct())
    if statuses & {BatchStatus.PENDING, BatchStatus.SENDING}:
        status = SyncStatus.SENDING
    elif BatchStatus.ACCEPTED in statuses:
        status = SyncStatus.WAITING
    else:
        status = SyncStatus.DONE
    if status != run.status:
        now = timezone.now()
        fields: dict[str, Any] = {"status": status, "finished_at": now if status == SyncStatus.DONE else None}
        if status == SyncStatus.DONE:
            fields["follow_up_at"] = _follow_up_due(run, now)
        SyncRun.objects.filter(pk=run.pk).exclude(status=SyncStatus.DONE).update(**fields, updated_at=now)
        run.refresh_from_db()
    return run


def _follow_up_due(run: SyncRun, now: Any) -> Any:
    """When a finished run's follow-up sync is due: some batch gave up on its items for want of an
    answer, and the follow-ups have not run out; backing off 5 min, 10, 20… up to 2 h."""
    if run.follow_up_generation >= settings.JWO_SYNC_FOLLOW_UPS:
        return None
    if not run.batches.filter(status=BatchStatus.FAILED, gave_up=True).exists():
        return None
    delay = min(settings.JWO_SYNC_FOLLOW_UP_SECONDS * 2**run.follow_up_generation, 7200)
    return now + timedelta(seconds=delay)


def sync_follow_ups_due() -> list[int]:
    """Finished runs whose follow-up sync is due now (the dispatcher requests each once)."""
    return list(
        SyncRun.objects.filter(status=SyncStatus.DONE, follow_up_at__lte=timezone.now()).values_list("pk", flat=True)[
            :50
        ]
    )


def sync_follow_up_request(*, run_id: int) -> SyncRun | None:
    """Start the follow-up of a finished run: a sync of the items its batches gave up on, planned
    on a worker. Claimed by clearing ``follow_up_at`` (so it is requested once); when the store has
    a sync under way it is tried again a minute later. None when nothing was started."""
    now = timezone.now()
    with transaction.atomic():
        run = SyncRun.objects.select_for_update(skip_locked=True).filter(pk=run_id, follow_up_at__lte=now).first()
        if run is None:
            return None
        SyncRun.objects.filter(pk=run.pk).update(follow_up_at=None)
        try:
            with transaction.atomic():
                follow_up = _run_create(store=run.store, is_full=False, requested_by=None, retry_of=run)
        except SyncAlreadyRunning:
            SyncRun.objects.filter(pk=run.pk).update(follow_up_at=now + timedelta(seconds=60))
            return None
        SyncRun.objects.filter(pk=follow_up.pk).update(
            is_follow_up=True, follow_up_generation=run.follow_up_generation + 1
        )
        task_enqueue_on_commit(PLAN_TASK, follow_up.pk, what=f"the planning of follow-up sync {follow_up.pk}")
    follow_up.refresh_from_db()
    return follow_up


# --- results ----------------------------------------------------------------------------------
def sync_batch_poll(*, batch_id: int) -> None:
    """Ask Amazon for an accepted batch's status; on DONE fetch and apply the report."""
    from catalog.services.sync_results import ReportNotReady, batch_results_apply

    now = timezone.now()
    claimed = UploadBatch.objects.filter(pk=batch_id, status=BatchStatus.ACCEPTED, next_poll_at__lte=now).update(
        polls=F("polls") + 1, next_poll_at=now + timedelta(seconds=60), updated_at=now
    )
    if not claimed:
        return
    batch = UploadBatch.objects.defer("body").get(pk=batch_id)
    result = client_from_settings().status(batch.ingestion_id or "")
    amazon_call_record(result, batch)
    if result.outcome is not Outcome.OK:
        _schedule_poll(batch, result.message or result.outcome.value)
        return
    status = result.processing_status
    UploadBatch.objects.filter(pk=batch.pk).update(processing_status=status[:10])
    if status in WAITING_STATUSES:
        _schedule_poll(batch, "")
    elif status in FAILED_STATUSES:
        batch_fail(batch, f"Amazon ended the ingestion as {status}; nothing of it was applied. Sync again.")
    elif status == "DONE":
        try:
            batch_results_apply(batch_id=batch.pk, link=result.report_link)
        except ReportNotReady as error:  # the report cannot be had now: poll again, within the deadline
            _schedule_poll(batch, str(error))
    else:
        _schedule_poll(batch, f"Unknown processing status {status!r}")


def _schedule_poll(batch: UploadBatch, error: str) -> None:
    """Poll again later, or give up past JWO_SYNC_POLL_MAX_SECONDS after acceptance whatever kept
    the results away (still processing, status errors, a report link that never works): the batch
    fails with the last reason and its items go to the run's follow-up sync."""
    age = (timezone.now() - (batch.accepted_at or timezone.now())).total_seconds()
    if age > settings.JWO_SYNC_POLL_MAX_SECONDS:
        last = f" Last: {error}" if error else ""
        batch_fail(
            batch,
            f"No result from Amazon {int(age // 60)} minutes after it accepted the batch.{last}",
            gave_up=True,
        )
        return
    delay = min(2 * 2 ** min(batch.polls, 8), 300)
    UploadBatch.objects.filter(pk=batch.pk, status=BatchStatus.ACCEPTED).update(
        next_poll_at=timezone.now() + timedelta(seconds=delay), last_error=error[:2000]
    )


def sync_due_batches() -> tuple[list[int], list[int]]:
    """Batches a worker should act on now: (to send: due retries and abandoned claims, to poll)."""
    now = timezone.now()
    stale = now - timedelta(seconds=settings.JWO_SYNC_STALE_SECONDS)
    to_send = UploadBatch.objects.filter(
        Q(status=BatchStatus.PENDING, next_attempt_at__lte=now)
        | Q(status=BatchStatus.PENDING, next_attempt_at__isnull=True, created_at__lt=now - timedelta(seconds=30))
        | Q(status=BatchStatus.SENDING, claimed_at__lt=stale)
    ).values_list("pk", flat=True)[:500]
    to_poll = UploadBatch.objects.filter(status=BatchStatus.ACCEPTED, next_poll_at__lte=now).values_list(
        "pk", flat=True
    )[:500]
    return list(to_send), list(to_poll)


@transaction.atomic
def sync_runs_stuck_planning() -> list[int]:
    """Runs whose planning worker died (planning rolls back whole, so planning them again is safe).
    A run still being planned holds its row lock, so it is skipped however long planning takes:
    the dispatcher never queues a second plan task behind a live one."""
    stale = timezone.now() - timedelta(seconds=settings.JWO_SYNC_STALE_SECONDS)
    return list(
        SyncRun.objects.select_for_update(skip_locked=True)
        .filter(status=SyncStatus.PLANNING, updated_at__lt=stale)
        .values_list("pk", flat=True)[:50]
    )


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
