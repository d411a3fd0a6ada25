"""The demo pricing data is valid for the engine and prices a demo cart with every rate it needs."""

from decimal import Decimal

from catalog.models import Store
from orders.demo import DEMO_PROMOTIONS, demo_pricing_ensure
from orders.models import Promotion, TaxRate
from orders.selectors.pricing import store_pricing, store_promotions


def test_demo_pricing_is_complete_and_safe_to_rerun(store: Store, other_store: Store) -> None:
    demo_pricing_ensure(stores=[store, other_store])
    demo_pricing_ensure(stores=[store, other_store])

    promotions = store_promotions(store=store)  # built as the engine's frozen, checked promotions
    assert sorted(p.kind.value for p in promotions) == sorted(str(p["kind"]) for p in DEMO_PROMOTIONS)
    assert Promotion.objects.count() == 6
    assert TaxRate.objects.count() == 6
    assert store_pricing(store=store).tax_rates == {"A_GEN_TAX": Decimal("0.08875"), "A_FOOD_PREP": Decimal("0.08875")}
    assert store_pricing(store=store).exempt_tax_codes == frozenset({"A_FOOD_GEN"})
    assert store_pricing(store=other_store).tax_rates == {
        "A_GEN_TAX": Decimal("0.19"),
        "A_FOOD_GEN": Decimal("0.07"),
        "A_FOOD_PREP": Decimal("0.07"),
    }
