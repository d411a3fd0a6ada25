"""A Create Purchases body (SPEC §10.1–10.2): its field table, and the request read from it.

The table is the one description of the body: the connector parses with it (``table_parse``)
and the published schema's ``CreatePurchasesRequest`` is made from it (``orders.api_schema``).
Each problem is a 400 naming the first field at fault, with its path: ``cartItems[2].quantity.value``,
``shoppingTrip.authEvents[0].payloadType``. Unknown attributes are ignored (SPEC §1.4).
Quantities stay ``Decimal`` built from the string Amazon sent (never a float). The rules read
from Amazon's test-case titles ([TC]/[INFERRED] in the SPEC) are constants here, named, so they
can be changed in one place when Amazon confirms them.
"""

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.conf import settings

from jwo_admin.core.api.fields import (
    Choice,
    InvalidField,
    ListOf,
    Object,
    Text,
    Timestamp,
    table_parse,
    uuid_text,
)

AUTH_LOCATIONS = ("ENTRY", "MANUAL_IN_STORE")
PAYLOAD_TYPES = ("FINANCIAL", "SCAN_CODE")
SCAN_RESULT_TYPES = ("SHOPPER", "ASSOCIATE", "CASH", "CASH_SHOPPER", "LOYALTY")
ITEM_TYPES = ("SKU", "SCANCODE")
IDENTIFIER_TYPES = ("UPC", "EAN", "EAN8", "ISBN", "GTIN", "PLU")
MAX_QUANTITY_LENGTH = 10
MAX_QUANTITY_PLACES = 6  # what a purchase line stores
QUANTITY_PATTERN = re.compile(r"^[0-9]+(\.[0-9]+)?$")
NOT_A_QUANTITY = 'Must be a decimal number written as a string, e.g. "2.0".'


@dataclass(frozen=True)
class AuthEvent:
    id: str
    timestamp: datetime | None
    location: str
    payload_type: str
    scan_result_id: str
    scan_result_type: str


@dataclass(frozen=True)
class CartItem:
    id: str
    type: str
    quantity: Decimal
    unit: str
    external_identifiers: tuple[tuple[str, str], ...]  # (id, type)
    line_item_id: str


@dataclass(frozen=True)
class PurchaseRequest:
    request_id: str
    trip_id: str
    store_id: str
    start_time: datetime
    end_time: datetime
    auth_events: tuple[AuthEvent, ...]
    items: tuple[CartItem, ...]
    shopper_identity_id: str
    shopper_device_id: str
    payment_source_id: str

    @property
    def is_empty_cart(self) -> bool:
        return not self.items


def _quantity_amount(text: str) -> Decimal:
    """The quantity as sent (it matched QUANTITY_PATTERN): more than zero, within the line limit."""
    amount = Decimal(text)
    if amount <= 0:
        raise ValueError("Must be greater than zero.")
    if amount > settings.JWO_MAX_LINE_QUANTITY:
        raise ValueError(f"Must be at most {settings.JWO_MAX_LINE_QUANTITY}.")
    if len(text.partition(".")[2]) > MAX_QUANTITY_PLACES:
        raise ValueError(f"Must have at most {MAX_QUANTITY_PLACES} decimal places.")
    return amount


def _not_before_start(end_time: datetime, read: dict[str, Any], path: str) -> None:
    if end_time < read["startTime"]:
        raise InvalidField(path, "Must not be earlier than shoppingTrip.startTime.")


def _line_item_ids_unique(items: tuple["CartItem", ...], read: dict[str, Any], path: str) -> None:
    seen: dict[str, int] = {}
    for index, item in enumerate(items):
        if item.line_item_id and item.line_item_id in seen:
            raise InvalidField(
                f"{path}[{index}].lineItemId",
                f"Duplicates {path}[{seen[item.line_item_id]}].lineItemId ({item.line_item_id!r}).",
            )
        seen.setdefault(item.line_item_id, index)


def _auth_event(read: dict[str, Any]) -> AuthEvent:
    scan = read["scanResult"] or {"id": "", "type": ""}
    return AuthEvent(read["id"], read["timestamp"], read["location"], read["payloadType"], scan["id"], scan["type"])


def _cart_item(read: dict[str, Any]) -> CartItem:
    quantity = read["quantity"]
    identifiers = tuple((identifier["id"], identifier["type"]) for identifier in read["externalIdentifiers"])
    return CartItem(read["id"], read["type"], quantity["value"], quantity["unit"], identifiers, read["lineItemId"])


def _purchase_request(read: dict[str, Any]) -> PurchaseRequest:
    trip = read["shoppingTrip"]
    return PurchaseRequest(
        request_id=read["requestId"],
        trip_id=read["idempotentShoppingTripId"].lower(),
        store_id=read["storeId"],
        start_time=trip["startTime"],
        end_time=trip["endTime"],
        auth_events=trip["authEvents"],
        items=read["cartItems"],
        shopper_identity_id=(read["shopperIdentity"] or {}).get("id", ""),
        shopper_device_id=read["shopperDeviceId"],
        payment_source_id=(read["paymentSource"] or {}).get("id", ""),
    )


