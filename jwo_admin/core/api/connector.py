"""One answer shape for every connector path under ``/v1/`` (SPEC §8, §10; Amazon's gateway reads them).

Every answer Amazon gets from us — the connectors' own 400/401/429/500/503, and what Django or DRF
would otherwise answer on their own (405, 415, 404, a body too large, an error nobody caught) — is
``{"message": "…"}`` as ``application/json; charset=utf-8`` with ``Cache-Control: no-store``;
every 429 carries ``Retry-After``. Two pieces:

* :class:`ConnectorApi`, the base of the connector views: JSON whatever ``Accept`` says, DRF's
  errors turned into messages (:func:`connector_error`), the headers above;
* :class:`ConnectorAnswersMiddleware`, for what never reaches a view: unknown paths, a body Django
  refused to read, an exception that escaped — and a last pass over every ``/v1/`` answer so no
  HTML or ``{"detail": …}`` body can leave.
"""

import json
import logging
from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from rest_framework import exceptions
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from jwo_admin.core.api.authentication import ConnectorKeyAuthentication, IsConnector
from jwo_admin.core.api.parsers import BodyTooLarge, StorableJSONParser
from jwo_admin.core.connector_keys import ConnectorPrincipal

logger = logging.getLogger(__name__)

CONNECTOR_PREFIX = "/v1/"
CONTENT_TYPE = "application/json; charset=utf-8"
DEFAULT_RETRY_AFTER = "1"
STATUS_MESSAGES = {
    400: "The request could not be read.",
    401: "Unauthorized - missing or invalid connector key",
    403: "Forbidden.",
    404: "No such connector endpoint.",
    405: "Method not allowed: the connectors take POST.",
    406: "The connectors answer application/json only.",
    413: "The body is too large.",
    415: "The body must be JSON (Content-Type: application/json).",
    429: "Too Many Requests",
    500: "Internal error: nothing was decided.",
    503: "Unavailable just now; retry.",
}


def status_message(status: int) -> str:
    return STATUS_MESSAGES.get(status, "Internal error: nothing was decided." if status >= 500 else "Refused.")


def too_big_message() -> str:
    return f"The body is larger than {settings.JWO_CONNECTOR_MAX_BODY_BYTES:,} bytes; nothing was read."


def body_refusal(exc: Exception) -> str | None:
    """Why the body could not be read (too large, not JSON), in words; None for other errors."""
    error = connector_error(exc) if isinstance(exc, exceptions.ParseError | RequestDataTooBig) else None
    return error[1] if error is not None else None


def connector_error(exc: Exception, request: Request | None = None) -> tuple[int, str, dict[str, str]] | None:
    """DRF's and Django's refusals as (status, message, headers); None for anything else (a bug)."""
    if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
        headers = {"WWW-Authenticate": ConnectorKeyAuthentication().authenticate_header(request)}  # type: ignore[arg-type]
        return 401, STATUS_MESSAGES[401], headers
    if isinstance(exc, exceptions.Throttled):
        wait = getattr(exc, "wait", None)
        return 429, str(exc.detail), {"Retry-After": str(int(wait or 0) or DEFAULT_RETRY_AFTER)}
    if isinstance(exc, exceptions.MethodNotAllowed):
        method = request.method if request is not None else "this method"
        return 405, f"Method {method} not allowed: the connectors take POST.", {"Allow": "POST"}
    if isinstance(exc, exceptions.UnsupportedMediaType):
        return 415, STATUS_MESSAGES[415], {}
    if isinstance(exc, exceptions.NotAcceptable):
        return 406, STATUS_MESSAGES[406], {}
    if isinstance(exc, BodyTooLarge | RequestDataTooBig):
        return 400, too_big_message(), {}
    if isinstance(exc, exceptions.ParseError):
        return 400, f"The body is not valid JSON: {exc.detail}", {}
    if isinstance(exc, exceptions.NotFound):
        return 404, STATUS_MESSAGES[404], {}
    if isinstance(exc, exceptions.PermissionDenied):
        return 403, STATUS_MESSAGES[403], {}
    return None


