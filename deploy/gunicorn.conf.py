"""gunicorn for jwo-admin's web processes: ``gunicorn -c deploy/gunicorn.conf.py jwo_admin.wsgi``.

Sync workers, two per core: a call is CPU-bound Python then a short wait on PostgreSQL, so a
second worker per core covers the wait and more only share the same cores (the load test measured
it: README, "Load test"). Every value can be set from the environment of the unit or Procfile.
"""

import multiprocessing
import os
from typing import Any

bind = os.environ.get("JWO_BIND", "127.0.0.1:8000")  # behind the load balancer / API gateway's VPC link
workers = int(os.environ.get("WEB_CONCURRENCY", 2 * multiprocessing.cpu_count()))
threads = int(os.environ.get("JWO_WEB_THREADS", "1"))  # above 1: gthread workers
worker_class = "gthread" if threads > 1 else "sync"
# Amazon waits 2 s for the Identity Connector; nothing here should take 30 s. A stuck worker is
# killed and replaced; the connectors' records are written so that a killed call stores nothing half.
timeout = int(os.environ.get("JWO_WEB_TIMEOUT", "30"))
graceful_timeout = 20
keepalive = 5  # the gateway keeps connections to us open
max_requests = int(os.environ.get("JWO_WEB_MAX_REQUESTS", "20000"))  # recycle workers, spread out
max_requests_jitter = max_requests // 10
# The proxy in front sets X-Forwarded-Proto; only trust it from the addresses it comes from.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
accesslog = os.environ.get("JWO_ACCESS_LOG", "-")
# One JSON object per line with the request id (jwo_admin.core.access_log), as the app's own lines,
# unless JWO_LOG_FORMAT=plain asks for gunicorn's usual format.
if (
    os.environ.get(
        "JWO_LOG_FORMAT", "json" if "production" in os.environ.get("DJANGO_SETTINGS_MODULE", "") else "plain"
    )
    == "json"
):
    logger_class = "jwo_admin.core.access_log.JsonAccessLogger"
errorlog = "-"
loglevel = os.environ.get("JWO_GUNICORN_LOG_LEVEL", "warning")


def pre_request(worker: Any, req: Any) -> None:
    """Stamp when this worker picked the call up (X-JWO-Worker-Arrival), so the app times every
    connector call from it where no proxy sets X-Request-Start (jwo_admin/core/arrival.py). The
    true arrival is earlier when the call waited in the listen backlog: only a proxy sees that."""
    from jwo_admin.core.arrival import worker_arrival_stamp  # the app's path is set once a worker runs

    worker_arrival_stamp(req.headers)


def child_exit(server: Any, worker: Any) -> None:
    """A worker that exits leaves its live gauges behind in PROMETHEUS_MULTIPROC_DIR (set in the
    environment, an empty directory per machine); drop them, as prometheus-client asks."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
