"""The gate's decisions (SPEC §8.2–8.3, §B), and what Amazon's gate receives for each.

``GateDecision`` is what the Identity Connector's entry point returns: admitted, refused, a body
at fault, or undecided (the gate follows the store's default), with why. It carries no HTTP.

``gate_answer_wire`` is the one mapping from a decision to the status and body Amazon receives.
``entry.apis`` answers with it; the gate log keeps its result beside the decision (staff see what
Amazon got, and a replay of a gate event is answered from the first one's record, which
``gate_decision_recorded`` reads back).
"""

import dataclasses
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from entry.models import GateDecisionKind, GateReason
from jwo_admin.core.arrival import IDENTITY_TIMEOUT_MESSAGE

UNAUTHORIZED_BODY = {"message": "Unauthorized - Invalid or Unknown Key"}
# The deliberate 500 says which kind of failure it was, without internals (the gate follows the
# store's default either way; the gate log keeps the cause).
UNDECIDED_BODIES: dict[str, dict[str, str]] = {
    GateReason.TIMEOUT: {"message": IDENTITY_TIMEOUT_MESSAGE},
    GateReason.ERROR: {"message": "The store's records could not be read; follow the store's default."},
    GateReason.LATE: {"message": IDENTITY_TIMEOUT_MESSAGE},
}


class GateOutcome(StrEnum):
    ADMITTED = "admitted"  # the gate opens for the visitor
    REFUSED = "refused"  # the code admits nobody (or not this visitor, not now)
    INVALID = "invalid"  # the body is at fault: ``field`` names the first field, ``message`` says what
    NOT_JSON = "not_json"  # the body was not sent as JSON
    UNDECIDED = "undecided"  # no decision in time (or the records could not be read): the store's default


_KINDS = {
    GateOutcome.ADMITTED: GateDecisionKind.ADMITTED,
    GateOutcome.UNDECIDED: GateDecisionKind.STORE_DEFAULT,
}
_STATUSES = {
    GateOutcome.ADMITTED: 200,
    GateOutcome.REFUSED: 401,
    GateOutcome.INVALID: 400,
    GateOutcome.NOT_JSON: 415,
    GateOutcome.UNDECIDED: 500,
}


@dataclass(frozen=True)
class GateDecision:
    outcome: GateOutcome
    reason: str  # a GateReason
    detail: str = ""  # for staff, in the gate log
    shopper_id: int | None = None
    visitor_type: str = ""
    visitor_id: str = ""  # admitted: our id for the person, which Amazon sends back on the cart
    field: str = ""  # invalid: the path of the first field at fault
    message: str = ""  # invalid, not JSON: what is wrong, in words
    replayed: bool = dataclasses.field(
        default=False, compare=False
    )  # the gate event was decided before: its first answer

    @property
    def kind(self) -> str:
        """The gate log's decision: admitted, refused (a body at fault included), or the store's default."""
        return _KINDS.get(self.outcome, GateDecisionKind.REFUSED)


def gate_answer_wire(decision: GateDecision) -> tuple[int, dict[str, Any]]:
    """The status and JSON body Amazon receives for a decision."""
    status = _STATUSES[decision.outcome]
    if decision.outcome == GateOutcome.ADMITTED:
        return status, {"visitorDetails": {"id": decision.visitor_id, "type": decision.visitor_type}}
    if decision.outcome == GateOutcome.REFUSED:
        return status, UNAUTHORIZED_BODY
    if decision.outcome == GateOutcome.INVALID:
        return status, {"message": decision.message, "field": decision.field}
    if decision.outcome == GateOutcome.NOT_JSON:
        return status, {"message": decision.message}
    return status, UNDECIDED_BODIES.get(decision.reason, UNDECIDED_BODIES[GateReason.ERROR])


def gate_decision_recorded(row: dict[str, Any]) -> GateDecision:
    """The decision a gate log row records (its decision, reason and answer), as a replay of it."""
    body = row["response_body"] if isinstance(row["response_body"], dict) else {}
    if row["decision"] == GateDecisionKind.ADMITTED:
        outcome = GateOutcome.ADMITTED
    elif row["decision"] == GateDecisionKind.STORE_DEFAULT:
        outcome = GateOutcome.UNDECIDED
    elif row["reason"] != GateReason.INVALID_REQUEST:
        outcome = GateOutcome.REFUSED
    else:
        outcome = GateOutcome.INVALID if "field" in body else GateOutcome.NOT_JSON
    return GateDecision(
        outcome,
        row["reason"],
        row["detail"],
        row["shopper_id"],
        row["visitor_type"],
        visitor_id=str(body.get("visitorDetails", {}).get("id", "")) if outcome == GateOutcome.ADMITTED else "",
        field=str(body.get("field", "")),
        message=str(body.get("message", "")) if outcome in (GateOutcome.INVALID, GateOutcome.NOT_JSON) else "",
        replayed=True,
    )
