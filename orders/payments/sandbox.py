"""A sandbox gateway with deterministic test cards, standing in for a provider in development,
demos and tests. It keeps its own books (``SandboxCharge``): one entry per idempotency key, so a
retried call gets the first result, exactly as a real provider's idempotency does.

Test cards are chosen by the end of the card's provider reference:

=========  =======================================================================
ends with  behaviour
=========  =======================================================================
``0002``   every call declined (``declined``)
``9995``   holds and charges refused for lack of funds (``insufficient_funds``)
``0119``   network error on every call (``GatewayUnavailable``; nothing recorded)
``0341``   the first call for each idempotency key succeeds but its answer is lost
           (``GatewayUnavailable``); a retry with the same key gets the recorded result
anything   approved
=========  =======================================================================

A capture must fit within its hold; refunds together must fit within their charge.
"""

import secrets
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Sum

from orders.models import SandboxCharge
from orders.payments.gateway import APPROVED, DECLINED, INSUFFICIENT_FUNDS, GatewayResult, GatewayUnavailable

DECLINE_SUFFIX = "0002"
NO_FUNDS_SUFFIX = "9995"
NETWORK_ERROR_SUFFIX = "0119"
LOST_ANSWER_SUFFIX = "0341"


def _stored(entry: SandboxCharge) -> GatewayResult:
    return GatewayResult(entry.outcome, entry.reference, entry.message)


class SandboxGateway:
    """Deterministic, persistent, idempotent; see the module docstring for its test cards."""

    name = "sandbox"

    def _record(
        self,
        *,
        kind: str,
        idempotency_key: str,
        card_reference: str,
        outcome: str,
        message: str = "",
        parent_reference: str = "",
        amount: Decimal | None = None,
        currency: str = "",
    ) -> GatewayResult:
        """The first entry for a key wins; a concurrent or later call with the key gets it back."""
        existing = SandboxCharge.objects.filter(idempotency_key=idempotency_key).first()
        if existing is None:
            try:
                with transaction.atomic():
                    existing = SandboxCharge.objects.create(
                        idempotency_key=idempotency_key,
                        kind=kind,
                        reference=f"sbx_{kind[:4]}_{secrets.token_hex(10)}",
                        parent_reference=parent_reference,
                        card_reference=card_reference,
                        amount=amount,
                        currency=currency,
                        outcome=outcome,
                        message=message,
                    )
            except IntegrityError:
                existing = SandboxCharge.objects.get(idempotency_key=idempotency_key)
            else:
                if card_reference.endswith(LOST_ANSWER_SUFFIX):
                    raise GatewayUnavailable("sandbox: the answer was lost on the way back (test card …0341)")
        return _stored(existing)

    @staticmethod
    def _network(card_reference: str) -> None:
        if card_reference.endswith(NETWORK_ERROR_SUFFIX):
            raise GatewayUnavailable("sandbox: network error (test card …0119)")

    def authorise(self, *, card_reference: str, amount: Decimal, currency: str, idempotency_key: str) -> GatewayResult:
        self._network(card_reference)
        outcome, message = APPROVED, ""
        if card_reference.endswith(DECLINE_SUFFIX):
            outcome, message = DECLINED, "Card declined."
        elif card_reference.endswith(NO_FUNDS_SUFFIX):
            outcome, message = INSUFFICIENT_FUNDS, "Insufficient funds."
        return self._record(
            kind="authorise",
            idempotency_key=idempotency_key,
            card_reference=card_reference,
            outcome=outcome,
            message=message,
            amount=amount,
            currency=currency,
        )

    def _parent(self, reference: str, kind: str) -> SandboxCharge | None:
        return SandboxCharge.objects.filter(reference=reference, kind=kind, outcome=APPROVED).first()

    def _follow_up(
        self, reference: str, parent_kind: str, idempotency_key: str
    ) -> tuple[SandboxCharge | None, str, GatewayResult | None]:
        """For a call on an earlier entry (a capture or void of a hold, a refund of a charge): that
        entry, its card (whose test behaviour applies), and the recorded result of a repeated key."""
        parent = self._parent(reference, parent_kind)
        card = parent.card_reference if parent else ""
        self._network(card)
        existing = SandboxCharge.objects.filter(idempotency_key=idempotency_key).first()
        return parent, card, (_stored(existing) if existing is not None else None)

    def capture(
        self, *, authorisation_reference: str, amount: Decimal, currency: str, idempotency_key: str
    ) -> GatewayResult:
        hold, card, repeated = self._follow_up(authorisation_reference, "authorise", idempotency_key)
        if repeated is not None:
            return repeated
        outcome, message = APPROVED, ""
        if hold is None:
            outcome, message = DECLINED, "No such approved hold."
        elif SandboxCharge.objects.filter(
            parent_reference=authorisation_reference, kind__in=("capture", "void"), outcome=APPROVED
        ).exists():
            outcome, message = DECLINED, "The hold was already captured or released."
        elif hold.amount is not None and amount > hold.amount:
            outcome, message = DECLINED, f"{amount} is more than the hold of {hold.amount}."
        elif card.endswith(NO_FUNDS_SUFFIX):
            outcome, message = INSUFFICIENT_FUNDS, "Insufficient funds."
        return self._record(
            kind="capture",
            idempotency_key=idempotency_key,
            card_reference=card,
            outcome=outcome,
            message=message,
            parent_reference=authorisation_reference,
            amount=amount,
            currency=currency,
        )

    def void(self, *, authorisation_reference: str, idempotency_key: str) -> GatewayResult:
        hold, card, repeated = self._follow_up(authorisation_reference, "authorise", idempotency_key)
        if repeated is not None:
            return repeated
        outcome, message = APPROVED, ""
        if hold is None:
            outcome, message = DECLINED, "No such approved hold."
        elif SandboxCharge.objects.filter(
            parent_reference=authorisation_reference, kind="capture", outcome=APPROVED
        ).exists():
            outcome, message = DECLINED, "The hold was already captured."
        return self._record(
            kind="void",
            idempotency_key=idempotency_key,
            card_reference=card,
            outcome=outcome,
            message=message,
            parent_reference=authorisation_reference,
        )

    def refund(self, *, capture_reference: str, amount: Decimal, currency: str, idempotency_key: str) -> GatewayResult:
        charge, card, repeated = self._follow_up(capture_reference, "capture", idempotency_key)
        if repeated is not None:
            return repeated
        refunded = SandboxCharge.objects.filter(
            parent_reference=capture_reference, kind="refund", outcome=APPROVED
        ).aggregate(total=Sum("amount"))["total"] or Decimal(0)
        outcome, message = APPROVED, ""
        if charge is None:
            outcome, message = DECLINED, "No such charge."
        elif charge.amount is not None and refunded + amount > charge.amount:
            outcome, message = DECLINED, f"Refunds would exceed the charge of {charge.amount}."
        return self._record(
            kind="refund",
            idempotency_key=idempotency_key,
            card_reference=card,
            outcome=outcome,
            message=message,
            parent_reference=capture_reference,
            amount=amount,
            currency=currency,
        )
