"""Writes for promotions and tax rates, as staff make them on the orders screens.

Each write is validated before it is saved — the model's own rules and constraints, and for a
promotion what the pricing engine itself requires — so a row the connector could not price with
never reaches the database. Saving or deactivating a promotion bumps its ``updated_at``, which
is how every process sees that its cached promotion index (``orders.selectors.pricing.store_promotion_index``)
is stale.
"""

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from catalog.models import Store
from orders.models import Promotion, TaxRate
from orders.pricing import types


def promotion_engine_check(*, promotion: Promotion, stores: Iterable[Store]) -> types.Promotion:
    """The promotion as the engine receives it (``orders.selectors.pricing`` builds it the same way).

    Raises ValidationError with the engine's reason when the engine would refuse it.
    """
    try:
        return types.Promotion(
            id=promotion.pk or 0,
            name=promotion.name,
            kind=types.PromotionKind(promotion.kind),
            skus=frozenset(promotion.skus),
            categories=frozenset(promotion.categories),
            brands=frozenset(promotion.brands),
            percent=promotion.percent,
            amount=promotion.amount,
            buy_quantity=promotion.buy_quantity,
            get_quantity=promotion.get_quantity,
            minimum_spend=promotion.minimum_spend,
            store_ids=frozenset(store.store_id for store in stores),
            starts_at=promotion.starts_at,
            ends_at=promotion.ends_at,
            days_of_week=frozenset(promotion.days_of_week),
            time_from=promotion.time_from,
            time_to=promotion.time_to,
            priority=promotion.priority,
            is_exclusive=promotion.is_exclusive,
        )
    except ValueError as error:  # an unknown kind
        raise ValidationError(f"Unknown promotion kind {promotion.kind!r}.") from error
    except types.PromotionError as error:
        raise ValidationError(error.message) from error


@transaction.atomic
def promotion_save(*, promotion: Promotion, stores: Iterable[Store]) -> Promotion:
    """Validate and save a promotion (new or edited) with the stores it runs in (none: every store).

    Raises ValidationError when the model or the pricing engine refuses it; nothing is saved then.
    Saving bumps ``updated_at``, so every process rebuilds its promotion index before its next cart.
    """
    chosen = list(stores)
    promotion.full_clean()
    promotion_engine_check(promotion=promotion, stores=chosen)
    promotion.save()  # auto_now: updated_at moves even when only the stores change
    promotion.stores.set(chosen)
    return promotion


def promotion_deactivate(*, promotion: Promotion) -> Promotion:
    """Stop a promotion from applying to new carts; purchases already priced keep their discounts
    (each keeps a snapshot). Bumps ``updated_at``. Safe to repeat."""
    promotion.is_active = False
    promotion.save(update_fields=["is_active", "updated_at"])
    return promotion


def tax_rate_save(*, tax_rate: TaxRate) -> TaxRate:
    """Validate and save a tax rate: one rate per store and code, at most one default per store,
    a fraction from 0 up to (not including) 1.

    Raises ValidationError when a rule is broken — also when another save took the same code or
    the store's default in the meantime (the database constraint decides), never IntegrityError.
    """
    tax_rate.full_clean()
    try:
        with transaction.atomic():
            tax_rate.save()
    except IntegrityError as error:
        raise ValidationError(
            f"{tax_rate.store}: the tax code {tax_rate.tax_code} or the store's default was just taken by "
            "another change; reload and try again."
        ) from error
    return tax_rate


def tax_rate_delete(*, tax_rate: TaxRate) -> None:
    """Delete a tax rate. Purchases keep the code and rate they were priced with; carts with a
    product of this code fail to price (a bad cart) until the code has a rate again."""
    tax_rate.delete()
