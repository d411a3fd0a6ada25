"""The published shapes of the Identity Connector (SPEC §8) and the shopper app's API (SPEC §9.1).

Documentation serializers only: the connector validates with ``entry.identity_request`` on its
hot path. The limits come from the same constants, so the schema cannot drift from the code.
"""

from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers

from entry.models import VisitorType
from entry.scan_keys import MAX_IDENTITY_KEY
from jwo_admin.core.api.schema import (
    FIELD_ERRORS_SCHEMA,
    ConnectorErrorSerializer,
    DetailSerializer,
    date_time_field,
    text,
    uuid_field,
)

BASE64_PATTERN = (
    r"^(?:[A-Za-z0-9+/]{4})+(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$|^[A-Za-z0-9+/]{2}==$|^[A-Za-z0-9+/]{3}=$"
)
AUTH_LOCATIONS = ("ENTRY",)
SCAN_KEY_PROBLEM_CODES = ("blocked", "flagged", "no_payment_method", "payment_expired")
KEY_CHANNELS = ("OPTICAL",)


class AuthEventSerializer(serializers.Serializer):
    id = uuid_field("The gate authentication event; a repeated id is a retry and gets the same answer.")
    timestamp = date_time_field("When the gate read the code (RFC 3339 with a zone).")
    location = serializers.ChoiceField(choices=AUTH_LOCATIONS)


class IdentityKeysRequestSerializer(serializers.Serializer):
    requestId = uuid_field("Amazon's id for this call; a new one on every retry.")  # noqa: N815 - Amazon's names
    identityKey = serializers.RegexField(  # noqa: N815
        BASE64_PATTERN,
        max_length=MAX_IDENTITY_KEY,
        help_text="The scanned Scan Key Code, Base64-encoded.",
    )
    storeId = text(255, "Amazon's store id; an unknown one is refused (400).")  # noqa: N815
    authEvent = AuthEventSerializer()  # noqa: N815
    keyChannel = serializers.ChoiceField(choices=KEY_CHANNELS, required=False)  # noqa: N815


class VisitorDetailsSerializer(serializers.Serializer):
    id = serializers.CharField(max_length=255, help_text="Our id for the person; Amazon sends it back on the cart.")
    type = serializers.ChoiceField(choices=VisitorType.values)


class IdentityKeysResponseSerializer(serializers.Serializer):
    visitorDetails = VisitorDetailsSerializer()  # noqa: N815


EXAMPLE_REQUEST = {
    "requestId": "3f2c9a10-5b7e-4c1d-9e8f-0a1b2c3d4e5f",
    "identityKey": "QUNNRUFQUDAxMjM0NTY3ODlhYmNkZWYwMTIzNDU2Nzg5YWJjZGVm",
    "storeId": "store-7f3a",
    "authEvent": {
        "id": "9d8c7b6a-1234-4abc-8def-0123456789ab",
        "timestamp": "2025-06-03T14:22:05Z",
        "location": "ENTRY",
    },
    "keyChannel": "OPTICAL",
}

identity_keys_schema = extend_schema(
    operation_id="verifyIdentityKeys",
    summary="Verify Identity Keys: may this person enter?",
    description=(
        "Amazon's gate calls this when a Scan Key Code is scanned. The answer comes within 2 s and is the "
        "same for every call with the same `authEvent.id`. 200 opens the gate; 400, 401 and 429 keep it "
        "closed; 500 is deliberate: we could not decide in time, and the gate follows the store's default."
    ),
    tags=["Identity Connector"],
    request=IdentityKeysRequestSerializer,
    responses={
        200: IdentityKeysResponseSerializer,
        400: OpenApiResponse(ConnectorErrorSerializer, description="Invalid body; `field` names the first at fault."),
        401: OpenApiResponse(
            ConnectorErrorSerializer, description="Missing or wrong connector key, or a code we refuse."
        ),
        405: OpenApiResponse(ConnectorErrorSerializer, description="Only POST."),
        415: OpenApiResponse(ConnectorErrorSerializer, description="The body must be application/json."),
        429: OpenApiResponse(
            ConnectorErrorSerializer, description="Too many wrong connector keys from this address (Retry-After)."
        ),
        500: OpenApiResponse(
            ConnectorErrorSerializer,
            description="Not decided: the shopper could not be verified in time, or the store's records could not "
            "be read. The gate follows the store's default.",
        ),
    },
    examples=[
        OpenApiExample("A scan at the entry gate", value=EXAMPLE_REQUEST, request_only=True),
        OpenApiExample(
            "Admitted", value={"visitorDetails": {"id": "cust-000982", "type": "SHOPPER"}}, response_only=True
        ),
    ],
)


class TokenRequestSerializer(serializers.Serializer):
    email = serializers.EmailField()
    password = serializers.CharField(max_length=200, trim_whitespace=False)


shopper_token_schema = extend_schema(
    operation_id="createShopperToken",
    summary="Sign the app in: email and password for a token (shown once).",
    tags=["Shopper app"],
    request=TokenRequestSerializer,
    responses={
        201: inline_serializer(
            "ShopperToken", {"token": serializers.CharField(), "shopperId": serializers.CharField()}
        ),
        400: OpenApiResponse(FIELD_ERRORS_SCHEMA, description="Invalid body: each field with its messages."),
        401: OpenApiResponse(DetailSerializer, description="Wrong email or password."),
        429: OpenApiResponse(DetailSerializer, description="Too many sign-in attempts; wait and try again."),
    },
)


class ScanKeyRequestSerializer(serializers.Serializer):
    storeId = serializers.CharField(max_length=255, required=False, help_text="Issue the code for this store.")  # noqa: N815


class ScanKeySerializer(serializers.Serializer):
    code = serializers.CharField(help_text="The text the QR code holds.")
    identityKey = serializers.CharField(help_text="The same, Base64-encoded, as Amazon will send it.")  # noqa: N815
    issuedAt = serializers.DateTimeField()  # noqa: N815
    expiresAt = serializers.DateTimeField()  # noqa: N815
    storeId = serializers.CharField(allow_null=True, help_text="The store the code is for; null: any store.")  # noqa: N815
    qrSvg = serializers.CharField(help_text="The QR code, as SVG markup.")  # noqa: N815


class ScanKeyProblemSerializer(serializers.Serializer):
    code = serializers.ChoiceField(choices=SCAN_KEY_PROBLEM_CODES)
    message = serializers.CharField(help_text="In words for the shopper.")


class ScanKeyRefusedSerializer(serializers.Serializer):
    message = serializers.CharField()
    problems = ScanKeyProblemSerializer(many=True)


scan_key_schema = extend_schema(
    operation_id="createScanKey",
    summary="A fresh Scan Key Code for the signed-in shopper.",
    tags=["Shopper app"],
    request=ScanKeyRequestSerializer,
    responses={
        201: ScanKeySerializer,
        400: OpenApiResponse(
            FIELD_ERRORS_SCHEMA, description="Invalid body or unknown store: each field with its messages."
        ),
        401: OpenApiResponse(DetailSerializer, description="No token, or an unknown or revoked one."),
        409: OpenApiResponse(ScanKeyRefusedSerializer, description="The shopper must fix something first."),
    },
)
