"""Each promotion kind alone, then combined: priority, ties, unit consumption, exclusivity, basket allocation.

The store is tax-free here (every product's code is exempt) so line totals are the nets; taxes have
their own tests. Every expected amount is worked out by hand in the comment beside it.
"""

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from orders.pricing.engine import cart_price
from orders.pricing.promotions import PROMOTION_KINDS, Scope
from orders.pricing.types import (
    AppliedPromotion,
    CartLine,
    LineDiscount,
    PricedCart,
    PricedProduct,
    Promotion,
    PromotionError,
    PromotionKind,
    SaleUnit,
    StorePricing,
    ValueProblem,
    promotion_value_problems,
)

AT = datetime(2025, 6, 3, 14, 31, 47, tzinfo=UTC)
STORE = StorePricing(
    store_id="US-1",
    currency="USD",
    prices_include_tax=False,
    time_zone="America/New_York",
    tax_rates={},
    exempt_tax_codes=frozenset({"EXEMPT"}),
)


def product(sku: str, price: str, category: str, brand: str, unit: SaleUnit = SaleUnit.EACH) -> PricedProduct:
    return PricedProduct(sku=sku, price=Decimal(price), unit=unit, tax_code="EXEMPT", category=category, brand=brand)


COLA = product("COLA", "1.99", "Drinks", "Acme")
WATER = product("WATER", "0.89", "Drinks", "Springs")
CHIPS = product("CHIPS", "2.49", "Snacks", "Acme")
COFFEE = product("COFFEE", "8.99", "Pantry", "Bean")
APPLES = product("APPLES", "3.99", "Produce", "Orchard", SaleUnit.KG)
YOGURTS = [product(f"YOGURT-{flavour}", "0.50", "Dairy", "Moo") for flavour in ("S", "P", "V")]


def line(line_id: str, item: PricedProduct, quantity: str) -> CartLine:
    return CartLine(line_id, item, Decimal(quantity))


def promo(id: int, kind: PromotionKind, **fields: Any) -> Promotion:
    fields.setdefault("name", f"{kind} #{id}")
    for name in ("skus", "categories", "brands"):
        if name in fields:
            fields[name] = frozenset(fields[name])
    for name in ("percent", "amount", "minimum_spend"):
        if name in fields:
            fields[name] = Decimal(fields[name])
    return Promotion(id=id, kind=kind, **fields)


def price(*lines: CartLine, promotions: list[Promotion]) -> PricedCart:
    return cart_price(lines=lines, store=STORE, promotions=promotions, at=AT)


def discounts(cart: PricedCart) -> list[list[tuple[int, str, str]]]:
    """Per line: (promotion id, quantity used, amount) of each discount."""
    return [[(d.promotion_id, str(d.quantity), str(d.amount)) for d in line.discounts] for line in cart.lines]


def nets(cart: PricedCart) -> list[str]:
    return [str(line.net) for line in cart.lines]


def test_every_kind_has_a_rule_in_the_registry() -> None:
    assert set(PROMOTION_KINDS) == set(PromotionKind)
    assert {kind for kind, rule in PROMOTION_KINDS.items() if rule.scope is Scope.BASKET} == {
        PromotionKind.SPEND_AND_SAVE
    }


# --- Percent off ---------------------------------------------------------------------------------


def test_percent_off_by_sku_rounds_per_line() -> None:
    cart = price(
        line("li-1", COLA, "3"),  # 3 × 1.99 = 5.97; 15 % = 0.8955 → 0.90; net 5.07
        line("li-2", WATER, "1"),  # not targeted
        promotions=[promo(1, PromotionKind.PERCENT_OFF, name="Cola -15%", skus={"COLA"}, percent="15")],
    )
    assert cart.lines[0].discounts == (
        LineDiscount(
            promotion_id=1,
            promotion_name="Cola -15%",
            kind=PromotionKind.PERCENT_OFF,
            quantity=Decimal(3),
            amount=Decimal("0.90"),
        ),
    )
    assert nets(cart) == ["5.07", "0.89"]
    assert cart.promotions == (
        AppliedPromotion(
            promotion_id=1, promotion_name="Cola -15%", kind=PromotionKind.PERCENT_OFF, amount=Decimal("0.90")
        ),
    )
    assert (cart.subtotal, cart.discount_total, cart.total) == (Decimal("6.86"), Decimal("0.90"), Decimal("5.96"))


