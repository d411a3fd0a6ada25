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
    simulation_run_id = models.PositiveIntegerField(
        null=True, blank=True, help_text="The store simulation run this key is for: what its calls create is simulated."
    )

    class Meta:
        ordering = ["-created_at"]
        permissions = [("manage_connectorkey", "Create and revoke connector keys")]

    def __str__(self) -> str:
        return f"{self.name} ({self.key_id})"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class SignInLockKind(models.TextChoices):
    ACCOUNT = "account", "Account"
    ADDRESS = "address", "Address"


class SignInLock(models.Model):
    """Failed staff sign-ins counted per account (the username typed, existing or not) and per
    client address, and the lock they lead to. Rows, not cache entries: admins see and clear them."""

    kind = models.CharField(max_length=10, choices=SignInLockKind.choices)
    key = models.CharField(max_length=200, help_text="The username (lower case) or the client address.")
    failures = models.PositiveIntegerField(default=0)
    first_failure_at = models.DateTimeField()
    last_failure_at = models.DateTimeField()
    locked_until = models.DateTimeField(null=True, blank=True, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "key"], name="sign_in_lock_kind_key")]
        ordering = ["-last_failure_at"]
        permissions = [("clear_signinlock", "See and clear staff sign-in lockouts")]

    def __str__(self) -> str:
        return f"{self.kind} {self.key}: {self.failures} failures"
