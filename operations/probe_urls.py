"""Probes and metrics for machines: liveness, readiness, Prometheus (mounted at the site root)."""

from django.urls import URLPattern, URLResolver

urlpatterns: list[URLPattern | URLResolver] = []