def test_percent_off_by_category_discounts_each_line_of_it() -> None:
    cart = price(
        line("li-1", COLA, "1"),  # 10 % of 1.99 = 0.199 → 0.20
        line("li-2", WATER, "2"),  # 10 % of 1.78 = 0.178 → 0.18
        line("li-3", CHIPS, "1"),  # Snacks: untouched
        promotions=[promo(1, PromotionKind.PERCENT_OFF, categories={"Drinks"}, percent="10")],
    )
    assert discounts(cart) == [[(1, "1", "0.20")], [(1, "2", "0.18")], []]
    assert nets(cart) == ["1.79", "1.60", "2.49"]


def test_percent_off_a_weight_item_applies_to_its_weight() -> None:
    # 0.532 kg × 3.99 = 2.12268 → gross 2.12; 25 % of 2.12268 = 0.53067 → 0.53; net 1.59.
    cart = price(
        line("li-1", APPLES, "0.532"), promotions=[promo(1, PromotionKind.PERCENT_OFF, skus={"APPLES"}, percent="25")]
    )
    assert (str(cart.lines[0].gross), discounts(cart), nets(cart)) == ("2.12", [[(1, "0.532", "0.53")]], ["1.59"])


# --- Amount off ----------------------------------------------------------------------------------


def test_amount_off_each_unit_by_brand() -> None:
    cart = price(
        line("li-1", CHIPS, "2"),  # Acme: 0.50 × 2 = 1.00; 4.98 → 3.98
        line("li-2", COLA, "1"),  # Acme: 0.50; 1.99 → 1.49
        line("li-3", WATER, "1"),  # Springs: untouched
        promotions=[promo(1, PromotionKind.AMOUNT_OFF, brands={"Acme"}, amount="0.50")],
    )
    assert discounts(cart) == [[(1, "2", "1.00")], [(1, "1", "0.50")], []]
    assert nets(cart) == ["3.98", "1.49", "0.89"]


def test_amount_off_never_takes_more_than_the_unit_price() -> None:
    # 1.00 off a 0.89 water: 0.89 per unit × 2 = 1.78; net 0.00.
    cart = price(
        line("li-1", WATER, "2"), promotions=[promo(1, PromotionKind.AMOUNT_OFF, skus={"WATER"}, amount="1.00")]
    )
    assert (discounts(cart), nets(cart)) == ([[(1, "2", "1.78")]], ["0.00"])


def test_amount_off_a_weight_item_is_per_kg() -> None:
    # 1.00 off per kg × 0.532 kg = 0.532 → 0.53; gross 2.12 (see above) → net 1.59.
    cart = price(
        line("li-1", APPLES, "0.532"), promotions=[promo(1, PromotionKind.AMOUNT_OFF, skus={"APPLES"}, amount="1.00")]
    )
    assert (discounts(cart), nets(cart)) == ([[(1, "0.532", "0.53")]], ["1.59"])


# --- Fixed price ---------------------------------------------------------------------------------


def test_fixed_price_sets_the_unit_price() -> None:
    # 2 × 8.99 = 17.98 at 6.99 each: (8.99 − 6.99) × 2 = 4.00 off; net 13.98 = 2 × 6.99.
    cart = price(
        line("li-1", COFFEE, "2"), promotions=[promo(1, PromotionKind.FIXED_PRICE, skus={"COFFEE"}, amount="6.99")]
    )
    assert (discounts(cart), nets(cart)) == ([[(1, "2", "4.00")]], ["13.98"])


