"""Create Purchases bodies (SPEC §10.1–10.2): the SPEC's example parses; every rule is a 400 naming its field."""

import copy
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from jwo_admin.core.api.fields import InvalidField
from orders.purchase_request import (
    AuthEvent,
    CartItem,
    PurchaseRequest,
    purchase_request_fingerprint,
    purchase_request_parse,
)

SPEC_EXAMPLE = json.loads((Path(__file__).parent.parent / "fixtures" / "create_purchases.json").read_text())
REQUIRED = "This field is required."
NO_PATTERN = "This value does not match the required pattern."
BAD_TIME = "Must be an ISO-8601 time with a zone, e.g. 2025-06-03T14:22:05Z."
NOT_A_QUANTITY = 'Must be a decimal number written as a string, e.g. "2.0".'


def example() -> dict[str, Any]:
    return copy.deepcopy(SPEC_EXAMPLE)


def test_the_spec_example_parses_to_exactly_what_it_says() -> None:
    parsed = purchase_request_parse(example())

    assert parsed == PurchaseRequest(
        request_id="c1d2e3f4-a5b6-4c7d-8e9f-a0b1c2d3e4f5",
        trip_id="8e7d6c5b-4a39-4281-9f0e-d1c2b3a49586",
        store_id="store-7f3a",
        start_time=datetime(2025, 6, 3, 14, 22, 5, tzinfo=UTC),
        end_time=datetime(2025, 6, 3, 14, 31, 47, tzinfo=UTC),
        auth_events=(
            AuthEvent(
                id="9d8c7b6a-1234-4abc-8def-0123456789ab",
                timestamp=datetime(2025, 6, 3, 14, 22, 5, tzinfo=UTC),
                location="ENTRY",
                payload_type="SCAN_CODE",
                scan_result_id="cust-000982",
                scan_result_type="SHOPPER",
            ),
        ),
        items=(
            CartItem(
                id="RET-000451",
                type="SKU",
                quantity=Decimal("2.0"),
                unit="unit",
                external_identifiers=(("012345678905", "UPC"),),
                line_item_id="li-1",
            ),
        ),
        shopper_identity_id="shopper-ref-55",
        shopper_device_id="device-ref-12",
        payment_source_id="paysrc-ref-90",
    )
    assert parsed.is_empty_cart is False


def test_an_empty_cart_and_only_the_required_fields_parse() -> None:
    body = example()
    body["cartItems"] = []
    for optional in ("shopperIdentity", "shopperDeviceId", "paymentSource"):
        del body[optional]
    event = body["shoppingTrip"]["authEvents"][0]
    for optional in ("timestamp", "location", "scanResult"):
        del event[optional]

    parsed = purchase_request_parse(body)

    assert parsed.items == ()
    assert parsed.is_empty_cart is True
    assert parsed.auth_events == (AuthEvent("9d8c7b6a-1234-4abc-8def-0123456789ab", None, "", "SCAN_CODE", "", ""),)
    assert (parsed.shopper_identity_id, parsed.shopper_device_id, parsed.payment_source_id) == ("", "", "")


def test_unknown_attributes_are_ignored_at_every_level() -> None:
    body = example()
    body["newTopLevel"] = {"x": 1}
    body["shoppingTrip"]["newTripField"] = True
    body["shoppingTrip"]["authEvents"][0]["newEventField"] = "y"
    body["cartItems"][0]["newItemField"] = [1]
    body["cartItems"][0]["quantity"]["precision"] = 3

    assert purchase_request_parse(body) == purchase_request_parse(example())


def test_weight_quantities_stay_exact_decimals() -> None:
    body = example()
    body["cartItems"][0]["quantity"] = {"value": "0.532", "unit": "kg"}

    item = purchase_request_parse(body).items[0]

    assert (item.quantity, item.unit) == (Decimal("0.532"), "kg")


