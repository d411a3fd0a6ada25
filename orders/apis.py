"""Amazon's Ordering Connector endpoint: ``POST /v1/order/purchases`` (SPEC §10).

Thin: what arrived goes to the connector's one entry point (``orders.services.purchase_calls``), and its
decision is rendered here as HTTP. A call that queued for a worker past ``JWO_PURCHASE_SHED_MS``
(counted from its arrival, ``jwo_admin.core.arrival``) is answered 503 before anything else.
Only refusals made before a call is taken (no valid connector key, throttled, not POST, not
JSON's media type) are answered by the connector base alone.
"""

from typing import Any

from django.conf import settings
from django.db import DatabaseError, transaction
from django.utils.decorators import method_decorator
from rest_framework.request import Request
from rest_framework.response import Response

from jwo_admin.core.api.authentication import ConnectorKeyUnverifiable
from jwo_admin.core.api.connector import ConnectorApi, body_refusal
from jwo_admin.core.arrival import PURCHASE_SHED_MESSAGE, CallTooLate, arrival_check, purchase_retry_after
from jwo_admin.core.metrics import connector_key_refusals, purchase_calls
from orders.api_schema import create_purchases_schema
from orders.services.purchase_calls import (
    PurchaseDecision,
    PurchaseOutcome,
    purchase_call_decide,
    purchase_call_shed,
)

UNAVAILABLE_MESSAGE = "The purchase could not be stored just now; nothing was kept. Retry."
SHED_MESSAGE = PURCHASE_SHED_MESSAGE


def purchase_response(decision: PurchaseDecision) -> Response:
    """A decision as Amazon receives it (SPEC §10.3), counted once by outcome. A purchase stored,
    now or before, is 201; a body at fault 400; a database that failed before anything was stored
    503, which Amazon retries (the retry is priced then, once), never a 500 page."""
    purchase_calls.labels(result=decision.outcome).inc()
    if decision.outcome == PurchaseOutcome.REFUSED:
        return Response({"message": decision.message, "field": decision.field}, status=400)
    if decision.outcome == PurchaseOutcome.UNAVAILABLE:
        return Response({"message": UNAVAILABLE_MESSAGE}, status=503, headers={"Retry-After": "1"})
    if decision.outcome == PurchaseOutcome.SHED:
        return Response({"message": SHED_MESSAGE}, status=503, headers={"Retry-After": purchase_retry_after()})
    return Response({"purchaseId": decision.purchase_id}, status=201)


@method_decorator(transaction.non_atomic_requests, name="dispatch")
class CreatePurchasesApi(ConnectorApi):
    """Price the trip's cart and answer ``201 {"purchaseId": …}``; replays get the first answer."""

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        # Before the key's check: a call that queued too long costs no database work at all.
        arrival_check(request.META, budget_ms=settings.JWO_PURCHASE_SHED_MS)
        super().initial(request, *args, **kwargs)

    @create_purchases_schema
    def post(self, request: Request) -> Response:
        return purchase_response(purchase_call_decide(body=request.data, simulation_run_id=self.simulation_run_id()))

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, CallTooLate):
            return purchase_response(purchase_call_shed(waited=exc.waited))
        # The key could not be read (the database is down), or a statement failed: nothing stored.
        if isinstance(exc, ConnectorKeyUnverifiable | DatabaseError):
            return purchase_response(purchase_call_decide(body=None, failure=exc))
        refusal = body_refusal(exc)
        if refusal is not None:
            return purchase_response(purchase_call_decide(body=None, unreadable=refusal))
        response = super().handle_exception(exc)
        if response.status_code in (401, 429):
            connector_key_refusals.labels(connector="purchases").inc()
        purchase_calls.labels(result="refused" if response.status_code < 500 else "error").inc()
        return response
