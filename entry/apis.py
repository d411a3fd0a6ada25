"""Amazon's Identity Connector endpoint (SPEC §8) and the shopper app's API (SPEC §9.1)."""

import base64
import json
import logging
import time
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import transaction
from django.http import HttpResponse
from django.utils.decorators import method_decorator
from rest_framework import exceptions, serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView

from catalog.models import Store
from entry.api_schema import identity_keys_schema, scan_key_schema, shopper_token_schema
from entry.authentication import IsShopper, ShopperTokenAuthentication
from entry.models import GateDecisionKind, GateReason
from entry.services.gate_answers import UNAUTHORIZED_BODY, UNDECIDED_BODIES, GateDecision, gate_answer_wire
from entry.services.identity_calls import identity_call_decide, identity_call_shed
from entry.services.shoppers import (
    IssuedScanKey,
    ScanKeyNotIssued,
    scan_key_issue,
    shopper_authenticate,
    shopper_token_create,
)
from jwo_admin.core.api.authentication import ConnectorKeyUnverifiable
from jwo_admin.core.api.connector import CONTENT_TYPE, ConnectorApi, body_refusal, message_body_mark
from jwo_admin.core.arrival import CallTooLate, arrival_check
from jwo_admin.core.client_address import client_address
from jwo_admin.core.metrics import connector_key_refusals, gate_decisions

logger = logging.getLogger(__name__)


def gate_response(decision: GateDecision) -> HttpResponse:
    """A decision as Amazon's gate receives it (``gate_answer_wire``); every gate answer leaves
    through here, so each is counted once by decision and reason. Rendered here as JSON bytes
    (DRF's ``Response`` would take a renderer, a template response and a second encode for the
    same few bodies; the refusals' and the 500s' bodies never change, so they are encoded once)."""
    gate_decisions.labels(decision=decision.kind, reason=decision.reason).inc()
    status, body = gate_answer_wire(decision)
    response = HttpResponse(_json_bytes(body), status=status, content_type=CONTENT_TYPE)
    return message_body_mark(response) if isinstance(body.get("message"), str) else response


_ENCODED: dict[int, bytes] = {}  # id() of a body that is a module constant → its bytes


def _json_bytes(body: dict[str, Any]) -> bytes:
    """The body as DRF's JSON renderer writes it (compact, UTF-8); constant bodies from a cache."""
    constant = body is UNAUTHORIZED_BODY or any(body is known for known in UNDECIDED_BODIES.values())
    if constant and id(body) in _ENCODED:
        return _ENCODED[id(body)]
    encoded = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
    if constant:
        _ENCODED[id(body)] = encoded
    return encoded


