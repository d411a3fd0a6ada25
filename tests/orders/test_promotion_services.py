"""Promotion and tax rate writes: validated (by the model and by the pricing engine) before they are
saved, and every promotion change seen by the next cart's promotion index."""

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from catalog.models import Store
from orders.models import Promotion, TaxRate
from orders.selectors.pricing import store_pricing, store_promotion_index
from orders.services.promotions import (
    promotion_deactivate,
    promotion_engine_check,
    promotion_save,
    tax_rate_delete,
    tax_rate_save,
)

pytestmark = pytest.mark.django_db

LONG_AGO = datetime(2025, 1, 1, tzinfo=UTC)


def _age(promotion: Promotion) -> None:
    """Move the promotion's updated_at into the past, as if it had been saved long ago."""
    Promotion.objects.filter(pk=promotion.pk).update(updated_at=LONG_AGO)
    promotion.refresh_from_db()


def test_a_saved_promotion_reaches_the_next_cart_of_its_stores_only(store: Store, other_store: Store) -> None:
    assert store_promotion_index(store=store).promotions == ()
    assert store_promotion_index(store=other_store).promotions == ()

    promotion = promotion_save(
        promotion=Promotion(name="Snacks", kind="percent_off", categories=["Snacks"], percent=Decimal("10")),
        stores=[other_store],
    )

    assert store_promotion_index(store=store).promotions == ()
    [engine_promotion] = store_promotion_index(store=other_store).promotions
    assert (engine_promotion.id, engine_promotion.percent, engine_promotion.store_ids) == (
        promotion.pk,
        Decimal("10.00"),
        frozenset({"TEST_STORE_002"}),
    )


def test_changing_only_the_stores_bumps_updated_at_and_rebuilds_the_index(store: Store, other_store: Store) -> None:
    promotion = promotion_save(
        promotion=Promotion(name="Snacks", kind="percent_off", percent=Decimal("10")), stores=[other_store]
    )
    _age(promotion)
    assert store_promotion_index(store=store).promotions == ()

    promotion_save(promotion=promotion, stores=[store, other_store])

    promotion.refresh_from_db()
    assert promotion.updated_at > LONG_AGO
    assert [p.id for p in store_promotion_index(store=store).promotions] == [promotion.pk]


def test_the_engine_has_the_last_word(store: Store) -> None:
    # the model alone would take both values; the engine refuses a percent off with an amount
    refused = Promotion(name="Muddled", kind="percent_off", percent=Decimal("10"), amount=Decimal("1"))

    with pytest.raises(ValidationError) as error:
        promotion_save(promotion=refused, stores=[store])

    assert error.value.messages == ["Promotion 0 (Muddled): a percent_off promotion has no use for amount."]
    assert Promotion.objects.count() == 0


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (
            {"kind": "percent_off", "percent": Decimal("150")},
            "percent Decimal('150') is not a Decimal above 0 and at most 100",
        ),
        ({"kind": "amount_off", "amount": Decimal("0")}, "an amount off of 0 takes nothing off"),
        (
            {"kind": "spend_and_save", "minimum_spend": Decimal("10")},
            "a spend_and_save promotion takes either an amount or a percent off, not both or neither",
        ),
        (
            {"kind": "percent_off", "percent": Decimal("5"), "skus": ["A", ""]},
            "an empty SKU, category or brand would match products that have none",
        ),
        (
            {"kind": "percent_off", "percent": Decimal("5"), "starts_at": LONG_AGO, "ends_at": LONG_AGO},
            "it ends before it starts",
        ),
    ],
)
def test_engine_check_names_the_engine_reason(fields: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError) as error:
        promotion_engine_check(promotion=Promotion(name="P", **fields), stores=[])

    assert error.value.messages == [f"Promotion 0 (P): {message}."]


def test_the_model_refuses_an_unknown_kind() -> None:
    with pytest.raises(ValidationError) as error:
        promotion_save(promotion=Promotion(name="P", kind="half_off"), stores=[])

    assert error.value.message_dict == {"kind": ["Value 'half_off' is not a valid choice."]}
    assert Promotion.objects.count() == 0


def test_deactivating_drops_the_promotion_from_the_next_cart(store: Store) -> None:
    promotion = promotion_save(promotion=Promotion(name="Snacks", kind="percent_off", percent=Decimal("10")), stores=[])
    _age(promotion)
    assert len(store_promotion_index(store=store).promotions) == 1

    promotion_deactivate(promotion=promotion)
    promotion_deactivate(promotion=promotion)  # safe to repeat

    promotion.refresh_from_db()
    assert (promotion.is_active, promotion.updated_at > LONG_AGO) == (False, True)
    assert store_promotion_index(store=store).promotions == ()


def test_tax_rate_save_stores_the_fraction_the_engine_uses(store: Store) -> None:
    tax_rate_save(tax_rate=TaxRate(store=store, tax_code="A_GEN_TAX", rate=Decimal("0.08875"), is_default=True))
    tax_rate_save(tax_rate=TaxRate(store=store, tax_code="A_FOOD_GEN", rate=Decimal("0"), is_exempt=True))

    pricing = store_pricing(store=store)
    assert (pricing.tax_rates, pricing.exempt_tax_codes, pricing.default_tax_code) == (
        {"A_GEN_TAX": Decimal("0.088750")},
        frozenset({"A_FOOD_GEN"}),
        "A_GEN_TAX",
    )


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"tax_code": "FOOD"}, {"__all__": ["Tax rate with this Store and Tax code already exists."]}),
        (
            {"tax_code": "GEN", "is_default": True},
            {"__all__": ["Constraint “one_default_rate_per_store” is violated."]},
        ),
        ({"tax_code": "GEN", "rate": Decimal("1")}, {"__all__": ["Constraint “tax_rate_is_a_fraction” is violated."]}),
    ],
)
def test_tax_rate_save_refuses_what_the_constraints_refuse(
    store: Store, fields: dict[str, Any], expected: dict[str, list[str]]
) -> None:
    TaxRate.objects.create(store=store, tax_code="FOOD", rate=Decimal("0.05"), is_default=True)

    with pytest.raises(ValidationError) as error:
        tax_rate_save(tax_rate=TaxRate(store=store, **{"rate": Decimal("0.1"), **fields}))

    assert error.value.message_dict == expected
    assert TaxRate.objects.count() == 1


def test_a_rate_taken_between_the_check_and_the_insert_is_a_validation_error(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given: the checks pass (as they would just before a concurrent save inserts the same code)
    TaxRate.objects.create(store=store, tax_code="FOOD", rate=Decimal("0.05"))
    monkeypatch.setattr(TaxRate, "full_clean", lambda self, **kwargs: None)

    # when / then: the database's unique constraint decides, and the caller gets a ValidationError
    with pytest.raises(ValidationError) as error:
        tax_rate_save(tax_rate=TaxRate(store=store, tax_code="FOOD", rate=Decimal("0.07")))

    assert error.value.messages == [
        "Test Store (TEST_STORE_001): the tax code FOOD or the store's default was just taken by another change; "
        "reload and try again."
    ]
    assert list(TaxRate.objects.values_list("rate", flat=True)) == [Decimal("0.050000")]


def test_tax_rate_delete(store: Store) -> None:
    rate = TaxRate.objects.create(store=store, tax_code="FOOD", rate=Decimal("0.05"))

    tax_rate_delete(tax_rate=rate)

    assert TaxRate.objects.count() == 0
