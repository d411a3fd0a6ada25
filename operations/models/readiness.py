"""The launch checklist's manual steps as staff ticked them."""

from django.conf import settings
from django.db import models


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
