"""Database work under a hard deadline, for answers that must arrive in time whatever the database does.

The work runs on a small pool of threads (each with its own database connection) while the
request thread waits at most ``seconds``. A stalled server — a lock, a full disk, a stopped
process that still accepts TCP — then costs the caller the deadline and no more; the pool's
connections carry a ``statement_timeout`` and ``lock_timeout`` of ``JWO_IDENTITY_BUDGET_MS``, so
the server ends a stalled query when it can.
"""

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any, TypeVar

from django.conf import settings
from django.db import DatabaseError, InterfaceError, OperationalError, close_old_connections, connection

from jwo_admin.core import db

logger = logging.getLogger(__name__)
T = TypeVar("T")

_pool: ThreadPoolExecutor | None = None
# Work done after an answer (recording it, announcing an admission to the payments queue, noting a
# key's use) runs on threads of its own: a broker or a database that hangs on that work must never
# leave the deciding threads busy while gates wait.
_background: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()
BACKGROUND_THREADS = 2


class DeadlineExceeded(Exception):
    """The work did not finish in time; it may still finish later on its thread."""


def _executor() -> ThreadPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=settings.JWO_IDENTITY_DB_THREADS, thread_name_prefix="jwo-deadline")
        return _pool


def _background_executor() -> ThreadPoolExecutor:
    global _background
    with _pool_lock:
        if _background is None:
            _background = ThreadPoolExecutor(max_workers=BACKGROUND_THREADS, thread_name_prefix="jwo-background")
        return _background


_thread_state = threading.local()
HEALTH_CHECK_SECONDS = 30.0


def _prepare_connection() -> None:
    """Once per connection, not per job: PostgreSQL ends any statement or lock wait past the
    budget; every 30 s, Django's checks (CONN_MAX_AGE, a broken connection) as a request would."""
    now = time.monotonic()
    if now - getattr(_thread_state, "checked_at", 0.0) > HEALTH_CHECK_SECONDS:
        close_old_connections()
        _thread_state.checked_at = now
    connection.ensure_connection()
    raw = connection.connection
    if getattr(_thread_state, "configured", None) is not raw:
        db.connection_budget(settings.JWO_IDENTITY_BUDGET_MS)
        _thread_state.configured = raw


def _dead() -> bool:
    """The thread's connection is gone (the server restarted, a proxy cut it): psycopg marks it
    broken or closed once a call on it fails, which a statement timeout does not do."""
    raw = connection.connection
    return raw is None or bool(getattr(raw, "broken", False) or getattr(raw, "closed", False))


def _run(fn: Callable[..., T], args: tuple[Any, ...], kwargs: dict[str, Any]) -> T:
    """``fn`` on this thread's connection. A connection found dead on use (every pool thread holds
    one from before a PostgreSQL restart) is replaced and ``fn`` run once more at once: the jobs are
    reads or idempotent writes, and a dead connection ran nothing. Anything else is the caller's."""
    reused = connection.connection is not None
    try:
        _prepare_connection()
        return fn(*args, **kwargs)
    except UNREACHABLE:
        healing = reused and _dead()
        connection.close()  # the next job on this thread reconnects
        if not healing:
            raise
    except DatabaseError:
        connection.close()
        raise
    logger.warning("a pool thread's database connection was dead (server restarted?): reconnected")
    try:
        _prepare_connection()
        return fn(*args, **kwargs)
    except DatabaseError:
        connection.close()
        raise


def submit(fn: Callable[..., T], *args: Any, **kwargs: Any) -> "Future[T]":
    """``fn`` on a pool thread, for a caller that handles the deadline itself (see run_within)."""
    return _executor().submit(_run, fn, args, kwargs)


def run_within(seconds: float, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """``fn(*args, **kwargs)`` on a pool thread; DeadlineExceeded if it takes longer than ``seconds``."""
    future: Future[T] = _executor().submit(_run, fn, args, kwargs)
    try:
        return future.result(timeout=max(seconds, 0.001))
    except FutureTimeout as error:
        future.cancel()  # not started yet (every thread busy): never start it
        raise DeadlineExceeded(f"no answer within {seconds:.3f} s") from error


def run_later(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
    """Fire and forget on the background threads (e.g. recording an answer already given); failures
    are logged."""

    def done(future: Future[Any]) -> None:
        if not future.cancelled() and future.exception() is not None:
            logger.error("background database work failed: %r", future.exception())

    _background_executor().submit(_run, fn, args, kwargs).add_done_callback(done)


# Records of answers already given wait out a database that is down: retried with back-off for
# this long, at most this many at a time per process (past it the oldest are given up, logged).
RETRY_FOR_SECONDS = 600.0
RETRY_MAX_PENDING = 10_000
_retrying: list[threading.Timer] = []
UNREACHABLE = (OperationalError, InterfaceError)  # the server, not the data: worth trying again
_retry_lock = threading.Lock()


def run_later_until_stored(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
    """Like run_later, but the database being down or unreachable (UNREACHABLE) is not the end: the
    work is tried again 1, 2, 4 … 30 s later, for up to RETRY_FOR_SECONDS. For records of answers
    Amazon already has, which must reach the database once it is back."""
    _attempt(fn, args, kwargs, started=time.monotonic(), delay=1.0)


def _attempt(
    fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any], *, started: float, delay: float
) -> None:
    def done(future: Future[Any]) -> None:
        error = None if future.cancelled() else future.exception()
        if error is None:
            return
        if not isinstance(error, UNREACHABLE) or time.monotonic() - started + delay > RETRY_FOR_SECONDS:
            logger.error("background database work failed for good: %r", error)
            return
        logger.warning("background database work failed, again in %.0f s: %r", delay, error)
        timer = threading.Timer(
            delay, _attempt, args=(fn, args, kwargs), kwargs={"started": started, "delay": min(delay * 2, 30.0)}
        )
        timer.daemon = True
        with _retry_lock:
            _retrying[:] = [pending for pending in _retrying if pending.is_alive()]
            if len(_retrying) >= RETRY_MAX_PENDING:
                logger.error("background database work: %d records waiting, giving up the oldest", len(_retrying))
                _retrying.pop(0).cancel()
            _retrying.append(timer)
        timer.start()

    _background_executor().submit(_run, fn, args, kwargs).add_done_callback(done)


def retries_pending() -> int:
    """Records waiting for the database to come back (tests and the readiness probe)."""
    with _retry_lock:
        return sum(1 for pending in _retrying if pending.is_alive())


def pool_shutdown() -> None:
    """Wait for queued work, close each thread's database connection, and stop the threads;
    records still waiting for the database to come back are given up (tests end here)."""
    global _pool, _background
    with _retry_lock:
        for pending in _retrying:
            pending.cancel()
        _retrying.clear()
    with _pool_lock:
        pools, _pool, _background = [_background, _pool], None, None
    for pool in pools:
        if pool is not None:
            _shutdown(pool)


def _shutdown(pool: ThreadPoolExecutor) -> None:
    threads = len(pool._threads)
    if threads:
        barrier = threading.Barrier(threads)  # one close per thread: each waits until all have one

        def close() -> None:
            try:
                barrier.wait(timeout=5)
            finally:
                connection.close()

        for _ in range(threads):
            pool.submit(close)
    pool.shutdown(wait=True)
