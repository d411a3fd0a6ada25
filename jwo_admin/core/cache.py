"""Cache reads and writes that never fail the caller: a cache outage is a cache miss.

The connectors must keep answering when Redis is down (it caches lookups, it is not the record),
so these helpers log the error and carry on without the cache.
"""

import logging
from typing import Any

import redis
from django.core.cache import cache

logger = logging.getLogger(__name__)


def cache_get(key: str) -> Any:
    try:
        return cache.get(key)
    except redis.RedisError as error:
        logger.warning("cache unavailable, reading without it: %s", error)
        return None


def cache_set(key: str, value: Any, seconds: float) -> None:
    try:
        cache.set(key, value, seconds)
    except redis.RedisError as error:
        logger.warning("cache unavailable, not caching %s: %s", key, error)


def cache_delete(key: str) -> None:
    """Invalidation must not be lost silently: a failure is logged as an error (entries expire anyway)."""
    try:
        cache.delete(key)
    except redis.RedisError as error:
        logger.error("cache unavailable, %s not cleared (it expires on its own): %s", key, error)


def cache_add(key: str, seconds: float) -> bool:
    """True if the key was not there (and now is): a once-per-period gate. False if the cache is down."""
    try:
        return bool(cache.add(key, 1, seconds))
    except redis.RedisError as error:
        logger.warning("cache unavailable: %s", error)
        return False
