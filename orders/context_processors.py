"""What every staff page must say about payments: that the sandbox is in use, so nobody takes a
day of test charges for sales (production uses it only when JWO_PAYMENT_GATEWAY names it)."""

from typing import Any

from django.http import HttpRequest

from jwo_admin.integrations.payments.gateway import payment_gateway_is_sandbox


def payments(request: HttpRequest) -> dict[str, Any]:
    return {"payments_sandbox": payment_gateway_is_sandbox()}
