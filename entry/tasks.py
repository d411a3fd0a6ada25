"""Celery wrappers for entry."""

from celery import shared_task

from entry.services.identity import gate_events_spool_drain
from entry.services.shoppers import scan_keys_purge


@shared_task
def scan_keys_purge_task() -> int:
    """Delete long-expired recognition records; safe to run twice (a delete by age)."""
    return scan_keys_purge()


@shared_task
def gate_events_spool_drain_task() -> int:
    """Store gate answers kept in Redis while the database was down; safe to run twice at once."""
    return gate_events_spool_drain()
