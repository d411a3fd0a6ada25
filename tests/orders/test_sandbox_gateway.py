"""The sandbox gateway: its test cards for each of the four calls, its books (one entry per
idempotency key) and the rules a provider enforces (a capture within its hold, once; refunds
within their charge)."""

from decimal import Decimal
from typing import Any

import pytest

from jwo_admin.integrations.payments.gateway import (
    SANDBOX_GATEWAY,
    GatewayResult,
    GatewayUnavailable,
    payment_gateway,
    payment_gateway_is_sandbox,
    payment_gateway_path,
)
from jwo_admin.integrations.payments.sandbox import SandboxGateway
from orders.models import SandboxCharge

pytestmark = pytest.mark.django_db

OK_CARD = "pm_ok_4242"
DECLINED_CARD = "pm_declined_0002"
NO_FUNDS_CARD = "pm_poor_9995"
NETWORK_CARD = "pm_offline_0119"
LOST_ANSWER_CARD = "pm_flaky_0341"

gateway = SandboxGateway()


def books() -> list[tuple[str, str, Decimal | None, str, str]]:
    """The sandbox's ledger: (key, kind, amount, outcome, card) per entry, oldest first."""
    return list(
        SandboxCharge.objects.order_by("id").values_list(
            "idempotency_key", "kind", "amount", "outcome", "card_reference"
        )
    )


def authorised(card: str, amount: str = "50.00", key: str = "hold-1") -> GatewayResult:
    """An approved hold on ``card`` (for the lost-answer card: its retry, as a caller would)."""
    try:
        return gateway.authorise(card_reference=card, amount=Decimal(amount), currency="USD", idempotency_key=key)
    except GatewayUnavailable:
        return gateway.authorise(card_reference=card, amount=Decimal(amount), currency="USD", idempotency_key=key)


def captured(hold: GatewayResult, amount: str, key: str = "capture-1") -> GatewayResult:
    return gateway.capture(
        authorisation_reference=hold.reference, amount=Decimal(amount), currency="USD", idempotency_key=key
    )


def seeded_hold(card: str) -> str:
    """An approved hold in the sandbox's books, as if the card had been held before it started
    failing: the only way to reach a capture, void or refund with a card whose holds always fail."""
    SandboxCharge.objects.create(
        idempotency_key=f"seed:{card}",
        kind="authorise",
        reference=f"sbx_auth_seed_{card}",
        card_reference=card,
        amount=Decimal("50.00"),
        currency="USD",
        outcome="approved",
    )
    return f"sbx_auth_seed_{card}"


def test_the_configured_gateway_is_the_sandbox() -> None:
    assert isinstance(payment_gateway(), SandboxGateway)


def test_the_sandbox_named_by_its_former_path_is_still_the_sandbox(settings: Any) -> None:
    settings.JWO_PAYMENT_GATEWAY = "orders.payments.sandbox.SandboxGateway"  # an environment set up before the move

    assert (payment_gateway_path(), payment_gateway_is_sandbox()) == (SANDBOX_GATEWAY, True)
    assert isinstance(payment_gateway(), SandboxGateway)


def test_a_provider_gateway_is_not_the_sandbox(settings: Any) -> None:
    settings.JWO_PAYMENT_GATEWAY = "payments_acme.gateway.AcmeGateway"

    assert (payment_gateway_path(), payment_gateway_is_sandbox()) == ("payments_acme.gateway.AcmeGateway", False)


# --- authorise ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("card", "outcome", "message"),
    [
        (OK_CARD, "approved", ""),
        (DECLINED_CARD, "declined", "Card declined."),
        (NO_FUNDS_CARD, "insufficient_funds", "Insufficient funds."),
    ],
)
def test_authorise_answers_by_test_card_and_books_one_entry(card: str, outcome: str, message: str) -> None:
    result = gateway.authorise(card_reference=card, amount=Decimal("50.00"), currency="USD", idempotency_key="hold-1")

    assert (result.outcome, result.message, result.approved) == (outcome, message, outcome == "approved")
    assert result.reference.startswith("sbx_auth_")
    assert books() == [("hold-1", "authorise", Decimal("50.000"), outcome, card)]
    assert SandboxCharge.objects.get().reference == result.reference


