"""Reads for pricing: gather a cart's products, the store's tax rates and promotions in a few queries,
as the engine's frozen inputs (STYLE §8: gather, then compute).

Create Purchases is on Amazon's clock, so everything it reads is one statement, in SQL that
PostgreSQL and SQLite both run: :func:`purchase_context` gives the store, whether the trip is
stored already, the shopper, the hold, the versions of the promotions and tax rates, and every
line's product (by SKU, then item alias, then barcode: :func:`cart_priced_products`). The store's
``StorePricing`` and ``PromotionIndex`` are built once per process and rebuilt when their version
changes, so a call normally loads neither.
"""

from collections.abc import Sequence
from dataclasses import dataclass, replace
from decimal import Context, Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db.models import Q

from catalog.barcodes import match_keys
from catalog.models import Barcode, Product, Store
from entry.models import Shopper
from jwo_admin.core import db
from orders.models import ItemAlias, PaymentAuthorisation, Promotion, Purchase, TaxRate
from orders.pricing import types
from orders.pricing.promotions import PromotionIndex
from orders.pricing.units import aliases_with
from orders.purchase_request import CartItem

Version = str  # opaque: equal versions mean nothing changed


@dataclass(frozen=True, slots=True)
class StoreTerms:
    """What pricing needs of a store besides its tax rates."""

    pk: int
    store_id: str
    currency: str
    prices_include_tax: bool
    time_zone: str


def _store_terms(store: Store) -> StoreTerms:
    return StoreTerms(store.pk, store.store_id, store.currency, store.prices_include_tax, store.time_zone)


# --- Versions: one cheap aggregate each tells whether a cached StorePricing or PromotionIndex is stale ---------
def _version(alias: str) -> str:
    """The latest change, the count and the highest id of the rows, as one text: saving a row bumps
    its ``updated_at``, adding or deleting one changes the count or the highest id."""
    return (
        f"COALESCE(CAST(MAX({alias}.updated_at) AS TEXT), '') || ' ' || COUNT(*) || ' ' || COALESCE(MAX({alias}.id), 0)"
    )


def _versions_from(tax_store_condition: str) -> str:
    """Derived tables ``pv`` (every promotion) and ``tv`` (the store's tax rates), one ``version`` each."""
    promotion, rate, store = Promotion._meta.db_table, TaxRate._meta.db_table, Store._meta.db_table
    return (
        f"(SELECT {_version('o')} AS version FROM {promotion} o) pv "  # noqa: S608 - our own names
        f"CROSS JOIN (SELECT {_version('t')} AS version FROM {rate} t "
        f"JOIN {store} ts ON ts.id = t.store_id WHERE {tax_store_condition}) tv"
    )


_VERSION_COLUMNS = "pv.version, tv.version"


def _versions_read(store_pk: int) -> tuple[Version, Version]:
    """(promotions version, the store's tax rates version), in one statement."""
    row = db.fetch_one(f"SELECT {_VERSION_COLUMNS} FROM {_versions_from('ts.id = %s')}", [store_pk])  # noqa: S608
    assert row is not None  # noqa: S101 - aggregates without GROUP BY always return one row
    return row[0], row[1]


# --- Tax rates ---------------------------------------------------------------------------------------------
_pricing_cache: dict[int, tuple[tuple[StoreTerms, Version], types.StorePricing]] = {}


def store_pricing(*, store: Store) -> types.StorePricing:
    """The store's pricing context (currency, clock, tax rates), as cached by :func:`store_pricing_cached`."""
    _, tax_version = _versions_read(store.pk)
    return store_pricing_cached(terms=_store_terms(store), tax_version=tax_version)


