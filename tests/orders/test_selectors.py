"""Pricing reads: the store's promotion index and pricing context are built once and rebuilt as soon
as they change; a cart line resolves by SKU, then item alias, then barcode; a new trip's reads are
one statement."""

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from catalog.models import Barcode, Product, Store
from entry.models import Shopper
from orders.models import ItemAlias, PaymentAuthorisation, Promotion, TaxRate
from orders.pricing import types
from orders.purchase_request import CartItem
from orders.selectors.pricing import (
    StoreTerms,
    cart_priced_products,
    cart_products,
    purchase_context,
    store_pricing,
    store_promotion_index,
)


def test_the_index_is_reused_until_a_promotion_is_added_changed_or_removed(store: Store) -> None:
    chips = Promotion.objects.create(name="Chips", kind="percent_off", skus=["SKU-CHIPS"], percent=Decimal("10"))

    first = store_promotion_index(store=store)
    assert store_promotion_index(store=store) is first
    assert [p.name for p in first.promotions] == ["Chips"]

    Promotion.objects.create(name="Cola", kind="amount_off", skus=["SKU-COLA"], amount=Decimal("0.20"))
    added = store_promotion_index(store=store)
    chips.percent = Decimal("15")
    chips.save()
    changed = store_promotion_index(store=store)
    Promotion.objects.filter(name="Cola").delete()
    removed = store_promotion_index(store=store)

    assert sorted(p.name for p in added.promotions) == ["Chips", "Cola"]
    assert [p.percent for p in changed.promotions if p.name == "Chips"] == [Decimal("15")]
    assert [p.name for p in removed.promotions] == ["Chips"]
    assert len({id(first), id(added), id(changed), id(removed)}) == 4


# --- Resolving a cart's lines: SKU, then item alias, then barcode --------------------------------------------


def cart_item(item_id: str, *barcodes: str) -> CartItem:
    return CartItem(
        id=item_id,
        type="SKU",
        quantity=Decimal(1),
        unit="unit",
        external_identifiers=tuple((barcode, "UPC") for barcode in barcodes),
        line_item_id="",
    )


@pytest.fixture
def catalog(store: Store, other_store: Store) -> dict[str, Product]:
    """Cola (UPC 012345678905), chips, tea in ``store``; alias AMZ-CHIPS → chips, AMZ-COLA → cola,
    SKU-TEA (an alias named like a SKU) → chips; another store's alias AMZ-TEA."""
    cola = Product.objects.create(store=store, sku="SKU-COLA", name="Cola", price=Decimal("1.99"), tax_code="FOOD")
    chips = Product.objects.create(
        store=store, sku="SKU-CHIPS", name="Chips", price=Decimal("2.50"), tax_code="GENERAL", brand="Crunch"
    )
    tea = Product.objects.create(store=store, sku="SKU-TEA", name="Tea", price=None, unit="kg")
    elsewhere = Product.objects.create(store=other_store, sku="SKU-TEA", name="Tea", price=Decimal("3.00"))
    Barcode.objects.create(
        store=store, product=cola, value="012345678905", type="UPC", match_key="00012345678905", is_primary=True
    )
    ItemAlias.objects.create(store=store, item_id="AMZ-CHIPS", product=chips)
    ItemAlias.objects.create(store=store, item_id="AMZ-COLA", product=cola)
    ItemAlias.objects.create(store=store, item_id="SKU-TEA", product=chips)
    ItemAlias.objects.create(store=other_store, item_id="AMZ-TEA", product=elsewhere)
    return {"cola": cola, "chips": chips, "tea": tea}


def test_a_line_resolves_by_sku_then_by_item_alias_then_by_barcode(store: Store, catalog: dict[str, Product]) -> None:
    items = (
        cart_item("SKU-TEA"),  # a SKU wins over an alias with the same id
        cart_item("AMZ-CHIPS"),  # an alias
        cart_item("AMZ-COLA", "4006381333931"),  # an alias wins over the barcode (another product's, unknown here)
        cart_item("RET-UNKNOWN", "12345678905"),  # the cola by its unpadded barcode
        cart_item("AMZ-TEA"),  # another store's alias
        cart_item("NOPE", "4006381333931"),
    )

    found = cart_priced_products(store_pk=store.pk, items=items)

    assert [product.pk if product else None for product in found] == [
        catalog["tea"].pk,
        catalog["chips"].pk,
        catalog["cola"].pk,
        catalog["cola"].pk,
        None,
        None,
    ]
    assert cart_products(store=store, items=items) == [
        catalog["tea"],
        catalog["chips"],
        catalog["cola"],
        catalog["cola"],
        None,
        None,
    ]


