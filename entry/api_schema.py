"""The published shapes of the Identity Connector (SPEC §8) and the shopper app's API (SPEC §9.1).

Documentation only. The connector's request is made from the field table it parses with
(``entry.identity_request``), so the schema cannot drift from the code; the answers and the app's
shapes are documentation serializers.
"""

from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers

from entry.identity_request import IDENTITY_KEYS_REQUEST
from entry.models import VisitorType
from jwo_admin.core.api.fields import table_serializer
from jwo_admin.core.api.schema import FIELD_ERRORS_SCHEMA, ConnectorErrorSerializer, DetailSerializer

SCAN_KEY_PROBLEM_CODES = ("blocked", "flagged", "no_payment_method", "payment_expired")

# The request's shape comes from the table the connector parses with.
IdentityKeysRequestSerializer = table_serializer(IDENTITY_KEYS_REQUEST)


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
