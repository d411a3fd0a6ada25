"""Reads for the sync screens: runs, their batches, items and calls, and the results chart."""

from datetime import timedelta
from typing import Any

from django.db.models import Case, Count, Q, QuerySet, When
from django.db.models.functions import TruncDate
from django.utils import timezone

from catalog.models import (
    ITEM_RESULTS_TO_RETRY,
    AmazonCall,
    InboundMessage,
    ItemResult,
    Store,
    SyncItem,
    SyncRun,
    UploadBatch,
)


def sync_run_list(*, store: Store | None = None, limit: int = 50) -> QuerySet[SyncRun]:
    runs = SyncRun.objects.select_related("store", "requested_by").order_by("-created_at", "-id")
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


def sync_results_by_day(*, days: int = 30) -> dict[str, Any]:
    """Items accepted, rejected and failed per day, for the sync health chart."""
    since = timezone.now() - timedelta(days=days)
    rows = (
        SyncItem.objects.filter(finished_at__gte=since)
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
