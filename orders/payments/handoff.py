"""Handing money work to Celery after a commit, without ever failing the caller.

The caller has already answered Amazon (or staff) from committed rows; if the broker cannot take
the task (Redis down), the payments sweeper finds the work from those rows within minutes. So a
lost hand-off is logged and left to it: one line when the broker is unreachable (the cause is
known), a traceback for anything else.
"""

import logging
from typing import Any

from kombu.exceptions import OperationalError

logger = logging.getLogger(__name__)


def hand_off(task: Any, *args: Any, what: str) -> None:
    try:
        task.delay(*args)
    except OperationalError as error:
        logger.error("could not queue %s (the broker is unreachable: %s); the sweeper will pick it up", what, error)
    except Exception:
        logger.exception("could not queue %s; the sweeper will pick it up", what)