def store_pricing_cached(*, terms: StoreTerms, tax_version: Version) -> types.StorePricing:
    """The store's pricing context, built once per process and rebuilt when the store's terms or any
    of its tax rates change (``tax_version``: read by the caller, see :func:`purchase_context`)."""
    key = (terms, tax_version)
    cached = _pricing_cache.get(terms.pk)
    if cached is not None and cached[0] == key:
        return cached[1]
    rates = list(TaxRate.objects.filter(store_id=terms.pk))
    pricing = types.StorePricing(
        store_id=terms.store_id,
        currency=terms.currency,
        prices_include_tax=terms.prices_include_tax,
        time_zone=terms.time_zone,
        tax_rates={rate.tax_code: rate.rate for rate in rates if not rate.is_exempt},
        exempt_tax_codes=frozenset(rate.tax_code for rate in rates if rate.is_exempt),
        default_tax_code=next((rate.tax_code for rate in rates if rate.is_default), ""),
    )
    _pricing_cache[terms.pk] = (key, pricing)
    return pricing


# --- Promotions --------------------------------------------------------------------------------------------
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


def _store_promotions(store_pk: int) -> list[types.Promotion]:
    rows = (
        Promotion.objects.filter(is_active=True)
        .filter(Q(stores__pk=store_pk) | Q(stores__isnull=True))
        .distinct()
        .prefetch_related("stores")
    )
    return [_promotion(row, frozenset(s.store_id for s in row.stores.all())) for row in rows]


def store_promotions(*, store: Store) -> list[types.Promotion]:
    """The store's active promotions (those for every store included)."""
    return _store_promotions(store.pk)


_index_cache: dict[int, tuple[Version, PromotionIndex]] = {}


def store_promotion_index(*, store: Store) -> PromotionIndex:
    """The store's promotions, indexed for the engine, as cached by :func:`store_promotion_index_cached`."""
    version, _ = _versions_read(store.pk)
    return store_promotion_index_cached(store_pk=store.pk, version=version)


def store_promotion_index_cached(*, store_pk: int, version: Version) -> PromotionIndex:
    """The store's promotions, indexed for the engine, built once per process and rebuilt when any
    promotion changes (``version``: one cheap aggregate, read by the caller; saving a promotion
    bumps ``updated_at``)."""
    cached = _index_cache.get(store_pk)
    if cached is not None and cached[0] == version:
        return cached[1]
    index = PromotionIndex(_store_promotions(store_pk))
    _index_cache[store_pk] = (version, index)
    return index


def promotion_indexes_forget() -> None:
    """Drop this process's promotion indexes and pricing contexts (tests)."""
    _index_cache.clear()
    _pricing_cache.clear()


# --- Quantity units ----------------------------------------------------------------------------------------
_aliases_cache: dict[str, dict[str, str]] = {}


def quantity_unit_aliases() -> dict[str, str]:
    """The ``quantity.unit`` strings we convert: the built-in table with ``JWO_QUANTITY_UNIT_ALIASES``
    on top ([INFERRED]: Amazon has not published its list). ImproperlyConfigured names a bad alias."""
    extra = settings.JWO_QUANTITY_UNIT_ALIASES
    key = repr(sorted(extra.items()))
    cached = _aliases_cache.get(key)
    if cached is None:
        try:
            cached = _aliases_cache[key] = aliases_with(extra)
        except ValueError as error:
            raise ImproperlyConfigured(f"JWO_QUANTITY_UNIT_ALIASES: {error}") from error
    return cached


# --- A cart's products ---------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class CartProduct:
    """The product a cart line resolved to: its row id, what the engine prices it as, and how the
    line found it (``matched_by``: "SKU", "item alias", "barcode 4000000000013"…, for staff)."""

    pk: int
    priced: types.PricedProduct
    matched_by: str = ""


BY_SKU, BY_ALIAS, BY_BARCODE = 0, 1, 2
# The product fields the engine prices with, in the order product_priced takes them.
PRICED_PRODUCT_FIELDS = ("sku", "price", "unit", "tax_code", "category", "subcategory", "brand", "name")
_PRODUCT_COLUMNS = ", ".join(f"p.{name}" for name in ("id", *PRICED_PRODUCT_FIELDS))
SCAN_CODE_TYPE = "SCANCODE"  # cartItems[].type whose id is the code scanned off the package (SPEC §10.2)
_SCAN_CODE_ORDER = ("barcode", "sku", "alias", "identifier")
_SKU_ORDER = ("sku", "alias", "identifier", "barcode")


