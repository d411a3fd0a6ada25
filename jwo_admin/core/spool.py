"""Records that must outlive the process that made them, kept in Redis until the database takes them.

The Identity Connector answers the store default while PostgreSQL is down, and the record of that
answer has to reach the gate log once it is back. Kept only in the web process's memory, a record
dies with the process (a deploy, a worker recycled or killed by the timeout during the outage):
126 of 222 were lost in the drill. So it is pushed to a Redis list first; any worker drains the
list (beat, every few seconds) by peeking, storing, then popping — a record is popped only once
stored, and the handlers are idempotent, so two drainers or a crash mid-way store nothing twice.
Without Redis (the embedded default) or when it fails too, the caller keeps its in-memory retry.
"""

import json
import logging
from collections.abc import Callable
from typing import Any

import redis
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder

logger = logging.getLogger(__name__)
PREFIX = "jwo:spool:"


def _client() -> "redis.Redis | None":
    if not settings.REDIS_URL:
        return None
    return redis.Redis.from_url(
        settings.REDIS_URL,
        socket_connect_timeout=settings.JWO_REDIS_CONNECT_TIMEOUT,
        socket_timeout=settings.JWO_REDIS_TIMEOUT,
    )


def spool_push(kind: str, payload: dict[str, Any]) -> bool:
    """Keep ``payload`` until a drain stores it; False when it could not be kept (no Redis, or Redis
    failing too): the caller falls back to its own retry."""
    client = _client()
    if client is None:
        return False
    try:
        client.rpush(PREFIX + kind, json.dumps(payload, cls=DjangoJSONEncoder))
    except redis.RedisError as error:
        logger.warning("could not spool a %s record: %s", kind, error)
        return False
    return True


def spool_drain(kind: str, store: Callable[[dict[str, Any]], Any], *, limit: int = 1000) -> int:
    """Store up to ``limit`` spooled records, oldest first; stops at the first that cannot be stored
    (the database still away), leaving it and the rest for the next drain. Returns how many."""
    client = _client()
    if client is None:
        return 0
    key, stored = PREFIX + kind, 0
    while stored < limit:
        raw = client.lindex(key, 0)
        if raw is None:
            break
        try:
            payload = json.loads(raw)
        except ValueError:
            logger.error("dropping an unreadable %s record from the spool: %r", kind, raw[:200])
            client.lpop(key)
            continue
        store(payload)  # raises while the database is away: the record stays first in line
        client.lrem(key, 1, raw)  # type: ignore[arg-type]  # bytes, as read; this record wherever it is now
        stored += 1
    return stored


def spool_length(kind: str) -> int:
    client = _client()
    return int(client.llen(PREFIX + kind)) if client is not None else 0
