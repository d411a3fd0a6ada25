"""Handing money work to Celery after a commit, without ever failing the caller.

The caller has already answered Amazon (or staff) from committed rows; if the broker cannot take
the task (Redis down), the payments sweeper finds the work from those rows within minutes. So a
lost hand-off is logged and left to it: one line when the broker is unreachable (the cause is
known), a traceback for anything else.
"""

from typing import Any

from jwo_admin.core.tasks import task_publish


def hand_off(task: Any, *args: Any, what: str) -> None:
    task_publish(task, *args, what=what)
