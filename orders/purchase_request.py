"""Validation of a Create Purchases body (SPEC §10.1–10.2), in plain Python.

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

from jwo_admin.core.api.plain_validation import (
    InvalidField,
    choice_field,
    item_object,
    list_field,
    object_field,
    text_field,
    timestamp_field,
    uuid_field,
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


def _optional_text(data: dict[str, Any], name: str, path: str, *, max_length: int = 255) -> str:
    return text_field(data, name, path, max_length=max_length) if data.get(name) is not None else ""


def _auth_event(value: Any, path: str) -> AuthEvent:
    event = item_object(value, path)
    event_id = uuid_field(event, "id", f"{path}.id")
    timestamp = timestamp_field(event, "timestamp", f"{path}.timestamp") if "timestamp" in event else None
    choice_field(event, "location", f"{path}.location", AUTH_LOCATIONS, required=False)
    choice_field(event, "payloadType", f"{path}.payloadType", PAYLOAD_TYPES)
    scan = object_field(event, "scanResult", f"{path}.scanResult", required=False)
    scan_id = scan_type = ""
    if scan is not None:
        scan_id = text_field(scan, "id", f"{path}.scanResult.id", max_length=255)
        choice_field(scan, "type", f"{path}.scanResult.type", SCAN_RESULT_TYPES)
        scan_type = str(scan["type"])
    return AuthEvent(
        event_id, timestamp, str(event.get("location") or ""), str(event["payloadType"]), scan_id, scan_type
    )


def _quantity(item: dict[str, Any], path: str) -> tuple[Decimal, str]:
    quantity = object_field(item, "quantity", f"{path}.quantity")
    assert quantity is not None  # noqa: S101 - required above
    value_path = f"{path}.quantity.value"
    if "value" in quantity and not isinstance(quantity["value"], str):
        raise InvalidField(value_path, NOT_A_QUANTITY)
    text = text_field(quantity, "value", value_path, max_length=MAX_QUANTITY_LENGTH, trim=False)
    if not QUANTITY_PATTERN.fullmatch(text):
        raise InvalidField(value_path, NOT_A_QUANTITY)
    amount = Decimal(text)
    if amount <= 0:
        raise InvalidField(value_path, "Must be greater than zero.")
    if amount > settings.JWO_MAX_LINE_QUANTITY:
        raise InvalidField(value_path, f"Must be at most {settings.JWO_MAX_LINE_QUANTITY}.")
    if len(text.partition(".")[2]) > MAX_QUANTITY_PLACES:
        raise InvalidField(value_path, f"Must have at most {MAX_QUANTITY_PLACES} decimal places.")
    unit = text_field(quantity, "unit", f"{path}.quantity.unit", max_length=32)
    return amount, unit


def _cart_item(value: Any, path: str) -> CartItem:
    item = item_object(value, path)
    item_id = text_field(item, "id", f"{path}.id", max_length=255)
    choice_field(item, "type", f"{path}.type", ITEM_TYPES)
    quantity, unit = _quantity(item, path)
    identifiers = []
    for index, raw in enumerate(list_field(item, "externalIdentifiers", f"{path}.externalIdentifiers", required=False)):
        identifier_path = f"{path}.externalIdentifiers[{index}]"
        identifier = item_object(raw, identifier_path)
        identifier_id = text_field(identifier, "id", f"{identifier_path}.id", max_length=255)
        choice_field(identifier, "type", f"{identifier_path}.type", IDENTIFIER_TYPES)
        identifiers.append((identifier_id, str(identifier["type"])))
    line_item_id = _optional_text(item, "lineItemId", f"{path}.lineItemId")
    return CartItem(item_id, str(item["type"]), quantity, unit, tuple(identifiers), line_item_id)


def purchase_request_parse(data: Any) -> PurchaseRequest:
    """The validated request, or InvalidField naming the first field at fault (in SPEC order)."""
    if data is None:
        raise InvalidField("body", "No data provided")
    if not isinstance(data, dict):
        raise InvalidField("body", f"Invalid data. Expected a dictionary, but got {type(data).__name__}.")
    request_id = uuid_field(data, "requestId", "requestId")
    trip_id = uuid_field(data, "idempotentShoppingTripId", "idempotentShoppingTripId").lower()
    store_id = text_field(data, "storeId", "storeId", max_length=255)
    trip = object_field(data, "shoppingTrip", "shoppingTrip")
    assert trip is not None  # noqa: S101 - required above
    start_time = timestamp_field(trip, "startTime", "shoppingTrip.startTime")
    end_time = timestamp_field(trip, "endTime", "shoppingTrip.endTime")
    if end_time < start_time:
        raise InvalidField("shoppingTrip.endTime", "Must not be earlier than shoppingTrip.startTime.")
    auth_events = tuple(
        _auth_event(value, f"shoppingTrip.authEvents[{index}]")
        for index, value in enumerate(list_field(trip, "authEvents", "shoppingTrip.authEvents", min_length=1))
    )
    raw_items = list_field(data, "cartItems", "cartItems")  # may be empty: an empty cart is a success
    items = tuple(_cart_item(value, f"cartItems[{index}]") for index, value in enumerate(raw_items))
    seen: dict[str, int] = {}
    for index, item in enumerate(items):
        if item.line_item_id and item.line_item_id in seen:
            raise InvalidField(
                f"cartItems[{index}].lineItemId",
                f"Duplicates cartItems[{seen[item.line_item_id]}].lineItemId ({item.line_item_id!r}).",
            )
        seen.setdefault(item.line_item_id, index)
    identity = object_field(data, "shopperIdentity", "shopperIdentity", required=False) or {}
    payment = object_field(data, "paymentSource", "paymentSource", required=False) or {}
    return PurchaseRequest(
        request_id=request_id,
        trip_id=trip_id,
        store_id=store_id,
        start_time=start_time,
        end_time=end_time,
        auth_events=auth_events,
        items=items,
        shopper_identity_id=_optional_text(identity, "id", "shopperIdentity.id"),
        shopper_device_id=_optional_text(data, "shopperDeviceId", "shopperDeviceId"),
        payment_source_id=_optional_text(payment, "id", "paymentSource.id"),
    )


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