@method_decorator(transaction.non_atomic_requests, name="dispatch")
class IdentityKeysApi(ConnectorApi):
    """POST /v1/identity/identity-keys — decide whether the gate opens, well inside Amazon's 2 s.

    Thin: what arrived goes to the connector's one entry point (``identity_call_decide``), errors
    included. A call that queued past ``JWO_IDENTITY_SHED_MS`` is answered before anything else
    (``identity_call_shed``: the store-default 500, no database, no cache, no record). Only calls
    without a valid connector key (401, 429) or not POST (405) are answered here alone: they are
    not Amazon's calls, so they are counted, never kept in the gate log."""

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        # The budget counts from the call's arrival: the time it queued for a worker is spent too.
        # Before the key's check: a call too late costs no database and no cache.
        waited = arrival_check(request.META, budget_ms=settings.JWO_IDENTITY_SHED_MS)
        request.started = time.perf_counter() - waited  # type: ignore[attr-defined]
        # the connector key's check runs under the same deadline (ConnectorKeyAuthentication)
        request.deadline = request.started + settings.JWO_IDENTITY_BUDGET_MS / 1000  # type: ignore[attr-defined]
        super().initial(request, *args, **kwargs)

    @identity_keys_schema
    def post(self, request: Request) -> HttpResponse:
        decision = identity_call_decide(
            body=request.data,
            started=request.started,  # type: ignore[attr-defined]
            simulation_run_id=self.simulation_run_id(),
        )
        return gate_response(decision)

    def handle_exception(self, exc: Exception) -> HttpResponse:  # type: ignore[override]
        if isinstance(exc, CallTooLate):
            return gate_response(identity_call_shed(waited=exc.waited))
        started = getattr(self.request, "started", time.perf_counter())
        run = self.simulation_run_id()
        if isinstance(exc, exceptions.UnsupportedMediaType):
            return gate_response(
                identity_call_decide(body=self._raw(), started=started, is_json=False, simulation_run_id=run)
            )
        refusal = body_refusal(exc)
        if refusal is not None:
            return gate_response(
                identity_call_decide(body=self._raw(), started=started, unreadable=refusal, simulation_run_id=run)
            )
        refused = None if isinstance(exc, ConnectorKeyUnverifiable) else self.connector_error_response(exc)
        if refused is not None:  # no valid key, or not a call (GET): counted, never recorded
            if refused.status_code in (401, 429):
                connector_key_refusals.labels(connector="identity").inc()
            gate_decisions.labels(decision=GateDecisionKind.REFUSED, reason=GateReason.CONNECTOR_KEY).inc()
            return refused
        return gate_response(
            identity_call_decide(body=self._raw(), started=started, failure=exc, simulation_run_id=run)
        )

    def _raw(self) -> dict[str, Any]:
        data = self.request.data if self._body_parsed() else {}
        return data if isinstance(data, dict) else {}

    def _body_parsed(self) -> bool:
        try:
            return isinstance(self.request.data, dict)
        except (exceptions.ParseError, exceptions.UnsupportedMediaType, RequestDataTooBig):
            return False


# --- The shopper app (SPEC §9.1) ---------------------------------------------------------------
class ShopperSignInThrottle(AnonRateThrottle):
    """Per client address as our proxies vouch for it: DRF's own reading of X-Forwarded-For trusts
    whatever the caller wrote, so a rotating header would buy a fresh budget each time."""

    scope = "shopper_sign_in"

    def get_ident(self, request: Request) -> str:
        return client_address(request)


class ShopperTokenCreateApi(APIView):
    """POST /api/app/v1/token — email and password for an app token (shown once)."""

    authentication_classes: list[type] = []
    permission_classes = [AllowAny]
    throttle_classes = [ShopperSignInThrottle]

    class InputSerializer(serializers.Serializer):
        email = serializers.EmailField()
        password = serializers.CharField(max_length=200, trim_whitespace=False)

    @shopper_token_schema
    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        shopper = shopper_authenticate(**serializer.validated_data)
        if shopper is None:
            raise exceptions.AuthenticationFailed("Wrong email or password.")
        return Response({"token": shopper_token_create(shopper=shopper), "shopperId": shopper.external_id}, 201)

    def get_authenticate_header(self, request: Request) -> str:
        return "Token"


class ScanKeyCreateApi(APIView):
    """POST /api/app/v1/scan-keys — a fresh Scan Key Code for the signed-in shopper, or what to fix first."""

    authentication_classes = [ShopperTokenAuthentication]
    permission_classes = [IsShopper]

    class InputSerializer(serializers.Serializer):
        storeId = serializers.CharField(max_length=255, required=False)  # noqa: N815 - the app speaks camelCase

    @scan_key_schema
    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        store = None
        if "storeId" in serializer.validated_data:
            store = Store.objects.filter(store_id=serializer.validated_data["storeId"]).first()
            if store is None:
                raise exceptions.ValidationError({"storeId": ["Unknown store."]})
        try:
            issued = scan_key_issue(shopper=request.user, store=store)  # type: ignore[arg-type]
        except ScanKeyNotIssued as refusal:
            return Response({"message": refusal.message, "problems": refusal.problems}, status=409)
        return Response(scan_key_payload(issued), status=201)


def scan_key_payload(issued: IssuedScanKey) -> dict[str, Any]:
    return {
        "code": issued.code,
        "identityKey": base64.b64encode(issued.code.encode()).decode(),
        "issuedAt": issued.issued_at.isoformat().replace("+00:00", "Z"),
        "expiresAt": issued.expires_at.isoformat().replace("+00:00", "Z"),
        "storeId": issued.store_id,
        "qrSvg": issued.qr_svg,
    }
