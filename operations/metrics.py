"""Figures read at scrape time, for ``/metrics``: what is waiting now, from the database and broker.

The counters and histograms live in ``jwo_admin.core.metrics`` (counted where things happen);
these are gauges of open work, each one indexed count, so a scrape stays cheap on big tables.
"""

from collections.abc import Iterator

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from operations.selectors.health import oldest_unapplied_result_seconds, queue_depths, redis_check
from orders.models import PaymentIssue, Purchase, PurchaseStatus, ReceiptStatus
from orders.selectors.bad_debt import OPEN, RECOVERED, WRITTEN_OFF, bad_debt_rows


def bad_debt_families() -> list[GaugeMetricFamily]:
    """Debts (count and amount) per store, currency and state, and the open ones by age."""
    count = GaugeMetricFamily(
        "jwo_bad_debt_purchases",
        "Purchases that became debt, by store, currency and state.",
        labels=["store", "currency", "state"],
    )
    amount = GaugeMetricFamily(
        "jwo_bad_debt_amount", "Their totals, by store, currency and state.", labels=["store", "currency", "state"]
    )
    age = GaugeMetricFamily(
        "jwo_bad_debt_open_amount_by_age",
        "Open debt by whole days since the purchase (0-7, 8-30, 31+), by store and currency.",
        labels=["store", "currency", "age"],
    )
    expired = GaugeMetricFamily(
        "jwo_expired_holds",
        "Purchases whose gate hold had expired when priced, by store, currency and outcome (reauthorised, debt).",
        labels=["store", "currency", "outcome"],
    )
    for (store, currency), debt in bad_debt_rows().items():
        for state in (OPEN, RECOVERED, WRITTEN_OFF):
            figure = getattr(debt, state)
            count.add_metric([store, currency, state], figure.count)
            amount.add_metric([store, currency, state], float(figure.amount))
        for label, figure in debt.open_by_age.items():
            age.add_metric([store, currency, label], float(figure.amount))
        expired.add_metric([store, currency, "reauthorised"], debt.expired_reauthorised.count)
        expired.add_metric([store, currency, "debt"], debt.expired_debt.count)
    return [count, amount, age, expired]


class DatabaseCollector(Collector):
    def collect(self) -> Iterator[GaugeMetricFamily]:
        open_work = GaugeMetricFamily("jwo_open_work", "Work waiting for staff, by kind.", labels=["kind"])
        open_work.add_metric(["bad_carts"], Purchase.objects.filter(status=PurchaseStatus.BAD_CART).count())
        open_work.add_metric(["payment_issues"], PaymentIssue.objects.filter(status=PaymentIssue.Status.OPEN).count())
        open_work.add_metric(
            ["receipts_undelivered"], Purchase.objects.filter(receipt_status=ReceiptStatus.FAILED).count()
        )
        yield open_work
        yield from bad_debt_families()
        yield GaugeMetricFamily(
            "jwo_redis_up",
            "1 when Redis (cache, limiter, broker) answered this scrape, else 0.",
            value=int(redis_check().ok),
        )
        depth = GaugeMetricFamily("jwo_celery_queue_depth", "Messages waiting in each Celery queue.", labels=["queue"])
        try:
            depths = queue_depths()
        except Exception:  # noqa: BLE001 - the broker down: no depth this scrape, jwo_redis_up says why
            depths = {}
        for queue, count in depths.items():
            depth.add_metric([queue], count)
        yield depth
        age = oldest_unapplied_result_seconds()
        yield GaugeMetricFamily(
            "jwo_oldest_unapplied_result_seconds",
            "Age of the oldest upload Amazon accepted whose results are not applied yet (0: none).",
            value=age or 0.0,
        )
