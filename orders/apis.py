"""Amazon's Ordering Connector endpoint: ``POST /v1/order/purchases`` (SPEC §10)."""

import logging

from django.db import DatabaseError, transaction
from django.utils.decorators import method_decorator
from rest_framework.request import Request
from rest_framework.response import Response

from jwo_admin.core.api.authentication import ConnectorKeyUnverifiable
from jwo_admin.core.api.connector import ConnectorApi, body_refusal
from jwo_admin.core.api.fields import InvalidField
from jwo_admin.core.metrics import connector_key_refusals, purchase_calls
from jwo_admin.core.request_id import amazon_request_id_note
from orders.api_schema import create_purchases_schema
from orders.purchase_request import purchase_request_parse
from orders.services import UnknownStore, purchase_create

logger = logging.getLogger(__name__)


def _bad_request(field: str, message: str) -> Response:
    purchase_calls.labels(result="refused").inc()
    return Response({"message": f"Invalid {field}: {message}", "field": field}, status=400)


def _unavailable(error: Exception) -> Response:
    """The database failed before anything was stored: a 503 Amazon retries (the retry is priced
    then, once), never a 500 page."""
    logger.error("Create Purchases answered 503: %s", error)
    purchase_calls.labels(result="unavailable").inc()
    response = Response({"message": "The purchase could not be stored just now; nothing was kept. Retry."}, status=503)
    response["Retry-After"] = "1"
    return response


def _bad_request_store() -> Response:
    purchase_calls.labels(result="refused").inc()
    return Response({"message": "Invalid storeId", "field": "storeId"}, status=400)


@method_decorator(transaction.non_atomic_requests, name="dispatch")
class CreatePurchasesApi(ConnectorApi):
    """Price the trip's cart and answer ``201 {"purchaseId": …}``; replays get the first answer."""

    @create_purchases_schema
    def post(self, request: Request) -> Response:
        try:
            parsed = purchase_request_parse(request.data)
        except InvalidField as invalid:
            return _bad_request(invalid.field, invalid.message)
        amazon_request_id_note(parsed.request_id)
        raw = request.data if isinstance(request.data, dict) else {}  # always a dict once parsed
        try:
            answer = purchase_create(request=parsed, raw=raw)
        except UnknownStore:
            return _bad_request_store()
        except DatabaseError as error:
            return _unavailable(error)
        result = "replay" if answer.is_replay else "new" if answer.body.get("purchaseId") else "empty"
        purchase_calls.labels(result=result).inc()
        return Response(answer.body, status=answer.status)

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, ConnectorKeyUnverifiable):  # the key could not be read: the database is down
            return _unavailable(exc)
        refusal = body_refusal(exc)
        if refusal is not None:
            return _bad_request("body", refusal)
        if isinstance(exc, DatabaseError):
            return _unavailable(exc)
        response = super().handle_exception(exc)
        if response.status_code in (401, 429):
            connector_key_refusals.labels(connector="purchases").inc()
        purchase_calls.labels(result="refused" if response.status_code < 500 else "error").inc()
        return response
