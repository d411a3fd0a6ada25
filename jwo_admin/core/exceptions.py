"""Errors raised by services; one exception handler renders them for APIs."""

from typing import Any


class ApplicationError(Exception):
    """A business rule refused the operation; ``message`` is safe to show to the caller."""

    def __init__(self, message: str, extra: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.extra = extra or {}
