"""When a call arrived, so that the time it waited for a worker counts against its budget.

Amazon's gate gives up on the Identity Connector 2 s after it sent the call, however long the
call then queued in front of our workers. A clock started in the view misses that wait (under
overload the gate log showed 38 ms while callers saw 9.7 s), so every connector call is timed from
its arrival:

1. the proxy's request-start header (``JWO_REQUEST_START_HEADER``, ``X-Request-Start`` by default,
   which nginx sets with ``proxy_set_header X-Request-Start "t=${msec}";``): it saw the call
   before it waited anywhere of ours, the listen backlog included;
2. else gunicorn's own stamp (``WORKER_ARRIVAL_HEADER``, set by the ``pre_request`` hook in
   ``deploy/gunicorn.conf.py`` when a worker picks the call up): later than the true arrival
   when the call waited in the listen backlog, which only a proxy sees;
3. else now (a test client, ``runserver``).

Values are epoch seconds as text, optionally ``t=``-prefixed, in seconds, milliseconds or
microseconds (told apart by size: any of them for a date between 1973 and 5138). A value in the
future (another machine's clock ahead of ours) counts as now; one that is not a time, or more than
``MAX_WAIT_SECONDS`` old (a clock far off), is ignored.
"""

import json
import math
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from django.conf import settings

from jwo_admin.core.metrics import connector_late_calls, gate_decisions

WORKER_ARRIVAL_HEADER = "X-JWO-Worker-Arrival"
# What a shed call is answered (the connectors' views answer the same when they shed).
IDENTITY_TIMEOUT_MESSAGE = "The shopper could not be verified in time; follow the store's default."
PURCHASE_SHED_MESSAGE = "Too busy to take the purchase just now; nothing was kept. Retry."
IDENTITY_PATH = "/v1/identity/identity-keys"
PURCHASES_PATH = "/v1/order/purchases"
MAX_WAIT_SECONDS = 300.0
_CACHE_KEY = "jwo.arrival"


class CallTooLate(Exception):
    """The call waited past its budget before a worker picked it up: answer at once, do no work."""

    def __init__(self, waited: float) -> None:
        super().__init__(f"waited {waited * 1000:.0f} ms for a worker")
        self.waited = waited


def request_start_parse(value: str) -> float | None:
    """A request-start header's value as epoch seconds, or None if it is not one.

    >>> request_start_parse("t=1700000000.123")
    1700000000.123
    >>> request_start_parse("1700000000123")
    1700000000.123
    >>> request_start_parse("t=1700000000123456")
    1700000000.123456
    >>> request_start_parse("soon") is None
    True
    """
    text = value.strip()
    if text.startswith("t="):
        text = text[2:]
    try:
        number = float(text)
    except ValueError:
        return None
    if not math.isfinite(number) or number <= 0:
        return None
    if number >= 1e17:  # nanoseconds
        return number / 1e9
    if number >= 1e14:  # microseconds
        return number / 1e6
    if number >= 1e11:  # milliseconds
        return number / 1e3
    return number


def _meta_key(header: str) -> str:
    return "HTTP_" + header.upper().replace("-", "_")


def request_arrived_at(meta: Mapping[str, Any], *, now: float | None = None) -> float:
    """Epoch seconds at which the call arrived, by the first source that has it (see above)."""
    cached = meta.get(_CACHE_KEY)
    if isinstance(cached, float):
        return cached
    now = time.time() if now is None else now
    arrived = now
    for header in (settings.JWO_REQUEST_START_HEADER, WORKER_ARRIVAL_HEADER):
        raw = meta.get(_meta_key(header)) if header else None
        stamp = request_start_parse(raw) if isinstance(raw, str) else None
        if stamp is not None and now - stamp <= MAX_WAIT_SECONDS:
            arrived = min(stamp, now)
            break
    if isinstance(meta, dict):
        meta[_CACHE_KEY] = arrived  # one answer per call, however often asked
    return arrived


def request_waited(meta: Mapping[str, Any], *, now: float | None = None) -> float:
    """Seconds since the call arrived (0 or more)."""
    now = time.time() if now is None else now
    return max(0.0, now - request_arrived_at(meta, now=now))


def arrival_check(meta: Mapping[str, Any], *, budget_ms: int, now: float | None = None) -> float:
    """Seconds the call has waited; raises CallTooLate if that is past ``budget_ms``.

    The one "is this call too late" predicate: ``ShedLateCalls`` in front of Django and the
    connectors' views (for servers without that wrapper: a test client, ``runserver``) both ask it."""
    waited = request_waited(meta, now=now)
    if waited * 1000 > budget_ms:
        raise CallTooLate(waited)
    return waited


