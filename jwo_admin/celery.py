"""The Celery application; configuration comes from Django settings (``CELERY_*``).

Two signal handlers measure queue lag: the publisher stamps the time into the message headers,
and the worker observes how long the message waited before it started. Two more put the task id
on every log line the task writes. One tidies the task's database connections as Django does after
a request, so the worker keeps them between tasks. One tells ``make run`` that the worker is up
(so its welcome is printed after the worker's start-up lines, not among them).
"""

import os
import time
from pathlib import Path
from typing import Any

from celery import Celery
from celery.signals import before_task_publish, task_postrun, task_prerun, worker_ready

from jwo_admin.core.request_id import task_id_var

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jwo_admin.settings.local")

app = Celery("jwo_admin")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

PUBLISHED_HEADER = "jwo_published_at"


@before_task_publish.connect(dispatch_uid="jwo.stamp_published")
def _stamp_published(headers: dict[str, Any] | None = None, **_: Any) -> None:
    if headers is not None:
        headers[PUBLISHED_HEADER] = time.time()


@task_prerun.connect(dispatch_uid="jwo.observe_lag")
def _observe_lag(task: Any = None, **_: Any) -> None:
    published = getattr(getattr(task, "request", None), PUBLISHED_HEADER, None)
    if task is None or not isinstance(published, int | float):
        return  # run eagerly, or published by a client that does not stamp
    # Metrics are created when their module is imported, and must be created after settings have
    # prepared PROMETHEUS_MULTIPROC_DIR; celery.py is imported (by jwo_admin/__init__) before settings.
    from jwo_admin.core.metrics import celery_queue_lag

    celery_queue_lag.labels(task=task.name).observe(max(time.time() - published, 0.0))


_task_tokens: dict[str, Any] = {}


@task_prerun.connect(dispatch_uid="jwo.task_id_in_logs")
def _task_id_set(task_id: str | None = None, **_: Any) -> None:
    """Every log line a task writes carries its id (prefork and thread pools alike)."""
    if task_id:
        _task_tokens[task_id] = task_id_var.set(task_id)


@task_postrun.connect(dispatch_uid="jwo.task_id_in_logs_reset")
def _task_id_reset(task_id: str | None = None, **_: Any) -> None:
    token = _task_tokens.pop(task_id or "", None)
    if token is not None:
        task_id_var.reset(token)


@task_postrun.connect(dispatch_uid="jwo.db_connections_tidy")
def _db_connections_tidy(task: Any = None, **_: Any) -> None:
    """After a task, what Django does after a request: a connection older than CONN_MAX_AGE, or
    made unusable by an error, is closed (the next task opens a fresh one); the rest are kept,
    health-checked on their next use (CELERY_DB_REUSE_MAX stops Celery closing them every time)."""
    if getattr(getattr(task, "request", None), "is_eager", False):
        return  # run eagerly, inside the caller's own request or test
    # Imported here: celery.py is imported (by jwo_admin/__init__) before Django's settings are ready.
    from django.db import close_old_connections

    close_old_connections()


# scripts/run.py sets it; the worker writes the file once it consumes.
READY_FILE_VARIABLE = "JWO_WORKER_READY_FILE"


@worker_ready.connect(dispatch_uid="jwo.worker_ready_file")
def _ready_file_write(**_: Any) -> None:
    if path := os.environ.get(READY_FILE_VARIABLE, ""):
        Path(path).write_text(str(os.getpid()), encoding="utf-8")