def test_fixed_price_never_raises_a_price_and_leaves_the_units_free() -> None:
    # Water at 0.99 is dearer than its 0.89: no discount, and the units stay free for the 10 % off
    # applied after it: 0.178 → 0.18; net 1.60.
    cart = price(
        line("li-1", WATER, "2"),
        promotions=[
            promo(1, PromotionKind.FIXED_PRICE, skus={"WATER"}, amount="0.99", priority=5),
            promo(2, PromotionKind.PERCENT_OFF, skus={"WATER"}, percent="10"),
        ],
    )
    assert (discounts(cart), nets(cart)) == ([[(2, "2", "0.18")]], ["1.60"])


def test_fixed_price_per_kg_on_a_weight_item() -> None:
    # Apples at 2.99 per kg: (3.99 − 2.99) × 0.532 = 0.532 → 0.53; net 2.12 − 0.53 = 1.59
    # (the same as 0.532 × 2.99 = 1.59068 → 1.59).
    cart = price(
        line("li-1", APPLES, "0.532"), promotions=[promo(1, PromotionKind.FIXED_PRICE, skus={"APPLES"}, amount="2.99")]
    )
    assert (discounts(cart), nets(cart)) == ([[(1, "0.532", "0.53")]], ["1.59"])


# --- Multi-buy -------------------------------------------------------------------------------------


def test_multi_buy_prices_each_group_and_leaves_the_rest_at_shelf_price() -> None:
    # 3 for 5.00 on 4 colas: one group, 3 × 1.99 = 5.97 → saving 0.97 (3 units used); the 4th at 1.99.
    # gross 7.96; net 7.96 − 0.97 = 6.99 = 5.00 + 1.99.
    cart = price(
        line("li-1", COLA, "4"),
        promotions=[promo(1, PromotionKind.MULTI_BUY, skus={"COLA"}, buy_quantity=3, amount="5.00")],
    )
    assert (discounts(cart), nets(cart)) == ([[(1, "3", "0.97")]], ["6.99"])


def test_multi_buy_group_costs_exactly_its_price_across_lines() -> None:
    # 3 yogurts (one per line, 0.50 each) for 1.00: saving 0.50, 0.1666… per line. Half-up per line
    # would give 0.17 × 3 = 0.51 (the group would cost 0.99). Largest remainder: floors 0.16 × 3 =
    # 0.48, 2 cents left to the earliest lines (equal fractions): 0.17, 0.17, 0.16.
    cart = price(
        *(line(f"li-{n}", yogurt, "1") for n, yogurt in enumerate(YOGURTS, 1)),
        promotions=[promo(1, PromotionKind.MULTI_BUY, categories={"Dairy"}, buy_quantity=3, amount="1.00")],
    )
    assert discounts(cart) == [[(1, "1", "0.17")], [(1, "1", "0.17")], [(1, "1", "0.16")]]
    assert nets(cart) == ["0.33", "0.33", "0.34"]
    assert cart.total == Decimal("1.00")


def test_multi_buy_groups_the_dearest_units_first_and_shares_the_saving_by_price() -> None:
    # 2 for 1.50 on Drinks; units dearest first: cola 1.99, water 0.89, 0.89, 0.89.
    # Group 1: cola + water = 2.88 → saving 1.38: cola 1.38 × 1.99 / 2.88 = 0.953541…, water 0.426458…
    # Group 2: water + water = 1.78 → saving 0.28, all water. Water: 0.706458…; total 1.66.
    # Floors 0.95 + 0.70 = 1.65; 1 cent left → the larger fraction (water's 0.006458): 0.71.
    # Nets: cola 1.99 − 0.95 = 1.04; water 2.67 − 0.71 = 1.96; 1.04 + 1.96 = 3.00 = 2 × 1.50.
    cart = price(
        line("li-1", WATER, "3"),
        line("li-2", COLA, "1"),
        promotions=[promo(1, PromotionKind.MULTI_BUY, categories={"Drinks"}, buy_quantity=2, amount="1.50")],
    )
    assert discounts(cart) == [[(1, "3", "0.71")], [(1, "1", "0.95")]]
    assert nets(cart) == ["1.96", "1.04"]