def test_authorise_on_the_network_error_card_raises_every_time_and_books_nothing() -> None:
    for _ in range(3):
        with pytest.raises(GatewayUnavailable, match="network error"):
            gateway.authorise(
                card_reference=NETWORK_CARD, amount=Decimal("50.00"), currency="USD", idempotency_key="hold-1"
            )

    assert books() == []


def test_authorise_on_the_lost_answer_card_books_the_hold_then_answers_the_retry_from_the_books() -> None:
    with pytest.raises(GatewayUnavailable, match="answer was lost"):
        gateway.authorise(
            card_reference=LOST_ANSWER_CARD, amount=Decimal("50.00"), currency="USD", idempotency_key="hold-1"
        )
    entry = SandboxCharge.objects.get()

    retried = gateway.authorise(
        card_reference=LOST_ANSWER_CARD, amount=Decimal("50.00"), currency="USD", idempotency_key="hold-1"
    )

    assert (retried.outcome, retried.reference) == ("approved", entry.reference)
    assert books() == [("hold-1", "authorise", Decimal("50.000"), "approved", LOST_ANSWER_CARD)]


def test_a_new_key_on_the_lost_answer_card_loses_its_first_answer_again() -> None:
    authorised(LOST_ANSWER_CARD, key="hold-1")

    with pytest.raises(GatewayUnavailable):
        gateway.authorise(
            card_reference=LOST_ANSWER_CARD, amount=Decimal("10.00"), currency="USD", idempotency_key="hold-2"
        )

    assert [key for key, *_ in books()] == ["hold-1", "hold-2"]


# --- capture --------------------------------------------------------------------------------------------


def test_capture_within_an_approved_hold_is_approved_and_books_the_charge() -> None:
    hold = authorised(OK_CARD)

    charge = captured(hold, "37.40")

    assert (charge.outcome, charge.message) == ("approved", "")
    assert charge.reference.startswith("sbx_capt_")
    entry = SandboxCharge.objects.get(reference=charge.reference)
    assert (entry.parent_reference, entry.amount, entry.card_reference) == (hold.reference, Decimal("37.400"), OK_CARD)


@pytest.mark.parametrize(("card", "hold_outcome"), [(DECLINED_CARD, "declined"), (NO_FUNDS_CARD, "insufficient_funds")])
def test_capture_void_and_refund_of_a_refused_hold_are_declined(card: str, hold_outcome: str) -> None:
    hold = gateway.authorise(card_reference=card, amount=Decimal("50.00"), currency="USD", idempotency_key="hold-1")
    assert hold.outcome == hold_outcome

    charge = captured(hold, "10.00")
    void = gateway.void(authorisation_reference=hold.reference, idempotency_key="void-1")
    refund = gateway.refund(
        capture_reference=charge.reference, amount=Decimal("10.00"), currency="USD", idempotency_key="refund-1"
    )

    assert [(result.outcome, result.message) for result in (charge, void, refund)] == [
        ("declined", "No such approved hold."),
        ("declined", "No such approved hold."),
        ("declined", "No such charge."),
    ]
    # refusals are booked too, so a retry with the same key gets the same refusal
    assert books() == [
        ("hold-1", "authorise", Decimal("50.000"), hold_outcome, card),
        ("capture-1", "capture", Decimal("10.000"), "declined", ""),
        ("void-1", "void", None, "declined", ""),
        ("refund-1", "refund", Decimal("10.000"), "declined", ""),
    ]


def test_capture_on_a_held_card_that_has_no_funds_left_is_refused_for_lack_of_funds() -> None:
    reference = seeded_hold(NO_FUNDS_CARD)

    result = gateway.capture(
        authorisation_reference=reference, amount=Decimal("10.00"), currency="USD", idempotency_key="capture-1"
    )

    assert (result.outcome, result.message) == ("insufficient_funds", "Insufficient funds.")


