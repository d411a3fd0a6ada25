"""What every staff page must say about payments: that the sandbox is in use, so nobody takes a
day of test charges for sales (production uses it only when JWO_PAYMENT_GATEWAY names it)."""

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from orders.payments.gateway import SANDBOX_GATEWAY


def payments(request: HttpRequest) -> dict[str, Any]:
    return {"payments_sandbox": settings.JWO_PAYMENT_GATEWAY == SANDBOX_GATEWAY}
