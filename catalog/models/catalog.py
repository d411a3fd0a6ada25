"""The catalog of record: stores, their products and barcodes, imports and mapping profiles."""

from datetime import UTC, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.db import models
from django.db.models import Q

from catalog.amazon_items import currency_places, price_text
from jwo_admin.core.currencies import validate_currency_code
from jwo_admin.core.models import TimeStampedModel
from jwo_admin.core.zones import validate_time_zone_name


class Store(TimeStampedModel):
    """A Just Walk Out store, known to Amazon by ``store_id``. What the gate and the payments do for it
    are their apps' own settings (``entry.StoreGate``, ``orders.StorePayment``)."""

    store_id = models.CharField(
        max_length=255, unique=True, help_text="Amazon's store id, given at onboarding (letters, digits, - and _)."
    )
    name = models.CharField(max_length=200)
    currency = models.CharField(
        max_length=3, default="USD", validators=[validate_currency_code], help_text="ISO 4217 code, e.g. USD, EUR, GBP."
    )
    time_zone = models.CharField(
        max_length=64,
        default="UTC",
        validators=[validate_time_zone_name],
        help_text="IANA time zone, e.g. America/New_York.",
    )
    prices_include_tax = models.BooleanField(
        default=False, help_text="Shelf prices already include tax (common in Europe); otherwise tax is added."
    )
    send_clean_names = models.BooleanField(
        default=True,
        help_text="Send Amazon the suggested printable-ASCII name of a product whose name has characters Amazon "
        "rejects (é, ™, “…”); the product keeps its own name for receipts.",
    )
    is_test_store = models.BooleanField(
        default=False,
        help_text="A store for trying things out: in production the store simulator runs only on test stores.",
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.store_id})"

    @property
    def zone(self) -> tzinfo:
        """The store's clock; UTC for a name this machine's zone database does not know."""
        try:
            return ZoneInfo(self.time_zone)
        except (ZoneInfoNotFoundError, ValueError):
            return UTC


class ProductStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    ARCHIVED = "archived", "Archived"


class SaleUnit(models.TextChoices):
    EACH = "each", "Each"
    KG = "kg", "Kilogram"
    G = "g", "Gram"
    LB = "lb", "Pound"
    OZ = "oz", "Ounce"
    L = "l", "Litre"


class BarcodeType(models.TextChoices):
    UPC = "UPC", "UPC"
    EAN = "EAN", "EAN-13"
    EAN8 = "EAN8", "EAN-8"
    ISBN = "ISBN", "ISBN-10"
    GTIN = "GTIN", "GTIN-14"
    PLU = "PLU", "PLU"


class Product(TimeStampedModel):
    """One product as sold in one store; the same SKU may exist in several stores with its own price."""

    created_at = models.DateTimeField(auto_now_add=True)  # unindexed: imports insert millions of rows
    # No separate index: the (store, sku) unique constraint serves every store lookup.
    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="products", db_index=False)
    sku = models.CharField(max_length=255)
    name = models.CharField(max_length=255)
    brand = models.CharField(max_length=255, blank=True)
    # Up to 10 characters as sent to Amazon: 9999999999 (a 0-decimal currency) must fit.
    price = models.DecimalField(max_digits=14, decimal_places=3, null=True, blank=True)
    tax_code = models.CharField(max_length=255, blank=True)
    category = models.CharField(max_length=50, blank=True)
    subcategory = models.CharField(max_length=50, blank=True)
    unit = models.CharField(max_length=4, choices=SaleUnit.choices, default=SaleUnit.EACH)
    status = models.CharField(max_length=8, choices=ProductStatus.choices, default=ProductStatus.ACTIVE)
    warnings = models.JSONField(default=list, blank=True)
    suggested_name = models.CharField(max_length=255, blank=True)
    # What Amazon would receive, hashed (see catalog.fingerprint); the sync compares it with the
    # fingerprint of the last accepted upload to find real changes.
    amazon_fingerprint = models.CharField(max_length=40)
    synced_fingerprint = models.CharField(max_length=40, blank=True)
    synced_at = models.DateTimeField(null=True, blank=True)
    is_archived_on_amazon = models.BooleanField(default=False)
    sync_error = models.CharField(max_length=500, blank=True, help_text="Why Amazon last refused this product.")
    # Hash of the import row this product last came from: an identical row is skipped outright.
    import_hash = models.CharField(max_length=40, blank=True)
    # A reference for the history page only: no constraint to check on a million-row import's commit,
    # and no index (nothing looks products up by their last import; each index costs every import row).
    last_import = models.ForeignKey(
        "ImportJob",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    # Who made the product, for its history: the import that created it (no constraint, as above) or
    # the staff user who created it on its page. Unindexed: nothing looks products up by them.
    created_by_import = models.ForeignKey(
        "ImportJob",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )

    class Meta:
        ordering = ["sku"]
        constraints = [models.UniqueConstraint(fields=["store", "sku"], name="product_unique_sku_per_store")]
        indexes = [models.Index(fields=["store", "name"]), models.Index(fields=["store", "category"])]
        permissions = [
            ("import_catalog", "Can import catalog files"),
            ("sync_catalog", "Can sync the catalog to Amazon"),
        ]

    def __str__(self) -> str:
        return f"{self.sku} {self.name}"

    @property
    def price_display(self) -> str:
        """The price with the store currency's decimal places, as Amazon receives it."""
        return price_text(self.price, currency_places(self.store.currency)) or "—"

    @property
    def is_sync_pending(self) -> bool:
        return self.amazon_fingerprint != self.synced_fingerprint


class Barcode(models.Model):
    """A scannable code of a product. ``value`` is sent to Amazon as scanned; ``match_key`` matches."""

    # Copied from the product for the per-store uniqueness constraint, which also serves as its index;
    # the product's own foreign key already guarantees the store exists.
    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="+", db_index=False, db_constraint=False)
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="barcodes", db_index=False)
    value = models.CharField(max_length=255)
    type = models.CharField(max_length=4, choices=BarcodeType.choices)
    match_key = models.CharField(max_length=32, help_text="GTIN-14 (or PLU key) used to match padded forms.")
    is_primary = models.BooleanField(default=False)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["product", "position"]
        constraints = [
            models.UniqueConstraint(fields=["store", "match_key"], name="barcode_unique_per_store"),
            models.UniqueConstraint(fields=["product", "position"], name="barcode_unique_position"),
            models.UniqueConstraint(fields=["product"], condition=Q(is_primary=True), name="barcode_one_primary"),
        ]

    def __str__(self) -> str:
        return f"{self.value} ({self.type})"


class ProductChange(models.Model):
    """One change to a product: what changed, from what, to what, and who or what changed it."""

    class Source(models.TextChoices):
        IMPORT = "import", "Import"
        STAFF = "staff", "Staff"
        SYNC = "sync", "Sync"

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="changes")
    source = models.CharField(max_length=8, choices=Source.choices)
    import_job = models.ForeignKey("ImportJob", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    sync_run = models.ForeignKey(
        "SyncRun",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The sync whose result it is.",
    )
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    changes = models.JSONField(help_text="{field: [old, new]}")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.product_id}: {', '.join(self.changes)}"
