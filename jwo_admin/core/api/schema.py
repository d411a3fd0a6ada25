"""The published contract: OpenAPI 3.1 for the connectors and the app API (drf-spectacular).

The connectors' request shapes are made from the field tables they parse with
(``jwo_admin.core.api.fields``); their answers and the app API are documentation serializers.
Tests hold the schema to the code: the schema against the SPEC's tables and examples, and schemathesis
sending what the schema allows and forbids to the real endpoints.
"""

from typing import Any

from django.conf import settings
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import serializers

# The paths the schema publishes: Amazon's two connectors and the shopper app's API.
PUBLISHED_PREFIXES = ("/v1/identity/", "/v1/order/", "/api/app/")


def published_paths_only(endpoints: list[tuple[str, str, str, Any]], **_: Any) -> list[tuple[str, str, str, Any]]:
    """Preprocessing hook: leave out anything that is not part of the published contract."""
    return [endpoint for endpoint in endpoints if endpoint[0].startswith(PUBLISHED_PREFIXES)]


class ConnectorKeyScheme(OpenApiAuthenticationExtension):
    target_class = "jwo_admin.core.api.authentication.ConnectorKeyAuthentication"
    name = "connectorKey"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": settings.JWO_CONNECTOR_KEY_HEADER,
            "description": "A connector key created in Settings; the API gateway in front of the connectors adds it.",
        }


class ConnectorErrorSerializer(serializers.Serializer):
    """A connector's refusal: what is wrong, and for a 400 the field at fault (its path)."""

    message = serializers.CharField()
    field = serializers.CharField(required=False, help_text="The path of the first field at fault, for a 400.")


class DetailSerializer(serializers.Serializer):
    """Django REST framework's own refusals (authentication, permission, throttling)."""

    detail = serializers.CharField()


# Django REST framework's 400 for a serializer: each field with its messages (``non_field_errors``
# for the body as a whole); a body that is not JSON gets ``{"detail": …}``.
FIELD_ERRORS_SCHEMA: dict[str, Any] = {
    "oneOf": [
        {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}}},
        {"type": "object", "properties": {"detail": {"type": "string"}}, "required": ["detail"]},
    ]
}