def connector_headers(response: HttpResponse) -> HttpResponse:
    response["Content-Type"] = CONTENT_TYPE
    response["Cache-Control"] = "no-store"
    if response.status_code == 429 and not response.has_header("Retry-After"):
        response["Retry-After"] = DEFAULT_RETRY_AFTER
    return response


class ConnectorRenderer(JSONRenderer):
    charset = "utf-8"


class JsonOnly(DefaultContentNegotiation):
    """The connectors answer JSON whatever ``Accept`` asks for (a gateway may send ``*/*`` or
    nothing, a person with curl ``text/html``): never a 406 nobody would read."""

    def select_renderer(
        self, request: Request, renderers: Iterable[BaseRenderer], format_suffix: str | None = None
    ) -> Any:
        renderer = next(iter(renderers))
        return renderer, renderer.media_type


class ConnectorApi(APIView):
    """The base of Amazon's connector endpoints: the connector key, JSON in and out, one error shape."""

    http_method_names = ["post"]  # no OPTIONS either: Amazon only POSTs, and Allow says so
    authentication_classes = [ConnectorKeyAuthentication]
    permission_classes = [IsConnector]
    parser_classes = [StorableJSONParser]
    renderer_classes = [ConnectorRenderer]
    content_negotiation_class = JsonOnly

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        # Once the key is checked: what this call creates carries the key's simulation run, if any.
        principal = request.user
        run_id = principal.simulation_run_id if isinstance(principal, ConnectorPrincipal) else None
        request.simulation_run_id = run_id  # type: ignore[attr-defined]

    def simulation_run_id(self) -> int | None:
        """The store simulation run whose key made this call (None: a real caller, or no valid key)."""
        return getattr(getattr(self, "request", None), "simulation_run_id", None)

    def connector_error_response(self, exc: Exception) -> Response | None:
        """The refusal as the one answer shape; None for an exception that is not a refusal."""
        error = connector_error(exc, getattr(self, "request", None))
        if error is None:
            return None
        status, message, headers = error
        return Response({"message": message}, status=status, headers=headers)

    def handle_exception(self, exc: Exception) -> Response:
        response = self.connector_error_response(exc)
        if response is None:
            logger.exception("connector %s failed", type(self).__name__, exc_info=exc)
            response = Response({"message": status_message(500)}, status=500)
        return response

    def finalize_response(self, request: Request, response: Response, *args: Any, **kwargs: Any) -> Response:
        finalized = super().finalize_response(request, response, *args, **kwargs)
        connector_headers(finalized)
        return finalized


MESSAGE_BODY = "jwo_message_body"  # set True on a response whose body is known to be {"message": "…"}


def message_body_mark(response: HttpResponse) -> HttpResponse:
    """Say that ``response``'s body is ``{"message": "…"}`` already, so the middleware's last pass
    need not decode it again (a refused gate call's answer, built from a constant)."""
    setattr(response, MESSAGE_BODY, True)
    return response


def _is_message_body(response: HttpResponse) -> bool:
    if getattr(response, MESSAGE_BODY, False):
        return True
    if response.get("Content-Type", "").split(";")[0] != "application/json" or response.streaming:
        return False
    try:
        body = json.loads(response.content)
    except ValueError:
        return False
    return isinstance(body, dict) and isinstance(body.get("message"), str)


class ConnectorAnswersMiddleware:
    """Every answer under ``/v1/`` in the one shape, even those no connector view gave."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not request.path.startswith(CONNECTOR_PREFIX):
            return response
        if response.status_code >= 400 and not _is_message_body(response):
            replaced = JsonResponse({"message": status_message(response.status_code)}, status=response.status_code)
            for header in ("Allow", "Retry-After", "WWW-Authenticate"):
                if response.has_header(header):
                    replaced[header] = response[header]
            response = replaced
        return connector_headers(response)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not request.path.startswith(CONNECTOR_PREFIX):
            return None
        if isinstance(exception, RequestDataTooBig):
            return JsonResponse({"message": too_big_message()}, status=400)
        logger.error("connector call %s failed", request.path, exc_info=exception)
        return JsonResponse({"message": status_message(500)}, status=500)