def test_multi_buy_stops_at_the_first_group_that_would_not_save() -> None:
    # 2 for 3.00: cola + water = 2.88 ≤ 3.00 — no saving, and the next groups are cheaper still.
    cart = price(
        line("li-1", COLA, "1"),
        line("li-2", WATER, "3"),
        promotions=[promo(1, PromotionKind.MULTI_BUY, categories={"Drinks"}, buy_quantity=2, amount="3.00")],
    )
    assert (discounts(cart), cart.discount_total, cart.promotions) == ([[], []], Decimal("0.00"), ())


def test_multi_buy_leaves_weight_items_out() -> None:
    cart = price(
        line("li-1", APPLES, "1.000"),
        line("li-2", APPLES, "2.000"),
        promotions=[promo(1, PromotionKind.MULTI_BUY, skus={"APPLES"}, buy_quantity=2, amount="1.00")],
    )
    assert discounts(cart) == [[], []]


def test_multi_buy_on_a_huge_quantity_is_computed_in_bulk() -> None:
    # 10,000 colas, 3 for 5.00: 3,333 groups × 0.97 = 3,233.01 off, 9,999 units used; 1 left.
    # gross 19,900.00; net 19,900.00 − 3,233.01 = 16,666.99 = 3,333 × 5.00 + 1.99.
    cart = price(
        line("li-1", COLA, "10000"),
        promotions=[promo(1, PromotionKind.MULTI_BUY, skus={"COLA"}, buy_quantity=3, amount="5.00")],
    )
    assert (discounts(cart), nets(cart)) == ([[(1, "9999", "3233.01")]], ["16666.99"])


# --- Buy X get Y -----------------------------------------------------------------------------------


def test_buy_two_get_one_free() -> None:
    # 3 chips: one group of 3, the cheapest (2.49) free; 7.47 → 4.98.
    cart = price(
        line("li-1", CHIPS, "3"),
        promotions=[promo(1, PromotionKind.BUY_X_GET_Y, skus={"CHIPS"}, buy_quantity=2, get_quantity=1)],
    )
    assert (discounts(cart), nets(cart)) == ([[(1, "3", "2.49")]], ["4.98"])


def test_buy_one_get_one_groups_dearest_first() -> None:
    # B1G1 on Drinks with 2 colas and 1 water: units 1.99, 1.99, 0.89 → group (1.99, 1.99): a cola free.
    # The water is left over (an incomplete group), not the free item.
    cart = price(
        line("li-1", COLA, "2"),
        line("li-2", WATER, "1"),
        promotions=[promo(1, PromotionKind.BUY_X_GET_Y, categories={"Drinks"}, buy_quantity=1, get_quantity=1)],
    )
    assert (discounts(cart), nets(cart)) == ([[(1, "2", "1.99")], []], ["1.99", "0.89"])


def test_buy_x_get_y_discounts_the_cheapest_and_uses_up_the_paying_unit() -> None:
    # B1G1 on Drinks, cola + water: the water (0.89) is free. The cola paid full price but qualified,
    # so its unit is used: the 10 % off on cola that comes after finds nothing left.
    cart = price(
        line("li-1", COLA, "1"),
        line("li-2", WATER, "1"),
        promotions=[
            promo(1, PromotionKind.BUY_X_GET_Y, categories={"Drinks"}, buy_quantity=1, get_quantity=1, priority=2),
            promo(2, PromotionKind.PERCENT_OFF, skus={"COLA"}, percent="10", priority=1),
        ],
    )
    assert (discounts(cart), nets(cart)) == ([[], [(1, "1", "0.89")]], ["1.99", "0.00"])


def test_buy_x_get_y_at_a_percentage_off() -> None:
    # Buy 2 get 1 half price, 3 chips: 2.49 × 50 % = 1.245 → 1.25 (half-up); 7.47 → 6.22.
    cart = price(
        line("li-1", CHIPS, "3"),
        promotions=[promo(1, PromotionKind.BUY_X_GET_Y, skus={"CHIPS"}, buy_quantity=2, get_quantity=1, percent="50")],
    )
    assert (discounts(cart), nets(cart)) == ([[(1, "3", "1.25")]], ["6.22"])


