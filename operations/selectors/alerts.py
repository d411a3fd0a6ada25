"""What needs a person now: each alert is a question asked of the database, with a threshold from
settings and a link to the screen that fixes it. An empty list means nothing needs anyone.
A store simulation's purchases and gate calls never raise one (``.real()`` rows only)."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone

from catalog.models import BatchStatus, InboundMessage, ItemResult, SyncItem, UploadBatch
from entry.models import GateDecisionKind, GateEvent
from operations.selectors.health import watched
from orders.models import (
    PaymentStatus,
    Purchase,
    PurchaseStatus,
    ReconciliationItem,
    ReconciliationKind,
    ReconciliationStatus,
)

# A quiet week's refusal share is not zero in practice; below this floor, "twice the usual" would
# page someone for the first stale screenshot of the day.
REFUSAL_FLOOR = 0.02
RECENT = timedelta(hours=24)


@dataclass(frozen=True)
class Alert:
    key: str
    severity: str  # "critical" or "warning"
    message: str
    url: str


def _unpriced(now: datetime) -> Alert | None:
    since = now - timedelta(minutes=settings.JWO_ALERT_UNPRICED_MINUTES)
    count = Purchase.objects.real().filter(status=PurchaseStatus.BAD_CART, created_at__lte=since).count()
    if not count:
        return None
    return Alert(
        "unpriced",
        "critical",
        f"{count} cart{'s' if count != 1 else ''} received more than {settings.JWO_ALERT_UNPRICED_MINUTES} min ago "
        "not priced (bad carts)",
        reverse("orders:bad_cart_queue"),
    )


def _uncharged(now: datetime) -> Alert | None:
    since = now - timedelta(minutes=settings.JWO_ALERT_UNCHARGED_MINUTES)
    count = (
        Purchase.objects.real()
        .filter(
            status=PurchaseStatus.PRICED,
            payment_status__in=(PaymentStatus.PENDING, PaymentStatus.FAILED),
            created_at__lte=since,
        )
        .count()
    )
    if not count:
        return None
    return Alert(
        "uncharged",
        "critical",
        f"{count} priced purchase{'s' if count != 1 else ''} not charged after "
        f"{settings.JWO_ALERT_UNCHARGED_MINUTES} min",
        reverse("orders:issue_list"),
    )


def _refusal_share(since: datetime, until: datetime) -> tuple[int, float]:
    counts = (
        GateEvent.objects.real()
        .filter(created_at__gte=since, created_at__lt=until)
        .aggregate(calls=Count("pk"), refused=Count("pk", filter=Q(decision=GateDecisionKind.REFUSED)))
    )
    calls = counts["calls"] or 0
    return calls, (counts["refused"] / calls if calls else 0.0)


def _refusals(now: datetime) -> Alert | None:
    calls, share = _refusal_share(now - timedelta(hours=1), now)
    _, usual = _refusal_share(now - timedelta(days=7), now - timedelta(hours=1))
    threshold = settings.JWO_ALERT_REFUSAL_FACTOR * max(usual, REFUSAL_FLOOR)
    if calls < settings.JWO_ALERT_REFUSAL_MIN_CALLS or share <= threshold:
        return None
    return Alert(
        "refusals",
        "warning",
        f"Identity refusals at {share:.0%} of {calls} calls in the last hour (usually {usual:.0%})",
        reverse("entry:gate_log") + "?decision=refused",
    )


def _notifications(now: datetime) -> Alert | None:
    count = InboundMessage.objects.filter(status=InboundMessage.Status.POISON, received_at__gte=now - RECENT).count()
    if not count:
        return None
    return Alert(
        "notifications",
        "warning",
        f"{count} unreadable notification{'s' if count != 1 else ''} from Amazon in the last 24 h",
        reverse("catalog:sync_overview"),
    )


def _syncs(now: datetime) -> Alert | None:
    failed = SyncItem.objects.filter(result=ItemResult.FAILED, finished_at__gte=now - RECENT).count()
    batches = UploadBatch.objects.filter(status=BatchStatus.FAILED, updated_at__gte=now - RECENT).count()
    if not failed and not batches:
        return None
    return Alert(
        "syncs",
        "critical",
        f"Catalog sync: {failed} item{'s' if failed != 1 else ''} failed, {batches} batch"
        f"{'es' if batches != 1 else ''} failed in the last 24 h",
        reverse("catalog:sync_overview"),
    )


def _reports(now: datetime) -> Alert | None:
    soon = now + timedelta(minutes=settings.JWO_ALERT_REPORT_EXPIRY_MINUTES)
    count = (
        UploadBatch.objects.filter(results_applied_at__isnull=True, report_link_expires_at__lte=soon)
        .filter(report_link_expires_at__gt=now)
        .exclude(report_link="")
        .count()
    )
    if not count:
        return None
    return Alert(
        "reports",
        "warning",
        f"{count} report link{'s' if count != 1 else ''} from Amazon expire within "
        f"{settings.JWO_ALERT_REPORT_EXPIRY_MINUTES} min unread",
        reverse("catalog:sync_overview"),
    )


def _missing_carts(now: datetime) -> Alert | None:
    """Admitted shoppers whose cart never came (the reconciliation run): their holds wait for staff."""
    count = ReconciliationItem.objects.filter(
        kind=ReconciliationKind.MISSING_CART, status=ReconciliationStatus.OPEN, simulation_run_id__isnull=True
    ).count()
    if not count:
        return None
    return Alert(
        "missing_carts",
        "critical",
        f"{count} admitted shopper{'s' if count != 1 else ''} with no purchase (missing cart"
        f"{'s' if count != 1 else ''}): holds kept until staff decide",
        reverse("orders:reconciliation") + "?kind=missing_cart",
    )


# What /readyz no longer fails for (every machine shares it): said here, to a person.
WATCHED_ALERTS = {
    "redis": ("critical", "Redis does not answer: {detail}. Gate calls fall back to the database; tasks wait."),
    "queues": ("critical", "Celery backlog: {detail}. Check the workers."),
    "notifications": ("warning", "Amazon's results are late: {detail}."),
}


def _watched(now: datetime) -> list[Alert]:
    found = []
    for check in watched():
        if not check.ok and check.name in WATCHED_ALERTS:
            severity, message = WATCHED_ALERTS[check.name]
            url = reverse("catalog:sync_overview") if check.name == "notifications" else reverse("home")
            found.append(Alert(f"watched_{check.name}", severity, message.format(detail=check.detail), url))
    return found


CHECKS = (_unpriced, _uncharged, _missing_carts, _refusals, _notifications, _syncs, _reports)


def alerts_now(*, now: datetime | None = None) -> list[Alert]:
    now = now or timezone.now()
    found = [alert for check in CHECKS if (alert := check(now)) is not None] + _watched(now)
    return sorted(found, key=lambda alert: alert.severity != "critical")