def worker_arrival_stamp(headers: list[tuple[str, str]], *, now: float | None = None) -> None:
    """gunicorn's ``pre_request``: replace any ``WORKER_ARRIVAL_HEADER`` the caller sent with the
    moment this worker picked the call up (``headers``: gunicorn's list of upper-cased names)."""
    name = WORKER_ARRIVAL_HEADER.upper()
    headers[:] = [(key, value) for key, value in headers if key.upper() != name]
    headers.append((name, f"t={time.time() if now is None else now:.6f}"))


class RetrySchedule:
    """When to ask a shed walk-out back (``Retry-After``), so that a burst's shed trips return at a
    pace this process can take instead of all at once.

    Amazon retries a Create Purchases call answered 5xx (SPEC §10.4 [DOC]); how soon is not
    published, so we ask it with ``Retry-After`` [INFERRED]. ``Retry-After: 1`` for every shed
    walk-out of a 20-second burst sent the whole burst back a second later, into a queue still full,
    and kept it full for half a minute after the burst. So each shed call takes the next free retry
    slot of this process: the first one ``first`` seconds from now, each next one ``1 / rate``
    seconds later; slots already past are forgotten. A lone shed call is asked back after ``first``
    seconds; the k-th of a burst after about ``first + k / rate`` — the retries come back at
    ``rate`` per second per process, whatever the burst was. One per process (no shared state to
    reach while overloaded): with N web processes the machine gets N × ``rate`` retries a second.
    """

    def __init__(self) -> None:
        self._next = 0.0
        self._lock = threading.Lock()

    def retry_after(self, *, first: float, rate: float, now: float | None = None) -> int:
        """Whole seconds (``Retry-After`` takes no fraction) until this call's retry slot."""
        now = time.monotonic() if now is None else now
        with self._lock:
            slot = max(self._next, now + first)
            self._next = slot + 1.0 / max(rate, 1e-3)
        return max(1, math.ceil(slot - now - 1e-9))


PURCHASE_RETRIES = RetrySchedule()


def purchase_retry_after() -> str:
    """``Retry-After`` for a shed walk-out, from ``JWO_PURCHASE_RETRY_AFTER_SECONDS`` and
    ``JWO_PURCHASE_RETRIES_PER_SECOND`` (``RetrySchedule``)."""
    return str(
        PURCHASE_RETRIES.retry_after(
            first=settings.JWO_PURCHASE_RETRY_AFTER_SECONDS, rate=settings.JWO_PURCHASE_RETRIES_PER_SECOND
        )
    )


class ShedLateCalls:
    """WSGI in front of Django: a connector call that waited past its budget is answered here,
    before any middleware, view or connection runs — an overloaded worker spends some 0.1 ms on
    it instead of the milliseconds of Django's stack. The views shed too (``entry.apis``,
    ``orders.apis``), for servers without this wrapper; both ask ``arrival_check`` and answer
    and count alike."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if environ.get("REQUEST_METHOD") == "POST" and path in (IDENTITY_PATH, PURCHASES_PATH):
            is_identity = path == IDENTITY_PATH
            budget = settings.JWO_IDENTITY_SHED_MS if is_identity else settings.JWO_PURCHASE_SHED_MS
            try:
                arrival_check(environ, budget_ms=budget)
            except CallTooLate:
                return self._shed(is_identity, start_response)
        return self.app(environ, start_response)

    @staticmethod
    def _shed(is_identity: bool, start_response: Callable[..., Any]) -> list[bytes]:
        connector_late_calls.labels(connector="identity" if is_identity else "purchases", reason="shed").inc()
        headers = [("Content-Type", "application/json; charset=utf-8"), ("Cache-Control", "no-store")]
        if is_identity:
            gate_decisions.labels(decision="store_default", reason="timeout").inc()
            status, message = "500 Internal Server Error", IDENTITY_TIMEOUT_MESSAGE
        else:
            status, message = "503 Service Unavailable", PURCHASE_SHED_MESSAGE
            headers.append(("Retry-After", purchase_retry_after()))
        body = json.dumps({"message": message}).encode()
        start_response(status, [*headers, ("Content-Length", str(len(body)))])
        return [body]
