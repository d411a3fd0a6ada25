"""What prices a cart besides the catalog: tax rates, promotions, and the aliases staff map unknown SKUs to."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from catalog.models import Product, Store
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