def _pop(*path: str | int) -> Callable[[dict[str, Any]], None]:
    def change(body: dict[str, Any]) -> None:
        target: Any = body
        for name in path[:-1]:
            target = target[name]
        del target[path[-1]]

    return change


def _set(*path: str | int, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(body: dict[str, Any]) -> None:
        target: Any = body
        for name in path[:-1]:
            target = target[name]
        target[path[-1]] = value

    return change


def _second_line(line_item_id: str) -> Callable[[dict[str, Any]], None]:
    def change(body: dict[str, Any]) -> None:
        line = copy.deepcopy(body["cartItems"][0])
        line["lineItemId"] = line_item_id
        body["cartItems"].append(line)

    return change


EVENT = ("shoppingTrip", "authEvents", 0)
ITEM = ("cartItems", 0)
CASES = [
    pytest.param(_pop("requestId"), "requestId", REQUIRED, id="requestId-missing"),
    pytest.param(_set("requestId", value="not-a-uuid"), "requestId", NO_PATTERN, id="requestId-bad"),
    pytest.param(_pop("idempotentShoppingTripId"), "idempotentShoppingTripId", REQUIRED, id="trip-missing"),
    pytest.param(
        _set("idempotentShoppingTripId", value="trip-1"), "idempotentShoppingTripId", NO_PATTERN, id="trip-bad"
    ),
    pytest.param(_pop("storeId"), "storeId", REQUIRED, id="storeId-missing"),
    pytest.param(
        _set("storeId", value="S" * 256),
        "storeId",
        "Ensure this field has no more than 255 characters.",
        id="storeId-long",
    ),
    pytest.param(_pop("shoppingTrip"), "shoppingTrip", REQUIRED, id="trip-object-missing"),
    pytest.param(
        _set("shoppingTrip", value=[]),
        "shoppingTrip",
        'Expected a dictionary of items but got type "list".',
        id="trip-object-list",
    ),
    pytest.param(_pop("shoppingTrip", "startTime"), "shoppingTrip.startTime", REQUIRED, id="start-missing"),
    pytest.param(_set("shoppingTrip", "startTime", value="today"), "shoppingTrip.startTime", BAD_TIME, id="start-bad"),
    pytest.param(
        _set("shoppingTrip", "endTime", value="2025-06-03T14:31:47"), "shoppingTrip.endTime", BAD_TIME, id="end-naive"
    ),
    pytest.param(
        _set("shoppingTrip", "endTime", value="2025-06-03T14:22:04Z"),
        "shoppingTrip.endTime",
        "Must not be earlier than shoppingTrip.startTime.",
        id="end-before-start",
    ),
    pytest.param(_pop("shoppingTrip", "authEvents"), "shoppingTrip.authEvents", REQUIRED, id="events-missing"),
    pytest.param(
        _set("shoppingTrip", "authEvents", value=[]),
        "shoppingTrip.authEvents",
        "Ensure this field has at least 1 elements.",
        id="events-empty",
    ),
    pytest.param(
        _set("shoppingTrip", "authEvents", value={}),
        "shoppingTrip.authEvents",
        'Expected a list of items but got type "dict".',
        id="events-not-list",
    ),
    pytest.param(_pop(*EVENT, "id"), "shoppingTrip.authEvents[0].id", REQUIRED, id="event-id-missing"),
    pytest.param(_set(*EVENT, "id", value="gate-1"), "shoppingTrip.authEvents[0].id", NO_PATTERN, id="event-id-bad"),
    pytest.param(
        _set(*EVENT, "timestamp", value="noon"), "shoppingTrip.authEvents[0].timestamp", BAD_TIME, id="event-time-bad"
    ),
    pytest.param(
        _set(*EVENT, "location", value="EXIT"),
        "shoppingTrip.authEvents[0].location",
        '"EXIT" is not a valid choice.',
        id="event-location-bad",
    ),
    pytest.param(
        _pop(*EVENT, "payloadType"), "shoppingTrip.authEvents[0].payloadType", REQUIRED, id="payload-type-missing"
    ),
    pytest.param(
        _set(*EVENT, "payloadType", value="NFC"),
        "shoppingTrip.authEvents[0].payloadType",
        '"NFC" is not a valid choice.',
        id="payload-type-bad",
    ),
    pytest.param(
        _set(*EVENT, "scanResult", "type", value="VIP"),
        "shoppingTrip.authEvents[0].scanResult.type",
        '"VIP" is not a valid choice.',
        id="scan-type-bad",
    ),
    pytest.param(
        _pop(*EVENT, "scanResult", "id"), "shoppingTrip.authEvents[0].scanResult.id", REQUIRED, id="scan-id-missing"
    ),
    pytest.param(_pop("cartItems"), "cartItems", REQUIRED, id="items-missing"),
    pytest.param(
        _set(*ITEM, value="RET-1"),
        "cartItems[0]",
        'Expected a dictionary of items but got type "str".',
        id="item-not-object",
    ),
    pytest.param(_pop(*ITEM, "id"), "cartItems[0].id", REQUIRED, id="item-id-missing"),
    pytest.param(
        _set(*ITEM, "type", value="BARCODE"),
        "cartItems[0].type",
        '"BARCODE" is not a valid choice.',
        id="item-type-bad",
    ),
    pytest.param(_pop(*ITEM, "quantity"), "cartItems[0].quantity", REQUIRED, id="quantity-missing"),
    pytest.param(
        _set(*ITEM, "quantity", "value", value=2.0), "cartItems[0].quantity.value", NOT_A_QUANTITY, id="quantity-float"
    ),
    pytest.param(
        _set(*ITEM, "quantity", "value", value="2,5"),
        "cartItems[0].quantity.value",
        NOT_A_QUANTITY,
        id="quantity-comma",
    ),
    pytest.param(
        _set(*ITEM, "quantity", "value", value="-1"),
        "cartItems[0].quantity.value",
        NOT_A_QUANTITY,
        id="quantity-negative",
    ),
    pytest.param(
        _set(*ITEM, "quantity", "value", value="1e3"),
        "cartItems[0].quantity.value",
        NOT_A_QUANTITY,
        id="quantity-exponent",
    ),
    pytest.param(
        _set(*ITEM, "quantity", "value", value="0.000"),
        "cartItems[0].quantity.value",
        "Must be greater than zero.",
        id="quantity-zero",
    ),
    pytest.param(
        _set(*ITEM, "quantity", "value", value="12345678.90"),
        "cartItems[0].quantity.value",
        "Ensure this field has no more than 10 characters.",
        id="quantity-long",
    ),
    pytest.param(
        _set(*ITEM, "quantity", "value", value="10000.001"),
        "cartItems[0].quantity.value",
        "Must be at most 10000.",
        id="quantity-above-the-line-limit",
    ),
    pytest.param(
        _set(*ITEM, "quantity", "value", value="0.1234567"),
        "cartItems[0].quantity.value",
        "Must have at most 6 decimal places.",
        id="quantity-7-places",
    ),
    pytest.param(
        _set(*ITEM, "quantity", "value", value=" 2.0"),
        "cartItems[0].quantity.value",
        NOT_A_QUANTITY,
        id="quantity-padded",
    ),
    pytest.param(_set(*ITEM, "id", value=451), "cartItems[0].id", "Not a valid string.", id="item-id-number"),
    pytest.param(
        _set("shoppingTrip", "startTime", value="2025-06-03T14:22:05+0000"),
        "shoppingTrip.startTime",
        BAD_TIME,
        id="time-offset-without-colon",
    ),
    pytest.param(_pop(*ITEM, "quantity", "unit"), "cartItems[0].quantity.unit", REQUIRED, id="unit-missing"),
    pytest.param(
        _set(*ITEM, "externalIdentifiers", 0, "type", value="QR"),
        "cartItems[0].externalIdentifiers[0].type",
        '"QR" is not a valid choice.',
        id="identifier-type-bad",
    ),
    pytest.param(
        _pop(*ITEM, "externalIdentifiers", 0, "id"),
        "cartItems[0].externalIdentifiers[0].id",
        REQUIRED,
        id="identifier-id-missing",
    ),
    pytest.param(
        _second_line("li-1"),
        "cartItems[1].lineItemId",
        "Duplicates cartItems[0].lineItemId ('li-1').",
        id="line-item-id-duplicate",
    ),
    pytest.param(
        _set("shopperIdentity", "id", value="x" * 256),
        "shopperIdentity.id",
        "Ensure this field has no more than 255 characters.",
        id="shopper-identity-long",
    ),
]


@pytest.mark.parametrize(("change", "field", "message"), CASES)
def test_each_rule_is_a_400_naming_the_field(
    change: Callable[[dict[str, Any]], None], field: str, message: str
) -> None:
    body = example()
    change(body)

    with pytest.raises(InvalidField) as invalid:
        purchase_request_parse(body)

    assert (invalid.value.field, invalid.value.message) == (field, message)


@pytest.mark.parametrize(
    ("body", "message"),
    [(None, "No data provided"), ([], "Invalid data. Expected a dictionary, but got list."), ({}, REQUIRED)],
)
def test_an_empty_or_shapeless_body_is_refused(body: Any, message: str) -> None:
    with pytest.raises(InvalidField) as invalid:
        purchase_request_parse(body)

    assert invalid.value.message == message


def test_distinct_line_item_ids_are_fine() -> None:
    body = example()
    _second_line("li-2")(body)

    assert [item.line_item_id for item in purchase_request_parse(body).items] == ["li-1", "li-2"]


def test_fingerprint_ignores_the_request_id_but_not_the_cart() -> None:
    retry = example()
    retry["requestId"] = "00000000-0000-4000-8000-000000000000"
    other_cart = example()
    other_cart["cartItems"][0]["quantity"]["value"] = "3.0"
    reordered = json.loads(json.dumps(example(), sort_keys=True))

    assert purchase_request_fingerprint(retry) == purchase_request_fingerprint(example())
    assert purchase_request_fingerprint(reordered) == purchase_request_fingerprint(example())
    assert purchase_request_fingerprint(other_cart) != purchase_request_fingerprint(example())


def test_quantities_up_to_the_line_limit_and_six_places_are_fine(settings: Any) -> None:
    settings.JWO_MAX_LINE_QUANTITY = 500
    body = example()
    body["cartItems"][0]["quantity"]["value"] = "500"
    second = copy.deepcopy(body["cartItems"][0])
    second.update(lineItemId="li-2", quantity={"value": "0.123456", "unit": "kg"})
    body["cartItems"].append(second)

    assert [item.quantity for item in purchase_request_parse(body).items] == [Decimal("500"), Decimal("0.123456")]

    body["cartItems"][0]["quantity"]["value"] = "500.5"
    with pytest.raises(InvalidField) as invalid:
        purchase_request_parse(body)
    assert (invalid.value.field, invalid.value.message) == ("cartItems[0].quantity.value", "Must be at most 500.")


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        ("2025-06-03t14:22:05z", datetime(2025, 6, 3, 14, 22, 5, tzinfo=UTC)),
        ("2025-06-03T16:22:05.25+02:00", datetime(2025, 6, 3, 14, 22, 5, 250000, tzinfo=UTC)),
        ("2025-06-04T14:14:05+23:52", datetime(2025, 6, 3, 14, 22, 5, tzinfo=UTC)),  # RFC 3339 allows it
    ],
)
def test_rfc_3339_times_are_kept_in_utc(sent: str, kept: datetime) -> None:
    body = example()
    body["shoppingTrip"]["startTime"] = sent

    start = purchase_request_parse(body).start_time

    assert (start, start.utcoffset()) == (kept, timedelta(0))
