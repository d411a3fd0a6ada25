"""DRF authentication for Amazon's calls to our connectors (SPEC §3.2): a connector key in a header."""

import logging
import time
from typing import Any

from django.conf import settings
from django.db import DatabaseError
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from jwo_admin.core.client_address import client_address
from jwo_admin.core.connector_keys import (
    FAILURE_WINDOW_SECONDS,
    ConnectorPrincipal,
    connector_key_failure_count,
    connector_key_mark_used,
    connector_key_verify,
)
from jwo_admin.core.deadline import DeadlineExceeded

logger = logging.getLogger(__name__)


class ConnectorKeyUnverifiable(exceptions.APIException):
    """The key could not be checked in time (database slow or down, cache cold)."""

    status_code = 500
    default_detail = "The connector key could not be checked in time."


class ConnectorKeyThrottled(exceptions.Throttled):
    """Too many wrong connector keys from this address this minute: refused without a second look."""

    default_detail = "Too many failed connector keys from this address; wait a minute."


class ConnectorKeyAuthentication(BaseAuthentication):
    """``request.user`` becomes a ConnectorPrincipal when the configured header holds a valid key.

    A view with a hard deadline sets ``request.deadline`` (a ``time.perf_counter()`` value); a key
    lookup that would pass it raises ConnectorKeyUnverifiable instead of waiting.
    """

    def authenticate(self, request: Request) -> tuple[ConnectorPrincipal, None] | None:
        header = "HTTP_" + settings.JWO_CONNECTOR_KEY_HEADER.upper().replace("-", "_")
        presented = request.META.get(header, "")
        if not presented:
            return None
        deadline = getattr(request, "deadline", None)
        timeout = None if deadline is None else max(deadline - time.perf_counter(), 0.001)
        try:
            principal = connector_key_verify(presented, timeout=timeout)
        except (DeadlineExceeded, DatabaseError) as error:
            raise ConnectorKeyUnverifiable(str(error)) from error
        if principal is None:
            failures = connector_key_failure_count(client_address(request))
            if failures > settings.JWO_CONNECTOR_KEY_FAILURES_PER_MINUTE:
                if failures == settings.JWO_CONNECTOR_KEY_FAILURES_PER_MINUTE + 1:  # once per window
                    logger.warning("connector keys: %d failed attempts this minute, answering 429", failures)
                raise ConnectorKeyThrottled(wait=FAILURE_WINDOW_SECONDS)
            raise exceptions.AuthenticationFailed("Invalid connector key.")
        connector_key_mark_used(principal)
        return principal, None

    def authenticate_header(self, request: Request) -> str:
        # A value here makes DRF answer 401 (not 403) when the key is missing or wrong.
        return f'ConnectorKey header="{settings.JWO_CONNECTOR_KEY_HEADER}"'


class IsConnector(BasePermission):
    message = "A connector key is required."

    def has_permission(self, request: Request, view: Any) -> bool:
        return isinstance(request.user, ConnectorPrincipal)
