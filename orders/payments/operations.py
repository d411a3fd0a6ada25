"""Every gateway call goes through here, so each one is timed and recorded as a payment event —
including the ones that got no answer."""

import time
from collections.abc import Callable
from decimal import Decimal

from orders.models import PaymentAuthorisation, PaymentOperation, Purchase, Refund
from orders.payments.gateway import UNAVAILABLE, GatewayResult, GatewayUnavailable


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
