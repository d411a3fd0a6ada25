"""Alerts sent to people by email and webhook: one row per alert raised, so each is sent once
until it clears (and again when it comes back, as a new row)."""

from django.db import models
from django.db.models import Q


class SentAlert(models.Model):
    """An alert while it lasts: raised at ``first_sent_at``, over at ``cleared_at``. Each channel is
    marked when it took the alert; an unmarked channel is tried again at the next evaluation."""

    key = models.CharField(max_length=64, help_text="The alert's key, as on the dashboard (unpriced, syncs…).")
    severity = models.CharField(max_length=8)
    message = models.CharField(max_length=500)
    url = models.CharField(max_length=300, blank=True)
    first_sent_at = models.DateTimeField(help_text="When the alert was first found and sent.")
    cleared_at = models.DateTimeField(null=True, blank=True, help_text="When its condition was no longer true.")
    email_sent_at = models.DateTimeField(null=True, blank=True)
    webhook_sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True, help_text="Why the last delivery failed.")

    class Meta:
        ordering = ["-first_sent_at", "-id"]
        constraints = [
            # One open alert per key: two evaluations at once cannot raise it twice.
            models.UniqueConstraint(fields=["key"], condition=Q(cleared_at__isnull=True), name="sent_alert_open_once"),
        ]

    def __str__(self) -> str:
        return f"{self.key} ({'cleared' if self.cleared_at else 'open'})"
