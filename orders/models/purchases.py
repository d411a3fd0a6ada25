"""Purchases as Amazon sent and we priced them: lines, their discounts, the staff audit trail."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from catalog.models import Product, Store
from entry.models import Shopper
from jwo_admin.core.simulated import SimulatedQuerySet
from orders.models.pricing import Promotion
from orders.pricing.units import UNITS, quantity_text, unit_find

ONE_PURCHASE_PER_HOLD = "one_purchase_per_hold"  # a gate hold pays for one trip, once


class PurchaseStatus(models.TextChoices):
    PRICED = "priced", "Priced"
    EMPTY = "empty", "Empty cart"
    BAD_CART = "bad_cart", "Bad cart (unknown items)"
    WRITTEN_OFF = "written_off", "Written off"


class ReceiptStatus(models.TextChoices):
    """Where the emailed receipt stands (blank: none is due — no email address, nothing charged)."""

    PENDING = "pending", "Receipt being sent"
    SENT = "sent", "Receipt sent"
    FAILED = "failed", "Receipt not delivered"


class PaymentStatus(models.TextChoices):
    """Where the money of a purchase stands; ``orders.services.payments`` moves it along."""

    PENDING = "pending", "To be charged"
    ON_HOLD = "on_hold", "On hold (bad cart)"
    CAPTURED = "captured", "Charged"
    VOIDED = "voided", "Hold released"
    FAILED = "failed", "Payment issue"
    AT_COUNTER = "at_counter", "Awaiting payment at the counter"
    PAID_AT_COUNTER = "paid_counter", "Paid at the counter"
    NOT_CHARGED = "not_charged", "Not charged"


class Purchase(models.Model):
    """One shopping trip's purchase, keyed by Amazon's ``idempotentShoppingTripId`` (SPEC §10.4)."""

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    trip_id = models.CharField(max_length=64, unique=True)
    purchase_id = models.CharField(max_length=40, blank=True, help_text="What Amazon got back; blank: empty cart.")
    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="purchases", db_index=False)
    status = models.CharField(max_length=12, choices=PurchaseStatus.choices)
    shopper = models.ForeignKey(Shopper, on_delete=models.SET_NULL, null=True, blank=True, related_name="purchases")
    visitor_ref = models.CharField(max_length=255, blank=True, help_text="scanResult.id as sent.")
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField()
    currency = models.CharField(max_length=3)
    subtotal = models.DecimalField(max_digits=20, decimal_places=3, default=0)
    discount_total = models.DecimalField(max_digits=20, decimal_places=3, default=0)
    tax_total = models.DecimalField(max_digits=20, decimal_places=3, default=0)
    total = models.DecimalField(max_digits=20, decimal_places=3, default=0)
    request_body = models.JSONField(help_text="The first request, as Amazon sent it.")
    request_fingerprint = models.CharField(max_length=64)
    response_body = models.JSONField()
    replays = models.PositiveIntegerField(default=0)
    conflicts = models.PositiveIntegerField(default=0, help_text="Replays whose cart differed from the first.")
    problem = models.CharField(max_length=500, blank=True, help_text="Why the cart could not be priced whole.")
    flag_reason = models.CharField(
        max_length=255, blank=True, help_text="Why staff should look at this purchase (blank: nothing to see)."
    )
    payment_status = models.CharField(max_length=12, choices=PaymentStatus.choices, default=PaymentStatus.PENDING)
    authorisation = models.ForeignKey(
        "orders.PaymentAuthorisation",  # by name: payments.py imports this module's Purchase
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="purchases",
    )
    captured_total = models.DecimalField(max_digits=20, decimal_places=3, default=0)
    refunded_total = models.DecimalField(max_digits=20, decimal_places=3, default=0)
    receipt_token = models.CharField(max_length=32, blank=True, help_text="The receipt page's unguessable address.")
    receipt_sent_at = models.DateTimeField(null=True, blank=True)
    receipt_status = models.CharField(max_length=10, choices=ReceiptStatus.choices, blank=True)
    receipt_attempts = models.PositiveSmallIntegerField(default=0)
    receipt_error = models.CharField(max_length=255, blank=True, help_text="Why the last send failed.")
    simulation_run_id = models.PositiveIntegerField(
        null=True, blank=True, help_text="The store simulation run whose trip this was."
    )

    objects = SimulatedQuerySet["Purchase"].as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["store", "-created_at"], name="purchase_store_time"),
            models.Index(fields=["status", "-created_at"], name="purchase_status_time"),
            models.Index(fields=["payment_status", "-created_at"], name="purchase_payment_time"),
            models.Index(
                fields=["receipt_status"],
                condition=~Q(receipt_status="sent") & ~Q(receipt_status=""),
                name="purchase_receipt_owed",
            ),
            models.Index(  # partial: a real purchase's insert does not touch it
                fields=["simulation_run_id"],
                condition=Q(simulation_run_id__isnull=False),
                name="purchase_simulation_run",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["authorisation"], condition=Q(authorisation__isnull=False), name=ONE_PURCHASE_PER_HOLD
            )
        ]

    def __str__(self) -> str:
        return self.purchase_id or f"empty trip {self.trip_id}"


class PurchaseLine(models.Model):
    purchase = models.ForeignKey(Purchase, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveIntegerField()
    line_item_id = models.CharField(max_length=255, blank=True)
    item_id = models.CharField(max_length=255, help_text="cartItems[].id as sent (the SKU).")
    item_type = models.CharField(max_length=10)
    external_identifiers = models.JSONField(default=list, blank=True)
    product = models.ForeignKey(Product, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    sku = models.CharField(max_length=255, blank=True)
    name = models.CharField(max_length=255, blank=True)
    matched_by = models.CharField(max_length=300, blank=True, help_text="How the line found its product.")
    quantity = models.DecimalField(max_digits=20, decimal_places=6, help_text="quantity.value as sent.")
    unit = models.CharField(max_length=32, help_text="quantity.unit as sent.")
    priced_quantity = models.DecimalField(
        max_digits=20, decimal_places=6, null=True, blank=True, help_text="The quantity in the product's sale unit."
    )
    priced_unit = models.CharField(max_length=8, blank=True, help_text="The product's sale unit when priced.")
    problem = models.CharField(max_length=255, blank=True, help_text="Why this line could not be priced.")
    is_resolved = models.BooleanField(default=True)
    unit_price = models.DecimalField(max_digits=20, decimal_places=3, null=True, blank=True)
    gross = models.DecimalField(max_digits=20, decimal_places=3, default=0)
    discount_total = models.DecimalField(max_digits=20, decimal_places=3, default=0)
    net = models.DecimalField(max_digits=20, decimal_places=3, default=0)
    tax_code = models.CharField(max_length=255, blank=True)
    tax_rate = models.DecimalField(max_digits=7, decimal_places=6, default=0)
    tax = models.DecimalField(max_digits=20, decimal_places=3, default=0)
    total = models.DecimalField(max_digits=20, decimal_places=3, default=0)

    class Meta:
        ordering = ["purchase", "position"]
        constraints = [models.UniqueConstraint(fields=["purchase", "position"], name="one_line_per_position")]

    def __str__(self) -> str:
        return f"{self.item_id} × {self.quantity}"

    @property
    def sent_quantity_text(self) -> str:
        """The quantity as Amazon sent it: ``1.5 lb``, ``2 unit``."""
        return f"{quantity_text(self.quantity)} {self.unit}"

    @property
    def is_converted(self) -> bool:
        """Priced in another unit than the one sent (1.5 lb of a product sold per kg)."""
        return bool(self.priced_unit) and unit_find(self.unit) != UNITS.get(self.priced_unit)

    @property
    def priced_quantity_text(self) -> str:
        """The quantity the line was priced on, in the product's unit: ``0.680389 kg``."""
        if self.priced_quantity is None:
            return ""
        return f"{quantity_text(self.priced_quantity)} {self.priced_unit}"


