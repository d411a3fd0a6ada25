"""Verify Identity Keys' one entry point: every path of a call is a decision, kept in the gate log
with what Amazon received for it (``gate_answer_wire``)."""

import time
from typing import Any

import pytest

from catalog.models import Store
from entry.models import GateDecisionKind, GateEvent, GateReason, Shopper
from entry.services.gate_answers import GateDecision, GateOutcome, gate_answer_wire
from entry.services.identity_calls import identity_call_decide
from tests.entry.conftest import gate_body, identity_key_for


def decide(body: Any, **kwargs: Any) -> GateDecision:
    return identity_call_decide(body=body, started=time.perf_counter(), **kwargs)


def test_an_admitted_shopper_and_the_replay_of_the_gate_event_get_the_same_decision(
    gate_store: Store, shopper: Shopper
) -> None:
    body = gate_body(identity_key_for(shopper))

    first = decide(body)
    replay = decide({**body, "requestId": "00000000-0000-4000-8000-000000000001"})

    admitted = GateDecision(
        GateOutcome.ADMITTED,
        GateReason.ADMITTED,
        shopper_id=shopper.pk,
        visitor_type="SHOPPER",
        visitor_id="cust-0001",
    )
    assert (first, first.replayed, replay, replay.replayed) == (admitted, False, admitted, True)
    event = GateEvent.objects.get()
    assert (event.status_code, event.response_body, event.decision, event.replays) == (
        200,
        {"visitorDetails": {"id": "cust-0001", "type": "SHOPPER"}},
        GateDecisionKind.ADMITTED,
        1,
    )


@pytest.mark.parametrize(
    ("kwargs", "decision", "answer"),
    [
        (
            {"is_json": False},
            GateDecision(
                GateOutcome.NOT_JSON,
                GateReason.INVALID_REQUEST,
                "The body must be JSON (Content-Type: application/json).",
                message="The body must be JSON (Content-Type: application/json).",
            ),
            (415, {"message": "The body must be JSON (Content-Type: application/json)."}),
        ),
        (
            {"unreadable": "not JSON"},
            GateDecision(
                GateOutcome.INVALID,
                GateReason.INVALID_REQUEST,
                "Invalid body: not JSON",
                field="body",
                message="Invalid body: not JSON",
            ),
            (400, {"message": "Invalid body: not JSON", "field": "body"}),
        ),
        (
            {"storeId": "NO-SUCH-STORE"},
            GateDecision(
                GateOutcome.INVALID,
                GateReason.INVALID_REQUEST,
                "Invalid storeId",
                field="storeId",
                message="Invalid storeId",
            ),
            (400, {"message": "Invalid storeId", "field": "storeId"}),
        ),
        (
            {"keyChannel": "RADIO"},
            GateDecision(
                GateOutcome.INVALID,
                GateReason.INVALID_REQUEST,
                'Invalid keyChannel: "RADIO" is not a valid choice.',
                field="keyChannel",
                message='Invalid keyChannel: "RADIO" is not a valid choice.',
            ),
            (400, {"message": 'Invalid keyChannel: "RADIO" is not a valid choice.', "field": "keyChannel"}),
        ),
    ],
)
def test_a_body_at_fault_is_refused_and_kept_without_the_gate_event_id(
    gate_store: Store, shopper: Shopper, kwargs: dict[str, Any], decision: GateDecision, answer: tuple[int, Any]
) -> None:
    body = gate_body(identity_key_for(shopper))
    options = {name: kwargs.pop(name) for name in ("is_json", "unreadable") if name in kwargs}

    made = decide({**body, **kwargs}, **options)

    assert (made, gate_answer_wire(made)) == (decision, answer)
    event = GateEvent.objects.get()
    assert (event.auth_event_id, event.status_code, event.response_body, event.decision) == (
        None,
        *answer,
        GateDecisionKind.REFUSED,
    )


def test_a_failure_before_a_decision_is_the_store_default(gate_store: Store, shopper: Shopper) -> None:
    decision = decide(gate_body(identity_key_for(shopper)), failure=RuntimeError("a bug"))

    assert (decision.outcome, decision.reason, decision.kind, gate_answer_wire(decision)) == (
        GateOutcome.UNDECIDED,
        GateReason.ERROR,
        GateDecisionKind.STORE_DEFAULT,
        (500, {"message": "The store's records could not be read; follow the store's default."}),
    )