def test_buy_x_get_y_leaves_weight_items_out() -> None:
    cart = price(
        line("li-1", APPLES, "3.000"),
        promotions=[promo(1, PromotionKind.BUY_X_GET_Y, skus={"APPLES"}, buy_quantity=1, get_quantity=1)],
    )
    assert discounts(cart) == [[]]


# --- Spend and save ------------------------------------------------------------------------------


def test_spend_and_save_allocates_by_net_with_the_left_over_cent_to_the_largest_fraction() -> None:
    # Basket 8.99 + 2.49 + 0.89 = 12.37 ≥ 10.00 → 2.00 off, shared by net:
    # coffee 2 × 8.99 / 12.37 = 1.453516…, chips 0.402587…, water 0.143896…
    # floors 1.45 + 0.40 + 0.14 = 1.99; 1 cent left → the largest dropped fraction (water 0.003896).
    cart = price(
        line("li-1", COFFEE, "1"),
        line("li-2", CHIPS, "1"),
        line("li-3", WATER, "1"),
        promotions=[promo(1, PromotionKind.SPEND_AND_SAVE, minimum_spend="10.00", amount="2.00")],
    )
    assert discounts(cart) == [[(1, "1", "1.45")], [(1, "1", "0.40")], [(1, "1", "0.15")]]
    assert nets(cart) == ["7.54", "2.09", "0.74"]
    assert (cart.subtotal, cart.discount_total, cart.total) == (Decimal("12.37"), Decimal("2.00"), Decimal("10.37"))


def test_spend_and_save_needs_the_minimum_spend() -> None:
    # Coffee + water: 8.99 + 0.89 = 9.88 < 10.00: nothing. Coffee + a 1.01 drink: exactly 10.00 qualifies.
    save = promo(1, PromotionKind.SPEND_AND_SAVE, minimum_spend="10.00", amount="2.00")
    below = price(line("li-1", COFFEE, "1"), line("li-2", WATER, "1"), promotions=[save])
    assert below.discount_total == Decimal("0.00")
    exactly = price(
        line("li-1", COFFEE, "1"), line("li-2", product("W2", "1.01", "Drinks", "X"), "1"), promotions=[save]
    )
    # 2.00 × 8.99 / 10.00 = 1.798 → floor 1.79; 2.00 × 1.01 / 10.00 = 0.202 → floor 0.20; the cent left
    # goes to the larger dropped fraction (coffee's 0.008): 1.80 and 0.20.
    assert discounts(exactly) == [[(1, "1", "1.80")], [(1, "1", "0.20")]]


def test_spend_and_save_percent_on_targeted_categories_only() -> None:
    # Snacks and Drinks: chips 4.98 + cola 1.99 = 6.97 ≥ 5.00 → 10 % = 0.697 → 0.70; coffee neither
    # counts nor gets any. Shares: chips 0.70 × 4.98 / 6.97 = 0.500143…, cola 0.199856…;
    # floors 0.50 + 0.19 = 0.69 → the cent to cola (0.009856).
    cart = price(
        line("li-1", CHIPS, "2"),
        line("li-2", COLA, "1"),
        line("li-3", COFFEE, "1"),
        promotions=[
            promo(1, PromotionKind.SPEND_AND_SAVE, categories={"Snacks", "Drinks"}, minimum_spend="5.00", percent="10")
        ],
    )
    assert discounts(cart) == [[(1, "2", "0.50")], [(1, "1", "0.20")], []]


def test_spend_and_save_counts_the_net_after_line_promotions() -> None:
    # 2 chips 4.98, 0.50 off each → 3.98 < 4.50: the basket promotion does not apply.
    cart = price(
        line("li-1", CHIPS, "2"),
        promotions=[
            promo(1, PromotionKind.AMOUNT_OFF, skus={"CHIPS"}, amount="0.50"),
            promo(2, PromotionKind.SPEND_AND_SAVE, minimum_spend="4.50", amount="1.00", priority=99),
        ],
    )
    assert (discounts(cart), nets(cart)) == ([[(1, "2", "1.00")]], ["3.98"])


