from django.apps import AppConfig


class OperationsConfig(AppConfig):
    """Running the store: the dashboard and alerts, readiness probes and metrics, the launch
    checklist and the store simulator. It reads every other app; nothing imports it."""

    name = "operations"
    verbose_name = "Operations"