class PurchaseLineDiscount(models.Model):
    """A snapshot of a promotion applied to a line: the rule may change or go; this stays (STYLE §8)."""

    line = models.ForeignKey(PurchaseLine, on_delete=models.CASCADE, related_name="discounts")
    promotion = models.ForeignKey(Promotion, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    promotion_name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20)
    quantity = models.DecimalField(max_digits=20, decimal_places=6)
    amount = models.DecimalField(max_digits=20, decimal_places=3)

    def __str__(self) -> str:
        return f"{self.promotion_name}: −{self.amount}"


class PurchaseAuditAction(models.TextChoices):
    """What an audit entry records, in the words staff read on the purchase page."""

    LINE_MAPPED = "line_mapped", "Line mapped to a product"
    QUANTITY_SET = "quantity_set", "Quantity settled"
    REPRICED = "repriced", "Repriced"
    CHARGE = "charge", "Released for charging"
    SHOPPER_ASSIGNED = "shopper_assigned", "Shopper changed"
    WRITTEN_OFF = "written_off", "Written off"
    PAID_AT_COUNTER = "paid_at_counter", "Paid at the counter"
    RECEIPT_RESENT = "receipt_resent", "Receipt sent again"
    REFUND = "refund", "Refunded"
    ISSUE_RESOLVED = "issue_resolved", "Payment issue resolved"
    NEW_CARD = "new_card", "Charged to the newest card"
    REAUTHORISED = "reauthorised", "Re-authorised (hold expired)"
    HOLD_EXPIRED_DEBT = "hold_expired_debt", "Became debt (hold expired)"


class PurchaseAudit(models.Model):
    """What staff did to a purchase and why: bad-cart mappings, reprices, write-offs, refunds, settlements."""

    created_at = models.DateTimeField(auto_now_add=True)
    purchase = models.ForeignKey(Purchase, on_delete=models.CASCADE, related_name="audits")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    action = models.CharField(max_length=30)
    detail = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.action} on {self.purchase_id}"

    @property
    def action_label(self) -> str:
        """The action in staff words (``PurchaseAuditAction``). The column is not bound to those
        choices, so a relabelling needs no migration; a slug without a label shows as stored."""
        if self.action in PurchaseAuditAction.values:
            return str(PurchaseAuditAction(self.action).label)
        return self.action
