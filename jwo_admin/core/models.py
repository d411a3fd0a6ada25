"""Abstract models shared by every app."""

from django.db import models


class TimeStampedModel(models.Model):
    """Records when a row was created and last changed."""

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class ConnectorKey(models.Model):
    """A secret the retailer's API gateway adds to Amazon's calls to our connectors (SPEC §3.2).

    The key is shown once when created; only its SHA-256 is kept. Several may be active at once,
    so a new key can be rolled out to the gateway before the old one is revoked.
    """

    name = models.CharField(max_length=100, help_text="Where it is used, e.g. “API gateway prod”.")
    key_id = models.CharField(max_length=16, unique=True, help_text="The public part of the key, shown in lists.")
    secret_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.CharField(max_length=150, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        permissions = [("manage_connectorkey", "Create and revoke connector keys")]

    def __str__(self) -> str:
        return f"{self.name} ({self.key_id})"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
