"""A sandbox gateway with deterministic test cards, standing in for a provider in development,
demos and tests. It keeps its own books: one entry per idempotency key, so a retried call gets the
first result, exactly as a real provider's idempotency does.

The books are a table of the orders app (``orders.SandboxCharge``, created by orders' migrations,
with rows that deployments already hold): moving the model here would change its app label and
table. So the sandbox reads and writes them through :class:`SandboxBooks`, which orders
implements and registers when Django starts (``orders.apps``); this module imports no app.

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
import threading
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Protocol

from jwo_admin.integrations.payments.gateway import (
    APPROVED,
    DECLINED,
    INSUFFICIENT_FUNDS,
    GatewayResult,
    GatewayUnavailable,
)

DECLINE_SUFFIX = "0002"
NO_FUNDS_SUFFIX = "9995"
NETWORK_ERROR_SUFFIX = "0119"
LOST_ANSWER_SUFFIX = "0341"


@dataclass(frozen=True)
class SandboxEntry:
    """One call the sandbox answered, as its books keep it."""

    idempotency_key: str
    kind: str  # authorise, capture, void, refund
    reference: str
    outcome: str
    message: str = ""
    parent_reference: str = ""  # the hold (capture, void) or the charge (refund) it acts on
    card_reference: str = ""
    amount: Decimal | None = None
    currency: str = ""


@dataclass(frozen=True)
class SandboxLookup:
    """What a call on an earlier entry needs of the books, read at once: the entry already kept
    for its idempotency key (a repeated call), the approved entry it acts on, and the approved
    entries already acting on that one (captures, voids, refunds)."""

    existing: SandboxEntry | None
    parent: SandboxEntry | None
    on_parent: tuple[SandboxEntry, ...]


class SandboxBooks(Protocol):
    """Where the sandbox keeps its entries (one per idempotency key)."""

    def entry_by_key(self, idempotency_key: str) -> SandboxEntry | None:
        """The entry kept for ``idempotency_key``, if any."""

    def entry_add(self, entry: SandboxEntry) -> tuple[SandboxEntry, bool]:
        """Keep ``entry`` unless its key already has one (a concurrent call): the entry kept for
        the key, and whether it is this one."""

    def lookup(self, idempotency_key: str, reference: str, parent_kind: str) -> SandboxLookup:
        """In one read: the entry of ``idempotency_key``, the approved ``parent_kind`` entry named
        ``reference``, and the approved entries acting on ``reference``."""


_books: SandboxBooks | None = None
_books_lock = threading.Lock()


def sandbox_books_register(books: SandboxBooks) -> None:
    """Name the books every :class:`SandboxGateway` keeps (orders does, when Django starts)."""
    global _books
    with _books_lock:
        _books = books


def _registered_books() -> SandboxBooks:
    if _books is None:
        raise RuntimeError("The sandbox gateway has no books: the orders app, which keeps them, is not installed.")
    return _books


def _result(entry: SandboxEntry) -> GatewayResult:
    return GatewayResult(entry.outcome, entry.reference, entry.message)


class SandboxGateway:
    """Deterministic, persistent, idempotent; see the module docstring for its test cards."""

    name = "sandbox"

    def __init__(self, books: SandboxBooks | None = None) -> None:
        self.books = books or _registered_books()

    def _record(self, entry: SandboxEntry, *, is_unknown_key: bool = False) -> GatewayResult:
        """The first entry for a key wins; a concurrent or later call with the key gets it back.
        ``is_unknown_key``: the caller has just read that the key has no entry."""
        existing = None if is_unknown_key else self.books.entry_by_key(entry.idempotency_key)
        if existing is None:
            reference = f"sbx_{entry.kind[:4]}_{secrets.token_hex(10)}"
            existing, is_new = self.books.entry_add(replace(entry, reference=reference))
            if is_new and entry.card_reference.endswith(LOST_ANSWER_SUFFIX):
                raise GatewayUnavailable("sandbox: the answer was lost on the way back (test card …0341)")
        return _result(existing)

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
            SandboxEntry(
                idempotency_key=idempotency_key,
                kind="authorise",
                reference="",
                outcome=outcome,
                message=message,
                card_reference=card_reference,
                amount=amount,
                currency=currency,
            )
        )

    def _follow_up(
        self, reference: str, parent_kind: str, idempotency_key: str
    ) -> tuple[SandboxLookup, str, GatewayResult | None]:
        """For a call on an earlier entry (a capture or void of a hold, a refund of a charge): what
        the books hold around it (one read), its card (whose test behaviour applies), and the
        recorded result of a repeated key."""
        found = self.books.lookup(idempotency_key, reference, parent_kind)
        card = found.parent.card_reference if found.parent else ""
        self._network(card)
        return found, card, (_result(found.existing) if found.existing is not None else None)

    @staticmethod
    def _acting(found: SandboxLookup, kinds: tuple[str, ...]) -> list[SandboxEntry]:
        return [entry for entry in found.on_parent if entry.kind in kinds]

    def capture(
        self, *, authorisation_reference: str, amount: Decimal, currency: str, idempotency_key: str
    ) -> GatewayResult:
        found, card, repeated = self._follow_up(authorisation_reference, "authorise", idempotency_key)
        if repeated is not None:
            return repeated
        hold = found.parent
        outcome, message = APPROVED, ""
        if hold is None:
            outcome, message = DECLINED, "No such approved hold."
        elif self._acting(found, ("capture", "void")):
            outcome, message = DECLINED, "The hold was already captured or released."
        elif hold.amount is not None and amount > hold.amount:
            outcome, message = DECLINED, f"{amount} is more than the hold of {hold.amount}."
        elif card.endswith(NO_FUNDS_SUFFIX):
            outcome, message = INSUFFICIENT_FUNDS, "Insufficient funds."
        return self._record(
            SandboxEntry(
                idempotency_key=idempotency_key,
                kind="capture",
                reference="",
                outcome=outcome,
                message=message,
                parent_reference=authorisation_reference,
                card_reference=card,
                amount=amount,
                currency=currency,
            ),
            is_unknown_key=True,
        )

    def void(self, *, authorisation_reference: str, idempotency_key: str) -> GatewayResult:
        found, card, repeated = self._follow_up(authorisation_reference, "authorise", idempotency_key)
        if repeated is not None:
            return repeated
        outcome, message = APPROVED, ""
        if found.parent is None:
            outcome, message = DECLINED, "No such approved hold."
        elif self._acting(found, ("capture",)):
            outcome, message = DECLINED, "The hold was already captured."
        return self._record(
            SandboxEntry(
                idempotency_key=idempotency_key,
                kind="void",
                reference="",
                outcome=outcome,
                message=message,
                parent_reference=authorisation_reference,
                card_reference=card,
            ),
            is_unknown_key=True,
        )

    def refund(self, *, capture_reference: str, amount: Decimal, currency: str, idempotency_key: str) -> GatewayResult:
        found, card, repeated = self._follow_up(capture_reference, "capture", idempotency_key)
        if repeated is not None:
            return repeated
        charge = found.parent
        refunded = sum((entry.amount or Decimal(0) for entry in self._acting(found, ("refund",))), Decimal(0))
        outcome, message = APPROVED, ""
        if charge is None:
            outcome, message = DECLINED, "No such charge."
        elif charge.amount is not None and refunded + amount > charge.amount:
            outcome, message = DECLINED, f"Refunds would exceed the charge of {charge.amount}."
        return self._record(
            SandboxEntry(
                idempotency_key=idempotency_key,
                kind="refund",
                reference="",
                outcome=outcome,
                message=message,
                parent_reference=capture_reference,
                card_reference=card,
                amount=amount,
                currency=currency,
            ),
            is_unknown_key=True,
        )
