"""Amazon's Identity Connector endpoint (SPEC §8) and the shopper app's API (SPEC §9.1)."""

import base64
import logging
import time
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import DatabaseError, transaction
from django.utils.decorators import method_decorator
from rest_framework import exceptions, serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView

from catalog.models import Store
from catalog.selectors import StoreGateProfile, store_gate_profile, store_gate_profile_cached
from entry.api_schema import identity_keys_schema, scan_key_schema, shopper_token_schema
from entry.authentication import IsShopper, ShopperTokenAuthentication
from entry.identity_request import identity_request_parse
from entry.models import GateDecisionKind, GateReason
from entry.services.identity import (
    GateAnswer,
    IdentityCall,
    answer_bad_request,
    answer_record,
    answer_undecided_recorded,
    call_fields_for,
    identity_verify,
)
from entry.services.shoppers import (
    IssuedScanKey,
    ScanKeyNotIssued,
    scan_key_issue,
    shopper_authenticate,
    shopper_token_create,
)
from jwo_admin.core.api.authentication import ConnectorKeyUnverifiable
from jwo_admin.core.api.connector import STATUS_MESSAGES, ConnectorApi, body_refusal
from jwo_admin.core.api.fields import InvalidField
from jwo_admin.core.client_address import client_address
from jwo_admin.core.deadline import DeadlineExceeded
from jwo_admin.core.metrics import connector_key_refusals, gate_decisions
from jwo_admin.core.request_id import amazon_request_id_note

logger = logging.getLogger(__name__)


def body_refusal_answer(exc: Exception) -> GateAnswer | None:
    """A body the connector could not read (not JSON, too large, nested too deep, not JSON's media
    type), as a gate answer: a call Amazon made with a valid key, so it is recorded too."""
    refusal = body_refusal(exc)
    if refusal is not None:
        return answer_bad_request(f"Invalid body: {refusal}", "body")
    if isinstance(exc, exceptions.UnsupportedMediaType):
        answer = answer_bad_request(STATUS_MESSAGES[415], "body")
        return GateAnswer(**{**answer.__dict__, "status": 415, "body": {"message": STATUS_MESSAGES[415]}})
    return None


def _answered(answer: GateAnswer) -> Response:
    """Every gate answer leaves through here, so each is counted once by decision and reason."""
    gate_decisions.labels(decision=answer.decision, reason=answer.reason).inc()
    return Response(answer.body, status=answer.status)


@method_decorator(transaction.non_atomic_requests, name="dispatch")
class IdentityKeysApi(ConnectorApi):
    """POST /v1/identity/identity-keys — decide whether the gate opens, well inside Amazon's 2 s."""

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        request.started = time.perf_counter()  # type: ignore[attr-defined]
        request.deadline = request.started + settings.JWO_IDENTITY_BUDGET_MS / 1000  # type: ignore[attr-defined]
        super().initial(request, *args, **kwargs)

    def _store(self, store_id: str) -> StoreGateProfile | None:
        """Cached; on a miss the read runs under what is left of the deadline."""
        return store_gate_profile(store_id, timeout=max(self.request.deadline - time.perf_counter(), 0.001))  # type: ignore[attr-defined]

    @identity_keys_schema
    def post(self, request: Request) -> Response:
        raw = request.data if isinstance(request.data, dict) else {}
        try:
            parsed = identity_request_parse(request.data)
        except InvalidField as invalid:
            answer = answer_bad_request(f"Invalid {invalid.field}: {invalid.message}", invalid.field)
            return self._record(answer, raw, decisive=False)
        amazon_request_id_note(parsed.request_id)
        try:
            store = self._store(parsed.store_id)
        except (DeadlineExceeded, DatabaseError) as error:
            return self._undecided(error, raw)
        if store is None:
            return self._record(answer_bad_request("Invalid storeId", "storeId"), raw, decisive=False)
        call = IdentityCall(
            request_id=parsed.request_id,
            identity_key=parsed.identity_key,
            scanned_text=parsed.scanned_text,
            store_id=store.store_id,
            auth_event_id=parsed.auth_event_id,
            auth_event_at=parsed.auth_event_at,
        )
        answer = identity_verify(call=call, store=store, raw=raw, started=request.started)  # type: ignore[attr-defined]
        return _answered(answer)

    def _record(self, answer: GateAnswer, raw: dict[str, Any], *, decisive: bool) -> Response:
        started = getattr(self.request, "started", time.perf_counter())
        store = None
        if isinstance(raw.get("storeId"), str) and len(raw["storeId"]) <= 255:
            try:
                store = self._store(raw["storeId"])
            except (DeadlineExceeded, DatabaseError):
                store = None  # the record keeps the id as sent
        answer = answer_record(
            answer=answer, call_fields=call_fields_for(None, raw, store), started=started, decisive=decisive
        )
        return _answered(answer)

    def _undecided(self, error: Exception, raw: dict[str, Any]) -> Response:
        """Past the deadline before a decision: the deliberate 500 (the gate follows the store's default)."""
        store = store_gate_profile_cached(raw["storeId"]) if isinstance(raw.get("storeId"), str) else None
        answer = answer_undecided_recorded(
            error=error,
            store=store,
            call_fields=call_fields_for(None, raw, store),
            started=self.request.started,  # type: ignore[attr-defined]
        )
        return _answered(answer)

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, ConnectorKeyUnverifiable):
            return self._undecided(exc, self._raw())
        answer = body_refusal_answer(exc)
        if answer is not None:
            return self._record(answer, self._raw(), decisive=False)
        refused = self.connector_error_response(exc)
        if refused is not None:  # no valid key, or not a call (GET): counted, never recorded
            if refused.status_code in (401, 429):
                connector_key_refusals.labels(connector="identity").inc()
            gate_decisions.labels(decision=GateDecisionKind.REFUSED, reason=GateReason.CONNECTOR_KEY).inc()
            return refused
        logger.exception("identity connector failed", exc_info=exc)
        return self._undecided(exc, self._raw())

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
