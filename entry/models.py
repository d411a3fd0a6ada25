"""Shoppers, their payment methods and Scan Key Codes, and the gate events Amazon's calls leave."""

from django.db import models
from django.db.models import Q

from catalog.models import Store
from jwo_admin.core.models import TimeStampedModel


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

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.external_id})"

    @property
    def needs_card(self) -> bool:
        """A cart is charged to a card only for app shoppers; associates and cash shoppers pay otherwise."""
        return self.visitor_type == VisitorType.SHOPPER


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
    ERROR = "error", "Internal error"


class GateEvent(models.Model):
    """One call of the Identity Connector and our answer, kept so a replay gets the same answer.

    ``auth_event_id`` is unique: the first decision for a gate event is the one every replay gets
    (SPEC §8.3). Calls that are not decisions (bad connector key, throttled) keep it empty and
    carry the id they sent in ``auth_event_ref``.
    """

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    auth_event_id = models.CharField(max_length=64, null=True, blank=True, unique=True)
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

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["store", "-created_at"], name="gateevent_store_time"),
            models.Index(fields=["reason", "-created_at"], name="gateevent_reason_time"),
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
