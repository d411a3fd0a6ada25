"""Who takes part in a run: its own shoppers (signed in to the app, each with an approving sandbox
card), a connector key for the gates and the exits, and the catalog as the simulator reads it.

Shoppers are named ``sim-<run>-<n>`` and carry the run's id, as does the connector key: the gate
events and purchases its calls create are marked with the run from their first write, so they stay
out of real figures and the run's clean-up finds them all. The key is revoked when the run ends.
"""

import secrets
from dataclasses import dataclass

from catalog.models import Product, ProductStatus, Store
from entry.models import Shopper, VisitorType
from entry.services.shoppers import payment_method_add, shopper_create, shopper_token_create
from jwo_admin.core.connector_keys import connector_key_create, connector_key_revoke
from operations.simulation.config import Journey, ShelfItem


@dataclass(frozen=True)
class Participant:
    journey: Journey
    external_id: str
    app_token: str


@dataclass(frozen=True)
class Cast:
    participants: list[Participant]
    connector_key_id: str
    connector_key: str


def shelf_read(*, store: Store) -> list[ShelfItem]:
    rows = (
        Product.objects.filter(store=store, status=ProductStatus.ACTIVE)
        .order_by("sku")
        .values_list("sku", "price", "unit", "tax_code")
    )
    return [ShelfItem(sku, price, unit, tax_code) for sku, price, unit, tax_code in rows if price is not None]


def cast_create(*, run_id: int, journeys: list[Journey]) -> Cast:
    run_tag = str(run_id)
    participants = []
    for journey in journeys:
        external_id = f"sim-{run_tag}-{journey.number}"
        shopper: Shopper = shopper_create(
            external_id=external_id,
            name=f"Simulated shopper {journey.number} ({run_tag})",
            email=f"{external_id}@simulation.invalid",
            visitor_type=VisitorType.ASSOCIATE if journey.is_associate else VisitorType.SHOPPER,
            password=secrets.token_urlsafe(16),
            simulation_run_id=run_id,
        )
        if not journey.is_associate:
            payment_method_add(
                shopper=shopper,
                provider_reference=f"pm_sim_{run_tag}_{journey.number}_4242",
                expiry_month=12,
                expiry_year=2099,
                brand="Visa",
                last4="4242",
            )
        participants.append(Participant(journey, external_id, shopper_token_create(shopper=shopper)))
    key, secret = connector_key_create(
        name=f"Simulation {run_tag}", created_by="store_simulate", simulation_run_id=run_id
    )
    return Cast(participants, key.key_id, secret)


def cast_dismiss(cast: Cast) -> None:
    connector_key_revoke(key_id=cast.connector_key_id)
