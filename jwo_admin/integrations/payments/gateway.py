"""The payment gateway interface: the four calls every card provider offers, each with an
idempotency key, so a call retried after a lost answer never moves money twice.

A real provider is one more class with these four methods (see README, "Payments"), named by
``JWO_PAYMENT_GATEWAY``. It answers with a ``GatewayResult`` when the provider answered —
approved or not — and raises ``GatewayUnavailable`` when it could not tell (network error,
timeout, a 5xx): the outcome is then unknown, and the caller retries with the same key.
"""

from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

APPROVED = "approved"
DECLINED = "declined"
INSUFFICIENT_FUNDS = "insufficient_funds"
UNAVAILABLE = "unavailable"  # recorded for a call that raised GatewayUnavailable


@dataclass(frozen=True)
class GatewayResult:
    outcome: str  # APPROVED, DECLINED, INSUFFICIENT_FUNDS or a provider's own refusal code
    reference: str = ""
    message: str = ""

    @property
    def approved(self) -> bool:
        return self.outcome == APPROVED


class GatewayUnavailable(Exception):
    """No answer from the provider: the outcome is unknown; retry with the same idempotency key."""


class PaymentGateway(Protocol):
    name: str

    def authorise(self, *, card_reference: str, amount: Decimal, currency: str, idempotency_key: str) -> GatewayResult:
        """Hold ``amount`` on the card; the result's reference names the hold."""

    def capture(
        self, *, authorisation_reference: str, amount: Decimal, currency: str, idempotency_key: str
    ) -> GatewayResult:
        """Take ``amount`` (at most the hold) from a hold; the reference names the charge."""

    def void(self, *, authorisation_reference: str, idempotency_key: str) -> GatewayResult:
        """Release a hold that will not be captured."""

    def refund(self, *, capture_reference: str, amount: Decimal, currency: str, idempotency_key: str) -> GatewayResult:
        """Give back part or all of a charge."""


# The sandbox's path: production runs it only when JWO_PAYMENT_GATEWAY names it, and every staff
# page then says so (orders.context_processors).
SANDBOX_GATEWAY = "jwo_admin.integrations.payments.sandbox.SandboxGateway"
# Where the sandbox was before it joined integrations: an environment that still names it keeps
# the sandbox, and its banner.
FORMER_SANDBOX_GATEWAYS = frozenset({"orders.payments.sandbox.SandboxGateway"})


@cache
def _gateway_class(path: str) -> type:
    return import_string(path)


def payment_gateway_path() -> str:
    """The configured gateway's dotted class path (``JWO_PAYMENT_GATEWAY``), former paths resolved."""
    path = str(settings.JWO_PAYMENT_GATEWAY)
    return SANDBOX_GATEWAY if path in FORMER_SANDBOX_GATEWAYS else path


def payment_gateway_is_sandbox() -> bool:
    """Whether the sandbox is the gateway: no money moves, and staff must be told."""
    return payment_gateway_path() == SANDBOX_GATEWAY


def payment_gateway() -> PaymentGateway:
    """The configured gateway (``JWO_PAYMENT_GATEWAY``, a dotted class path)."""
    return _gateway_class(payment_gateway_path())()
