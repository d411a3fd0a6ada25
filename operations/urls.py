"""Operations' URLs, in three lists: two the site mounts at its root, one with catalog's.

- ``site_urlpatterns``, without a namespace: the dashboard (``home``: where sign-in lands and every
  page's brand links) and the probes and metrics for machines (``/readyz``, ``/metrics``;
  ``/healthz`` is the kernel's).
- ``staff_urlpatterns``, namespace ``operations``: the launch readiness checklist and the store
  simulator and the staff page under ``/operations/``, the settings page under ``/settings/``.
- ``store_urlpatterns``, mounted with catalog's staff list (namespace ``catalog``, under
  ``/catalog/``): the store screens, whose form spans catalog, entry and orders; their paths and
  names are catalog's as they always were.
"""

from django.urls import path

from operations.views import dashboard, probes, readiness, settings, simulator, staff_users, stores

site_urlpatterns = [
    path("", dashboard.DashboardView.as_view(), name="home"),
    path("readyz", probes.readyz, name="readyz"),
    path("metrics", probes.metrics, name="metrics"),
]

staff_urlpatterns = [
    path("operations/staff/", staff_users.StaffListView.as_view(), name="staff_list"),
    path("operations/staff/<int:pk>/", staff_users.StaffUpdateView.as_view(), name="staff_update"),
    path("operations/staff/<int:pk>/active/", staff_users.StaffActiveView.as_view(), name="staff_active"),
    path(
        "operations/staff/<int:pk>/password-reset/",
        staff_users.StaffPasswordResetView.as_view(),
        name="staff_password_reset",
    ),
    path("operations/readiness/", readiness.ReadinessView.as_view(), name="readiness"),
    path("operations/readiness/mark/", readiness.ReadinessMarkView.as_view(), name="readiness_mark"),
    path("operations/readiness.csv", readiness.ReadinessCsvView.as_view(), name="readiness_csv"),
    path("operations/simulator/", simulator.SimulatorView.as_view(), name="simulator"),
    path("operations/simulator/<int:pk>/", simulator.SimulationDetailView.as_view(), name="simulation_detail"),
    path(
        "operations/simulator/<int:pk>/clean-up/",
        simulator.SimulationCleanUpView.as_view(),
        name="simulation_clean_up",
    ),
    path("settings/", settings.SettingsView.as_view(), name="settings"),
    path("settings/connector-keys/", settings.ConnectorKeyCreateView.as_view(), name="connector_key_create"),
    path(
        "settings/connector-keys/<str:key_id>/revoke/",
        settings.ConnectorKeyRevokeView.as_view(),
        name="connector_key_revoke",
    ),
    path(
        "settings/sign-in-locks/<int:lock_id>/clear/",
        settings.SignInLockClearView.as_view(),
        name="sign_in_lock_clear",
    ),
]

store_urlpatterns = [
    path("stores/new/", stores.StoreCreateView.as_view(), name="store_create"),
    path("stores/<int:pk>/", stores.StoreUpdateView.as_view(), name="store_update"),
]
