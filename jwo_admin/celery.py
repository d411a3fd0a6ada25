"""The Celery application; configuration comes from Django settings (``CELERY_*``).

Two signal handlers measure queue lag: the publisher stamps the time into the message headers,
and the worker observes how long the message waited before it started.
"""

import os
import time
from typing import Any

from celery import Celery
from celery.signals import before_task_publish, task_prerun

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
    from jwo_admin.core.metrics import celery_queue_lag

    celery_queue_lag.labels(task=task.name).observe(max(time.time() - published, 0.0))
