"""Every gateway call goes through here, so each one is timed and recorded as a payment event —
including the ones that got no answer."""

import logging
import time
from collections.abc import Callable
from decimal import Decimal

from jwo_admin.integrations.payments.gateway import UNAVAILABLE, GatewayResult, GatewayUnavailable, payment_gateway
from orders.models import PaymentAuthorisation, PaymentOperation, PaymentOperationKind, Purchase, Refund

logger = logging.getLogger(__name__)


def gateway_call(
    kind: str,
    idempotency_key: str,
    call: Callable[[], GatewayResult],
    *,
    authorisation: PaymentAuthorisation | None = None,
    purchase: Purchase | None = None,
    refund: Refund | None = None,
    amount: Decimal | None = None,
    currency: str = "",
) -> GatewayResult:
    """Run one gateway call and record it; GatewayUnavailable is recorded, then re-raised."""
    started = time.perf_counter()
    try:
        result = call()
    except GatewayUnavailable as error:
        result = GatewayResult(UNAVAILABLE, "", str(error)[:255])
        raise
    finally:
        PaymentOperation.objects.create(
            kind=kind,
            idempotency_key=idempotency_key,
            authorisation=authorisation,
            purchase=purchase,
            refund=refund,
            amount=amount,
            currency=currency,
            outcome=result.outcome,
            gateway_reference=result.reference,
            message=result.message[:255],
            duration_ms=round((time.perf_counter() - started) * 1000, 3),
        )
    return result


def void_quietly(
    reference: str,
    *,
    key: str,
    authorisation: PaymentAuthorisation | None = None,
    purchase: Purchase | None = None,
) -> bool:
    """Release an authorisation nothing will capture (a fresh one whose capture was refused, a hold
    approved after it was given up); True if released. No answer is only logged: the stale-hold
    sweep or the provider's own expiry ends it."""
    gateway = payment_gateway()
    try:
        result = gateway_call(
            PaymentOperationKind.VOID,
            key,
            lambda: gateway.void(authorisation_reference=reference, idempotency_key=key),
            authorisation=authorisation,
            purchase=purchase,
        )
    except GatewayUnavailable:
        logger.warning("authorisation %s not released (%s): gateway unreachable", reference, key)
        return False
    return result.approved
