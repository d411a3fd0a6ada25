"""The published shape of Create Purchases (SPEC §10).

Documentation only. The request is made from the field table the connector parses with
(``orders.purchase_request``); the answer is a documentation serializer.
"""

from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import serializers

from jwo_admin.core.api.fields import table_serializer
from jwo_admin.core.api.schema import ConnectorErrorSerializer
from orders.purchase_request import CREATE_PURCHASES_REQUEST

# The request's shape comes from the table the connector parses with.
CreatePurchasesRequestSerializer = table_serializer(CREATE_PURCHASES_REQUEST)


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