def test_capture_void_and_refund_on_the_network_error_card_raise_and_book_nothing() -> None:
    reference = seeded_hold(NETWORK_CARD)
    SandboxCharge.objects.create(
        idempotency_key="seed:charge",
        kind="capture",
        reference="sbx_capt_seed",
        parent_reference="sbx_auth_other",
        card_reference=NETWORK_CARD,
        amount=Decimal("10.00"),
        currency="USD",
        outcome="approved",
    )

    with pytest.raises(GatewayUnavailable):
        gateway.capture(
            authorisation_reference=reference, amount=Decimal("10.00"), currency="USD", idempotency_key="capture-1"
        )
    with pytest.raises(GatewayUnavailable):
        gateway.void(authorisation_reference=reference, idempotency_key="void-1")
    with pytest.raises(GatewayUnavailable):
        gateway.refund(
            capture_reference="sbx_capt_seed", amount=Decimal("1.00"), currency="USD", idempotency_key="refund-1"
        )

    assert SandboxCharge.objects.count() == 2  # the two seeded entries only


def test_capture_on_the_lost_answer_card_books_the_charge_once_and_answers_the_retry() -> None:
    hold = authorised(LOST_ANSWER_CARD)

    with pytest.raises(GatewayUnavailable):
        captured(hold, "20.00")
    retried = captured(hold, "20.00")

    assert retried.outcome == "approved"
    assert books() == [
        ("hold-1", "authorise", Decimal("50.000"), "approved", LOST_ANSWER_CARD),
        ("capture-1", "capture", Decimal("20.000"), "approved", LOST_ANSWER_CARD),
    ]
    assert retried.reference == SandboxCharge.objects.get(kind="capture").reference


def test_capture_above_the_hold_is_declined_and_leaves_the_hold_capturable() -> None:
    hold = authorised(OK_CARD)

    too_much = captured(hold, "50.01", key="capture-1")
    all_of_it = captured(hold, "50.00", key="capture-2")

    assert (too_much.outcome, too_much.message) == ("declined", "50.01 is more than the hold of 50.000.")
    assert all_of_it.outcome == "approved"
    assert [(key, outcome) for key, _, _, outcome, _ in books()] == [
        ("hold-1", "approved"),
        ("capture-1", "declined"),
        ("capture-2", "approved"),
    ]


def test_a_second_capture_with_another_key_is_declined() -> None:
    hold = authorised(OK_CARD)
    captured(hold, "10.00", key="capture-1")

    again = captured(hold, "10.00", key="capture-2")

    assert (again.outcome, again.message) == ("declined", "The hold was already captured or released.")
    assert SandboxCharge.objects.filter(kind="capture", outcome="approved").count() == 1


def test_a_capture_after_the_hold_was_released_is_declined() -> None:
    hold = authorised(OK_CARD)
    released = gateway.void(authorisation_reference=hold.reference, idempotency_key="void-1")

    late = captured(hold, "10.00")

    assert released.outcome == "approved"
    assert (late.outcome, late.message) == ("declined", "The hold was already captured or released.")


def test_capture_of_an_unknown_hold_is_declined() -> None:
    result = gateway.capture(
        authorisation_reference="sbx_auth_nope", amount=Decimal("1.00"), currency="USD", idempotency_key="capture-1"
    )

    assert (result.outcome, result.message) == ("declined", "No such approved hold.")


# --- void -----------------------------------------------------------------------------------------------


def test_void_releases_an_approved_hold_and_books_it() -> None:
    hold = authorised(OK_CARD)

    result = gateway.void(authorisation_reference=hold.reference, idempotency_key="void-1")

    assert (result.outcome, result.message) == ("approved", "")
    assert result.reference.startswith("sbx_void_")
    assert books()[-1] == ("void-1", "void", None, "approved", OK_CARD)
    assert SandboxCharge.objects.get(kind="void").parent_reference == hold.reference


def test_void_after_a_capture_is_declined() -> None:
    hold = authorised(OK_CARD)
    captured(hold, "10.00")

    result = gateway.void(authorisation_reference=hold.reference, idempotency_key="void-1")

    assert (result.outcome, result.message) == ("declined", "The hold was already captured.")


