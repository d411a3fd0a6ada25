"""Tax rates, promotions and purchases: what the Ordering Connector prices with and what it keeps."""

from django.db import models
from django.db.models import Q

from catalog.models import Product, Store
from entry.models import Shopper
from jwo_admin.core.models import TimeStampedModel
from orders.pricing.types import PromotionKind


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


class PurchaseStatus(models.TextChoices):
    PRICED = "priced", "Priced"
    EMPTY = "empty", "Empty cart"
    BAD_CART = "bad_cart", "Bad cart (unknown items)"


class Purchase(models.Model):
    """One shopping trip's purchase, keyed by Amazon's ``idempotentShoppingTripId`` (SPEC §10.4)."""

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    trip_id = models.CharField(max_length=64, unique=True)
    purchase_id = models.CharField(max_length=40, blank=True, help_text="What Amazon got back; blank: empty cart.")
    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="purchases", db_index=False)
    status = models.CharField(max_length=10, choices=PurchaseStatus.choices)
    shopper = models.ForeignKey(Shopper, on_delete=models.SET_NULL, null=True, blank=True, related_name="purchases")
    visitor_ref = models.CharField(max_length=255, blank=True, help_text="scanResult.id as sent.")
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField()
    currency = models.CharField(max_length=3)
    subtotal = models.DecimalField(max_digits=14, decimal_places=3, default=0)
    discount_total = models.DecimalField(max_digits=14, decimal_places=3, default=0)
    tax_total = models.DecimalField(max_digits=14, decimal_places=3, default=0)
    total = models.DecimalField(max_digits=14, decimal_places=3, default=0)
    request_body = models.JSONField(help_text="The first request, as Amazon sent it.")
    request_fingerprint = models.CharField(max_length=64)
    response_body = models.JSONField()
    replays = models.PositiveIntegerField(default=0)
    conflicts = models.PositiveIntegerField(default=0, help_text="Replays whose cart differed from the first.")
    problem = models.CharField(max_length=500, blank=True, help_text="Why the cart could not be priced whole.")

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["store", "-created_at"], name="purchase_store_time"),
            models.Index(fields=["status", "-created_at"], name="purchase_status_time"),
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
    quantity = models.DecimalField(max_digits=14, decimal_places=6)
    unit = models.CharField(max_length=32)
    is_resolved = models.BooleanField(default=True)
    unit_price = models.DecimalField(max_digits=14, decimal_places=3, null=True, blank=True)
    gross = models.DecimalField(max_digits=14, decimal_places=3, default=0)
    discount_total = models.DecimalField(max_digits=14, decimal_places=3, default=0)
    net = models.DecimalField(max_digits=14, decimal_places=3, default=0)
    tax_code = models.CharField(max_length=255, blank=True)
    tax_rate = models.DecimalField(max_digits=7, decimal_places=6, default=0)
    tax = models.DecimalField(max_digits=14, decimal_places=3, default=0)
    total = models.DecimalField(max_digits=14, decimal_places=3, default=0)

    class Meta:
        ordering = ["purchase", "position"]
        constraints = [models.UniqueConstraint(fields=["purchase", "position"], name="one_line_per_position")]

    def __str__(self) -> str:
        return f"{self.item_id} × {self.quantity}"


class PurchaseLineDiscount(models.Model):
    """A snapshot of a promotion applied to a line: the rule may change or go; this stays (STYLE §8)."""

    line = models.ForeignKey(PurchaseLine, on_delete=models.CASCADE, related_name="discounts")
    promotion = models.ForeignKey(Promotion, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    promotion_name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20)
    quantity = models.DecimalField(max_digits=14, decimal_places=6)
    amount = models.DecimalField(max_digits=14, decimal_places=3)

    def __str__(self) -> str:
        return f"{self.promotion_name}: −{self.amount}"
