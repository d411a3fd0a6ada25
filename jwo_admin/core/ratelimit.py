"""A rate limit shared by every worker and process: at most N calls in any one-second window.

Redis holds a sliding log of call times (a sorted set updated by one Lua script, timed by the
Redis server's clock), so two workers on two machines never exceed the limit together. Without
Redis (the embedded default, one worker process) a local limiter does the same in memory.
"""

import os
import threading
import time
import uuid
from collections import deque
from typing import Protocol

import redis

_ACQUIRE = """
local key, limit, window_us = KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2])
local now = redis.call('TIME')
local now_us = tonumber(now[1]) * 1000000 + tonumber(now[2])
redis.call('ZREMRANGEBYSCORE', key, '-inf', now_us - window_us)
if redis.call('ZCARD', key) < limit then
  redis.call('ZADD', key, now_us, ARGV[3])
  redis.call('PEXPIRE', key, math.ceil(window_us / 1000) + 1000)
  return 0
end
local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
return math.max(1, tonumber(oldest[2]) + window_us - now_us)
"""


class RateLimiter(Protocol):
    def acquire(self, timeout: float = 60.0) -> bool: ...


class _Blocking:
    """``acquire`` waits (as long as the limiter says) until a slot is free or ``timeout`` passes."""

    def try_acquire(self) -> float:
        raise NotImplementedError

    def acquire(self, timeout: float = 60.0) -> bool:
        deadline = time.monotonic() + timeout
        while True:
            wait = self.try_acquire()
            if wait == 0:
                return True
            if time.monotonic() + wait > deadline:
                return False
            time.sleep(wait)


class RedisRateLimiter(_Blocking):
    """Sliding-log limiter in Redis."""

    def __init__(self, client: "redis.Redis", key: str, limit: int, window_seconds: float = 1.0) -> None:
        self.client = client
        self.key = key
        self.limit = limit
        self.window_us = int(window_seconds * 1_000_000)
        self._script = client.register_script(_ACQUIRE)
        self._counter = 0
        self._nonce = uuid.uuid4().hex
        self._lock = threading.Lock()

    def _token(self) -> str:
        """A member no other call anywhere can share: a random nonce (other machines), the process
        (a limiter inherited by forked workers keeps its nonce) and a counter. An id built from
        ``id(self)``, the thread and a counter repeats across processes started alike, and a
        repeated member is one entry in the log, not two: one call more would get through."""
        with self._lock:
            self._counter += 1
            return f"{self._nonce}-{os.getpid()}-{self._counter}"

    def try_acquire(self) -> float:
        """0 when a slot was taken, else the seconds to wait before trying again."""
        wait_us = int(self._script(keys=[self.key], args=[self.limit, self.window_us, self._token()]))
        return wait_us / 1_000_000


class LocalRateLimiter(_Blocking):
    """The same sliding log in one process (the embedded default has a single worker)."""

    def __init__(self, limit: int, window_seconds: float = 1.0) -> None:
        self.limit = limit
        self.window = window_seconds
        self._calls: deque[float] = deque()
        self._lock = threading.Lock()

    def try_acquire(self) -> float:
        with self._lock:
            now = time.monotonic()
            while self._calls and self._calls[0] <= now - self.window:
                self._calls.popleft()
            if len(self._calls) < self.limit:
                self._calls.append(now)
                return 0.0
            return max(self._calls[0] + self.window - now, 0.001)