def _marks(count: int) -> str:
    return ", ".join(["%s"] * count)


def _products_sql(ids: int, keys: int, store: str) -> str:
    """Rows (how, key, product columns): by SKU and by item alias for ``ids`` cart item ids, by
    barcode for ``keys`` match keys. ``store``: the SQL giving the store's pk (a placeholder or a
    subquery). Parameters: store and ids, store and ids, then (if ``keys``) store and keys."""
    product, alias, barcode = Product._meta.db_table, ItemAlias._meta.db_table, Barcode._meta.db_table
    parts = [
        f"SELECT {BY_SKU}, p.sku, {_PRODUCT_COLUMNS} FROM {product} p "  # noqa: S608 - our own names
        f"WHERE p.store_id = {store} AND p.sku IN ({_marks(ids)})",
        f"SELECT {BY_ALIAS}, a.item_id, {_PRODUCT_COLUMNS} FROM {alias} a JOIN {product} p ON p.id = a.product_id "  # noqa: S608
        f"WHERE a.store_id = {store} AND a.item_id IN ({_marks(ids)})",
    ]
    if keys:
        parts.append(
            f"SELECT {BY_BARCODE}, b.match_key, {_PRODUCT_COLUMNS} FROM {barcode} b "  # noqa: S608
            f"JOIN {product} p ON p.id = b.product_id WHERE b.store_id = {store} AND b.match_key IN ({_marks(keys)})"
        )
    return " UNION ALL ".join(parts)


class _CartLookup:
    """What to look a cart's lines up by: their distinct item ids, and the barcode match keys of
    each line's id (read as a scanned code) and of its external identifiers."""

    def __init__(self, items: tuple[CartItem, ...]) -> None:
        self.items = items
        self.ids = list(dict.fromkeys(item.id for item in items))
        self.id_keys = [match_keys(item.id) for item in items]
        self.identifier_keys = [
            [
                (identifier, kind, key)
                for identifier, kind in item.external_identifiers
                for key in match_keys(identifier)
            ]
            for item in items
        ]
        every_key = [key for keys in self.id_keys for key in keys] + [
            key for keys in self.identifier_keys for _, _, key in keys
        ]
        self.keys = list(dict.fromkeys(every_key))

    def sql(self, store: str) -> str:
        return _products_sql(len(self.ids), len(self.keys), store)

    def params(self, store: Any) -> list[Any]:
        return [store, *self.ids, store, *self.ids, *([store, *self.keys] if self.keys else [])]

    def resolve(self, rows: list[tuple[Any, ...]]) -> list[CartProduct | None]:
        """Each line's product, found in the order its type asks for (see :func:`cart_priced_products`)."""
        found: tuple[dict[str, CartProduct], dict[str, CartProduct], dict[str, CartProduct]] = ({}, {}, {})
        for row in rows:
            found[row[0]][row[1]] = _cart_product(row[2:])
        by_sku, by_alias, by_key = found
        resolved: list[CartProduct | None] = []
        for item, id_keys, identifier_keys in zip(self.items, self.id_keys, self.identifier_keys, strict=True):
            barcode = next((key for key in id_keys if key in by_key), None)
            identifier = next((entry for entry in identifier_keys if entry[2] in by_key), None)
            candidates: dict[str, tuple[CartProduct, str] | None] = {
                "barcode": (by_key[barcode], f"barcode {item.id}") if barcode else None,
                "sku": (by_sku[item.id], "SKU") if item.id in by_sku else None,
                "alias": (by_alias[item.id], "item alias") if item.id in by_alias else None,
                "identifier": (
                    (by_key[identifier[2]], f"barcode {identifier[0]} ({identifier[1]} in externalIdentifiers)")
                    if identifier
                    else None
                ),
            }
            order = _SCAN_CODE_ORDER if item.type == SCAN_CODE_TYPE else _SKU_ORDER
            match = next((candidate for name in order if (candidate := candidates[name]) is not None), None)
            resolved.append(replace(match[0], matched_by=match[1]) if match else None)
        return resolved


