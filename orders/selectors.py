"""Reads for pricing: gather a cart's products, the store's tax rates and promotions in a few queries,
as the engine's frozen inputs (STYLE §8: gather, then compute)."""

from typing import Any

from django.db.models import Count, Max, Q

from catalog.barcodes import match_keys
from catalog.models import Barcode, Product, Store
from orders.models import Promotion, TaxRate
from orders.pricing import types
from orders.pricing.promotions import PromotionIndex
from orders.purchase_request import CartItem


def store_pricing(*, store: Store) -> types.StorePricing:
    rates = list(TaxRate.objects.filter(store=store))
    return types.StorePricing(
        store_id=store.store_id,
        currency=store.currency,
        prices_include_tax=store.prices_include_tax,
        time_zone=store.time_zone,
        tax_rates={rate.tax_code: rate.rate for rate in rates if not rate.is_exempt},
        exempt_tax_codes=frozenset(rate.tax_code for rate in rates if rate.is_exempt),
        default_tax_code=next((rate.tax_code for rate in rates if rate.is_default), ""),
    )


def _promotion(row: Promotion, store_ids: frozenset[str]) -> types.Promotion:
    return types.Promotion(
        id=row.pk,
        name=row.name,
        kind=types.PromotionKind(row.kind),
        skus=frozenset(row.skus),
        categories=frozenset(row.categories),
        brands=frozenset(row.brands),
        percent=row.percent,
        amount=row.amount,
        buy_quantity=row.buy_quantity,
        get_quantity=row.get_quantity,
        minimum_spend=row.minimum_spend,
        store_ids=store_ids,
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        days_of_week=frozenset(row.days_of_week),
        time_from=row.time_from,
        time_to=row.time_to,
        priority=row.priority,
        is_exclusive=row.is_exclusive,
    )


def store_promotions(*, store: Store) -> list[types.Promotion]:
    """The store's active promotions (those for every store included)."""
    rows = (
        Promotion.objects.filter(is_active=True)
        .filter(Q(stores=store) | Q(stores__isnull=True))
        .distinct()
        .prefetch_related("stores")
    )
    return [_promotion(row, frozenset(s.store_id for s in row.stores.all())) for row in rows]


_index_cache: dict[int, tuple[tuple[Any, ...], PromotionIndex]] = {}


def store_promotion_index(*, store: Store) -> PromotionIndex:
    """The store's promotions, indexed for the engine, built once per process and rebuilt when any
    promotion changes (one cheap aggregate query checks; saving a promotion bumps ``updated_at``)."""
    version = tuple(Promotion.objects.aggregate(Max("updated_at"), Count("id"), Max("id")).values())
    cached = _index_cache.get(store.pk)
    if cached is not None and cached[0] == version:
        return cached[1]
    index = PromotionIndex(store_promotions(store=store))
    _index_cache[store.pk] = (version, index)
    return index


def promotion_indexes_forget() -> None:
    """Drop this process's indexes (tests)."""
    _index_cache.clear()


def cart_products(*, store: Store, items: tuple[CartItem, ...]) -> list[Product | None]:
    """Each line's product: by SKU first, then by its external identifiers (barcodes, matched on
    GTIN-14 so padded and unpadded forms agree); None when neither finds one."""
    by_sku = {product.sku: product for product in Product.objects.filter(store=store, sku__in={i.id for i in items})}
    keys_by_line = [
        [key for identifier, _ in item.external_identifiers for key in match_keys(identifier)]
        if item.id not in by_sku
        else []
        for item in items
    ]
    wanted = {key for keys in keys_by_line for key in keys}
    by_key = (
        {
            barcode.match_key: barcode.product
            for barcode in Barcode.objects.filter(store=store, match_key__in=wanted).select_related("product")
        }
        if wanted
        else {}
    )
    found: list[Product | None] = []
    for item, keys in zip(items, keys_by_line, strict=True):
        product = by_sku.get(item.id) or next((by_key[key] for key in keys if key in by_key), None)
        found.append(product)
    return found
