"""The request id every log line carries: the caller's ``X-Request-ID`` when it is sane, else a new
one; Amazon's ``requestId`` beside it once a connector has read the body.

A context variable, not a thread local, so it follows the request into ``asyncio`` code and is
reset when the request ends (a gunicorn thread must not lend one request's id to the next).
"""

import contextvars
import logging
import re
import uuid
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

HEADER = "X-Request-ID"
_SANE = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")
amazon_request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("amazon_request_id", default="")
# The Celery task a worker is running (set and reset by jwo_admin.celery's task signals).
task_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("task_id", default="")


def amazon_request_id_note(value: str) -> None:
    """A connector read Amazon's ``requestId``: later log lines of this request carry it."""
    amazon_request_id_var.set(value)


class RequestIdMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get(HEADER, "")
        request_id = incoming if _SANE.match(incoming) else uuid.uuid4().hex
        # Also on the request: Django logs a 4xx/5xx ("Not Found: /x") after the middleware has
        # returned, with the request on the record; the filter reads it there.
        request.jwo_request_id = request_id  # type: ignore[attr-defined]
        token = request_id_var.set(request_id)
        amazon_token = amazon_request_id_var.set("")
        try:
            response = self.get_response(request)
        finally:
            request_id_var.reset(token)
            amazon_request_id_var.reset(amazon_token)
        response[HEADER] = request_id
        return response


class RequestIdFilter(logging.Filter):
    """Puts ``request_id``, ``amazon_request_id`` and ``task_id`` on every record (empty outside a
    request or a task)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", ""):
            request = getattr(record, "request", None)
            record.request_id = request_id_var.get() or getattr(request, "jwo_request_id", "")
        if not getattr(record, "amazon_request_id", ""):
            record.amazon_request_id = amazon_request_id_var.get()
        if not getattr(record, "task_id", ""):
            record.task_id = task_id_var.get()
        return True
