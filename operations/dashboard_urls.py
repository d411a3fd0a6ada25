"""The operations dashboard, its alerts and the launch readiness checklist."""

from django.urls import URLPattern, URLResolver

urlpatterns: list[URLPattern | URLResolver] = []