def test_spend_and_save_amount_is_capped_at_the_basket() -> None:
    # 5.00 off a 2.49 basket: 2.49 off, net 0.00.
    cart = price(
        line("li-1", CHIPS, "1"), promotions=[promo(1, PromotionKind.SPEND_AND_SAVE, minimum_spend="0", amount="5.00")]
    )
    assert (discounts(cart), nets(cart)) == ([[(1, "1", "2.49")]], ["0.00"])


# --- Combined: priority, ties, units used once ------------------------------------------------------


def test_higher_priority_takes_the_units_first() -> None:
    # 20 % (priority 5) beats 10 % (priority 1) on the same colas: 3.98 × 0.2 = 0.796 → 0.80.
    cart = price(
        line("li-1", COLA, "2"),
        promotions=[
            promo(1, PromotionKind.PERCENT_OFF, skus={"COLA"}, percent="10", priority=1),
            promo(2, PromotionKind.PERCENT_OFF, skus={"COLA"}, percent="20", priority=5),
        ],
    )
    assert (discounts(cart), nets(cart)) == ([[(2, "2", "0.80")]], ["3.18"])


@pytest.mark.parametrize("reverse", [False, True])
def test_equal_priority_goes_to_the_lower_id_whatever_the_order_given(reverse: bool) -> None:
    # Same priority: id 3 (10 %) before id 7 (20 %), even though 7 saves more: 3.98 × 0.1 = 0.398 → 0.40.
    promotions = [
        promo(3, PromotionKind.PERCENT_OFF, skus={"COLA"}, percent="10"),
        promo(7, PromotionKind.PERCENT_OFF, skus={"COLA"}, percent="20"),
    ]
    cart = price(line("li-1", COLA, "2"), promotions=promotions[::-1] if reverse else promotions)
    assert discounts(cart) == [[(3, "2", "0.40")]]


def test_a_unit_is_discounted_once_and_left_over_units_take_the_next_promotion() -> None:
    # 3 for 5.00 on colas (priority 10) uses 3 of 4 colas: 0.97. The 4th takes 10 % off Drinks:
    # 0.199 → 0.20. Water takes 10 %: 0.089 → 0.09. Cola: 0.97 + 0.20 = 1.17 off 7.96 → 6.79.
    cart = price(
        line("li-1", COLA, "4"),
        line("li-2", WATER, "1"),
        promotions=[
            promo(1, PromotionKind.PERCENT_OFF, categories={"Drinks"}, percent="10"),
            promo(2, PromotionKind.MULTI_BUY, skus={"COLA"}, buy_quantity=3, amount="5.00", priority=10),
        ],
    )
    assert discounts(cart) == [[(2, "3", "0.97"), (1, "1", "0.20")], [(1, "1", "0.09")]]
    assert nets(cart) == ["6.79", "0.80"]
    assert [(p.promotion_id, p.amount) for p in cart.promotions] == [(2, Decimal("0.97")), (1, Decimal("0.29"))]
    assert cart.lines[0].discount_total == Decimal("1.17")


def test_basket_promotion_stacks_on_line_promotions_and_shares_by_net_after_them() -> None:
    # Line: coffee fixed at 6.99 → net 6.99; chips 2.49. Basket 9.48 ≥ 9.00 → 1.00 off:
    # coffee 6.99 / 9.48 = 0.737341…, chips 0.262658…; floors 0.73 + 0.26 = 0.99 → cent to coffee (0.007341).
    cart = price(
        line("li-1", COFFEE, "1"),
        line("li-2", CHIPS, "1"),
        promotions=[
            promo(1, PromotionKind.FIXED_PRICE, skus={"COFFEE"}, amount="6.99"),
            promo(2, PromotionKind.SPEND_AND_SAVE, minimum_spend="9.00", amount="1.00"),
        ],
    )
    assert discounts(cart) == [[(1, "1", "2.00"), (2, "1", "0.74")], [(2, "1", "0.26")]]
    assert nets(cart) == ["6.25", "2.23"]
    assert (cart.subtotal, cart.discount_total, cart.total) == (Decimal("11.48"), Decimal("3.00"), Decimal("8.48"))


