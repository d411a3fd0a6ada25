"""What operations keeps: simulation runs and the launch checklist's hand-ticked items."""

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


class ReadinessMark(models.Model):
    """A launch-checklist item staff ticked by hand (the app cannot verify it), for a store or for all."""

    item = models.CharField(max_length=64)
    store = models.ForeignKey("catalog.Store", on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    is_done = models.BooleanField(default=False)
    note = models.CharField(max_length=500, blank=True)
    marked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    marked_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["item", "store_id"]
        constraints = [
            models.UniqueConstraint(fields=["item", "store"], name="readiness_mark_item_store"),
            models.UniqueConstraint(
                fields=["item"], condition=models.Q(store__isnull=True), name="readiness_mark_item_global"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.item}: {'done' if self.is_done else 'open'}"
