"""Reads for the entry staff screens: gate log, per-store gate summary, hourly charts, shoppers."""

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

from django.db.models import Aggregate, Count, FloatField, Q, QuerySet
from django.db.models.functions import TruncHour
from django.utils import timezone

from catalog.models import Store
from catalog.selectors.staff_stores import StoreIds, stores_scope
from entry.models import GateDecisionKind, GateEvent
from entry.selectors.stores import store_list_with_gate_default
from jwo_admin.core import db
from jwo_admin.core.zones import wall_clock_filter

PERCENTILES = {"p50": 0.5, "p95": 0.95}


# --- Percentiles -----------------------------------------------------------------------------
def percentile(values: Sequence[float], fraction: float) -> float:
    """The ``fraction`` percentile by linear interpolation between the closest ranks, exactly as
    PostgreSQL's ``percentile_cont`` computes it, so both databases draw the same chart.

    >>> percentile([10.0, 20.0, 30.0, 40.0], 0.5)
    25.0
    >>> round(percentile([float(n) for n in range(1, 101)], 0.95), 2)
    95.05
    >>> percentile([7.0], 0.95)
    7.0

    Raises ValueError for no values or a fraction outside 0..1.
    """
    if not values:
        raise ValueError("No values to take a percentile of.")
    if not 0.0 <= fraction <= 1.0:
        raise ValueError(f"Fraction {fraction} is not between 0 and 1.")
    ordered = sorted(values)
    position = fraction * (len(ordered) - 1)
    lower = math.floor(position)
    upper = min(lower + 1, len(ordered) - 1)
    return ordered[lower] + (ordered[upper] - ordered[lower]) * (position - lower)


class PercentileCont(Aggregate):
    """PostgreSQL's ordered-set aggregate ``percentile_cont(fraction) WITHIN GROUP (ORDER BY expr)``."""

    function = "PERCENTILE_CONT"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()

    def __init__(self, expression: Any, *, fraction: float, **extra: Any) -> None:
        # A number of ours, never user input; float() keeps anything else out of the SQL.
        super().__init__(expression, fraction=repr(float(fraction)), **extra)


# --- Overview --------------------------------------------------------------------------------
@dataclass(frozen=True)
class StoreGateSummary:
    """A store's gate default and what its gates did today (the store's own calendar day)."""

    store: Store
    default_decision: str
    default_label: str
    day_start: datetime
    admitted: int
    refused: int
    store_default: int


def store_gate_summaries(*, now: datetime | None = None, store_ids: StoreIds = None) -> list[StoreGateSummary]:
    """Per store (by name; the user's stores): today's admitted, refused and store-default (500) answers.

    "Today" starts at midnight in the store's time zone, as the store's staff count their day.
    """
    now = now or timezone.now()
    summaries = []
    for store in stores_scope(store_list_with_gate_default(), store_ids=store_ids, field="pk"):
        day_start = now.astimezone(store.zone).replace(hour=0, minute=0, second=0, microsecond=0)
        counts = (
            GateEvent.objects.real()
            .filter(store=store, created_at__gte=day_start, created_at__lte=now)
            .aggregate(
                admitted=Count("pk", filter=Q(decision=GateDecisionKind.ADMITTED)),
                refused=Count("pk", filter=Q(decision=GateDecisionKind.REFUSED)),
                store_default=Count("pk", filter=Q(decision=GateDecisionKind.STORE_DEFAULT)),
            )
        )
        summaries.append(
            StoreGateSummary(
                store=store,
                default_decision=store.default_gate_decision,  # type: ignore[attr-defined]
                default_label=store.default_gate_label,  # type: ignore[attr-defined]
                day_start=day_start,
                **counts,
            )
        )
    return summaries


@dataclass(frozen=True)
class GateCharts:
    """Chart.js-ready series: ``traffic`` (labels, admitted, refused, store_default) and
    ``latency`` (labels, p50, p95 in ms, None for an hour without calls)."""

    traffic: dict[str, list[Any]]
    latency: dict[str, list[Any]]
    zone: tzinfo = UTC  # the clock the hours are read on (the axis says which)


def _hour_slots(*, now: datetime, hours: int, zone: tzinfo) -> list[datetime]:
    """The starts of the last ``hours`` hours (the current one last), as UTC instants.

    Stepping in UTC keeps each slot one real hour long across a daylight-saving change.
    """
    current = timezone.localtime(now, zone).replace(minute=0, second=0, microsecond=0).astimezone(UTC)
    return [current - timedelta(hours=back) for back in range(hours - 1, -1, -1)]


