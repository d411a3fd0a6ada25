"""Cache reads and writes that never fail the caller: a cache outage is a cache miss.

The connectors must keep answering when Redis is down (it caches lookups, it is not the record),
so these helpers log the error and carry on without the cache. In front of the shared cache, each
process keeps what it read for ``JWO_LOCAL_CACHE_SECONDS`` (2 s), so a gate call usually makes
no cache round trip at all; an invalidation reaches this process at once and the others within
those seconds.
"""

import logging
import time
from typing import Any

import redis
from django.conf import settings
from django.core.cache import cache
from django.core.cache.backends.redis import RedisCache, RedisCacheClient

from jwo_admin.core.cooldown import Cooldown

logger = logging.getLogger(__name__)


_local: dict[str, tuple[float, Any]] = {}
# After the shared cache fails, this process reads without it for JWO_CACHE_RETRY_SECONDS: a Redis
# that hangs costs one call its socket timeout, not every call.
_cooldown = Cooldown(lambda: settings.JWO_CACHE_RETRY_SECONDS)


class _CacheDown(redis.RedisError):
    """The shared cache failed moments ago; not asked again yet."""


def _shared(operation: str, *args: Any) -> Any:
    if _cooldown.cooling:
        raise _CacheDown("the shared cache failed moments ago")
    try:
        return getattr(cache, operation)(*args)
    except redis.RedisError:
        _cooldown.failed()
        raise


def _local_get(key: str) -> Any:
    entry = _local.get(key)
    if entry is None or entry[0] < time.monotonic():
        return None
    return entry[1]


def _local_set(key: str, value: Any) -> None:
    if len(_local) > 10_000:  # a bound, not an LRU: entries live two seconds anyway
        _local.clear()
    _local[key] = (time.monotonic() + settings.JWO_LOCAL_CACHE_SECONDS, value)


def cache_get(key: str, *, local: bool = True) -> Any:
    """``local=False``: the shared cache only, for what must change everywhere at once (a revoked key)."""
    value = _local_get(key) if local else None
    if value is not None:
        return value
    try:
        value = _shared("get", key)
    except redis.RedisError as error:
        logger.warning("cache unavailable, reading without it: %s", error)
        return None
    if value is not None and local:
        _local_set(key, value)
    return value


def cache_set(key: str, value: Any, seconds: float, *, local: bool = True) -> None:
    if local:
        _local_set(key, value)
    try:
        _shared("set", key, value, seconds)
    except redis.RedisError as error:
        logger.warning("cache unavailable, not caching %s: %s", key, error)


def cache_local_clear() -> None:
    """Forget this process's copies and that the shared cache failed (tests; the shared cache is
    cleared separately)."""
    _local.clear()
    _cooldown.reset()


def cache_delete(key: str) -> None:
    """Invalidation must not be lost silently: a failure is logged as an error (entries expire anyway)."""
    _local.pop(key, None)
    try:
        _shared("delete", key)
    except redis.RedisError as error:
        logger.error("cache unavailable, %s not cleared (it expires on its own): %s", key, error)


def cache_add(key: str, seconds: float) -> bool:
    """True if the key was not there (and now is): a once-per-period gate. False if the cache is down."""
    try:
        return bool(_shared("add", key, 1, seconds))
    except redis.RedisError as error:
        logger.warning("cache unavailable: %s", error)
        return False


def cache_count(key: str, seconds: float) -> int:
    """Add one to a counter that lives ``seconds`` from its first count; 0 if the cache is down."""
    try:
        if _shared("add", key, 1, seconds):
            return 1
        return int(_shared("incr", key))
    except ValueError:  # expired between add and incr
        return cache_count(key, seconds)
    except redis.RedisError as error:
        logger.warning("cache unavailable, not counting %s: %s", key, error)
        return 0


class _OneClientPerPool(RedisCacheClient):
    """Django's Redis client builds a ``redis.Redis`` object for every cache call: some 0.1 ms of
    CPU, more than the GET a gate call makes for its connector key (``bench/profiles/identity.txt``).
    That object only wraps its connection pool and is safe to share between threads, so one per
    pool is kept."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        # Django's own attributes (the stubs do not list them), as its get_client uses them.
        pool = self._get_connection_pool(write)  # type: ignore[attr-defined]
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)  # type: ignore[attr-defined]
        return client


class SharedRedisCache(RedisCache):
    """The shared cache (``CACHES["default"]`` when ``REDIS_URL`` is set): Django's Redis cache,
    with a client per connection pool instead of one per call."""

    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = _OneClientPerPool