def _reference(name: str, help_text: str) -> Text:
    """One of Amazon's optional references: null or absent reads as ""."""
    return Text(name=name, help_text=help_text, max_length=255, required=False, nullable=True)


TRIP_AUTH_EVENT = Object(
    schema_name="TripAuthEvent",
    build=_auth_event,
    fields=(
        uuid_text("id", "The gate event that admitted this visitor."),
        Timestamp(name="timestamp", help_text="When it happened (RFC 3339 with a zone).", required=False),
        Choice(name="location", choices=AUTH_LOCATIONS, required=False),
        Choice(name="payloadType", choices=PAYLOAD_TYPES),
        Object(
            name="scanResult",
            schema_name="ScanResult",
            required=False,
            fields=(
                Text(
                    name="id",
                    help_text="Our id for the visitor (the Identity Connector's visitorDetails.id).",
                    max_length=255,
                ),
                Choice(name="type", choices=SCAN_RESULT_TYPES),
            ),
        ),
    ),
)

EXTERNAL_IDENTIFIER = Object(
    schema_name="ExternalIdentifier",
    fields=(
        Text(name="id", help_text="A barcode; padded and unpadded forms match.", max_length=255),
        Choice(name="type", choices=IDENTIFIER_TYPES),
    ),
)

CART_ITEM = Object(
    schema_name="CartItem",
    build=_cart_item,
    fields=(
        Text(name="id", help_text="The catalog's item_sku for type SKU.", max_length=255),
        Choice(name="type", choices=ITEM_TYPES),
        Object(
            name="quantity",
            schema_name="Quantity",
            fields=(
                Text(
                    name="value",
                    help_text='A decimal number greater than zero, written as a string: "2.0", "0.455".',
                    max_length=MAX_QUANTITY_LENGTH,
                    trim=False,
                    pattern=QUANTITY_PATTERN,
                    mismatch=NOT_A_QUANTITY,
                    wrong_type=NOT_A_QUANTITY,
                    convert=_quantity_amount,
                ),
                Text(name="unit", help_text='What the value counts: "unit", "kg", "lb"…', max_length=32),
            ),
        ),
        ListOf(name="externalIdentifiers", item=EXTERNAL_IDENTIFIER, required=False),
        _reference("lineItemId", "Unique within the request."),
    ),
)

CREATE_PURCHASES_REQUEST = Object(
    schema_name="CreatePurchasesRequest",
    build=_purchase_request,
    fields=(
        uuid_text("requestId", "Amazon's id for this call; a new one on every retry."),
        uuid_text(
            "idempotentShoppingTripId",
            "The trip: every delivery of it gets the first answer, and it is priced and charged once.",
        ),
        Text(name="storeId", help_text="Amazon's store id; an unknown one is refused (400).", max_length=255),
        Object(
            name="shoppingTrip",
            schema_name="ShoppingTrip",
            fields=(
                Timestamp(name="startTime", help_text="RFC 3339 with a zone."),
                Timestamp(
                    name="endTime",
                    help_text="RFC 3339 with a zone; not earlier than startTime.",
                    check=_not_before_start,
                ),
                ListOf(name="authEvents", item=TRIP_AUTH_EVENT, min_items=1),
            ),
        ),
        ListOf(
            name="cartItems",
            item=CART_ITEM,
            help_text="May be empty: the visitor took nothing.",  # an empty cart is a success (SPEC §10.3)
            check=_line_item_ids_unique,
        ),
        Object(
            name="shopperIdentity",
            schema_name="ShopperIdentity",
            required=False,
            fields=(_reference("id", "Amazon's reference to the shopper."),),
        ),
        _reference("shopperDeviceId", "Amazon's reference to the device."),
        Object(
            name="paymentSource",
            schema_name="PaymentSource",
            required=False,
            fields=(_reference("id", "Amazon's reference to the payment source."),),
        ),
    ),
)


def purchase_request_parse(data: Any) -> PurchaseRequest:
    """The validated request, or InvalidField naming the first field at fault (in SPEC order)."""
    parsed: PurchaseRequest = table_parse(CREATE_PURCHASES_REQUEST, data)
    return parsed


def purchase_request_fingerprint(data: dict[str, Any]) -> str:
    """What makes two deliveries the same cart: the whole body but ``requestId`` (new on every
    retry), canonically encoded. A replay with another fingerprint is a conflict for staff."""
    body = {key: value for key, value in data.items() if key != "requestId"}
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def visitor_event(auth_events: tuple[AuthEvent, ...]) -> AuthEvent | None:
    """The auth event that names the trip's visitor: the first with a ``scanResult.id`` that is a
    person we answered for at the gate (SHOPPER, ASSOCIATE, CASH…), else the first with any (a
    LOYALTY scan names a loyalty account, not who pays)."""
    named = [event for event in auth_events if event.scan_result_id]
    return next((event for event in named if event.scan_result_type != "LOYALTY"), named[0] if named else None)


def stored_auth_events(body: Any) -> tuple[AuthEvent, ...]:
    """The auth events of a request body kept on a purchase (it was valid when stored); none for a
    body that is not a Create Purchases request (purchases made by hand in the admin or tests)."""
    try:
        return purchase_request_parse(body).auth_events
    except InvalidField:
        return ()
