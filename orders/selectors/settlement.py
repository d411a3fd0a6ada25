"""Reads for the daily settlement: what a store's day sold and where its money stands.

A store day runs from midnight to midnight on the store's clock (a purchase at 23:30 UTC on 6 Dec
belongs to 7 Dec in Kiritimati). Every figure is about the *trips of that day*: the purchases the
day created, whatever happened to their money since (a refund given a week later lowers the day it
was bought on), so a day's page adds up: ``total = captured + paid at counter + outstanding +
written off`` for priced purchases. Figures are Decimal, per currency, from a handful of grouped
queries; a store simulation's rows are left out (``.real()``).

Asked for one simulation run (``simulation_run``: its id), the same figures are worked out from that
run's rows *only*, never mixed with real ones, so a simulated day can be checked the way a real one
is without a simulated cent reaching real money.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVar

from django.db.models import Count, Max, Min, Q, Sum
from django.db.models.functions import Coalesce, TruncDate

from catalog.models import Store
from catalog.selectors.stores import store_day_bounds
from entry.models import GateDecisionKind, GateEvent
from jwo_admin.core.money import quantize_money
from jwo_admin.core.simulated import SimulatedQuerySet
from orders.models import PaymentStatus, Purchase, PurchaseLine, PurchaseStatus, Refund
from orders.pricing.units import quantity_text

ZERO = Decimal(0)
CHART_DAYS = 30
OUTSTANDING_STATUSES = (PaymentStatus.PENDING, PaymentStatus.ON_HOLD, PaymentStatus.FAILED, PaymentStatus.AT_COUNTER)
SIMULATION_RUNS_LISTED = 50

_Rows = TypeVar("_Rows", bound=SimulatedQuerySet[Any])


def rows_of(rows: _Rows, *, simulation_run: int | None) -> _Rows:
    """Real rows (``simulation_run`` None), else that simulation run's rows only: the money pages
    show one or the other, never both."""
    return rows.real() if simulation_run is None else rows.filter(simulation_run_id=simulation_run)


@dataclass(frozen=True)
class SimulationRunDays:
    """A store simulation run as the money pages offer it: its id and the span of its rows."""

    run_id: int
    first_at: datetime  # its first admission or purchase
    last_at: datetime
    first_day: date  # on the store's clock
    last_day: date

    @property
    def label(self) -> str:
        return f"Simulation #{self.run_id} ({self.first_day:%Y-%m-%d})"


def simulation_run_days(*, store: Store) -> list[SimulationRunDays]:
    """The store's simulation runs that left gate admissions or purchases, newest first (the last 50).

    Read from the rows themselves: a run's id is a plain integer on them (orders sits below
    operations, whose ``SimulationRun`` it may not read), so only the chosen store's runs are ever
    offered. Two grouped queries."""
    spans: dict[int, tuple[datetime, datetime]] = {}
    for rows in (
        GateEvent.objects.filter(store=store, decision=GateDecisionKind.ADMITTED, simulation_run_id__isnull=False),
        Purchase.objects.filter(store=store, simulation_run_id__isnull=False),
    ):
        for span in (
            rows.values("simulation_run_id").order_by().annotate(first=Min("created_at"), last=Max("created_at"))
        ):
            run_id = span["simulation_run_id"]
            if run_id is None:  # excluded by the filter; says so to the type checker
                continue
            first, last = spans.get(run_id, (span["first"], span["last"]))
            spans[run_id] = (min(first, span["first"]), max(last, span["last"]))
    newest = sorted(spans, reverse=True)[:SIMULATION_RUNS_LISTED]
    return [
        SimulationRunDays(
            run_id=run_id,
            first_at=spans[run_id][0],
            last_at=spans[run_id][1],
            first_day=store_today(store=store, now=spans[run_id][0]),
            last_day=store_today(store=store, now=spans[run_id][1]),
        )
        for run_id in newest
    ]


@dataclass(frozen=True)
class TaxLine:
    """Tax collected at one rate: the rate (a fraction), the net amount taxed, the tax."""

    rate: Decimal
    net: Decimal
    tax: Decimal

    @property
    def percent(self) -> str:
        """The rate as staff read it: ``8.875``, ``19``."""
        return quantity_text(self.rate * 100)


@dataclass(frozen=True)
class CurrencySettlement:
    """A day's money in one currency (rounded to its minor unit)."""

    currency: str
    purchases_priced: int = 0
    gross: Decimal = ZERO  # priced purchases' subtotals, before promotions
    promotions: Decimal = ZERO  # their discounts
    tax: Decimal = ZERO
    total: Decimal = ZERO  # what the priced purchases cost the shoppers
    refunds: Decimal = ZERO  # succeeded refunds on the day's purchases
    captured: Decimal = ZERO  # charged on a card
    paid_at_counter: Decimal = ZERO
    outstanding: Decimal = ZERO  # priced, not collected yet (to charge, on hold, failed, at the counter)
    written_off: Decimal = ZERO  # given up on (not charged), bad carts written off included
    tax_by_rate: tuple[TaxLine, ...] = ()

    @property
    def net_collected(self) -> Decimal:
        """Collected minus refunded: what the day leaves in the bank."""
        return self.captured + self.paid_at_counter - self.refunds


