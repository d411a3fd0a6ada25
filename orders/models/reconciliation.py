"""The reconciliation queue: each trip of a store day that our own records do not account for.

A run (``orders.services.reconciliation``) matches every admission at the gate with what followed
and every priced purchase with its payment operations; what does not add up becomes one item per
(kind, trip), so a re-run finds the same rows instead of adding new ones. Items from Amazon's
side (its reports and feed) use the same queue with their own kinds.
"""

from django.conf import settings
from django.db import models

from catalog.models import Store
from entry.models import GateEvent
from orders.models.payments import PaymentAuthorisation
from orders.models.purchases import Purchase


class ReconciliationKind(models.TextChoices):
    MISSING_CART = "missing_cart", "Missing cart (admitted, no purchase)"
    UNCAPTURED = "uncaptured", "Priced, not captured"
    CAPTURED_TWICE = "captured_twice", "Captured twice"
    CAPTURED_OVER_TOTAL = "captured_over_total", "Captured more than the total"
    REFUNDED_OVER_CAPTURED = "refunded_over_captured", "Refunded more than captured"
    HOLD_EXPIRED_BEFORE_CAPTURE = "hold_expired_before_capture", "Hold expired before capture"
    CAPTURE_MISMATCH = "capture_mismatch", "Captured ≠ total − refunds"
    AMAZON_TRIP_WITHOUT_PURCHASE = "amazon_trip_without_purchase", "Amazon trip without purchase"
    PURCHASE_WITHOUT_AMAZON_TRIP = "purchase_without_amazon_trip", "Purchase without Amazon trip"
    AMAZON_LINES_DIFFER = "amazon_lines_differ", "Cart lines differ from Amazon's"
    # for information, resolved when found: nothing to decide, but staff see it in the day's queue
    HOLD_REAUTHORISED = "hold_reauthorised", "Hold expired, re-authorised"


class ReconciliationStatus(models.TextChoices):
    OPEN = "open", "Open"
    RESOLVED = "resolved", "Resolved"


CLEARED_ON_RERUN = "Cleared on re-run: the records now add up."


class ReconciliationItem(models.Model):
    """One trip that does not add up, and what staff decided about it.

    ``trip_id`` is Amazon's shopping-trip id; a missing cart has no trip, so it carries the
    admission's gate event id (``authEvent.id``) instead.
    """

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="+")
    store_day = models.DateField(help_text="The day on the store's clock.")
    kind = models.CharField(max_length=32, choices=ReconciliationKind.choices)
    trip_id = models.CharField(max_length=64)
    purchase = models.ForeignKey(Purchase, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    gate_event = models.ForeignKey(GateEvent, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    authorisation = models.ForeignKey(
        PaymentAuthorisation, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reason = models.CharField(max_length=500, help_text="What does not add up, with the amounts.")
    expected = models.DecimalField(max_digits=20, decimal_places=3, null=True, blank=True)
    actual = models.DecimalField(max_digits=20, decimal_places=3, null=True, blank=True)
    status = models.CharField(max_length=8, choices=ReconciliationStatus.choices, default=ReconciliationStatus.OPEN)
    resolution_note = models.CharField(max_length=500, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    simulation_run_id = models.PositiveIntegerField(
        null=True, blank=True, help_text="The store simulation run whose trip this is."
    )

    class Meta:
        ordering = ["store_day", "created_at", "id"]
        indexes = [models.Index(fields=["store", "store_day", "status"], name="reconitem_store_day")]
        constraints = [
            models.UniqueConstraint(fields=["kind", "trip_id"], name="one_reconciliation_item_per_trip_kind")
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.trip_id} ({self.status})"


class ReconciliationDay(models.Model):
    """A store day's last run: closed when its queue was empty after it."""

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    last_run_at = models.DateTimeField(null=True, blank=True)
    open_count = models.PositiveIntegerField(default=0)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-day", "store"]
        constraints = [models.UniqueConstraint(fields=["store", "day"], name="one_reconciliation_day_per_store")]

    def __str__(self) -> str:
        return f"{self.store_id} {self.day}: {'closed' if self.closed_at else 'open'}"

    @property
    def is_closed(self) -> bool:
        return self.closed_at is not None
