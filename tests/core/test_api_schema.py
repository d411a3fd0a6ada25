"""The published contract (OpenAPI 3.1 at /api/schema/) against the SPEC: shapes, enums, limits
and the SPEC's own examples; who may read it; and that what we send Amazon fits it."""

import json
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from drf_spectacular.generators import SchemaGenerator
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate as validate_openapi

from catalog.models import Barcode, Product, Store
from catalog.selectors.products import amazon_catalog_items

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
SPEC = Path(__file__).resolve().parents[3] / "shared" / "jwo-api" / "SPEC.md"
SPEC_EXAMPLES: list[dict[str, Any]] = json.loads((FIXTURES / "spec_examples.json").read_text())


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    return SchemaGenerator().get_schema(request=None, public=True)


def component(schema: dict[str, Any], name: str) -> dict[str, Any]:
    found: dict[str, Any] = schema["components"]["schemas"][name]
    return found


def resolve(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    """A property's schema with one level of $ref followed (drf-spectacular refs enums and objects)."""
    if "$ref" in node:
        return component(schema, node["$ref"].rsplit("/", 1)[1])
    return node


def validator(schema: dict[str, Any], name: str) -> Draft202012Validator:
    document = {"$ref": f"#/components/schemas/{name}", "components": schema["components"]}
    return Draft202012Validator(document, format_checker=Draft202012Validator.FORMAT_CHECKER)


def operation(schema: dict[str, Any], path: str) -> dict[str, Any]:
    found: dict[str, Any] = schema["paths"][path]["post"]
    return found


def request_component(schema: dict[str, Any], path: str) -> str:
    ref = operation(schema, path)["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    return str(ref.rsplit("/", 1)[1])


def test_the_document_is_valid_openapi_3_1_and_publishes_only_the_three_apis(schema: dict[str, Any]) -> None:
    validate_openapi(schema)
    assert schema["openapi"] == "3.1.0"
    assert sorted(schema["paths"]) == [
        "/api/app/v1/scan-keys",
        "/api/app/v1/token",
        "/v1/identity/identity-keys",
        "/v1/order/purchases",
    ]
    for path in schema["paths"]:
        assert list(operation(schema, path)["requestBody"]["content"]) == ["application/json"]


def test_connectors_require_the_connector_key_and_the_app_its_token(schema: dict[str, Any]) -> None:
    schemes = schema["components"]["securitySchemes"]
    assert schemes["connectorKey"]["type"] == "apiKey"
    assert schemes["connectorKey"]["in"] == "header"
    assert schemes["shopperToken"]["name"] == "Authorization"
    assert operation(schema, "/v1/identity/identity-keys")["security"] == [{"connectorKey": []}]
    assert operation(schema, "/v1/order/purchases")["security"] == [{"connectorKey": []}]
    assert operation(schema, "/api/app/v1/scan-keys")["security"] == [{"shopperToken": []}]
    assert operation(schema, "/api/app/v1/token")["security"] == [{}]  # signing in is how a token is had


# --- §8 Verify Identity Keys ---------------------------------------------------------------------


def test_identity_request_fields_and_limits_follow_spec_8_1(schema: dict[str, Any]) -> None:
    body = component(schema, request_component(schema, "/v1/identity/identity-keys"))
    assert sorted(body["required"]) == ["authEvent", "identityKey", "requestId", "storeId"]
    props = body["properties"]
    assert props["identityKey"]["maxLength"] == 1000
    assert props["storeId"]["maxLength"] == 255
    uuid = "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
    assert props["requestId"]["pattern"] == uuid
    event = resolve(schema, props["authEvent"])
    assert sorted(event["required"]) == ["id", "location", "timestamp"]
    assert event["properties"]["id"]["pattern"] == uuid
    assert event["properties"]["timestamp"]["format"] == "date-time"
    assert resolve(schema, event["properties"]["location"])["enum"] == ["ENTRY"]
    assert resolve(schema, props["keyChannel"])["enum"] == ["OPTICAL"]
    assert "keyChannel" not in body["required"]


def test_identity_answers_follow_spec_8_2_and_the_brief(schema: dict[str, Any]) -> None:
    responses = operation(schema, "/v1/identity/identity-keys")["responses"]
    assert sorted(responses) == ["200", "400", "401", "405", "415", "429", "500"]
    errors = [resolve(schema, responses[status]["content"]["application/json"]["schema"]) for status in responses]
    assert [sorted(error["properties"]) for error in errors[1:]] == [["field", "message"]] * 6  # one shape
    ok = component(schema, "IdentityKeysResponse")
    details = resolve(schema, ok["properties"]["visitorDetails"])
    assert sorted(details["required"]) == ["id", "type"]
    assert sorted(resolve(schema, details["properties"]["type"])["enum"]) == ["ASSOCIATE", "CASH_SHOPPER", "SHOPPER"]


@pytest.mark.parametrize(
    ("identity_key", "valid"),
    [("QUJD", True), ("QUI=", True), ("QQ==", True), ("QUJDRA", False), ("not base64!", False), ("==", False)],
)
def test_identity_key_pattern_is_strict_base64_as_the_connector_decodes_it(
    schema: dict[str, Any], identity_key: str, valid: bool
) -> None:
    pattern = component(schema, "IdentityKeysRequest")["properties"]["identityKey"]["pattern"]
    assert bool(re.search(pattern, identity_key)) is valid


# --- §10 Create Purchases ------------------------------------------------------------------------


def test_purchase_request_fields_and_limits_follow_spec_10_2(schema: dict[str, Any]) -> None:
    body = component(schema, request_component(schema, "/v1/order/purchases"))
    assert sorted(body["required"]) == ["cartItems", "idempotentShoppingTripId", "requestId", "shoppingTrip", "storeId"]
    props = body["properties"]
    assert props["storeId"]["maxLength"] == 255
    assert props["shopperDeviceId"]["maxLength"] == 255
    assert "minItems" not in props["cartItems"]  # an empty cart is a success
    trip = resolve(schema, props["shoppingTrip"])
    assert sorted(trip["required"]) == ["authEvents", "endTime", "startTime"]
    assert trip["properties"]["startTime"]["format"] == trip["properties"]["endTime"]["format"] == "date-time"
    assert trip["properties"]["authEvents"]["minItems"] == 1
    event = resolve(schema, trip["properties"]["authEvents"]["items"])
    assert sorted(event["required"]) == ["id", "payloadType"]
    assert sorted(resolve(schema, event["properties"]["payloadType"])["enum"]) == ["FINANCIAL", "SCAN_CODE"]
    assert sorted(resolve(schema, event["properties"]["location"])["enum"]) == ["ENTRY", "MANUAL_IN_STORE"]
    scan = resolve(schema, event["properties"]["scanResult"])
    assert scan["properties"]["id"]["maxLength"] == 255
    assert {"SHOPPER", "ASSOCIATE", "CASH_SHOPPER"} <= set(resolve(schema, scan["properties"]["type"])["enum"])
    item = resolve(schema, props["cartItems"]["items"])
    assert sorted(item["required"]) == ["id", "quantity", "type"]
    assert item["properties"]["id"]["maxLength"] == 255
    assert item["properties"]["lineItemId"]["maxLength"] == 255
    assert sorted(resolve(schema, item["properties"]["type"])["enum"]) == ["SCANCODE", "SKU"]
    quantity = resolve(schema, item["properties"]["quantity"])
    assert quantity["properties"]["value"]["type"] == "string"
    assert quantity["properties"]["value"]["maxLength"] == 10
    identifier = resolve(schema, item["properties"]["externalIdentifiers"]["items"])
    assert identifier["properties"]["id"]["maxLength"] == 255
    assert "UPC" in resolve(schema, identifier["properties"]["type"])["enum"]


def test_purchase_answers_follow_spec_10_3(schema: dict[str, Any]) -> None:
    responses = operation(schema, "/v1/order/purchases")["responses"]
    assert sorted(responses) == ["201", "400", "401", "405", "415", "429", "500", "503"]
    errors = [resolve(schema, responses[status]["content"]["application/json"]["schema"]) for status in responses]
    assert [sorted(error["properties"]) for error in errors[1:]] == [["field", "message"]] * 7  # one shape
    answer = component(schema, "CreatePurchasesResponse")
    assert answer["required"] == ["purchaseId"]
    assert answer["properties"]["purchaseId"]["type"] == "string"


@pytest.mark.parametrize(
    ("quantity", "valid"),
    [("2.0", True), ("0.455", True), ("10", True), ("2.", False), (".5", False), ("-1", False), ("1e3", False)],
)
def test_quantity_is_a_plain_decimal_string(schema: dict[str, Any], quantity: str, valid: bool) -> None:
    pattern = component(schema, "Quantity")["properties"]["value"]["pattern"]
    assert bool(re.search(pattern, quantity)) is valid


# --- §B Upload Catalog (what we send) ------------------------------------------------------------


def test_catalog_item_limits_follow_the_brief_table(schema: dict[str, Any]) -> None:
    item = component(schema, "AmazonCatalogItem")
    assert sorted(item["required"]) == ["external_product_id", "item_name", "item_sku", "store_id"]
    limits = {name: field.get("maxLength") for name, field in item["properties"].items()}
    assert limits == {
        "item_sku": 255,
        "external_product_id": 255,
        "external_product_id_type": None,
        "additional_external_product_information": None,
        "item_name": 255,
        "store_id": 255,
        "standard_price": 10,
        "brand_name": 255,
        "product_tax_code": 255,
        "product_category": 50,
        "product_subcategory": 50,
    }
    assert item["properties"]["additional_external_product_information"]["maxItems"] == 50
    kinds = item["properties"]["external_product_id_type"]["enum"]
    assert sorted(kinds) == ["EAN", "EAN8", "GTIN", "ISBN", "PLU", "UPC"]
    upload = component(schema, "AmazonCatalogUpload")
    assert upload["properties"]["catalogItems"]["maxItems"] == 10_000


# --- The SPEC's examples -------------------------------------------------------------------------


@pytest.mark.parametrize("case", SPEC_EXAMPLES, ids=lambda case: f"§{case['section']}-{case['component']}")
def test_spec_examples_validate_against_the_schema(schema: dict[str, Any], case: dict[str, Any]) -> None:
    errors = [error.message for error in validator(schema, case["component"]).iter_errors(case["example"])]
    assert errors == []


@pytest.mark.parametrize(
    ("name", "change", "complaint"),
    [
        ("IdentityKeysRequest", {"keyChannel": "NFC"}, "'NFC' is not one of ['OPTICAL']"),
        ("IdentityKeysRequest", {"storeId": "S" * 256}, "is too long"),
        ("IdentityKeysRequest", {"requestId": "not-a-uuid"}, "does not match"),
        (
            "CreatePurchasesRequest",
            {"cartItems": [{"id": "A", "type": "SKU", "quantity": {"value": 2}}]},
            "not of type",
        ),
    ],
)
def test_the_schema_refuses_what_the_spec_calls_invalid(
    schema: dict[str, Any], name: str, change: dict[str, Any], complaint: str
) -> None:
    example = next(case["example"] for case in SPEC_EXAMPLES if case["component"] == name)
    errors = [error.message for error in validator(schema, name).iter_errors({**example, **change})]
    assert len(errors) >= 1
    assert any(complaint in message for message in errors), errors


def test_the_examples_fixture_is_the_spec_text_where_the_spec_is_at_hand() -> None:
    """The fixture carries the SPEC's examples into a clone that lacks ``../shared``; beside it,
    they must be the SPEC's own blocks, unchanged."""
    if not SPEC.exists():
        pytest.skip(f"{SPEC} is not beside this checkout")
    text = SPEC.read_text()
    blocks = [json.loads(block) for block in re.findall(r"```json\n(.*?)```", text, re.S)]
    for case in SPEC_EXAMPLES:
        if case["heading"].endswith("(empty cart, in the text)"):
            assert '{ "purchaseId": "" }' in text
        else:
            assert case["example"] in blocks, case["heading"]


# --- What we send Amazon fits what we publish -----------------------------------------------------


@pytest.mark.django_db
def test_exported_catalog_items_validate_against_the_published_item(schema: dict[str, Any], store: Store) -> None:
    cola = Product.objects.create(
        store=store, sku="SKU-1", name="Acme Cola 330ml", price=Decimal("1.49"), brand="Acme", category="Beverages"
    )
    Barcode.objects.create(store=store, product=cola, value="036000291452", type="UPC", match_key="00036000291452")
    Barcode.objects.create(
        store=store, product=cola, value="4006381333931", type="EAN", match_key="04006381333931", position=1
    )
    produce = Product.objects.create(store=store, sku="P-1", name="Bananas (loose)", unit="kg")
    Barcode.objects.create(store=store, product=produce, value="4011", type="PLU", match_key="PLU4011")

    items = list(amazon_catalog_items(store=store))

    assert [item["item_sku"] for item in items] == ["P-1", "SKU-1"]
    check = validator(schema, "AmazonCatalogUpload")
    assert [error.message for error in check.iter_errors({"catalogItems": items})] == []


# --- Who may read it -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_staff_read_the_schema_and_its_docs_page_anonymous_visitors_do_not(client: Client, viewer: Any) -> None:
    assert client.get("/api/schema/?format=json").status_code == 403
    docs = client.get("/api/docs/")
    assert (docs.status_code, docs["Location"]) == (302, "/accounts/login/?next=/api/docs/")

    client.force_login(viewer)
    published = client.get("/api/schema/?format=json")
    assert published.status_code == 200
    assert sorted(json.loads(published.content)["paths"]) == sorted(
        SchemaGenerator().get_schema(request=None, public=True)["paths"]
    )
    page = client.get("/api/docs/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    assert "cdn" not in html.lower()