_PRICE_FIELD = Product._meta.get_field("price")
_PRICE_PLACES = Decimal(1).scaleb(-_PRICE_FIELD.decimal_places)
_FLOAT_DECIMAL = Context(prec=15).create_decimal_from_float


def _price(value: Any) -> Decimal | None:
    """A price as the ORM reads it: PostgreSQL gives a Decimal; SQLite a number, quantized as Django does."""
    if value is None or isinstance(value, Decimal):
        return value
    return _FLOAT_DECIMAL(value).quantize(_PRICE_PLACES, context=_PRICE_FIELD.context)


def product_priced(*, values: Sequence[Any]) -> types.PricedProduct:
    """A product as the engine prices it, from the values of its :data:`PRICED_PRODUCT_FIELDS`: a row
    of the purchase read, or a product row's (the bad-cart repricing). A missing price stays None:
    ``CartLine`` refuses it."""
    sku, price, unit, tax_code, category, subcategory, brand, name = values
    return types.PricedProduct(
        sku=sku,
        price=_price(price),  # type: ignore[arg-type]  # a missing price is refused by CartLine
        unit=types.SaleUnit(unit),
        tax_code=tax_code,
        category=category,
        subcategory=subcategory,
        brand=brand,
        name=name,
    )


def _cart_product(row: tuple[Any, ...]) -> CartProduct:
    return CartProduct(row[0], product_priced(values=row[1:]))


def cart_priced_products(*, store_pk: int, items: tuple[CartItem, ...]) -> list[CartProduct | None]:
    """Each line's product, or None when nothing finds one. A ``SKU`` line is looked up by SKU
    (``cartItems[].id``), then by an item alias staff made for that id while resolving an earlier
    bad cart (``ItemAlias``), then by its external identifiers, then by its id read as a barcode;
    a ``SCANCODE`` line, whose id is the code scanned off the package, by that id as a barcode
    first, then by SKU, item alias and external identifiers. Barcodes match on their GTIN-14 key,
    so padded and unpadded forms agree, as in the catalog. Each product says how it was found
    (``matched_by``). One statement whatever the cart."""
    if not items:
        return []
    lookup = _CartLookup(items)
    return lookup.resolve(db.fetch_all(lookup.sql("%s"), lookup.params(store_pk)))


def cart_products(*, store: Store, items: tuple[CartItem, ...]) -> list[Product | None]:
    """Each line's product row, resolved as :func:`cart_priced_products` resolves it (for staff screens)."""
    found = cart_priced_products(store_pk=store.pk, items=items)
    rows = Product.objects.in_bulk({product.pk for product in found if product is not None})
    return [rows.get(product.pk) if product is not None else None for product in found]


# --- Create Purchases: everything a new trip needs to know, in one statement ----------------------------------
@dataclass(frozen=True, slots=True)
class PurchaseContext:
    """The store named by the request, and what a purchase of that trip is priced and stored with."""

    store: StoreTerms
    stored_purchase_pk: int | None  # the trip is stored already: this delivery is a replay
    shopper_pk: int | None  # the shopper the trip names (scanResult.id), if we know them
    shopper_visitor_type: str  # what that shopper is in our records ("" when unknown)
    authorisation_pk: int | None  # the hold that may pay for this trip (see purchase_context)
    authorisation_shopper_pk: int | None  # whose hold it is
    promotion_version: Version
    tax_version: Version
    products: list[CartProduct | None]  # each cart line's product, as cart_priced_products finds it


_CONTEXT_WIDTH = 12  # columns of the context part of a row; the product rows follow


