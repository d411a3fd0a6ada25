"""Hand work to Celery by the task's name, after the transaction commits, never failing the caller.

Services never import ``tasks.py`` (STYLE §5: the task module imports the services it runs, so the
other way round would be a cycle); they name the task instead. The caller has already answered
Amazon or staff from committed rows; if the broker cannot take the task (Redis down), the sweeper
that owns the work finds it from those rows. So a lost hand-off is logged and left to it: one line
when the broker is unreachable (the cause is known), a traceback for anything else.
"""

import importlib
import logging
from typing import Any

from celery import current_app
from django.db import transaction
from kombu.exceptions import OperationalError

from jwo_admin.core.cooldown import Cooldown

logger = logging.getLogger(__name__)


def _task(name: str) -> Any:
    """The task by its dotted name. Its module is imported here when nothing has imported it yet
    (a web process imports no tasks module of its own): Python's import lock makes a second thread
    wait for the first, where Celery's lazy autodiscovery let it find the registry half-filled."""
    tasks = current_app.tasks
    if name not in tasks:
        importlib.import_module(name.rsplit(".", 1)[0])
    return tasks[name]


# After the broker fails, this process does not try it again for this long (a monotonic time):
# a Redis that hangs costs one publication its timeouts, not every admission and purchase.
BROKER_RETRY_SECONDS = 5.0
_broker_cooldown = Cooldown(lambda: BROKER_RETRY_SECONDS)


def task_publish(task: Any, *args: Any, what: str, options: dict[str, Any] | None = None) -> None:
    """``task.delay(*args)`` (``apply_async`` with ``options``: a countdown, a retry count), or a
    logged line when the broker cannot take it (the sweeper that owns the work finds it later from
    committed rows)."""
    if _broker_cooldown.cooling:
        logger.warning("not queueing %s: the broker failed moments ago; the sweeper will pick it up", what)
        return
    try:
        if options:
            task.apply_async(args, **options)
        else:
            task.delay(*args)
    except OperationalError as error:
        _broker_cooldown.failed()
        logger.error("could not queue %s (the broker is unreachable: %s); the sweeper will pick it up", what, error)
    except Exception:
        logger.exception("could not queue %s; the sweeper will pick it up", what)


def task_publish_reset() -> None:
    """Forget that the broker failed (tests)."""
    _broker_cooldown.reset()


def task_enqueue(name: str, *args: Any, what: str, options: dict[str, Any] | None = None) -> None:
    """Queue the task ``name`` (``"orders.tasks.receipt_send_task"``) with ``args`` now (and
    Celery's ``options``, as ``apply_async`` takes them)."""
    try:
        task = _task(name)
    except Exception:
        logger.exception("could not queue %s; the sweeper will pick it up", what)
        return
    task_publish(task, *args, what=what, options=options)


def task_enqueue_on_commit(name: str, *args: Any, what: str, options: dict[str, Any] | None = None) -> None:
    """Queue the task once the current transaction commits (at once in autocommit)."""
    transaction.on_commit(lambda: task_enqueue(name, *args, what=what, options=options))
