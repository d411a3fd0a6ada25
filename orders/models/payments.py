"""The money side of a trip: the gate's hold, every gateway operation, refunds, payment issues, and
the sandbox gateway's own books."""

from typing import Self

from django.conf import settings
from django.db import models
from django.db.models import Q

from catalog.models import Store
from entry.models import Shopper
from jwo_admin.core.models import TimeStampedModel
from jwo_admin.core.simulated import SimulatedQuerySet
from orders.models.purchases import Purchase, PurchaseLine


class AuthorisationStatus(models.TextChoices):
    REQUESTED = "requested", "Requested"
    AUTHORISED = "authorised", "Authorised"
    DECLINED = "declined", "Declined"
    FAILED = "failed", "Failed (gateway unreachable)"
    CAPTURED = "captured", "Captured"
    VOIDED = "voided", "Voided"


class PaymentAuthorisation(TimeStampedModel):
    """The hold placed on a shopper's card when the gate admitted them (one per gate event)."""

    # Unique through Meta.constraints (no LIKE index nobody reads, written with every hold).
    auth_event_id = models.CharField(max_length=64, help_text="The gate's authEvent.id.")
    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="+")
    shopper = models.ForeignKey(Shopper, on_delete=models.PROTECT, related_name="authorisations")
    card_reference = models.CharField(max_length=255, blank=True, help_text="The card's provider token, as held.")
    card_label = models.CharField(max_length=60, blank=True, help_text="Brand and last four digits, for staff.")
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=10, choices=AuthorisationStatus.choices, default=AuthorisationStatus.REQUESTED)
    gateway_reference = models.CharField(max_length=255, blank=True)
    message = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["auth_event_id"], name="hold_auth_event_unique")]

    def __str__(self) -> str:
        return f"hold {self.amount} {self.currency} for {self.shopper_id} ({self.status})"


class RefundReason(models.TextChoices):
    """Why money was given back: a fixed list, so finance can count refunds by cause."""

    DAMAGED = "damaged", "Damaged"
    WRONG_ITEM = "wrong_item", "Wrong item charged"
    NOT_TAKEN = "not_taken", "Not taken"
    PRICE_ERROR = "price_error", "Price error"
    GOODWILL = "goodwill", "Goodwill"
    OTHER = "other", "Other"


