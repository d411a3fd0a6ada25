"""Celery wrappers for orders: each takes an id and is safe to run twice (STYLE: thin tasks)."""

from celery import shared_task


@shared_task(acks_late=True)
def purchase_settle_task(purchase_pk: int) -> str:
    """Settle a purchase's money (placeholder until the payments service lands)."""
    return str(purchase_pk)
