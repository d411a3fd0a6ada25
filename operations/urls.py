"""Operations' URLs, in two lists the site mounts.

- ``site_urlpatterns``: the dashboard (the site's home) and the probes and metrics for machines
  (readiness, Prometheus), at the site root without a namespace (``/healthz`` is the kernel's).
- ``staff_urlpatterns``: the launch readiness checklist and the store simulator, under
  ``/operations/``, namespace ``operations``.
"""

from django.urls import path

from operations.views import dashboard, probes, readiness, simulator

site_urlpatterns = [
    path("", dashboard.DashboardView.as_view(), name="home"),
    path("readyz", probes.readyz, name="readyz"),
    path("metrics", probes.metrics, name="metrics"),
]

staff_urlpatterns = [
    path("readiness/", readiness.ReadinessView.as_view(), name="readiness"),
    path("readiness/mark/", readiness.ReadinessMarkView.as_view(), name="readiness_mark"),
    path("readiness.csv", readiness.ReadinessCsvView.as_view(), name="readiness_csv"),
    path("simulator/", simulator.SimulatorView.as_view(), name="simulator"),
    path("simulator/<int:pk>/", simulator.SimulationDetailView.as_view(), name="simulation_detail"),
]
