"""Readiness, and what is watched beside it. Each check answers ok or not, with figures.

``/readyz`` asks one question: can this process answer a call right now? Only the database decides
that. A Celery backlog, a late notification or Redis are the same on every web machine: failing
readiness for them would take every machine out of the load balancer at once, and every gate would
fall to its store default. They are watched instead (``watched()``): /metrics and the dashboard's
alerts. A check that raises is a failing check, never a 500.
"""

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import redis
from django.conf import settings
from django.utils import timezone

from catalog.models import BatchStatus, UploadBatch
from jwo_admin.core import db

QUEUES = ("celery", "payments")  # CELERY_TASK_QUEUES: holds and charges have a queue of their own


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str = ""
    figures: dict[str, Any] = field(default_factory=dict)


def _database() -> Check:
    started = time.perf_counter()
    db.round_trip(timeout_ms=2000)
    return Check("database", True, figures={"ms": round((time.perf_counter() - started) * 1000, 1)})


def _redis_client() -> "redis.Redis":
    return redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2, socket_connect_timeout=2)


def _redis() -> Check:
    if not settings.REDIS_URL:
        return Check("redis", True, "not configured (the embedded default)")
    started = time.perf_counter()
    _redis_client().ping()
    return Check("redis", True, figures={"ms": round((time.perf_counter() - started) * 1000, 1)})


def queue_depths() -> dict[str, int]:
    """Messages waiting per Celery queue: the Redis list, or the filesystem broker's files."""
    broker = settings.CELERY_BROKER_URL
    if broker.startswith(("redis://", "rediss://")):
        client = redis.Redis.from_url(broker, socket_timeout=2, socket_connect_timeout=2)
        return {queue: int(client.llen(queue)) for queue in QUEUES}
    if broker.startswith("filesystem://"):
        folder = Path(str(settings.CELERY_BROKER_TRANSPORT_OPTIONS["data_folder_in"]))
        files = [path.name for path in folder.iterdir()] if folder.is_dir() else []
        return {queue: sum(1 for name in files if name.endswith(f".{queue}.msg")) for queue in QUEUES}
    return {}


def _queues() -> Check:
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return Check("queues", True, "tasks run in the web process (eager)")
    depths = queue_depths()
    limit = settings.JWO_ALERT_QUEUE_DEPTH
    over = {queue: depth for queue, depth in depths.items() if depth > limit}
    detail = ", ".join(f"{queue} holds {depth} messages (limit {limit})" for queue, depth in over.items())
    return Check("queues", not over, detail, figures=depths)


def oldest_unapplied_result_seconds() -> float | None:
    """Age of the oldest upload Amazon accepted whose results (the SNS→SQS notice, or the status
    poll, then the report) are not applied yet: the notification pipeline's backlog."""
    oldest = (
        UploadBatch.objects.filter(status=BatchStatus.ACCEPTED, results_applied_at__isnull=True)
        .order_by("accepted_at")
        .values_list("accepted_at", flat=True)
        .first()
    )
    return None if oldest is None else (timezone.now() - oldest).total_seconds()


def _notifications() -> Check:
    age = oldest_unapplied_result_seconds()
    limit = settings.JWO_ALERT_NOTIFICATION_AGE_SECONDS
    figures = {"oldest_unapplied_seconds": None if age is None else round(age)}
    if age is not None and age > limit:
        return Check("notifications", False, f"results of an upload waiting {age:.0f} s (limit {limit} s)", figures)
    return Check("notifications", True, figures=figures)


READINESS: tuple[tuple[str, Callable[[], Check]], ...] = (("database", _database),)
WATCHED: tuple[tuple[str, Callable[[], Check]], ...] = (
    ("redis", _redis),
    ("queues", _queues),
    ("notifications", _notifications),
)


def _run(checks: tuple[tuple[str, Callable[[], Check]], ...]) -> list[Check]:
    done = []
    for name, run in checks:
        try:
            done.append(run())
        except Exception as error:  # noqa: BLE001 - any failure is "not ok", with its reason
            done.append(Check(name, False, f"{type(error).__name__}: {error}"[:300]))
    return done


def readiness() -> list[Check]:
    """What decides /readyz: this process can reach its database."""
    return _run(READINESS)


def watched() -> list[Check]:
    """Shared by every machine, so never a reason to leave the load balancer: alerts and metrics."""
    return _run(WATCHED)


def redis_check() -> Check:
    return _run((("redis", _redis),))[0]