@dataclass(frozen=True)
class SettlementDay:
    store: Store
    day: date
    start: datetime  # the day's first instant (aware, on the store's clock)
    end: datetime  # the next day's first instant
    trips: int  # real gate admissions of the day (the run's, for a simulation run)
    purchases: int  # real purchases of the day, whatever their status (the run's, for a simulation run)
    purchases_by_status: dict[str, int] = field(default_factory=dict)
    currencies: tuple[CurrencySettlement, ...] = ()
    simulation_run: int | None = None  # the simulation run whose figures these are; None: real money


def store_today(*, store: Store, now: datetime) -> date:
    return now.astimezone(store.zone).date()


def settlement_day(*, store: Store, day: date, simulation_run: int | None = None) -> SettlementDay:
    """The settlement of ``store``'s ``day``: trips (real gate admissions), purchases (by status),
    and per currency the priced purchases' gross, promotions, tax (by rate), total, then where their
    money stands: captured, paid at the counter, outstanding, written off, and refunds given on them.
    With ``simulation_run``, the same from that run's admissions and purchases only.

    Read-only; five grouped queries whatever the day's size.
    """
    start, end = store_day_bounds(store=store, day=day)
    trips = (
        rows_of(GateEvent.objects.all(), simulation_run=simulation_run)
        .filter(store=store, decision=GateDecisionKind.ADMITTED, created_at__gte=start, created_at__lt=end)
        .count()
    )
    purchases = rows_of(Purchase.objects.all(), simulation_run=simulation_run).filter(
        store=store, created_at__gte=start, created_at__lt=end
    )
    by_status = {
        row["status"]: row["count"] for row in purchases.values("status").order_by().annotate(count=Count("pk"))
    }
    priced = Q(status=PurchaseStatus.PRICED)
    money_rows = (
        purchases.values("currency")
        .order_by("currency")
        .annotate(
            purchases_priced=Count("pk", filter=priced),
            # "sum_": an annotation may not take a field's name (total, tax…)
            sum_gross=Sum("subtotal", filter=priced),
            sum_promotions=Sum("discount_total", filter=priced),
            sum_tax=Sum("tax_total", filter=priced),
            sum_total=Sum("total", filter=priced),
            sum_captured=Sum("captured_total", filter=Q(payment_status=PaymentStatus.CAPTURED)),
            sum_paid_at_counter=Sum("total", filter=Q(payment_status=PaymentStatus.PAID_AT_COUNTER)),
            sum_outstanding=Sum("total", filter=priced & Q(payment_status__in=OUTSTANDING_STATUSES)),
            sum_written_off=Sum("total", filter=Q(payment_status=PaymentStatus.NOT_CHARGED)),
        )
    )
    refunds = {
        row["purchase__currency"]: row["amount"]
        for row in Refund.objects.filter(purchase__in=purchases, status=Refund.Status.SUCCEEDED)
        .values("purchase__currency")
        .order_by()
        .annotate(amount=Sum("amount"))
    }
    taxes: dict[str, list[TaxLine]] = {}
    for tax_row in (
        PurchaseLine.objects.filter(purchase__in=purchases.filter(priced))
        .values("purchase__currency", "tax_rate")
        .order_by("purchase__currency", "tax_rate")
        .annotate(net=Sum("net"), tax=Sum("tax"))
    ):
        currency = tax_row["purchase__currency"]
        taxes.setdefault(currency, []).append(
            TaxLine(
                rate=tax_row["tax_rate"],
                net=quantize_money(tax_row["net"] or ZERO, currency),
                tax=quantize_money(tax_row["tax"] or ZERO, currency),
            )
        )
    currencies = []
    for money_row in money_rows:
        row: dict[str, Any] = dict(money_row)
        currency = row.pop("currency")
        amounts = {
            name.removeprefix("sum_"): quantize_money(value or ZERO, currency)
            for name, value in row.items()
            if name.startswith("sum_")
        }
        currencies.append(
            CurrencySettlement(
                currency=currency,
                purchases_priced=row["purchases_priced"],
                refunds=quantize_money(refunds.get(currency) or ZERO, currency),
                tax_by_rate=tuple(taxes.get(currency, ())),
                **amounts,
            )
        )
    return SettlementDay(
        store=store,
        day=day,
        start=start,
        end=end,
        trips=trips,
        purchases=sum(by_status.values()),
        purchases_by_status=by_status,
        currencies=tuple(currencies),
        simulation_run=simulation_run,
    )


