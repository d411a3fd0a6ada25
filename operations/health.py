"""Readiness: can this process do its work right now? Each check answers ok or not, with figures.

A check that raises is a failing check, never a 500: a load balancer reading ``/readyz`` must get
an answer it understands even when the thing it asks about is broken.
"""

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import redis
from django.conf import settings
from django.db import connection
from django.utils import timezone

from catalog.models import BatchStatus, UploadBatch

QUEUES = ("celery",)  # every task goes to Celery's default queue (no routes are configured)


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str = ""
    figures: dict[str, Any] = field(default_factory=dict)


def _database() -> Check:
    started = time.perf_counter()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL statement_timeout = 2000")
        cursor.execute("SELECT 1")
        cursor.fetchone()
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
    limit = settings.JWO_READY_MAX_QUEUE_DEPTH
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
    limit = settings.JWO_READY_MAX_NOTIFICATION_AGE_SECONDS
    figures = {"oldest_unapplied_seconds": None if age is None else round(age)}
    if age is not None and age > limit:
        return Check("notifications", False, f"results of an upload waiting {age:.0f} s (limit {limit} s)", figures)
    return Check("notifications", True, figures=figures)


CHECKS: tuple[tuple[str, Callable[[], Check]], ...] = (
    ("database", _database),
    ("redis", _redis),
    ("queues", _queues),
    ("notifications", _notifications),
)


def readiness() -> list[Check]:
    checks = []
    for name, run in CHECKS:
        try:
            checks.append(run())
        except Exception as error:  # noqa: BLE001 - any failure is "not ready", with its reason
            checks.append(Check(name, False, f"{type(error).__name__}: {error}"[:300]))
    return checks
