"""Tax rates, promotions and purchases: what the Ordering Connector prices with and what it keeps."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q

from catalog.models import Product, Store
from entry.models import Shopper
from jwo_admin.core.models import TimeStampedModel
from orders.pricing.types import PromotionKind
from orders.pricing.units import UNITS, quantity_text, unit_find

DEFAULT_PREAUTHORISATION_AMOUNT = Decimal("50.00")


class StorePayment(models.Model):
    """The payments' settings of a store. A store without a row holds the default amount: catalog
    creates stores and knows nothing of payments."""

    store = models.OneToOneField(Store, on_delete=models.CASCADE, primary_key=True, related_name="payment")
    preauthorisation_amount = models.DecimalField(
        max_digits=12,
        decimal_places=2,
        default=DEFAULT_PREAUTHORISATION_AMOUNT,
        help_text="The hold put on a shopper's card at the gate (Amazon's Authorized Amount).",
    )

    def __str__(self) -> str:
        return f"payments of {self.store_id}: hold {self.preauthorisation_amount}"


class TaxRate(TimeStampedModel):
    """The rate of one tax code in one store (SPEC §B: ``product_tax_code``); exempt codes have rate 0."""

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="tax_rates", db_index=False)
    tax_code = models.CharField(max_length=255)
    rate = models.DecimalField(max_digits=7, decimal_places=6, help_text="A fraction: 0.0825 for 8.25 %.")
    is_exempt = models.BooleanField(default=False)
    is_default = models.BooleanField(default=False, help_text="Used for products without a tax code.")

    class Meta:
        ordering = ["store", "tax_code"]
        constraints = [
            models.UniqueConstraint(fields=["store", "tax_code"], name="one_rate_per_store_and_code"),
            models.UniqueConstraint(fields=["store"], condition=Q(is_default=True), name="one_default_rate_per_store"),
            models.CheckConstraint(condition=Q(rate__gte=0, rate__lt=1), name="tax_rate_is_a_fraction"),
        ]

    def __str__(self) -> str:
        return f"{self.tax_code}: {self.rate} ({self.store_id})"


class Promotion(TimeStampedModel):
    """A promotion as staff define it; the pricing engine receives it as ``orders.pricing.types.Promotion``."""

    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=[(kind.value, kind.value) for kind in PromotionKind])
    is_active = models.BooleanField(default=True)
    stores = models.ManyToManyField(Store, blank=True, help_text="None: every store.")
    skus = models.JSONField(default=list, blank=True)
    categories = models.JSONField(default=list, blank=True)
    brands = models.JSONField(default=list, blank=True)
    percent = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    amount = models.DecimalField(max_digits=14, decimal_places=3, null=True, blank=True)
    buy_quantity = models.PositiveIntegerField(null=True, blank=True)
    get_quantity = models.PositiveIntegerField(null=True, blank=True)
    minimum_spend = models.DecimalField(max_digits=14, decimal_places=3, null=True, blank=True)
    starts_at = models.DateTimeField(null=True, blank=True)
    ends_at = models.DateTimeField(null=True, blank=True)
    days_of_week = models.JSONField(default=list, blank=True, help_text="0 = Monday … 6 = Sunday; none: every day.")
    time_from = models.TimeField(null=True, blank=True)
    time_to = models.TimeField(null=True, blank=True)
    priority = models.IntegerField(default=0)
    is_exclusive = models.BooleanField(default=False)

    class Meta:
        ordering = ["-priority", "id"]

    def __str__(self) -> str:
        return self.name


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


class AuthorisationStatus(models.TextChoices):
    REQUESTED = "requested", "Requested"
    AUTHORISED = "authorised", "Authorised"
    DECLINED = "declined", "Declined"
    FAILED = "failed", "Failed (gateway unreachable)"
    CAPTURED = "captured", "Captured"
    VOIDED = "voided", "Voided"


class PaymentAuthorisation(TimeStampedModel):
    """The hold placed on a shopper's card when the gate admitted them (one per gate event)."""

    auth_event_id = models.CharField(max_length=64, unique=True, help_text="The gate's authEvent.id.")
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

    def __str__(self) -> str:
        return f"hold {self.amount} {self.currency} for {self.shopper_id} ({self.status})"


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
        PaymentAuthorisation, on_delete=models.SET_NULL, null=True, blank=True, related_name="purchases"
    )
    captured_total = models.DecimalField(max_digits=20, decimal_places=3, default=0)
    refunded_total = models.DecimalField(max_digits=20, decimal_places=3, default=0)
    receipt_token = models.CharField(max_length=32, blank=True, help_text="The receipt page's unguessable address.")
    receipt_sent_at = models.DateTimeField(null=True, blank=True)
    receipt_status = models.CharField(max_length=10, choices=ReceiptStatus.choices, blank=True)
    receipt_attempts = models.PositiveSmallIntegerField(default=0)
    receipt_error = models.CharField(max_length=255, blank=True, help_text="Why the last send failed.")

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


class ItemAlias(TimeStampedModel):
    """A cart item id Amazon sends that staff mapped to a product while resolving a bad cart, kept
    so later carts with the same id resolve by themselves."""

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="+", db_index=False)
    item_id = models.CharField(max_length=255)
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")

    class Meta:
        ordering = ["store", "item_id"]
        constraints = [models.UniqueConstraint(fields=["store", "item_id"], name="one_alias_per_store_item")]

    def __str__(self) -> str:
        return f"{self.item_id} → {self.product_id}"


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


class Refund(TimeStampedModel):
    """Money given back on a captured purchase, whole or per line."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SUCCEEDED = "succeeded", "Refunded"
        FAILED = "failed", "Failed"

    purchase = models.ForeignKey(Purchase, on_delete=models.PROTECT, related_name="refunds")
    amount = models.DecimalField(max_digits=20, decimal_places=3)
    reason = models.CharField(max_length=255)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    gateway_reference = models.CharField(max_length=255, blank=True)
    message = models.CharField(max_length=255, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="refund_amount_positive")]

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
