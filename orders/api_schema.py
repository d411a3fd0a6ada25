"""The published shape of Create Purchases (SPEC §10), from the parser's own constants.

Documentation serializers only: the connector validates with ``orders.purchase_request``.
"""

from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import serializers

from jwo_admin.core.api.schema import ConnectorErrorSerializer, date_time_field, text, uuid_field
from orders.purchase_request import (
    AUTH_LOCATIONS,
    IDENTIFIER_TYPES,
    ITEM_TYPES,
    MAX_QUANTITY_LENGTH,
    PAYLOAD_TYPES,
    QUANTITY_PATTERN,
    SCAN_RESULT_TYPES,
)


class ScanResultSerializer(serializers.Serializer):
    id = text(255, "Our id for the visitor (the Identity Connector's visitorDetails.id).")
    type = serializers.ChoiceField(choices=SCAN_RESULT_TYPES)


class TripAuthEventSerializer(serializers.Serializer):
    id = uuid_field("The gate event that admitted this visitor.")
    timestamp = date_time_field("When it happened (RFC 3339 with a zone).", required=False)
    location = serializers.ChoiceField(choices=AUTH_LOCATIONS, required=False)
    payloadType = serializers.ChoiceField(choices=PAYLOAD_TYPES)  # noqa: N815 - Amazon's names
    scanResult = ScanResultSerializer(required=False)  # noqa: N815


class ShoppingTripSerializer(serializers.Serializer):
    startTime = date_time_field("RFC 3339 with a zone.")  # noqa: N815
    endTime = date_time_field("RFC 3339 with a zone; not earlier than startTime.")  # noqa: N815
    authEvents = serializers.ListField(child=TripAuthEventSerializer(), min_length=1)  # noqa: N815


class QuantitySerializer(serializers.Serializer):
    value = serializers.RegexField(
        QUANTITY_PATTERN.pattern,
        max_length=MAX_QUANTITY_LENGTH,
        help_text='A decimal number greater than zero, written as a string: "2.0", "0.455".',
    )
    unit = text(32, 'What the value counts: "unit", "kg", "lb"…')


class ExternalIdentifierSerializer(serializers.Serializer):
    id = text(255, "A barcode; padded and unpadded forms match.")
    type = serializers.ChoiceField(choices=IDENTIFIER_TYPES)


class CartItemSerializer(serializers.Serializer):
    id = text(255, "The catalog's item_sku for type SKU.")
    type = serializers.ChoiceField(choices=ITEM_TYPES)
    quantity = QuantitySerializer()
    externalIdentifiers = ExternalIdentifierSerializer(many=True, required=False)  # noqa: N815
    lineItemId = text(255, "Unique within the request.", required=False, allow_null=True)  # noqa: N815


class ShopperIdentitySerializer(serializers.Serializer):
    id = text(255, "Amazon's reference to the shopper.", required=False, allow_null=True)


class PaymentSourceSerializer(serializers.Serializer):
    id = text(255, "Amazon's reference to the payment source.", required=False, allow_null=True)


class CreatePurchasesRequestSerializer(serializers.Serializer):
    requestId = uuid_field("Amazon's id for this call; a new one on every retry.")  # noqa: N815
    idempotentShoppingTripId = uuid_field(  # noqa: N815
        "The trip: every delivery of it gets the first answer, and it is priced and charged once."
    )
    storeId = text(255, "Amazon's store id; an unknown one is refused (400).")  # noqa: N815
    shoppingTrip = ShoppingTripSerializer()  # noqa: N815
    cartItems = CartItemSerializer(many=True, help_text="May be empty: the visitor took nothing.")  # noqa: N815
    shopperIdentity = ShopperIdentitySerializer(required=False)  # noqa: N815
    shopperDeviceId = text(255, "Amazon's reference to the device.", required=False, allow_null=True)  # noqa: N815
    paymentSource = PaymentSourceSerializer(required=False)  # noqa: N815


class CreatePurchasesResponseSerializer(serializers.Serializer):
    purchaseId = serializers.CharField(  # noqa: N815
        allow_blank=True, help_text='Our purchase number; "" for an empty cart (its pre-authorisation is voided).'
    )


EXAMPLE_REQUEST = {
    "requestId": "c1d2e3f4-a5b6-4c7d-8e9f-a0b1c2d3e4f5",
    "idempotentShoppingTripId": "8e7d6c5b-4a39-4281-9f0e-d1c2b3a49586",
    "storeId": "store-7f3a",
    "shoppingTrip": {
        "startTime": "2025-06-03T14:22:05Z",
        "endTime": "2025-06-03T14:31:47Z",
        "authEvents": [
            {
                "id": "9d8c7b6a-1234-4abc-8def-0123456789ab",
                "timestamp": "2025-06-03T14:22:05Z",
                "location": "ENTRY",
                "payloadType": "SCAN_CODE",
                "scanResult": {"id": "cust-000982", "type": "SHOPPER"},
            }
        ],
    },
    "cartItems": [
        {
            "id": "RET-000451",
            "type": "SKU",
            "quantity": {"value": "2.0", "unit": "unit"},
            "externalIdentifiers": [{"id": "012345678905", "type": "UPC"}],
            "lineItemId": "li-1",
        }
    ],
    "shopperIdentity": {"id": "shopper-ref-55"},
    "shopperDeviceId": "device-ref-12",
    "paymentSource": {"id": "paysrc-ref-90"},
}

create_purchases_schema = extend_schema(
    operation_id="createPurchases",
    summary="Create Purchases: price the cart of a finished trip.",
    description=(
        "Amazon sends the cart when the visitor leaves. We price it (catalog price, promotions, tax) and answer "
        "201 with a purchaseId; every delivery of the same idempotentShoppingTripId gets that same answer. An "
        'empty cart answers `{"purchaseId": ""}`. A cart with items we cannot resolve is still answered 201 and '
        "waits for staff in the bad-cart queue. A 5xx means nothing was stored: Amazon retries."
    ),
    tags=["Ordering Connector"],
    request=CreatePurchasesRequestSerializer,
    responses={
        201: CreatePurchasesResponseSerializer,
        400: OpenApiResponse(ConnectorErrorSerializer, description="Invalid body; `field` names the first at fault."),
        401: OpenApiResponse(ConnectorErrorSerializer, description="Missing or wrong connector key."),
        405: OpenApiResponse(ConnectorErrorSerializer, description="Only POST."),
        415: OpenApiResponse(ConnectorErrorSerializer, description="The body must be application/json."),
        429: OpenApiResponse(
            ConnectorErrorSerializer, description="Too many wrong connector keys from this address (Retry-After)."
        ),
        500: OpenApiResponse(ConnectorErrorSerializer, description="An internal error; retry."),
        503: OpenApiResponse(ConnectorErrorSerializer, description="The database is unavailable; retry (Retry-After)."),
    },
    examples=[
        OpenApiExample("A trip with one item", value=EXAMPLE_REQUEST, request_only=True),
        OpenApiExample("Priced", value={"purchaseId": "PO-20250603-731"}, response_only=True),
    ],
)
