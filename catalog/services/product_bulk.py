"""Staff actions on many products at once (the catalog list's selection, or every product its
filter matches): archive, change category. One history row per product that changed, with who."""

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from catalog.models import Barcode, Product, ProductChange, ProductStatus
from catalog.rules import MAX_CATEGORY_LENGTH
from catalog.services.products import product_fingerprint

BATCH = 2000


@transaction.atomic
def products_archive(*, products: QuerySet[Product], changed_by: Any = None) -> int:
    """Archive the active products among ``products``: the next sync asks Amazon to archive the
    ones it has. The status is not part of what Amazon receives, so fingerprints stay. Returns
    how many were archived."""
    ids = list(products.filter(status=ProductStatus.ACTIVE).order_by().values_list("pk", flat=True))
    now = timezone.now()
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        # import_hash cleared: the next import re-checks these rows instead of skipping them unchanged.
        Product.objects.filter(pk__in=chunk).update(status=ProductStatus.ARCHIVED, import_hash="", updated_at=now)
        ProductChange.objects.bulk_create(
            ProductChange(
                product_id=product_id,
                source=ProductChange.Source.STAFF,
                changed_by=changed_by,
                changes={"status": [ProductStatus.ACTIVE.value, ProductStatus.ARCHIVED.value]},
            )
            for product_id in chunk
        )
    return len(ids)


@transaction.atomic
def products_category_set(*, products: QuerySet[Product], category: str, changed_by: Any = None) -> int:
    """Put ``products`` in ``category`` (the import's rule: at most 50 characters; blank clears
    it). The category is sent to Amazon, so each fingerprint is refreshed and the products count
    as changed for the next sync. Raises ValidationError on ``category``. Returns how many changed."""
    category = category.strip()
    if len(category) > MAX_CATEGORY_LENGTH:
        raise ValidationError(
            {"category": f"product_category must be at most {MAX_CATEGORY_LENGTH} characters (got {len(category)})"}
        )
    changing = (
        products.exclude(category=category)
        .order_by("pk")
        .select_related("store")
        .prefetch_related(Prefetch("barcodes", queryset=Barcode.objects.order_by("position")))
    )
    now = timezone.now()
    changed: list[Product] = []
    history: list[ProductChange] = []
    for product in changing.iterator(chunk_size=BATCH):
        history.append(
            ProductChange(
                product=product,
                source=ProductChange.Source.STAFF,
                changed_by=changed_by,
                changes={"category": [product.category, category]},
            )
        )
        product.category = category
        product.amazon_fingerprint = product_fingerprint(
            product, [(barcode.value, barcode.type) for barcode in product.barcodes.all()]
        )
        product.import_hash = ""
        product.updated_at = now
        changed.append(product)
    Product.objects.bulk_update(
        changed, ["category", "amazon_fingerprint", "import_hash", "updated_at"], batch_size=BATCH
    )
    ProductChange.objects.bulk_create(history, batch_size=BATCH)
    return len(changed)
