"""Reads of the catalog for views, commands, exports and the import check."""

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.db.models import F, Q, QuerySet

from catalog.amazon_items import catalog_item, currency_places
from catalog.barcodes import match_keys
from catalog.importing.checker import ExistingCatalog, ExistingProduct
from catalog.models import Barcode, Product, ProductStatus, Store


def existing_catalog(*, store: Store) -> ExistingCatalog:
    """The store's products by SKU and the owner SKU of each barcode, for the import check."""
    products = {
        sku: ExistingProduct(id=product_id, import_hash=import_hash)
        for product_id, sku, import_hash in Product.objects.filter(store=store)
        .values_list("id", "sku", "import_hash")
        .iterator(chunk_size=20_000)
    }
    owners = dict(
        Barcode.objects.filter(store=store).values_list("match_key", "product__sku").iterator(chunk_size=20_000)
    )
    return ExistingCatalog(products=products, owners=owners)


SYNC_STATES = {"synced": "Synced", "pending": "Changed since last sync", "never": "Never synced"}


# The list's sortable columns: the only keys a ``sort`` parameter may name (a leading "-" sorts
# descending). SKU breaks ties, so paging through a sorted list never repeats or skips a product.
SORT_KEYS = {
    "sku": ("store__name", "sku"),
    "name": ("name",),
    "store": ("store__name",),
    "price": ("price",),
    "category": ("category",),
    "status": ("status",),
    "updated": ("updated_at",),
}


@dataclass(frozen=True)
class ProductFilters:
    store: Store | None = None
    search: str = ""
    category: str = ""
    status: str = ""
    sync_state: str = ""
    sort: str = ""


def _ordering(sort: str) -> tuple[Any, ...]:
    descending = sort.startswith("-")
    columns = SORT_KEYS.get(sort.removeprefix("-"), SORT_KEYS["sku"])
    ordered = tuple(F(column).desc(nulls_last=True) if descending else F(column).asc() for column in columns)
    return (*ordered, "sku", "pk")


def product_list(*, filters: ProductFilters) -> QuerySet[Product]:
    """Products matching the staff list's search and filters; search covers SKU, name and barcode
    (a barcode matches padded or unpadded)."""
    products = Product.objects.select_related("store")
    if filters.store is not None:
        products = products.filter(store=filters.store)
    if filters.search:
        term = filters.search.strip()
        keys = match_keys(term)
        condition = Q(sku__iexact=term) | Q(sku__istartswith=term) | Q(name__icontains=term)
        if keys:
            condition |= Q(barcodes__match_key__in=keys)
        condition |= Q(barcodes__value=term)
        products = products.filter(condition).distinct()
    if filters.category:
        products = products.filter(category=filters.category)
    if filters.status:
        products = products.filter(status=filters.status)
    if filters.sync_state == "synced":
        products = products.filter(amazon_fingerprint=F("synced_fingerprint"))
    elif filters.sync_state == "pending":
        products = products.exclude(amazon_fingerprint=F("synced_fingerprint")).exclude(synced_fingerprint="")
    elif filters.sync_state == "never":
        products = products.filter(synced_fingerprint="")
    return products.order_by(*_ordering(filters.sort))


def product_selection(*, filters: ProductFilters, product_ids: list[int] | None = None) -> QuerySet[Product]:
    """The products a bulk action works on: the ones picked (``product_ids``) among those the
    filter matches, or, with no ids, every product the filter matches. Picked ids outside the
    filter are left out, so a bulk action never reaches a product the list did not show."""
    products = product_list(filters=filters)
    if product_ids is not None:
        products = products.filter(pk__in=product_ids)
    return products


def category_list(*, store: Store | None = None) -> list[str]:
    products = Product.objects.exclude(category="")
    if store is not None:
        products = products.filter(store=store)
    return list(products.order_by("category").values_list("category", flat=True).distinct())


def product_detail(*, product_id: int) -> Product:
    return (
        Product.objects.select_related("store", "last_import", "created_by", "created_by_import")
        .prefetch_related("barcodes", "changes__changed_by", "changes__import_job", "changes__sync_run")
        .get(pk=product_id)
    )


def amazon_catalog_items(*, store: Store, status: str = ProductStatus.ACTIVE) -> Iterator[dict[str, Any]]:
    """The store's products as Amazon's Upload Catalog items (SPEC §4.2), streamed in SKU order."""
    places = currency_places(store.currency)
    products = Product.objects.filter(store=store, status=status).order_by("sku").prefetch_related("barcodes")
    for product in products.iterator(chunk_size=2000):
        barcodes = [(barcode.value, barcode.type) for barcode in product.barcodes.all()]
        if not barcodes:
            continue
        yield catalog_item(
            store_id=store.store_id,
            sku=product.sku,
            name=product.name,
            barcodes=barcodes,
            price=product.price,
            places=places,
            brand=product.brand,
            tax_code=product.tax_code,
            category=product.category,
            subcategory=product.subcategory,
        )
