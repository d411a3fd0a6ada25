"""Plan a sync: take the store, then turn what Amazon must receive into batches of at most
JWO_SYNC_BATCH_SIZE items (request bodies) and items, and queue the batches to send. Also the
syncs started from an earlier one: retries of its failed items and its follow-ups. States: see
catalog.services.sync_records."""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from itertools import islice
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from catalog.amazon_items import catalog_item, currency_places, name_sent
from catalog.models import (
    ITEM_RESULTS_FAILED,
    ITEM_RESULTS_TO_RETRY,
    Barcode,
    BatchKind,
    ItemResult,
    Product,
    Store,
    SyncItem,
    SyncRun,
    SyncStatus,
    UploadBatch,
)
from catalog.selectors.sync import amazon_known_store_ids, pending_archives, pending_uploads
from catalog.services.sync_send import SEND_TASK
from jwo_admin.core.db import bulk_insert, statistics_refresh
from jwo_admin.core.exceptions import ApplicationError
from jwo_admin.core.tasks import task_enqueue, task_enqueue_on_commit

PLAN_TASK = "catalog.tasks.sync_plan_task"


class SyncAlreadyRunning(ApplicationError):
    pass


# --- what is read to plan ---------------------------------------------------------------------
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
def _run_create(
    *,
    store: Store,
    is_full: bool,
    requested_by: Any,
    retry_of: SyncRun | None,
    retry_includes_rejected: bool = False,
    product: Product | None = None,
) -> SyncRun:
    try:
        with transaction.atomic():
            return SyncRun.objects.create(
                store=store,
                is_full=is_full,
                requested_by=requested_by,
                retry_of=retry_of,
                retry_includes_rejected=retry_includes_rejected,
                product=product,
                status=SyncStatus.PLANNING,
            )
    except IntegrityError:
        raise SyncAlreadyRunning(f"A sync of {store.store_id} is already under way; wait for it to finish.") from None


def sync_request(
    *,
    store: Store,
    is_full: bool = False,
    requested_by: Any = None,
    retry_of: SyncRun | None = None,
    retry_includes_rejected: bool = False,
) -> SyncRun:
    """Take the store for a new sync now and plan it on a worker (a big catalog takes a while to
    plan: no request should wait for it). Raises SyncAlreadyRunning."""
    run = _run_create(
        store=store,
        is_full=is_full,
        requested_by=requested_by,
        retry_of=retry_of,
        retry_includes_rejected=retry_includes_rejected,
    )
    task_enqueue_on_commit(PLAN_TASK, run.pk, what=f"the planning of sync {run.pk}")
    return run


def product_send_request(*, product: Product, requested_by: Any = None) -> SyncRun:
    """ "Send this product now": a sync of the product's store limited to this one product, as it
    is now (sent even when Amazon already has it so: staff asked), planned on a worker and sent
    through the same batches, rate limiter and results as any sync. Raises SyncAlreadyRunning."""
    run = _run_create(store=product.store, is_full=False, requested_by=requested_by, retry_of=None, product=product)
    task_enqueue_on_commit(PLAN_TASK, run.pk, what=f"the planning of sync {run.pk}")
    return run


def sync_plan(
    *,
    store: Store,
    is_full: bool = False,
    requested_by: Any = None,
    retry_of: SyncRun | None = None,
    retry_includes_rejected: bool = False,
) -> SyncRun:
    """Create a sync run and plan it here and now (commands, tests). Raises SyncAlreadyRunning."""
    run = _run_create(
        store=store,
        is_full=is_full,
        requested_by=requested_by,
        retry_of=retry_of,
        retry_includes_rejected=retry_includes_rejected,
    )
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
    if run.is_follow_up:
        again: tuple[str, ...] = (ItemResult.FAILED,)
    else:
        again = ITEM_RESULTS_TO_RETRY if run.retry_includes_rejected else ITEM_RESULTS_FAILED
    product_ids = (
        list(retry_of.items.filter(result__in=again).values_list("product_id", flat=True))
        if retry_of is not None
        else None
    )
    if run.product_id is not None:
        product_ids = [run.product_id]
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


def _enqueue_sends(batch_ids: list[int]) -> None:
    for batch_id in batch_ids:
        task_enqueue(SEND_TASK, batch_id, what=f"the send of batch {batch_id}")


# --- syncs started from an earlier one --------------------------------------------------------
def sync_retry_failed(
    *, run: SyncRun, requested_by: Any = None, background: bool = False, include_rejected: bool = False
) -> SyncRun:
    """A new sync of the items that failed or got no known result in ``run`` (as they are now), and
    with ``include_rejected`` of the rejected ones too: Amazon refuses those again unless their
    product changed, so they are sent only when asked. Planned on a worker with ``background``.
    Raises ApplicationError when there is nothing to retry."""
    results = ITEM_RESULTS_TO_RETRY if include_rejected else ITEM_RESULTS_FAILED
    if not run.items.filter(result__in=results).exists():
        if not include_rejected and run.items.filter(result=ItemResult.REJECTED).exists():
            raise ApplicationError(
                "Nothing failed in this sync; its rejected items need their product fixed before they are sent again."
            )
        raise ApplicationError("Nothing to retry: every item of this sync was accepted or is still pending.")
    plan = sync_request if background else sync_plan
    return plan(store=run.store, requested_by=requested_by, retry_of=run, retry_includes_rejected=include_rejected)


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
