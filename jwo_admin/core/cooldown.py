"""After an outside system fails, leave it alone for a few seconds.

A Redis that hangs costs the first caller its socket timeout; without a pause every following
call (each gate answer, each hand-off) would pay it too. Per process, in memory, on purpose: each
process finds out for itself, and tries again once the pause is over.
"""

import time
from collections.abc import Callable


class Cooldown:
    def __init__(self, seconds: Callable[[], float]) -> None:
        self._seconds = seconds  # read at each failure, so settings changed in tests apply
        self._until = 0.0

    @property
    def cooling(self) -> bool:
        """True while the last failure is fresher than the pause."""
        return time.monotonic() < self._until

    def failed(self) -> None:
        self._until = time.monotonic() + self._seconds()

    def reset(self) -> None:
        self._until = 0.0
