"""The published contract: OpenAPI 3.1 for the connectors and the app API (drf-spectacular).

The connectors validate by hand on their hot path (``plain_validation``), so their request and
response shapes are described here by documentation serializers that carry the same limits.
Tests hold the two together: the schema against the SPEC's tables and examples, and schemathesis
sending what the schema allows and forbids to the real endpoints.
"""

from typing import Any

from django.conf import settings
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from jwo_admin.core.api.plain_validation import UUID_PATTERN

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


def uuid_field(help_text: str) -> serializers.RegexField:
    return serializers.RegexField(UUID_PATTERN.pattern, max_length=64, help_text=help_text)


@extend_schema_field({"type": "string", "format": "date-time"})
class DateTimeText(serializers.CharField):
    """A time as the connectors accept it: RFC 3339 with a zone (``DATE_TIME_PATTERN``; Amazon
    sends UTC, ``…Z``), which is what JSON Schema's ``date-time`` means."""


def date_time_field(help_text: str, **kwargs: Any) -> DateTimeText:
    return DateTimeText(help_text=help_text, **kwargs)


def text(max_length: int, help_text: str, **kwargs: Any) -> serializers.CharField:
    """A string that must not be blank (the connectors trim it first)."""
    return serializers.CharField(max_length=max_length, min_length=1, help_text=help_text, **kwargs)


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
