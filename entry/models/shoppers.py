"""Shoppers, their cards on file, their app tokens and their Scan Key Codes."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from catalog.models import Store
from jwo_admin.core.models import TimeStampedModel
from jwo_admin.core.simulated import SimulatedQuerySet


class VisitorType(models.TextChoices):
    """What Amazon is told the person is (SPEC §B): a shopper gets a cart; an associate does not."""

    SHOPPER = "SHOPPER", "Shopper"
    ASSOCIATE = "ASSOCIATE", "Associate"
    CASH_SHOPPER = "CASH_SHOPPER", "Cash shopper"


class ShopperStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    FLAGGED = "flagged", "Flagged (under review)"
    BLOCKED = "blocked", "Blocked"


class Shopper(TimeStampedModel):
    """A person who may enter: the retailer's customer or associate, known to Amazon by ``external_id``."""

    external_id = models.CharField(
        max_length=255, unique=True, help_text="The retailer's id; Amazon gets it back as visitorDetails.id."
    )
    name = models.CharField(max_length=200)
    email = models.EmailField(unique=True)
    password = models.CharField(max_length=128, blank=True, help_text="Hashed; blank means no app sign-in.")
    visitor_type = models.CharField(max_length=12, choices=VisitorType.choices, default=VisitorType.SHOPPER)
    status = models.CharField(max_length=8, choices=ShopperStatus.choices, default=ShopperStatus.ACTIVE)
    status_reason = models.CharField(max_length=255, blank=True, help_text="Why the shopper was flagged or blocked.")
    simulation_run_id = models.PositiveIntegerField(
        null=True, blank=True, help_text="The store simulation run that created this shopper."
    )

    objects = SimulatedQuerySet["Shopper"].as_manager()

    class Meta:
        ordering = ["name"]
        indexes = [  # partial: real shoppers (the blank ones) cost it nothing
            models.Index(
                fields=["simulation_run_id"],
                condition=Q(simulation_run_id__isnull=False),
                name="shopper_simulation_run",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.external_id})"

    @property
    def needs_card(self) -> bool:
        """A cart is charged to a card only for app shoppers; associates and cash shoppers pay otherwise."""
        return self.visitor_type == VisitorType.SHOPPER


class ShopperStatusChange(models.Model):
    """The audit trail of a shopper's status: who flagged, blocked or reinstated them, when, and why.
    ``changed_by`` is empty when a rule did it (the repeat-offender block); unblocking always says why."""

    shopper = models.ForeignKey(Shopper, on_delete=models.CASCADE, related_name="status_changes")
    created_at = models.DateTimeField(auto_now_add=True)
    previous_status = models.CharField(max_length=8, choices=ShopperStatus.choices)
    status = models.CharField(max_length=8, choices=ShopperStatus.choices)
    note = models.CharField(max_length=255, blank=True, help_text="Why: the block's reason, or why it was lifted.")
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.shopper_id}: {self.previous_status} → {self.status}"


class PaymentMethod(TimeStampedModel):
    """A reference to a card held by the retailer's payment provider (never the card number)."""

    shopper = models.ForeignKey(Shopper, on_delete=models.CASCADE, related_name="payment_methods")
    provider_reference = models.CharField(max_length=255, help_text="The payment provider's token for the card.")
    brand = models.CharField(max_length=30, blank=True)
    last4 = models.CharField(max_length=4, blank=True)
    expiry_month = models.PositiveSmallIntegerField()
    expiry_year = models.PositiveSmallIntegerField()
    is_default = models.BooleanField(default=True)

    class Meta:
        ordering = ["-is_default", "-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(expiry_month__gte=1, expiry_month__lte=12), name="payment_month_valid"),
            models.UniqueConstraint(
                fields=["shopper"], condition=Q(is_default=True), name="one_default_payment_method"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.brand or 'Card'} …{self.last4} {self.expiry_month:02d}/{self.expiry_year}"


class ShopperToken(models.Model):
    """An app session: the shopper's app sends it as ``Authorization: Token …``. Only a hash is kept."""

    shopper = models.ForeignKey(Shopper, on_delete=models.CASCADE, related_name="tokens")
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"app token of {self.shopper_id} from {self.created_at:%Y-%m-%d}"


class ScanKey(models.Model):
    """The recognition record behind one Scan Key Code (SPEC §9.1 rule 4)."""

    token = models.CharField(max_length=32, unique=True)
    shopper = models.ForeignKey(Shopper, on_delete=models.CASCADE, related_name="scan_keys")
    store = models.ForeignKey(
        Store, on_delete=models.CASCADE, null=True, blank=True, help_text="Only this store's gates accept it."
    )
    issued_at = models.DateTimeField()
    expires_at = models.DateTimeField(db_index=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["shopper", "issued_at"], name="scankey_shopper_issued")]

    def __str__(self) -> str:
        return f"scan key of {self.shopper_id} issued {self.issued_at:%Y-%m-%d %H:%M:%S}"
