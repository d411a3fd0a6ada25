"""Bad-debt figures: what shoppers owe, what was recovered and what was written off, for the
dashboard and ``/metrics``.

A **debt** is a purchase with a payment issue charged to a shopper (a declined capture, a declined
fresh authorisation, a hold that expired before the cart was priced under the "debt" policy). Where
it stands is its payment status: still failed is **open**, charged or paid at the counter since is
**recovered**, not charged is **written off**. The amount is the purchase's total; the age counts
whole days since the purchase (0–7, 8–30, 31+). Simulated purchases are left out (``.real()``).

**Expired holds** are reported beside them: purchases whose gate hold had expired when their cart
was priced, by what the store's policy and the card's bank made of it — **re-authorised** (a fresh
authorisation approved) or **became debt** — as the charge recorded it once in the purchase's audit
(``REAUTHORISED`` / ``HOLD_EXPIRED_DEBT``), counted with their totals.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from django.db.models import Case, CharField, Count, QuerySet, Sum, Value, When
from django.utils import timezone

from catalog.selectors.staff_stores import StoreIds, stores_scope
from jwo_admin.core.money import quantize_money
from orders.models import PaymentIssue, PaymentStatus, Purchase, PurchaseAudit, PurchaseAuditAction

OPEN, RECOVERED, WRITTEN_OFF = "open", "recovered", "written_off"
STATES = {
    PaymentStatus.FAILED: OPEN,
    PaymentStatus.CAPTURED: RECOVERED,
    PaymentStatus.PAID_AT_COUNTER: RECOVERED,
    PaymentStatus.NOT_CHARGED: WRITTEN_OFF,
}
# (label, youngest day, oldest day or None): a debt 7 days and 23 hours old is still "0-7".
AGE_BUCKETS = (("0-7", 0, 7), ("8-30", 8, 30), ("31+", 31, None))


@dataclass
class Figure:
    count: int = 0
    amount: Decimal = Decimal(0)


@dataclass
class BadDebt:
    """One store's (or every store's) figures in one currency."""

    currency: str
    open: Figure = field(default_factory=Figure)
    recovered: Figure = field(default_factory=Figure)
    written_off: Figure = field(default_factory=Figure)
    open_by_age: dict[str, Figure] = field(default_factory=lambda: {label: Figure() for label, *_ in AGE_BUCKETS})
    expired_reauthorised: Figure = field(default_factory=Figure)  # expired holds re-authorised
    expired_debt: Figure = field(default_factory=Figure)  # expired holds that became debt


EXPIRED_HOLDS = {
    PurchaseAuditAction.REAUTHORISED: "expired_reauthorised",
    PurchaseAuditAction.HOLD_EXPIRED_DEBT: "expired_debt",
}
EXPIRED_STATES = tuple(EXPIRED_HOLDS.values())


def debt_purchases(*, store_ids: StoreIds = None) -> QuerySet[Purchase]:
    """Real purchases that became debt, in the user's stores."""
    owed = PaymentIssue.objects.filter(purchase__isnull=False, shopper__isnull=False).values("purchase_id")
    return stores_scope(Purchase.objects.real().filter(pk__in=owed), store_ids=store_ids)


def _age_bucket(now: datetime) -> Case:
    """The bucket of a purchase's whole days of age: under 8 days is "0-7", under 31 is "8-30"."""
    whens = [
        When(created_at__gt=now - timedelta(days=oldest + 1), then=Value(label))
        for label, _youngest, oldest in AGE_BUCKETS
        if oldest is not None
    ]
    return Case(*whens, default=Value(AGE_BUCKETS[-1][0]), output_field=CharField())


def bad_debt_rows(*, now: datetime | None = None, store_ids: StoreIds = None) -> dict[tuple[str, str], BadDebt]:
    """Figures per (store id, currency): two grouped queries (debts, expired holds)."""
    now = now or timezone.now()
    rows = (
        debt_purchases(store_ids=store_ids)
        .filter(payment_status__in=list(STATES))
        .annotate(age=_age_bucket(now))
        .values("store__store_id", "currency", "payment_status", "age")
        .order_by()
        .annotate(count=Count("pk"), amount=Sum("total"))
    )
    figures: dict[tuple[str, str], BadDebt] = {}
    for row in rows:
        key = (row["store__store_id"], row["currency"])
        debt = figures.setdefault(key, BadDebt(currency=row["currency"]))
        state = STATES[PaymentStatus(row["payment_status"])]
        amount = quantize_money(row["amount"] or Decimal(0), row["currency"])
        target = getattr(debt, state)
        target.count += row["count"]
        target.amount += amount
        if state == OPEN:
            debt.open_by_age[row["age"]].count += row["count"]
            debt.open_by_age[row["age"]].amount += amount
    expired = (
        PurchaseAudit.objects.filter(
            action__in=list(EXPIRED_HOLDS), purchase__in=stores_scope(Purchase.objects.real(), store_ids=store_ids)
        )
        .values("purchase__store__store_id", "purchase__currency", "action")
        .order_by()
        .annotate(count=Count("pk"), amount=Sum("purchase__total"))
    )
    for audited in expired:  # one audit row per purchase: the charge writes it once
        currency = audited["purchase__currency"]
        debt = figures.setdefault((audited["purchase__store__store_id"], currency), BadDebt(currency=currency))
        target = getattr(debt, EXPIRED_HOLDS[PurchaseAuditAction(audited["action"])])
        target.count += audited["count"]
        target.amount += quantize_money(audited["amount"] or Decimal(0), currency)
    return dict(sorted(figures.items()))


def bad_debt_figures(*, now: datetime | None = None, store_ids: StoreIds = None) -> list[BadDebt]:
    """The user's stores' figures per currency, for the dashboard."""
    by_currency: dict[str, BadDebt] = defaultdict(lambda: BadDebt(currency=""))
    for (_store, currency), debt in bad_debt_rows(now=now, store_ids=store_ids).items():
        total = by_currency[currency]
        total.currency = currency
        for state in (OPEN, RECOVERED, WRITTEN_OFF, *EXPIRED_STATES):
            getattr(total, state).count += getattr(debt, state).count
            getattr(total, state).amount += getattr(debt, state).amount
        for label, figure in debt.open_by_age.items():
            total.open_by_age[label].count += figure.count
            total.open_by_age[label].amount += figure.amount
    return [by_currency[currency] for currency in sorted(by_currency)]
