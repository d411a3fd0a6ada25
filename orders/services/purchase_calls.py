"""Create Purchases (SPEC §10): the connector's one entry point, from what arrived to a decision.

Every path of a call is decided here, errors included: a body that could not be read, a field at
fault, an unknown store, a database that failed before anything was stored, a new purchase, an
empty cart and a replay of a trip already stored. The decision says what happened in the
purchase's terms; ``orders.apis`` renders it as HTTP (201, 400, 503).
"""

import logging
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from django.db import DatabaseError

from jwo_admin.core.api.fields import InvalidField
from jwo_admin.core.metrics import connector_late_calls
from jwo_admin.core.request_id import amazon_request_id_note
from orders.purchase_request import purchase_request_parse
from orders.services.purchases import UnknownStore, purchase_create

logger = logging.getLogger(__name__)


class PurchaseOutcome(StrEnum):
    NEW = "new"  # priced (or a bad cart waiting for staff) and stored
    EMPTY = "empty"  # the visitor took nothing: stored, with no purchase number
    REPLAY = "replay"  # the trip was stored before: its first answer again
    REFUSED = "refused"  # the body is at fault; nothing stored
    UNAVAILABLE = "unavailable"  # the database failed before anything was stored; Amazon retries
    SHED = "shed"  # waited past JWO_PURCHASE_SHED_MS for a worker: nothing done, Amazon retries


@dataclass(frozen=True)
class PurchaseDecision:
    outcome: PurchaseOutcome
    purchase_id: str = ""  # our purchase number ("" for an empty cart)
    field: str = ""  # refused: the path of the first field at fault
    message: str = ""  # refused: what is wrong with it, in words


def _refused(field: str, message: str) -> PurchaseDecision:
    return PurchaseDecision(PurchaseOutcome.REFUSED, field=field, message=message)


def _unavailable(error: Exception) -> PurchaseDecision:
    logger.error("Create Purchases answered 503: %s", error)
    return PurchaseDecision(PurchaseOutcome.UNAVAILABLE)


def purchase_call_shed(*, waited: float) -> PurchaseDecision:
    """A call that waited ``waited`` seconds for a worker, past ``JWO_PURCHASE_SHED_MS``: nothing is
    read or stored (the machine is behind; this work would only put it further behind) and Amazon
    is asked to retry shortly, when the trip is priced once. Counted in ``/metrics``."""
    connector_late_calls.labels(connector="purchases", reason="shed").inc()
    logger.info("Create Purchases shed after waiting %.0f ms for a worker", waited * 1000)
    return PurchaseDecision(PurchaseOutcome.SHED)


def purchase_call_decide(
    *, body: Any, unreadable: str = "", failure: Exception | None = None, simulation_run_id: int | None = None
) -> PurchaseDecision:
    """Decide one Create Purchases call.

    ``body``: the JSON Amazon sent. ``unreadable``: why the body could not be read (too large, not
    JSON), in words. ``failure``: the call could not be taken at all because the database failed
    (the connector key could not be checked, or a statement failed): nothing was stored, so Amazon
    should retry. ``simulation_run_id``: the store simulation run whose connector key made the
    call (None: a real call), kept on the purchase. A new purchase is stored and has its money settled once committed
    (``purchase_create``); a replay only counts itself."""
    if failure is not None:
        return _unavailable(failure)
    if unreadable:
        return _refused("body", f"Invalid body: {unreadable}")
    try:
        request = purchase_request_parse(body)
    except InvalidField as invalid:
        return _refused(invalid.field, f"Invalid {invalid.field}: {invalid.message}")
    amazon_request_id_note(request.request_id)
    try:
        answer = purchase_create(request=request, raw=body, simulation_run_id=simulation_run_id)
    except UnknownStore:
        return _refused("storeId", "Invalid storeId")
    except DatabaseError as error:
        return _unavailable(error)
    if answer.is_replay:
        return PurchaseDecision(PurchaseOutcome.REPLAY, purchase_id=answer.purchase_id)
    outcome = PurchaseOutcome.NEW if answer.purchase_id else PurchaseOutcome.EMPTY
    return PurchaseDecision(outcome, purchase_id=answer.purchase_id)
