"""The shared rate limit for Amazon's catalog API (SPEC §4.1: at most 10 requests per second).

Each acquisition is recorded as (time before ``acquire``, time after it): the slot was granted
somewhere in between, so a window is over the limit only when it *certainly* holds more grants
than allowed — no tolerance for clock jitter is needed.
"""

import json
import os
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis

from jwo_admin.core.ratelimit import LocalRateLimiter, RedisRateLimiter

Span = tuple[float, float]  # (before acquire, after acquire)
ROOT = Path(__file__).resolve().parents[2]


def most_in_one_window(spans: list[Span], window: float = 1.0) -> int:
    """The most grants that certainly fall inside one window [t, t + window)."""
    most = 0
    for start, _ in spans:
        inside = sum(1 for before, after in spans if before >= start and after < start + window)
        most = max(most, inside)
    return most


def timed_acquisitions(acquire: Callable[[], bool], count: int) -> list[Span]:
    spans = []
    for _ in range(count):
        before = time.monotonic()
        assert acquire()
        spans.append((before, time.monotonic()))
    return spans


def in_threads(acquire: Callable[[], bool], threads: int, each: int) -> list[Span]:
    spans: list[Span] = []
    lock = threading.Lock()

    def work() -> None:
        mine = timed_acquisitions(acquire, each)
        with lock:
            spans.extend(mine)

    workers = [threading.Thread(target=work) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return sorted(spans)


def test_helper_counts_a_burst_as_over_the_limit() -> None:
    burst = [(0.09 * index, 0.09 * index + 0.001) for index in range(11)]

    assert most_in_one_window(burst) == 11
    assert most_in_one_window([(0.0, 0.001), (1.0, 1.001)]) == 1


# --- in one process ----------------------------------------------------------------------------


def test_local_limiter_never_allows_more_than_the_limit_in_any_second() -> None:
    limiter = LocalRateLimiter(10)

    spans = in_threads(lambda: limiter.acquire(timeout=10), threads=5, each=7)

    assert len(spans) == 35
    assert most_in_one_window(spans) == 10
    # 35 grants at 10 per second: the 31st comes a full second after the 21st, the 11th and the 1st.
    assert spans[-1][1] - spans[0][0] >= 3.0
    # The first ten are a burst: nothing waits while slots are free.
    first_ten = sorted(after for _, after in spans)[9]
    assert first_ten - spans[0][0] < 0.5


def test_local_limiter_gives_up_when_no_slot_frees_in_time() -> None:
    limiter = LocalRateLimiter(2)
    assert limiter.acquire(timeout=0)
    assert limiter.acquire(timeout=0)

    started = time.monotonic()
    granted = limiter.acquire(timeout=0.2)

    assert granted is False
    assert time.monotonic() - started < 0.2
    assert limiter.try_acquire() > 0.7


# --- Redis: shared by every worker and process -------------------------------------------------


@pytest.fixture
def limiter_key(redis_url: str) -> Iterator[str]:
    key = f"test:jwo:rate:{uuid.uuid4()}"
    yield key
    redis.Redis.from_url(redis_url).delete(key)


def test_redis_limiter_never_allows_more_than_the_limit_in_any_second(redis_url: str, limiter_key: str) -> None:
    limiter = RedisRateLimiter(redis.Redis.from_url(redis_url), limiter_key, 10)

    spans = in_threads(lambda: limiter.acquire(timeout=10), threads=5, each=7)

    assert len(spans) == 35
    assert most_in_one_window(spans) == 10
    assert spans[-1][1] - spans[0][0] >= 3.0


def test_redis_limiter_gives_up_when_no_slot_frees_in_time(redis_url: str, limiter_key: str) -> None:
    limiter = RedisRateLimiter(redis.Redis.from_url(redis_url), limiter_key, 2)
    assert limiter.acquire(timeout=0)
    assert limiter.acquire(timeout=0)

    granted = limiter.acquire(timeout=0.2)

    assert granted is False
    assert redis.Redis.from_url(redis_url).zcard(limiter_key) == 2


def test_redis_limiters_with_different_keys_do_not_share_slots(redis_url: str, limiter_key: str) -> None:
    client = redis.Redis.from_url(redis_url)
    first = RedisRateLimiter(client, limiter_key, 1)
    second = RedisRateLimiter(client, f"{limiter_key}:other", 1)

    try:
        assert (first.try_acquire(), second.try_acquire()) == (0, 0)
        assert first.try_acquire() > 0
    finally:
        client.delete(f"{limiter_key}:other")


_WORKER = """
import json, sys, time
import redis
from jwo_admin.core.ratelimit import RedisRateLimiter

url, key, count, start_at = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
limiter = RedisRateLimiter(redis.Redis.from_url(url), key, 10)
time.sleep(max(start_at - time.time(), 0))  # start together with the other processes
spans = []
for _ in range(count):
    before = time.time()
    if not limiter.acquire(timeout=30):
        sys.exit("no slot in 30 s")
    spans.append((before, time.time()))
print(json.dumps(spans))
"""


def test_redis_limiter_holds_across_processes(redis_url: str, limiter_key: str) -> None:
    start_at = time.time() + 1.0
    processes = [
        subprocess.Popen(  # noqa: S603 - our own interpreter running the script above
            [sys.executable, "-c", _WORKER, redis_url, limiter_key, "15", str(start_at)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    outputs = [process.communicate(timeout=60) for process in processes]

    assert [process.returncode for process in processes] == [0, 0, 0], [err for _, err in outputs]
    per_process: list[list[Span]] = [[(before, after) for before, after in json.loads(out)] for out, _ in outputs]
    spans = sorted(span for mine in per_process for span in mine)
    assert [len(mine) for mine in per_process] == [15, 15, 15]
    assert most_in_one_window(spans) == 10
    # 45 calls at 10 per second take at least four seconds after the first grant.
    assert spans[-1][1] - spans[0][0] >= 3.5


def test_a_limiter_inherited_by_forked_workers_never_repeats_a_log_member(redis_url: str, limiter_key: str) -> None:
    """Celery forks its workers after the app (and a limiter) may exist: the same counter in two
    processes must still give two log entries, or one call too many gets through."""
    limiter = RedisRateLimiter(redis.Redis.from_url(redis_url), limiter_key, 10)
    reader, writer = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - runs in the child
        os.write(writer, limiter._token().encode())
        os._exit(0)
    os.waitpid(child, 0)
    childs = os.read(reader, 200).decode()

    assert childs != limiter._token()
    assert childs.rsplit("-", 1)[1] == "1"  # the same counter value on both sides