def test_void_on_the_lost_answer_card_releases_once_and_answers_the_retry() -> None:
    hold = authorised(LOST_ANSWER_CARD)

    with pytest.raises(GatewayUnavailable):
        gateway.void(authorisation_reference=hold.reference, idempotency_key="void-1")
    retried = gateway.void(authorisation_reference=hold.reference, idempotency_key="void-1")

    assert retried.outcome == "approved"
    assert SandboxCharge.objects.filter(kind="void").count() == 1


# --- refund ---------------------------------------------------------------------------------------------


def test_refunds_are_approved_until_they_would_exceed_the_charge() -> None:
    charge = captured(authorised(OK_CARD), "30.00")

    def refund(amount: str, key: str) -> GatewayResult:
        return gateway.refund(
            capture_reference=charge.reference, amount=Decimal(amount), currency="USD", idempotency_key=key
        )

    first = refund("20.00", "refund-1")
    too_much = refund("10.01", "refund-2")
    rest = refund("10.00", "refund-3")
    nothing_left = refund("0.01", "refund-4")

    assert [result.outcome for result in (first, too_much, rest, nothing_left)] == [
        "approved",
        "declined",
        "approved",
        "declined",
    ]
    assert too_much.message == "Refunds would exceed the charge of 30.000."
    assert first.reference.startswith("sbx_refu_")
    assert list(
        SandboxCharge.objects.filter(kind="refund", outcome="approved").order_by("id").values_list("amount", flat=True)
    ) == [Decimal("20.000"), Decimal("10.000")]


def test_refund_of_an_unknown_charge_is_declined() -> None:
    result = gateway.refund(
        capture_reference="sbx_capt_nope", amount=Decimal("1.00"), currency="USD", idempotency_key="refund-1"
    )

    assert (result.outcome, result.message) == ("declined", "No such charge.")


def test_refund_on_the_lost_answer_card_is_booked_once_and_answers_the_retry() -> None:
    hold = authorised(LOST_ANSWER_CARD)
    with pytest.raises(GatewayUnavailable):
        captured(hold, "20.00")
    charge = captured(hold, "20.00")

    with pytest.raises(GatewayUnavailable):
        gateway.refund(
            capture_reference=charge.reference, amount=Decimal("5.00"), currency="USD", idempotency_key="refund-1"
        )
    retried = gateway.refund(
        capture_reference=charge.reference, amount=Decimal("5.00"), currency="USD", idempotency_key="refund-1"
    )

    assert retried.outcome == "approved"
    assert SandboxCharge.objects.filter(kind="refund").count() == 1


# --- idempotency ----------------------------------------------------------------------------------------


def test_the_same_key_gets_the_first_answer_and_one_entry_whatever_else_changes() -> None:
    first = gateway.authorise(card_reference=OK_CARD, amount=Decimal("50.00"), currency="USD", idempotency_key="k")
    again = gateway.authorise(card_reference=OK_CARD, amount=Decimal("50.00"), currency="USD", idempotency_key="k")
    different = gateway.authorise(
        card_reference=DECLINED_CARD, amount=Decimal("99.00"), currency="USD", idempotency_key="k"
    )

    assert first == again == different
    assert books() == [("k", "authorise", Decimal("50.000"), "approved", OK_CARD)]


def test_a_repeated_capture_void_or_refund_key_gets_its_first_answer() -> None:
    hold = authorised(OK_CARD)
    charge = captured(hold, "10.00", key="capture-1")
    refund = gateway.refund(
        capture_reference=charge.reference, amount=Decimal("4.00"), currency="USD", idempotency_key="refund-1"
    )
    other = authorised(OK_CARD, key="hold-2")
    void = gateway.void(authorisation_reference=other.reference, idempotency_key="void-1")

    assert captured(hold, "10.00", key="capture-1") == charge  # not "already captured"
    assert (
        gateway.refund(
            capture_reference=charge.reference, amount=Decimal("4.00"), currency="USD", idempotency_key="refund-1"
        )
        == refund
    )
    assert gateway.void(authorisation_reference=other.reference, idempotency_key="void-1") == void
    assert [(kind, outcome) for _, kind, _, outcome, _ in books()] == [
        ("authorise", "approved"),
        ("capture", "approved"),
        ("refund", "approved"),
        ("authorise", "approved"),
        ("void", "approved"),
    ]