def test_two_stackable_basket_promotions_apply_one_after_the_other() -> None:
    # Coffee 8.99: first (priority 2) 1.00 off → 7.99; then (priority 1) 10 % of 7.99 = 0.799 → 0.80 → 7.19.
    cart = price(
        line("li-1", COFFEE, "1"),
        promotions=[
            promo(1, PromotionKind.SPEND_AND_SAVE, minimum_spend="5.00", percent="10", priority=1),
            promo(2, PromotionKind.SPEND_AND_SAVE, minimum_spend="5.00", amount="1.00", priority=2),
        ],
    )
    assert (discounts(cart), nets(cart)) == ([[(2, "1", "1.00"), (1, "1", "0.80")]], ["7.19"])


# --- Exclusive promotions ------------------------------------------------------------------------


def test_exclusive_promotion_keeps_its_lines_from_every_other_promotion() -> None:
    # Cola 30 % exclusive (priority 5): 3.98 × 0.3 = 1.194 → 1.19, and cola is locked.
    # Water 10 % (Drinks, priority 1): 0.178 → 0.18 → 1.60. Basket (spend 1.00, save 0.50) sees only
    # water (1.60 ≥ 1.00): 0.50 → water 1.10. Cola gets neither the 10 % nor the basket.
    cart = price(
        line("li-1", COLA, "2"),
        line("li-2", WATER, "2"),
        promotions=[
            promo(1, PromotionKind.PERCENT_OFF, skus={"COLA"}, percent="30", priority=5, is_exclusive=True),
            promo(2, PromotionKind.PERCENT_OFF, categories={"Drinks"}, percent="10", priority=1),
            promo(3, PromotionKind.SPEND_AND_SAVE, minimum_spend="1.00", amount="0.50"),
        ],
    )
    assert discounts(cart) == [[(1, "2", "1.19")], [(2, "2", "0.18"), (3, "2", "0.50")]]
    assert nets(cart) == ["2.79", "1.10"]


def test_exclusive_promotion_skips_lines_another_promotion_touched() -> None:
    # Drinks 10 % (priority 5) first: cola 0.199 → 0.20. The exclusive cola 30 % (priority 1) then
    # finds the cola line touched and leaves it alone.
    cart = price(
        line("li-1", COLA, "1"),
        promotions=[
            promo(1, PromotionKind.PERCENT_OFF, categories={"Drinks"}, percent="10", priority=5),
            promo(2, PromotionKind.PERCENT_OFF, skus={"COLA"}, percent="30", priority=1, is_exclusive=True),
        ],
    )
    assert discounts(cart) == [[(1, "1", "0.20")]]


def test_exclusive_multi_buy_leaves_its_left_over_units_undiscounted() -> None:
    # Exclusive 3 for 5.00 on 4 colas: 0.97 on 3 units; the 4th is on a locked line: no 10 % for it.
    # Water (untouched) takes the 10 %: 0.09.
    cart = price(
        line("li-1", COLA, "4"),
        line("li-2", WATER, "1"),
        promotions=[
            promo(
                1, PromotionKind.MULTI_BUY, skus={"COLA"}, buy_quantity=3, amount="5.00", priority=5, is_exclusive=True
            ),
            promo(2, PromotionKind.PERCENT_OFF, categories={"Drinks"}, percent="10"),
        ],
    )
    assert discounts(cart) == [[(1, "3", "0.97")], [(2, "1", "0.09")]]