def test_a_resolved_line_carries_what_the_engine_prices_it_as(store: Store, catalog: dict[str, Product]) -> None:
    chips, tea = cart_priced_products(store_pk=store.pk, items=(cart_item("AMZ-CHIPS"), cart_item("SKU-TEA")))

    assert chips is not None
    assert chips.priced == types.PricedProduct(
        sku="SKU-CHIPS",
        price=Decimal("2.500"),
        unit=types.SaleUnit.EACH,
        tax_code="GENERAL",
        category="",
        subcategory="",
        brand="Crunch",
        name="Chips",
    )
    assert tea is not None
    assert (tea.priced.price, tea.priced.unit) == (None, types.SaleUnit.KG)  # CartLine refuses it: a bad cart


# --- Everything Create Purchases reads, in one statement -------------------------------------------------------


def test_a_new_trip_reads_its_store_shopper_hold_versions_and_products_in_one_statement(
    store: Store, catalog: dict[str, Product], django_assert_num_queries: Any
) -> None:
    shopper = Shopper.objects.create(external_id="cust-1", name="Ann", email="ann@example.com")
    holds = [
        PaymentAuthorisation.objects.create(
            auth_event_id=event_id, store=store, shopper=shopper, amount=Decimal("50.00"), currency="USD"
        )
        for event_id in ("event-late", "event-early")
    ]
    PaymentAuthorisation.objects.filter(pk=holds[1].pk).update(created_at=holds[0].created_at - timedelta(minutes=1))

    with django_assert_num_queries(1):
        context = purchase_context(
            store_id="TEST_STORE_001",
            trip_id="trip-1",
            shopper_ref="cust-1",
            auth_event_ids=["event-late", "event-early", "event-unknown"],
            items=(cart_item("AMZ-CHIPS"), cart_item("NOPE")),
        )

    assert context is not None
    assert context.store == StoreTerms(store.pk, "TEST_STORE_001", "USD", False, "UTC")
    assert (context.stored_purchase_pk, context.shopper_pk, context.authorisation_pk) == (None, shopper.pk, holds[1].pk)
    assert [product.pk if product else None for product in context.products] == [catalog["chips"].pk, None]


def test_the_context_of_an_unknown_store_is_none_and_an_unnamed_shopper_is_nobody(store: Store) -> None:
    Shopper.objects.create(external_id="", name="Nameless", email="nameless@example.com")
    arguments: dict[str, Any] = {"trip_id": "trip-1", "shopper_ref": "", "auth_event_ids": ["event-1"], "items": ()}

    assert purchase_context(store_id="NOT-OURS", **arguments) is None
    context = purchase_context(store_id="TEST_STORE_001", **arguments)
    assert context is not None
    assert (context.shopper_pk, context.authorisation_pk, context.products) == (None, None, [])


# --- The store's pricing context is cached like its promotion index ---------------------------------------------


def test_store_pricing_is_reused_until_a_tax_rate_or_the_store_changes(store: Store) -> None:
    food = TaxRate.objects.create(store=store, tax_code="FOOD", rate=Decimal("0.05"))

    first = store_pricing(store=store)
    assert store_pricing(store=store) is first
    assert first.tax_rates == {"FOOD": Decimal("0.050000")}

    food.rate = Decimal("0.07")
    food.save()
    changed = store_pricing(store=store)
    TaxRate.objects.create(store=store, tax_code="EXEMPT", rate=Decimal(0), is_exempt=True)
    added = store_pricing(store=store)
    store.prices_include_tax = True
    moved = store_pricing(store=store)

    assert changed.tax_rates == {"FOOD": Decimal("0.070000")}
    assert added.exempt_tax_codes == frozenset({"EXEMPT"})
    assert (added.prices_include_tax, moved.prices_include_tax) == (False, True)
    assert len({id(first), id(changed), id(added), id(moved)}) == 4
