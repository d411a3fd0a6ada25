"""The store's promotion index is built once and rebuilt as soon as a promotion changes."""

from decimal import Decimal

from catalog.models import Store
from orders.models import Promotion
from orders.selectors import store_promotion_index


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
