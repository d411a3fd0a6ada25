"""Reads for the sync: what a sync of a store would send (planning and the preview read the same
queries), what the dispatcher should act on now, and the sync screens' runs, batches, items, calls
and results chart."""

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Case, Count, Exists, F, OuterRef, Q, QuerySet, When
from django.db.models.functions import TruncDate
from django.utils import timezone

from catalog.models import (
    ITEM_RESULTS_TO_RETRY,
    AmazonCall,
    AmazonStoreList,
    BatchKind,
    BatchStatus,
    InboundMessage,
    ItemResult,
    Product,
    ProductStatus,
    Store,
    SyncItem,
    SyncRun,
    SyncStatus,
    UploadBatch,
)
from catalog.selectors.staff_stores import StoreIds, stores_scope

# --- what a sync must send --------------------------------------------------------------------
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


# --- what the dispatcher acts on now -------------------------------------------------------
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


def sync_follow_ups_due() -> list[int]:
    """Finished runs whose follow-up sync is due now (the dispatcher requests each once)."""
    return list(
        SyncRun.objects.filter(status=SyncStatus.DONE, follow_up_at__lte=timezone.now()).values_list("pk", flat=True)[
            :50
        ]
    )


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


# --- the sync screens ------------------------------------------------------------------------
def sync_run_list(*, store: Store | None = None, limit: int = 50, store_ids: StoreIds = None) -> QuerySet[SyncRun]:
    runs = stores_scope(SyncRun.objects.select_related("store", "requested_by"), store_ids=store_ids)
    runs = runs.order_by("-created_at", "-id")
    if store is not None:
        runs = runs.filter(store=store)
    return runs[:limit]


def sync_run_follow_ups(*, run: SyncRun) -> QuerySet[SyncRun]:
    """The retries and follow-up syncs started from ``run``."""
    return SyncRun.objects.filter(retry_of=run).order_by("id")


def sync_run_batches(*, run: SyncRun) -> QuerySet[UploadBatch]:
    return (
        run.batches.defer("body", "split_from__body")
        .select_related("split_from")
        .annotate(
            accepted=Count("items", filter=Q(items__result=ItemResult.ACCEPTED)),
            rejected=Count("items", filter=Q(items__result=ItemResult.REJECTED)),
            failed=Count("items", filter=Q(items__result=ItemResult.FAILED)),
            unknown=Count("items", filter=Q(items__result=ItemResult.UNKNOWN)),
        )
        .order_by("sequence")
    )


def sync_run_calls(*, run: SyncRun) -> QuerySet[AmazonCall]:
    return (
        AmazonCall.objects.filter(batch__sync_run=run)
        .select_related("batch")
        .defer("batch__body")
        .order_by("created_at", "id")
    )


def sync_run_items(*, run: SyncRun, result: str = "", search: str = "") -> QuerySet[SyncItem]:
    # The batch's payload (up to 10,000 items of JSON) is never needed to show an item.
    # Problems first: that is what staff come to see.
    problems_first = Case(When(result__in=ITEM_RESULTS_TO_RETRY, then=0), default=1)
    items = (
        run.items.select_related("batch")
        .defer("batch__body", "details")
        .order_by(problems_first, "batch__sequence", "sku")
    )
    if result:
        items = items.filter(result=result)
    if search:
        items = items.filter(sku__icontains=search.strip())
    return items


def sync_results_by_day(*, days: int = 30, store_ids: StoreIds = None) -> dict[str, Any]:
    """Items accepted, rejected and failed per day, for the sync health chart (the user's stores)."""
    since = timezone.now() - timedelta(days=days)
    rows = (
        stores_scope(SyncItem.objects.filter(finished_at__gte=since), store_ids=store_ids, field="sync_run__store")
        .annotate(day=TruncDate("finished_at"))
        .values("day")
        .annotate(
            accepted=Count("pk", filter=Q(result=ItemResult.ACCEPTED)),
            rejected=Count("pk", filter=Q(result=ItemResult.REJECTED)),
            failed=Count("pk", filter=Q(result=ItemResult.FAILED)),
        )
        .order_by("day")
    )
    return {
        "labels": [row["day"].isoformat() for row in rows],
        "accepted": [row["accepted"] for row in rows],
        "rejected": [row["rejected"] for row in rows],
        "failed": [row["failed"] for row in rows],
    }


def last_connectivity_call() -> AmazonCall | None:
    return AmazonCall.objects.filter(operation="connectivity").order_by("-created_at", "-id").first()


def subscriptions_to_confirm() -> QuerySet[InboundMessage]:
    """SNS SubscriptionConfirmations staff have not confirmed yet, newest first."""
    return InboundMessage.objects.filter(status=InboundMessage.Status.SUBSCRIPTION).order_by("-received_at", "-id")


def recent_notifications(*, limit: int = 20) -> QuerySet[InboundMessage]:
    return InboundMessage.objects.order_by("-received_at", "-id")[:limit]