def gate_charts(
    *,
    store: Store | None = None,
    now: datetime | None = None,
    hours: int = 24,
    use_database_percentiles: bool | None = None,
    store_ids: StoreIds = None,
) -> GateCharts:
    """Gate calls per hour of the last ``hours`` hours, all stores or one: hours on the chosen
    store's clock, or on the site's (``TIME_ZONE``) for all stores (``GateCharts.zone`` says which).

    Every call counts: admitted, refused, and the store default (500) when we could not decide in
    time. Latency percentiles are those of every call in the hour, by ``percentile_cont`` on
    PostgreSQL and by :func:`percentile` (the same formula) elsewhere; both are rounded to 0.1 ms.
    """
    now = now or timezone.now()
    zone = store.zone if store is not None else timezone.get_current_timezone()
    slots = _hour_slots(now=now, hours=hours, zone=zone)
    events = GateEvent.objects.real().filter(created_at__gte=slots[0], created_at__lt=slots[-1] + timedelta(hours=1))
    events = stores_scope(events, store_ids=store_ids)
    if store is not None:
        events = events.filter(store=store)
    with_hour = events.annotate(hour=TruncHour("created_at", tzinfo=zone))
    if use_database_percentiles is None:
        use_database_percentiles = db.supports_percentile_aggregates()
    aggregates: dict[str, Any] = {
        "admitted": Count("pk", filter=Q(decision=GateDecisionKind.ADMITTED)),
        "refused": Count("pk", filter=Q(decision=GateDecisionKind.REFUSED)),
        "store_default": Count("pk", filter=Q(decision=GateDecisionKind.STORE_DEFAULT)),
    }
    if use_database_percentiles:
        aggregates.update({key: PercentileCont("latency_ms", fraction=value) for key, value in PERCENTILES.items()})
    rows: dict[datetime, dict[str, Any]] = {
        row["hour"]: dict(row) for row in with_hour.values("hour").order_by("hour").annotate(**aggregates)
    }
    if not use_database_percentiles:
        latencies: dict[datetime, list[float]] = defaultdict(list)
        for hour, latency in with_hour.values_list("hour", "latency_ms").order_by().iterator(chunk_size=5000):
            latencies[hour].append(latency)
        for hour, values in latencies.items():
            rows[hour].update({key: percentile(values, value) for key, value in PERCENTILES.items()})
    labels = [timezone.localtime(slot, zone).strftime("%H:%M") for slot in slots]
    empty: dict[str, Any] = {"admitted": 0, "refused": 0, "store_default": 0, "p50": None, "p95": None}
    ordered = [rows.get(slot, empty) for slot in slots]
    return GateCharts(
        traffic={
            "labels": labels,
            "admitted": [row["admitted"] for row in ordered],
            "refused": [row["refused"] for row in ordered],
            "store_default": [row["store_default"] for row in ordered],
        },
        latency={
            "labels": labels,
            **{key: [_round_ms(row[key]) for row in ordered] for key in PERCENTILES},
        },
        zone=zone,
    )


def _round_ms(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


# --- Gate log --------------------------------------------------------------------------------
@dataclass(frozen=True)
class GateEventFilters:
    store: Store | None = None
    decision: str = ""
    reason: str = ""
    visitor_type: str = ""
    since: datetime | None = None
    until: datetime | None = None
    show_simulated: bool = False  # include a store simulation's calls


def gate_event_list(*, filters: GateEventFilters) -> QuerySet[GateEvent]:
    """Gate events matching the log's filters, newest first; ``since``/``until`` are inclusive and
    wall-clock times, read on each event's store clock (the site's for an event of no known store).

    The stored answer body is left out: the log never needs it.
    """
    events = (
        GateEvent.objects.simulated_shown(filters.show_simulated)
        .select_related("store", "shopper")
        .defer("response_body")
    )
    if filters.store is not None:
        events = events.filter(store=filters.store)
    if filters.decision:
        events = events.filter(decision=filters.decision)
    if filters.reason:
        events = events.filter(reason=filters.reason)
    if filters.visitor_type:
        events = events.filter(visitor_type=filters.visitor_type)
    if filters.since is not None or filters.until is not None:
        # The times as staff typed them, read on each event's own store clock.
        site = timezone.get_current_timezone()
        stores = Store.objects.all() if filters.store is None else Store.objects.filter(pk=filters.store.pk)
        events = events.filter(
            wall_clock_filter(
                field="created_at",
                zone_names=stores.values_list("time_zone", flat=True).distinct(),
                start=None if filters.since is None else timezone.make_naive(filters.since, site),
                end=None if filters.until is None else timezone.make_naive(filters.until, site),
                end_inclusive=True,
                default_zone=site,
            )
        )
    return events.order_by("-created_at", "-id")