class Refund(TimeStampedModel):
    """Money given back on a captured purchase: whole, per line, or an amount staff type."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SUCCEEDED = "succeeded", "Refunded"
        FAILED = "failed", "Failed"

    purchase = models.ForeignKey(Purchase, on_delete=models.PROTECT, related_name="refunds")
    amount = models.DecimalField(max_digits=20, decimal_places=3)
    reason = models.CharField(max_length=255)
    reason_code = models.CharField(max_length=12, choices=RefundReason.choices, default=RefundReason.OTHER)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    gateway_reference = models.CharField(max_length=255, blank=True)
    message = models.CharField(max_length=255, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    request_key = models.CharField(
        max_length=64, blank=True, help_text="The staff form's one-time key: a second submission finds this refund."
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="refund_amount_positive"),
            models.UniqueConstraint(
                fields=["purchase", "request_key"], condition=~Q(request_key=""), name="one_refund_per_request_key"
            ),
        ]

    def __str__(self) -> str:
        return f"refund {self.amount} on {self.purchase_id} ({self.status})"


class RefundLine(models.Model):
    refund = models.ForeignKey(Refund, on_delete=models.CASCADE, related_name="lines")
    line = models.ForeignKey(PurchaseLine, on_delete=models.PROTECT, related_name="refund_lines")
    quantity = models.DecimalField(max_digits=20, decimal_places=6)
    amount = models.DecimalField(max_digits=20, decimal_places=3)

    def __str__(self) -> str:
        return f"{self.line_id} × {self.quantity}: {self.amount}"


class PaymentOperationKind(models.TextChoices):
    AUTHORISE = "authorise", "Authorise"
    CAPTURE = "capture", "Capture"
    VOID = "void", "Void"
    REFUND = "refund", "Refund"


class PaymentOperation(models.Model):
    """One call to the payment gateway and what it answered: the payment events staff see."""

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    kind = models.CharField(max_length=10, choices=PaymentOperationKind.choices)
    idempotency_key = models.CharField(max_length=120)
    authorisation = models.ForeignKey(
        PaymentAuthorisation, on_delete=models.CASCADE, null=True, blank=True, related_name="operations"
    )
    purchase = models.ForeignKey(Purchase, on_delete=models.CASCADE, null=True, blank=True, related_name="operations")
    refund = models.ForeignKey(Refund, on_delete=models.CASCADE, null=True, blank=True, related_name="operations")
    amount = models.DecimalField(max_digits=20, decimal_places=3, null=True, blank=True)
    currency = models.CharField(max_length=3, blank=True)
    outcome = models.CharField(max_length=20, help_text="approved, declined, insufficient_funds, … or unavailable.")
    gateway_reference = models.CharField(max_length=255, blank=True)
    message = models.CharField(max_length=255, blank=True)
    duration_ms = models.FloatField(default=0)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["idempotency_key"], name="payop_key")]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount or ''} {self.outcome}"


class PaymentIssueQuerySet(SimulatedQuerySet["PaymentIssue"]):
    def real(self) -> Self:
        """An issue is simulated through its purchase or its shopper (a hold's issue has no purchase)."""
        return self.filter(purchase__simulation_run_id__isnull=True, shopper__simulation_run_id__isnull=True)


class PaymentIssue(TimeStampedModel):
    """A hold or a charge that failed: it flags the shopper until staff settle it."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        RESOLVED = "resolved", "Resolved"

    class Resolution(models.TextChoices):
        CHARGED = "charged", "Charged on retry"
        PAID_AT_COUNTER = "paid_counter", "Paid at the counter"
        WRITTEN_OFF = "written_off", "Written off"
        SUPERSEDED = "superseded", "Settled by the purchase"
        DISMISSED = "dismissed", "Dismissed by staff"

    shopper = models.ForeignKey(
        Shopper,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="payment_issues",
        help_text="None: a purchase nobody we know can be charged for, until staff assign it.",
    )
    objects = PaymentIssueQuerySet.as_manager()
    purchase = models.ForeignKey(Purchase, on_delete=models.CASCADE, null=True, blank=True, related_name="issues")
    authorisation = models.ForeignKey(
        PaymentAuthorisation, on_delete=models.CASCADE, null=True, blank=True, related_name="issues"
    )
    kind = models.CharField(max_length=10, choices=PaymentOperationKind.choices)
    outcome = models.CharField(max_length=20)
    message = models.CharField(max_length=255, blank=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.OPEN)
    resolution = models.CharField(max_length=12, choices=Resolution.choices, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    note = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "-created_at"], name="payissue_status_time")]
        constraints = [
            models.UniqueConstraint(
                fields=["purchase", "kind"],
                condition=Q(status="open", purchase__isnull=False),
                name="one_open_issue_per_purchase_kind",
            ),
            models.UniqueConstraint(
                fields=["authorisation"],
                condition=Q(status="open", purchase__isnull=True),
                name="one_open_issue_per_hold",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.outcome} for {self.shopper_id} ({self.status})"


class SandboxCharge(models.Model):
    """The sandbox gateway's own books (it stands in for a provider): one entry per idempotency
    key, so a retried call gets the first result and never moves money twice."""

    created_at = models.DateTimeField(auto_now_add=True)
    idempotency_key = models.CharField(max_length=120, unique=True)
    kind = models.CharField(max_length=10)
    reference = models.CharField(max_length=64, unique=True)
    parent_reference = models.CharField(max_length=64, blank=True)
    card_reference = models.CharField(max_length=255, blank=True)
    amount = models.DecimalField(max_digits=20, decimal_places=3, null=True)
    currency = models.CharField(max_length=3, blank=True)
    outcome = models.CharField(max_length=20)
    message = models.CharField(max_length=255, blank=True)

    def __str__(self) -> str:
        return f"{self.kind} {self.reference} {self.outcome}"