def test_exclusive_basket_promotion_only_counts_and_discounts_untouched_lines() -> None:
    # Cola 10 % → 0.20 (touched). Exclusive basket (priority 2, spend 5.00 save 1.00) sees only coffee
    # (8.99 ≥ 5.00): 1.00 → coffee, now locked. The stackable basket (priority 1, 5 % over 0.00) then
    # sees only cola (1.79): 0.0895 → 0.09.
    cart = price(
        line("li-1", COLA, "1"),
        line("li-2", COFFEE, "1"),
        promotions=[
            promo(1, PromotionKind.PERCENT_OFF, skus={"COLA"}, percent="10"),
            promo(2, PromotionKind.SPEND_AND_SAVE, minimum_spend="5.00", amount="1.00", priority=2, is_exclusive=True),
            promo(3, PromotionKind.SPEND_AND_SAVE, minimum_spend="0", percent="5", priority=1),
        ],
    )
    assert discounts(cart) == [[(1, "1", "0.20"), (3, "1", "0.09")], [(2, "1", "1.00")]]
    assert nets(cart) == ["1.70", "7.99"]


# --- Definitions are checked ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "fields", "message"),
    [
        (PromotionKind.PERCENT_OFF, {}, "needs percent"),
        (PromotionKind.PERCENT_OFF, {"percent": "0"}, "above 0 and at most 100"),
        (PromotionKind.PERCENT_OFF, {"percent": "100.01"}, "above 0 and at most 100"),
        (PromotionKind.PERCENT_OFF, {"percent": "10", "amount": "1.00"}, "has no use for amount"),
        (PromotionKind.AMOUNT_OFF, {"amount": "0"}, "takes nothing off"),
        (PromotionKind.FIXED_PRICE, {"amount": "-1"}, "not a Decimal ≥ 0"),
        (PromotionKind.MULTI_BUY, {"amount": "5.00"}, "needs buy_quantity"),
        (PromotionKind.MULTI_BUY, {"amount": "5.00", "buy_quantity": 0}, "not a whole number ≥ 1"),
        (PromotionKind.BUY_X_GET_Y, {"buy_quantity": 2}, "needs get_quantity"),
        (PromotionKind.SPEND_AND_SAVE, {"minimum_spend": "10"}, "either an amount or a percent"),
        (PromotionKind.SPEND_AND_SAVE, {"minimum_spend": "10", "amount": "1", "percent": "5"}, "either an amount"),
        (PromotionKind.PERCENT_OFF, {"percent": "10", "skus": {""}}, "empty SKU"),
    ],
)
def test_an_inconsistent_promotion_is_refused_when_built(
    kind: PromotionKind, fields: dict[str, Any], message: str
) -> None:
    with pytest.raises(PromotionError, match=message):
        promo(1, kind, **fields)


def test_value_problems_name_every_field_in_the_order_they_are_checked() -> None:
    # the staff form shows each on its field; the engine refuses with the first
    problems = promotion_value_problems(
        kind=PromotionKind.SPEND_AND_SAVE,
        values={"percent": Decimal(120), "amount": Decimal(-1), "buy_quantity": 2, "get_quantity": 0},
    )

    assert problems == [
        ("minimum_spend", ValueProblem.MISSING),
        ("buy_quantity", ValueProblem.UNUSED),
        ("get_quantity", ValueProblem.UNUSED),  # an unused field is not checked further
        ("percent", ValueProblem.PERCENT_OUT_OF_RANGE),
        ("amount", ValueProblem.NEGATIVE),
        ("percent", ValueProblem.AMOUNT_AND_PERCENT),
    ]
    assert (
        promotion_value_problems(kind=PromotionKind.MULTI_BUY, values={"buy_quantity": 3, "amount": Decimal(5)}) == []
    )


def test_a_float_value_is_refused() -> None:
    with pytest.raises(PromotionError, match="percent 10.0 is not a Decimal"):
        Promotion(id=1, name="float", kind=PromotionKind.PERCENT_OFF, percent=10.0)  # type: ignore[arg-type]


def test_a_kind_given_as_text_is_read_as_the_kind() -> None:
    promotion = Promotion(id=1, name="text", kind="percent_off", percent=Decimal(5))  # type: ignore[arg-type]
    assert promotion.kind is PromotionKind.PERCENT_OFF
    with pytest.raises(PromotionError, match="kind 'half_off' is not one of percent_off, amount_off"):
        Promotion(id=2, name="bad", kind="half_off", percent=Decimal(5))  # type: ignore[arg-type]
