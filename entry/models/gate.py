"""The gate: every Verify Identity Keys call and its answer, and each store's gate default
(catalog's Store knows nothing of the gate)."""

from django.db import models

from catalog.models import Store
from entry.models.shoppers import Shopper, VisitorType
from jwo_admin.core.simulated import SimulatedQuerySet


class GateDecisionKind(models.TextChoices):
    ADMITTED = "admitted", "Admitted"
    REFUSED = "refused", "Refused"
    STORE_DEFAULT = "store_default", "Store default (500)"


class GateReason(models.TextChoices):
    """Why the connector answered as it did; staff filter the gate log by it."""

    ADMITTED = "admitted", "Admitted"
    CONNECTOR_KEY = "connector_key", "Missing or wrong connector key"
    INVALID_REQUEST = "invalid_request", "Invalid request"
    UNKNOWN_STORE = "unknown_store", "Unknown store"
    THROTTLED = "throttled", "Too many requests"
    MALFORMED_KEY = "malformed_key", "Not one of our codes"
    FORGED = "forged", "Forged or altered code"
    EXPIRED = "expired", "Code too old for the gate event"
    NOT_YET_VALID = "not_yet_valid", "Code issued after the gate event"
    UNKNOWN_KEY = "unknown_key", "No such code on record"
    REVOKED = "revoked", "Code revoked"
    OTHER_STORE = "other_store", "Code issued for another store"
    BLOCKED = "blocked", "Shopper blocked"
    FLAGGED = "flagged", "Shopper flagged"
    NO_PAYMENT_METHOD = "no_payment_method", "No payment method"
    PAYMENT_EXPIRED = "payment_expired", "Payment method expired"
    TIMEOUT = "timeout", "Could not decide in time"
    LATE = "late", "Decided too late: admitted no one"
    ERROR = "error", "Internal error"


class GateEvent(models.Model):
    """One call of the Identity Connector and our answer, kept so a replay gets the same answer.

    ``auth_event_id`` is unique: the first decision for a gate event is the one every replay gets
    (SPEC §8.3). Calls that are not decisions (bad connector key, throttled) keep it empty and
    carry the id they sent in ``auth_event_ref``.
    """

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    # Unique through Meta.constraints, not ``unique=True``: on PostgreSQL that would add a second,
    # ``varchar_pattern_ops`` index for LIKE queries nothing makes, written on every gate call.
    auth_event_id = models.CharField(max_length=64, null=True, blank=True)  # noqa: DJ001 - NULL: not a decision; many allowed
    auth_event_ref = models.CharField(max_length=64, blank=True)
    auth_event_at = models.DateTimeField(null=True, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    # No index of its own: (store, -created_at) below serves every store lookup; one index less per insert.
    store = models.ForeignKey(
        Store, on_delete=models.SET_NULL, null=True, blank=True, related_name="gate_events", db_index=False
    )
    store_ref = models.CharField(max_length=255, blank=True, help_text="The storeId as sent.")
    decision = models.CharField(max_length=13, choices=GateDecisionKind.choices)
    reason = models.CharField(max_length=20, choices=GateReason.choices)
    detail = models.CharField(max_length=255, blank=True)
    status_code = models.PositiveSmallIntegerField()
    response_body = models.JSONField()
    shopper = models.ForeignKey(Shopper, on_delete=models.SET_NULL, null=True, blank=True, related_name="gate_events")
    visitor_type = models.CharField(max_length=12, choices=VisitorType.choices, blank=True)
    key_fingerprint = models.CharField(max_length=16, blank=True, help_text="SHA-256 prefix; never the key.")
    latency_ms = models.FloatField()
    replays = models.PositiveIntegerField(default=0)
    simulation_run_id = models.PositiveIntegerField(
        null=True, blank=True, help_text="The store simulation run whose call this was."
    )

    objects = SimulatedQuerySet["GateEvent"].as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["auth_event_id"], name="gateevent_auth_event_unique")]
        indexes = [
            models.Index(fields=["store", "-created_at"], name="gateevent_store_time"),
            models.Index(fields=["reason", "-created_at"], name="gateevent_reason_time"),
            models.Index(  # partial: a real gate call's insert does not touch it
                fields=["simulation_run_id"],
                condition=models.Q(simulation_run_id__isnull=False),
                name="gateevent_simulation_run",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.decision} ({self.reason}) at {self.created_at:%Y-%m-%d %H:%M:%S}"


class GateDefault(models.TextChoices):
    OPEN = "OPEN", "Open (let the shopper in)"
    CLOSED = "CLOSED", "Closed (keep the gate shut)"


class StoreGate(models.Model):
    """Entry's settings of a store. A store without a row has the defaults (its gate stays closed):
    catalog creates stores and knows nothing of gates."""

    store = models.OneToOneField(Store, on_delete=models.CASCADE, primary_key=True, related_name="gate")
    default_decision = models.CharField(
        max_length=6,
        choices=GateDefault.choices,
        default=GateDefault.CLOSED,
        help_text="What the gate does when our identity connector answers 500 (it could not decide in time).",
    )

    def __str__(self) -> str:
        return f"gate of {self.store_id}: {self.default_decision}"
