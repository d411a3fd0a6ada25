"""Probes and metrics for machines: readiness, Prometheus (mounted at the site root; ``/healthz``
is core's)."""

from django.urls import path

from operations import probe_views

urlpatterns = [
    path("readyz", probe_views.readyz, name="readyz"),
    path("metrics", probe_views.metrics, name="metrics"),
]