def _usable_hold_sql(column: str, auth_events: int, *, of_shopper: bool) -> str:
    """A column of the earliest hold that may pay for the trip: placed at one of its gate events,
    in its store, for its shopper (when the trip names one), and paying for no other purchase."""
    hold, shopper, purchase = PaymentAuthorisation._meta.db_table, Shopper._meta.db_table, Purchase._meta.db_table
    join = f" JOIN {shopper} hs ON hs.id = h.shopper_id" if of_shopper else ""
    return (
        f"(SELECT h.{column} FROM {hold} h{join} "  # noqa: S608 - our own names
        f"WHERE h.auth_event_id IN ({_marks(auth_events) or 'NULL'}) AND h.store_id = st.id"
        + (" AND hs.external_id = %s" if of_shopper else "")
        + f" AND NOT EXISTS (SELECT 1 FROM {purchase} hp WHERE hp.authorisation_id = h.id) "  # noqa: S608
        "ORDER BY h.created_at, h.id LIMIT 1)"
    )


def _context_sql(auth_events: int, lookup: _CartLookup | None, *, of_shopper: bool) -> str:
    store, purchase, shopper = Store._meta.db_table, Purchase._meta.db_table, Shopper._meta.db_table
    context = (
        f"SELECT st.id, st.store_id, st.currency, st.prices_include_tax, st.time_zone, "  # noqa: S608 - our own names
        f"(SELECT pu.id FROM {purchase} pu WHERE pu.trip_id = %s), "
        f"(SELECT s.id FROM {shopper} s WHERE s.external_id = %s), "
        f"(SELECT s.visitor_type FROM {shopper} s WHERE s.external_id = %s), "
        f"{_usable_hold_sql('id', auth_events, of_shopper=of_shopper)}, "
        f"{_usable_hold_sql('shopper_id', auth_events, of_shopper=of_shopper)}, "
        f"{_VERSION_COLUMNS} FROM {store} st CROSS JOIN {_versions_from('ts.store_id = %s')} WHERE st.store_id = %s"
    )
    if lookup is None:
        return context
    products = lookup.sql(f"(SELECT ps.id FROM {store} ps WHERE ps.store_id = %s)")  # noqa: S608 - our own names
    return f"SELECT c.*, q.* FROM ({context}) c LEFT JOIN ({products}) q ON true"  # noqa: S608 - our own SQL


def purchase_context(
    *, store_id: str, trip_id: str, shopper_ref: str, auth_event_ids: list[str], items: tuple[CartItem, ...]
) -> PurchaseContext | None:
    """One read: the store (None when no store has this id), the trip's stored purchase if any, the
    shopper whose ``external_id`` is ``shopper_ref`` (none when it is blank) and what they are in our
    records, the hold that may pay for the trip, the versions the cached pricing inputs are checked
    against, and each cart line's product (see :func:`cart_priced_products`).

    A hold pays only for a purchase of the same shopper in the same store, for a trip that lists
    the gate event it was placed at, once (SPEC §8, §10: the gate's ``authEvent.id`` comes back in
    ``shoppingTrip.authEvents``): the earliest hold of the trip's gate events in this store, of the
    shopper the trip names — or, when it names none, of whoever was admitted — that no other
    purchase uses. Another shopper's hold is never taken; settlement says why in a payment issue."""
    lookup = _CartLookup(items) if items else None
    of_shopper = bool(shopper_ref)
    hold_params = [*auth_event_ids, *([shopper_ref] if of_shopper else [])]
    params = [trip_id, shopper_ref or None, shopper_ref or None, *hold_params, *hold_params, store_id, store_id]
    if lookup is not None:
        params += lookup.params(store_id)
    rows = db.fetch_all(_context_sql(len(auth_event_ids), lookup, of_shopper=of_shopper), params)
    if not rows:
        return None
    row = rows[0]
    products = [found[_CONTEXT_WIDTH:] for found in rows] if lookup and row[_CONTEXT_WIDTH] is not None else []
    return PurchaseContext(
        store=StoreTerms(row[0], row[1], row[2], bool(row[3]), row[4]),
        stored_purchase_pk=row[5],
        shopper_pk=row[6],
        shopper_visitor_type=row[7] or "",
        authorisation_pk=row[8],
        authorisation_shopper_pk=row[9],
        promotion_version=row[10],
        tax_version=row[11],
        products=lookup.resolve(products) if lookup else [],
    )