def settlement_days(*, store: Store, date_from: date, date_to: date) -> list[SettlementDay]:
    """One settlement per day of the range, both ends included (the settlement-days export)."""
    days = (date_to - date_from).days + 1
    return [settlement_day(store=store, day=date_from + timedelta(days=back)) for back in range(days)]


def settlement_chart(
    *, store: Store, last_day: date, days: int = CHART_DAYS, simulation_run: int | None = None
) -> dict[str, Any]:
    """Chart.js-ready series over the ``days`` store days ending on ``last_day``: per day, the
    priced purchases' gross, what was captured (card and counter) and the refunds given on them,
    as decimal strings in the store's currency (the day is each purchase's day, as on the page).
    Real purchases, or ``simulation_run``'s only."""
    first_day = last_day - timedelta(days=days - 1)
    start, _ = store_day_bounds(store=store, day=first_day)
    _, end = store_day_bounds(store=store, day=last_day)
    purchases = rows_of(Purchase.objects.all(), simulation_run=simulation_run).filter(
        store=store, currency=store.currency, created_at__gte=start, created_at__lt=end
    )
    per_day = {
        row["day"]: row
        for row in purchases.annotate(day=TruncDate("created_at", tzinfo=store.zone))
        .values("day")
        .order_by()
        .annotate(
            gross=Sum("subtotal", filter=Q(status=PurchaseStatus.PRICED)),
            captured=Coalesce(Sum("captured_total", filter=Q(payment_status=PaymentStatus.CAPTURED)), ZERO)
            + Coalesce(Sum("total", filter=Q(payment_status=PaymentStatus.PAID_AT_COUNTER)), ZERO),
        )
    }
    refunds = {
        row["day"]: row["amount"]
        for row in Refund.objects.filter(purchase__in=purchases, status=Refund.Status.SUCCEEDED)
        .annotate(day=TruncDate("purchase__created_at", tzinfo=store.zone))
        .values("day")
        .order_by()
        .annotate(amount=Sum("amount"))
    }
    labels = [first_day + timedelta(days=offset) for offset in range(days)]

    def series(values: dict[date, Any]) -> list[str]:
        return [str(quantize_money(values.get(day) or ZERO, store.currency)) for day in labels]

    return {
        "labels": [day.strftime("%m-%d") for day in labels],
        "gross": series({day: row["gross"] for day, row in per_day.items()}),
        "captured": series({day: row["captured"] for day, row in per_day.items()}),
        "refunds": series(refunds),
    }
