"""The app's Prometheus metrics, defined once and counted where things happen.

Core, so every app can count without importing ``operations`` (which reads them all). With
``PROMETHEUS_MULTIPROC_DIR`` set before the first import, prometheus-client writes each value to
a per-process file that ``/metrics`` sums, so gunicorn workers and Celery report as one.
"""

from prometheus_client import Counter, Histogram

# A gate waits 2 s for the Identity Connector; the buckets resolve what matters under that.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5, 1.0, 1.5, 2.0, 2.5, 5.0)

connector_latency = Histogram(
    "jwo_connector_request_seconds",
    "Time from a connector or app API call's arrival (jwo_admin/core/arrival.py) to its answer, by connector and "
    "HTTP status.",
    ["connector", "outcome"],
    buckets=LATENCY_BUCKETS,
)
gate_decisions = Counter(
    "jwo_gate_decisions",
    "Identity Connector answers, by decision and reason.",
    ["decision", "reason"],
)
connector_late_calls = Counter(
    "jwo_connector_late_calls",
    "Connector calls past their budget, by connector and reason: shed (waited for a worker past it, answered at "
    "once without database work) or answered_late (decided past it: recorded as the store default, no hold).",
    ["connector", "reason"],
)
connector_key_refusals = Counter(
    "jwo_connector_key_refusals",
    "Connector calls refused for a missing, wrong or throttled connector key: counted, never recorded.",
    ["connector"],
)
purchase_calls = Counter(
    "jwo_purchase_calls",
    "Create Purchases answers: a new purchase, an empty cart, a replay, a refused call, the database unavailable.",
    ["result"],
)
payments_settled = Counter(
    "jwo_payments_settled",
    "Settlement runs by the payment status they left the purchase in.",
    ["status"],
)
sync_items = Counter(
    "jwo_sync_items",
    "Catalog items whose Amazon result was recorded, by result.",
    ["result"],
)
celery_queue_lag = Histogram(
    "jwo_celery_queue_lag_seconds",
    "Time from a task's publication to a worker starting it, by task.",
    ["task"],
    buckets=(0.01, 0.05, 0.1, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0),
)
