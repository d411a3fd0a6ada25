"""jwo-admin: the retailer's side of an Amazon Just Walk Out store with app entry."""

from .celery import app as celery_app

__all__ = ("celery_app",)
