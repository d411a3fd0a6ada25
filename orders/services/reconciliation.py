"""Every trip of a store day accounted for from our own records: a run and the queue it fills.

A run matches each admission at the gate (store day on the store's clock) with the purchase that
followed — through its hold, else through the trip's auth events — and each priced purchase with
its approved payment operations: captured must equal total − refunds. Whatever does not add up
becomes a ``ReconciliationItem`` keyed by (kind, trip), so a re-run finds the rows it made: a
resolved item stays resolved, an open one whose cause has gone is resolved "cleared on re-run".

The work is a handful of set-based queries whatever the day's size (no query per trip): the
admissions with their holds and purchases in one, the payment totals grouped by purchase in one,
the day's purchases in one, then bulk writes. A missing cart keeps its hold: nothing here calls
the gateway (the stale-hold sweep leaves the hold of an open missing cart alone too).

A purchase whose expired hold was re-authorised adds up, but staff should see it where they look:
it gets an information item (``HOLD_REAUTHORISED``), resolved when found, so it never keeps a day
open.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Max, Q, QuerySet, Sum
from django.utils import timezone

from catalog.models import Store
from catalog.selectors.stores import store_day_bounds
from entry.models import GateDecisionKind, GateEvent, VisitorType
from jwo_admin.core.exceptions import ApplicationError
from jwo_admin.integrations.payments.gateway import APPROVED
from orders.models import (
    CLEARED_ON_RERUN,
    AuthorisationStatus,
    PaymentAuthorisation,
    PaymentOperation,
    PaymentOperationKind,
    PaymentStatus,
    Purchase,
    PurchaseAudit,
    PurchaseAuditAction,
    PurchaseStatus,
    ReconciliationDay,
    ReconciliationItem,
    ReconciliationKind,
    ReconciliationStatus,
)
from orders.selectors.amazon_feed import amazon_feed_enabled, amazon_trip_differences

ZERO = Decimal(0)
# The kinds a run of our own records decides; Amazon's kinds come from matching its trips
# (orders.selectors.amazon_feed), judged only where Amazon's reports or events are received.
AMAZON_KINDS = (
    ReconciliationKind.AMAZON_TRIP_WITHOUT_PURCHASE,
    ReconciliationKind.PURCHASE_WITHOUT_AMAZON_TRIP,
    ReconciliationKind.AMAZON_LINES_DIFFER,
)
PAYMENT_KINDS = (
    ReconciliationKind.UNCAPTURED,
    ReconciliationKind.CAPTURED_TWICE,
    ReconciliationKind.CAPTURED_OVER_TOTAL,
    ReconciliationKind.REFUNDED_OVER_CAPTURED,
    ReconciliationKind.HOLD_EXPIRED_BEFORE_CAPTURE,
    ReconciliationKind.CAPTURE_MISMATCH,
)
# Found for staff's information only: written resolved, never open.
INFORMATION_KINDS = (ReconciliationKind.HOLD_REAUTHORISED,)
INFORMATION_NOTE = "For information: the records add up, nothing to decide."
# Money that is not the gateway's: taken at the counter, owed there, or not charged by decision.
NOT_GATEWAY_MONEY = (PaymentStatus.AT_COUNTER, PaymentStatus.PAID_AT_COUNTER, PaymentStatus.NOT_CHARGED)
# A purchase for a day's admission arrives after it; looked for this long after the day's start.
PURCHASE_HORIZON = timedelta(days=3)


@dataclass(frozen=True)
class Finding:
    kind: str
    trip_id: str
    reason: str
    purchase_pk: int | None = None
    gate_event_pk: int | None = None
    authorisation_pk: int | None = None
    expected: Decimal | None = None
    actual: Decimal | None = None


@dataclass(frozen=True)
class RunResult:
    """What a run found: the figures the command prints and the simulator checks."""

    store_day: date
    admissions: int
    purchases_checked: int
    missing_carts_decided: bool
    opened: int
    cleared: int
    open_count: int


def _scoped(rows: QuerySet[Any], simulation_run_id: int | None) -> QuerySet[Any]:
    """Real rows, or only those of one simulation run (the simulator's finance check)."""
    if simulation_run_id is None:
        return rows.filter(simulation_run_id__isnull=True)
    return rows.filter(simulation_run_id=simulation_run_id)


def _money(amount: Decimal, currency: str) -> str:
    return f"{amount.quantize(Decimal('0.01'))} {currency}"


def _missing_carts(
    *, store: Store, start: datetime, end: datetime, simulation_run_id: int | None, now: datetime
) -> tuple[list[Finding], int, bool]:
    """Admissions nothing followed: (findings, admissions, decided). Undecided until
    ``JWO_MISSING_CART_HOURS`` after the store's last gate event of the day."""
    events = _scoped(
        GateEvent.objects.filter(store=store, created_at__gte=start, created_at__lt=end), simulation_run_id
    )
    admissions = events.filter(decision=GateDecisionKind.ADMITTED, auth_event_id__isnull=False).exclude(
        visitor_type=VisitorType.ASSOCIATE
    )
    admitted = dict(admissions.values_list("auth_event_id", "pk"))
    last = events.aggregate(last=Max("created_at"))["last"]
    decided = last is not None and now >= last + timedelta(hours=settings.JWO_MISSING_CART_HOURS)
    if not decided or not admitted:
        return [], len(admitted), decided
    holds: dict[str, int] = {}
    unmatched = set(admitted)
    for event_id, hold_pk, purchase_pk in PaymentAuthorisation.objects.filter(
        auth_event_id__in=admissions.values("auth_event_id")
    ).values_list("auth_event_id", "pk", "purchases__pk"):
        holds[event_id] = hold_pk
        if purchase_pk is not None:
            unmatched.discard(event_id)
    if unmatched:  # a group's trip names several events but pays with one hold: read the trips
        purchases = _scoped(
            Purchase.objects.filter(store=store, created_at__gte=start, created_at__lt=end + PURCHASE_HORIZON),
            simulation_run_id,
        )
        for events_sent in purchases.values_list("request_body__shoppingTrip__authEvents", flat=True):
            for event in events_sent if isinstance(events_sent, list) else ():
                if isinstance(event, dict):
                    unmatched.discard(str(event.get("id", "")))
    findings = [
        Finding(
            kind=ReconciliationKind.MISSING_CART,
            trip_id=event_id,
            reason=f"Admitted at gate event {event_id}; no purchase came "
            f"{settings.JWO_MISSING_CART_HOURS:g} h after the day's last gate event."
            + (" Its hold is kept until staff decide." if event_id in holds else " No hold was placed."),
            gate_event_pk=admitted[event_id],
            authorisation_pk=holds.get(event_id),
        )
        for event_id in sorted(unmatched)
    ]
    return findings, len(admitted), decided


def _payment_finding(row: dict[str, Any]) -> Finding | None:
    """The discrepancy of one priced purchase, if any (None: it adds up).

    Refunds are given back after the capture (a purchase is refunded only once charged), so a
    purchase adds up when it was captured once, at its total; what it keeps is then captured −
    refunds = total − refunds. ``expected`` and ``actual`` are those two net amounts."""
    total, currency = row["total"], row["currency"]
    captures, captured, refunded = row["captures"], row["captured"], row["refunded"]
    expected, actual = total - refunded, captured - refunded
    amounts = f"total {_money(total, currency)}, refunds {_money(refunded, currency)}"
    kind, reason = "", ""
    if captures > 1:
        kind = ReconciliationKind.CAPTURED_TWICE
        reason = f"Captured {captures} times, {_money(captured, currency)} in all; {amounts}."
    elif captures == 0 and total > 0:
        if row["authorisation__status"] == AuthorisationStatus.VOIDED:
            kind = ReconciliationKind.HOLD_EXPIRED_BEFORE_CAPTURE
            reason = f"The hold was released before any capture; {amounts}, nothing captured."
        else:
            kind = ReconciliationKind.UNCAPTURED
            reason = f"Nothing captured ({row['payment_status']}); {amounts}."
    elif refunded > captured:
        kind = ReconciliationKind.REFUNDED_OVER_CAPTURED
        reason = f"Refunded {_money(refunded, currency)} of {_money(captured, currency)} captured."
    elif captured > total:
        kind = ReconciliationKind.CAPTURED_OVER_TOTAL
        reason = f"Captured {_money(captured, currency)} of a {_money(total, currency)} total."
    elif captured != total:
        kind = ReconciliationKind.CAPTURE_MISMATCH
        reason = (
            f"Captured {_money(captured, currency)} of a {_money(total, currency)} total: kept "
            f"{_money(actual, currency)} after refunds of {_money(refunded, currency)}, "
            f"expected {_money(expected, currency)}."
        )
    if not kind:
        return None
    return Finding(
        kind=kind,
        trip_id=row["trip_id"],
        reason=reason,
        purchase_pk=row["pk"],
        authorisation_pk=row["authorisation_id"],
        expected=expected,
        actual=actual,
    )


def _payment_findings(
    *, store: Store, start: datetime, end: datetime, simulation_run_id: int | None
) -> tuple[list[Finding], int]:
    purchases = _scoped(
        Purchase.objects.filter(store=store, created_at__gte=start, created_at__lt=end, status=PurchaseStatus.PRICED),
        simulation_run_id,
    ).exclude(payment_status__in=NOT_GATEWAY_MONEY)
    approved = Q(outcome=APPROVED)
    capture = approved & Q(kind=PaymentOperationKind.CAPTURE)
    refund = approved & Q(kind=PaymentOperationKind.REFUND)
    sums: dict[int, dict[str, Any]] = {
        row["purchase_id"]: dict(row)
        for row in PaymentOperation.objects.filter(purchase__in=purchases.values("pk"))
        .filter(capture | refund)
        .values("purchase_id")
        .annotate(
            captures=Count("pk", filter=capture),
            captured=Sum("amount", filter=capture),
            refunded=Sum("amount", filter=refund),
        )
    }
    findings, checked = [], 0
    for row in purchases.values(
        "pk",
        "trip_id",
        "total",
        "currency",
        "payment_status",
        "authorisation_id",
        "authorisation__status",
    ):
        checked += 1
        paid: dict[str, Any] = sums.get(row["pk"], {})
        row["captures"] = paid.get("captures", 0)
        row["captured"] = paid.get("captured") or ZERO
        row["refunded"] = paid.get("refunded") or ZERO
        finding = _payment_finding(row)
        if finding is not None:
            findings.append(finding)
    return findings, checked


def _reauthorised_findings(
    *, store: Store, start: datetime, end: datetime, simulation_run_id: int | None
) -> list[Finding]:
    """The day's purchases whose expired hold was authorised afresh (the charge's audit says so)."""
    purchases = _scoped(
        Purchase.objects.filter(store=store, created_at__gte=start, created_at__lt=end), simulation_run_id
    )
    return [
        Finding(
            kind=ReconciliationKind.HOLD_REAUTHORISED,
            trip_id=trip_id,
            reason=detail,
            purchase_pk=purchase_pk,
            authorisation_pk=authorisation_pk,
        )
        for purchase_pk, trip_id, authorisation_pk, detail in PurchaseAudit.objects.filter(
            action=PurchaseAuditAction.REAUTHORISED, purchase__in=purchases.values("pk")
        )
        .order_by("purchase_id")
        .values_list("purchase_id", "purchase__trip_id", "purchase__authorisation_id", "detail")
    ]


def _item(
    finding: Finding, *, store: Store, day: date, simulation_run_id: int | None, now: datetime
) -> ReconciliationItem:
    information = finding.kind in INFORMATION_KINDS
    return ReconciliationItem(
        store=store,
        store_day=day,
        kind=finding.kind,
        trip_id=finding.trip_id,
        purchase_id=finding.purchase_pk,
        gate_event_id=finding.gate_event_pk,
        authorisation_id=finding.authorisation_pk,
        reason=finding.reason[:500],
        expected=finding.expected,
        actual=finding.actual,
        simulation_run_id=simulation_run_id,
        status=ReconciliationStatus.RESOLVED if information else ReconciliationStatus.OPEN,
        resolution_note=INFORMATION_NOTE if information else "",
        resolved_at=now if information else None,
    )


def _apply(
    findings: list[Finding],
    *,
    store: Store,
    day: date,
    kinds: Iterable[str],
    simulation_run_id: int | None,
    now: datetime,
) -> tuple[int, int]:
    """Write the run's findings for ``kinds``: (opened, cleared)."""
    kinds = list(kinds)
    existing = _scoped(ReconciliationItem.objects.filter(store=store, store_day=day, kind__in=kinds), simulation_run_id)
    known = {
        (kind, trip): (pk, status) for pk, kind, trip, status in existing.values_list("pk", "kind", "trip_id", "status")
    }
    found = {(finding.kind, finding.trip_id) for finding in findings}
    new = [
        _item(finding, store=store, day=day, simulation_run_id=simulation_run_id, now=now)
        for finding in findings
        if (finding.kind, finding.trip_id) not in known
    ]
    ReconciliationItem.objects.bulk_create(new, batch_size=2000, ignore_conflicts=True)
    gone = [pk for key, (pk, status) in known.items() if key not in found and status == ReconciliationStatus.OPEN]
    cleared = 0
    for start in range(0, len(gone), 2000):
        cleared += ReconciliationItem.objects.filter(pk__in=gone[start : start + 2000]).update(
            status=ReconciliationStatus.RESOLVED, resolution_note=CLEARED_ON_RERUN, resolved_at=now, updated_at=now
        )
    return sum(1 for item in new if item.status == ReconciliationStatus.OPEN), cleared


def _day_refresh(*, store: Store, day: date, now: datetime, ran: bool) -> ReconciliationDay:
    """Count the day's open items; the day is closed when none is open after a run."""
    open_count = ReconciliationItem.objects.filter(
        store=store, store_day=day, status=ReconciliationStatus.OPEN, simulation_run_id__isnull=True
    ).count()
    row, _ = ReconciliationDay.objects.get_or_create(store=store, day=day)
    if ran:
        row.last_run_at = now
    row.open_count = open_count
    if open_count or row.last_run_at is None:
        row.closed_at = None
    elif row.closed_at is None:
        row.closed_at = now
    row.save()
    return row


def reconciliation_run(
    *,
    store: Store,
    day: date,
    simulation_run_id: int | None = None,
    now: datetime | None = None,
    progress: Callable[[str], None] = lambda step: None,
) -> RunResult:
    """Reconcile one store day (its real rows, or one simulation run's); safe to run any number of
    times. Only a real run records the day (last run, open count, closed)."""
    now = now or timezone.now()
    start, end = store_day_bounds(store=store, day=day)
    progress("admissions")
    missing, admissions, decided = _missing_carts(
        store=store, start=start, end=end, simulation_run_id=simulation_run_id, now=now
    )
    progress("payments")
    payments, checked = _payment_findings(store=store, start=start, end=end, simulation_run_id=simulation_run_id)
    payments += _reauthorised_findings(store=store, start=start, end=end, simulation_run_id=simulation_run_id)
    amazon: list[Finding] = []
    kinds = [*PAYMENT_KINDS, *INFORMATION_KINDS, *([ReconciliationKind.MISSING_CART] if decided else [])]
    if simulation_run_id is None and amazon_feed_enabled():
        progress("amazon")
        amazon = [
            Finding(kind=found.kind, trip_id=found.trip_id, reason=found.reason, purchase_pk=found.purchase)
            for found in amazon_trip_differences(store=store, day=day)
        ]
        kinds += AMAZON_KINDS
    progress("queue")
    with transaction.atomic():
        opened, cleared = _apply(
            missing + payments + amazon,
            store=store,
            day=day,
            kinds=kinds,
            simulation_run_id=simulation_run_id,
            now=now,
        )
        if simulation_run_id is None:
            open_count = _day_refresh(store=store, day=day, now=now, ran=True).open_count
        else:
            open_count = _scoped(
                ReconciliationItem.objects.filter(store=store, store_day=day, status=ReconciliationStatus.OPEN),
                simulation_run_id,
            ).count()
    return RunResult(day, admissions, checked, decided, opened, cleared, open_count)


def reconciliation_item_record(
    *,
    store: Store,
    store_day: date,
    kind: str,
    trip_id: str,
    purchase: Purchase | None = None,
    reason: str,
    expected: Decimal | None = None,
    actual: Decimal | None = None,
) -> ReconciliationItem:
    """Put one trip in the queue (Amazon's matching uses it): once per (kind, trip); an open item
    gets the new reason and amounts, a resolved one stays as staff left it."""
    if kind not in ReconciliationKind.values:
        raise ApplicationError(f"Unknown reconciliation kind {kind!r}.")
    with transaction.atomic():
        item, created = ReconciliationItem.objects.select_for_update().get_or_create(
            kind=kind,
            trip_id=trip_id,
            defaults={
                "store": store,
                "store_day": store_day,
                "purchase": purchase,
                "reason": reason[:500],
                "expected": expected,
                "actual": actual,
                "simulation_run_id": purchase.simulation_run_id if purchase else None,
            },
        )
        if not created and item.status == ReconciliationStatus.OPEN:
            item.reason, item.expected, item.actual = reason[:500], expected, actual
            item.save(update_fields=["reason", "expected", "actual", "updated_at"])
        _day_refresh(store=store, day=store_day, now=timezone.now(), ran=False)
    return item


def reconciliation_item_resolve(*, item_pk: int, user_pk: int | None, note: str) -> ReconciliationItem:
    """Staff decided about an item: resolved with their note, who and when."""
    note = note.strip()
    if not note:
        raise ApplicationError("Say what was decided: a note is required.")
    now = timezone.now()
    with transaction.atomic():
        item = ReconciliationItem.objects.select_for_update().select_related("store").get(pk=item_pk)
        if item.status != ReconciliationStatus.OPEN:
            raise ApplicationError("This item is already resolved.")
        item.status = ReconciliationStatus.RESOLVED
        item.resolution_note = note[:500]
        item.resolved_by_id = user_pk
        item.resolved_at = now
        item.full_clean()
        item.save()
        if item.simulation_run_id is None:
            _day_refresh(store=item.store, day=item.store_day, now=now, ran=False)
    return item


def reconciliation_days_due(*, now: datetime | None = None) -> list[tuple[int, date]]:
    """Each store's previous day (its clock) not reconciled since it was over: the nightly run.
    Due ``JWO_MISSING_CART_HOURS`` after the store's midnight, so its missing carts are decided."""
    now = now or timezone.now()
    wait = timedelta(hours=settings.JWO_MISSING_CART_HOURS)
    due = []
    runs = {
        (row.store_id, row.day): row.last_run_at
        for row in ReconciliationDay.objects.filter(day__gte=now.date() - timedelta(days=2))
    }
    for store in Store.objects.all():
        local = now.astimezone(store.zone)
        day = local.date() - timedelta(days=1)
        _, midnight = store_day_bounds(store=store, day=day)
        last_run = runs.get((store.pk, day))
        if now >= midnight + wait and (last_run is None or last_run < midnight + wait):
            due.append((store.pk, day))
    return due
