"""Store simulator runs: who started one, on which store, with what settings and outcome."""

from django.conf import settings
from django.db import models


class SimulationStatus(models.TextChoices):
    RUNNING = "running", "Running"
    PASSED = "passed", "Passed"
    FAILED = "failed", "Failed"  # it ran, and an invariant did not hold
    ERROR = "error", "Error"  # it could not run to the end


class SimulationRun(models.Model):
    """One ``store_simulate`` run (from the command or the staff page): its parameters and summary.

    The launch checklist asks for a passing run recently, so runs are kept.
    """

    store = models.ForeignKey("catalog.Store", on_delete=models.CASCADE, related_name="simulation_runs")
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    base_url = models.CharField(max_length=500)
    parameters = models.JSONField(default=dict)
    status = models.CharField(max_length=10, choices=SimulationStatus.choices, default=SimulationStatus.RUNNING)
    summary = models.JSONField(default=dict, blank=True)
    message = models.TextField(blank=True)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-pk"]
        indexes = [models.Index(fields=["status", "-finished_at"], name="simulation_status_finished")]

    def __str__(self) -> str:
        return f"Simulation #{self.pk} ({self.status})"
