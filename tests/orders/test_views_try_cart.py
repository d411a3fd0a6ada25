"""Try a cart: a typed cart priced exactly as Create Purchases prices it, and a curl command whose
body the connector accepts and prices to the same figures."""

import json
import re
import shlex
import uuid
from decimal import Decimal
from html import unescape
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from catalog.models import Barcode, Product, Store
from jwo_admin.core.connector_keys import connector_key_create
from orders.models import ItemAlias, Promotion, Purchase, PurchaseStatus, TaxRate
from orders.purchase_request import purchase_request_parse

pytestmark = pytest.mark.django_db

URL = reverse("orders:try_cart")


def _text(fragment: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", fragment).split())


def table_rows(html: str, table_id: str) -> list[list[str]]:
    table = re.search(rf'<table[^>]*id="{table_id}"[^>]*>.*?<tbody[^>]*>(.*?)</tbody>', html, re.S)
    assert table is not None, f"no table #{table_id}"
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", table.group(1), re.S)
    return [[unescape(_text(cell)) for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)] for row in rows]


def element_text(html: str, element_id: str) -> str:
    found = re.search(rf'<(\w+)[^>]*id="{element_id}"[^>]*>(.*?)</\1>', html, re.S)
    assert found is not None, f"no #{element_id}"
    return unescape(_text(found.group(2)))


def curl_of(html: str) -> list[str]:
    """The curl command on the page, split as a shell would split it."""
    return shlex.split(element_text(html, "curl-command"))


def body_of(html: str) -> dict[str, Any]:
    words = curl_of(html)
    body: dict[str, Any] = json.loads(words[words.index("-d") + 1])
    return body


@pytest.fixture
def shop(store: Store) -> Store:
    """New York (tax added): FOOD 5 %, GENERAL 10 %. Cola 1.99 (UPC 012345678905, FOOD), chips 2.50
    (Snacks, GENERAL), apples 3.99 a kg (FOOD). "2 snacks for 4.00" always; "Cola 10 % off" only
    08:00–12:00 on the store's clock."""
    store.time_zone = "America/New_York"
    store.save()
    TaxRate.objects.create(store=store, tax_code="FOOD", rate=Decimal("0.05"))
    TaxRate.objects.create(store=store, tax_code="GENERAL", rate=Decimal("0.10"))
    cola = Product.objects.create(store=store, sku="SKU-COLA", name="Cola", price=Decimal("1.99"), tax_code="FOOD")
    Barcode.objects.create(
        store=store, product=cola, value="012345678905", type="UPC", match_key="00012345678905", is_primary=True
    )
    Product.objects.create(
        store=store, sku="SKU-CHIPS", name="Chips", price=Decimal("2.50"), tax_code="GENERAL", category="Snacks"
    )
    Product.objects.create(
        store=store, sku="SKU-APPLE", name="Apples", price=Decimal("3.99"), tax_code="FOOD", unit="kg"
    )
    Promotion.objects.create(
        name="2 snacks for 4.00", kind="multi_buy", categories=["Snacks"], buy_quantity=2, amount=Decimal("4.00")
    )
    Promotion.objects.create(
        name="Cola 10% off",
        kind="percent_off",
        skus=["SKU-COLA"],
        percent=Decimal("10"),
        time_from="08:00",
        time_to="12:00",
    )
    return store


CART = "SKU-CHIPS 3\n012345678905 2\n\nSKU-APPLE 0.75\nRET-NOPE"


def test_a_cart_is_priced_with_its_promotions_at_the_chosen_moment(shop: Store, viewer_client: Client) -> None:
    response = viewer_client.get(URL, {"store": str(shop.pk), "moment": "2025-03-10T10:00", "lines": CART})

    html = response.content.decode()
    # chips: 3 × 2.50 = 7.50; one group of 2 for 4.00 saves 1.00 (the third unit at shelf price);
    #   net 6.50, tax 10 % 0.65, total 7.15
    # cola by barcode: 2 × 1.99 = 3.98; 10 % off at 10:00 = 0.398 → 0.40; net 3.58, tax 5 % 0.179 → 0.18, total 3.76
    # apples: 0.75 kg × 3.99 = 2.9925 → 2.99; tax 5 % 0.1495 → 0.15; total 3.14
    assert element_text(html, "tried-cart").startswith("Priced at 10 Mar 2025 10:00:00 EDT")
    assert table_rows(html, "tried-lines") == [
        [
            "1",
            "SKU-CHIPS",
            "SKU-CHIPS Chips",
            "3 unit",
            "2.50",
            "7.50",
            "−1.00 2 snacks for 4.00",
            "6.50",
            "0.65 GENERAL",
            "7.15",
        ],
        [
            "2",
            "012345678905",
            "SKU-COLA Cola",
            "2 unit matched by barcode 012345678905",
            "1.99",
            "3.98",
            "−0.40 Cola 10% off",
            "3.58",
            "0.18 FOOD",
            "3.76",
        ],
        ["3", "SKU-APPLE", "SKU-APPLE Apples", "0.75 kg", "3.99", "2.99", "—", "2.99", "0.15 FOOD", "3.14"],
        ["4", "RET-NOPE", "unknown", "1 unit", "not priced"],
    ]
    assert table_rows(html, "tried-totals") == [
        ["Subtotal", "14.47 USD"],
        ["Discounts", "−1.40 USD"],
        ["Tax", "0.98 USD"],
        ["Total", "14.05 USD"],
    ]
    assert element_text(html, "unknown-items") == (
        "Unknown item: RET-NOPE. No product of TEST_STORE_001 has this SKU or barcode; the connector would keep "
        "the purchase as a bad cart and price the other lines."
    )


@pytest.mark.django_db(transaction=True)  # the connector notes the key's use from another connection
def test_pounds_of_a_per_kg_item_are_priced_in_kg_with_the_conversion_shown(shop: Store, viewer_client: Client) -> None:
    html = viewer_client.get(
        URL, {"store": str(shop.pk), "moment": "2025-03-10T12:00", "lines": "SKU-APPLE 1.5 lb\nSKU-APPLE 250 g"}
    ).content.decode()

    # 1.5 lb = 1.5 × 0.45359237 kg = 0.680388555 → 0.680389 kg; × 3.99 = 2.71475211 → 2.71;
    #   tax 5 % 0.1355 → 0.14; total 2.85 (not 1.5 × 3.99 = 5.99)
    # 250 g = 0.25 kg; × 3.99 = 0.9975 → 1.00; tax 0.05; total 1.05
    assert table_rows(html, "tried-lines") == [
        [
            "1",
            "SKU-APPLE",
            "SKU-APPLE Apples",
            "1.5 lb = 0.680389 kg × 3.99/kg",
            "3.99",
            "2.71",
            "—",
            "2.71",
            "0.14 FOOD",
            "2.85",
        ],
        [
            "2",
            "SKU-APPLE",
            "SKU-APPLE Apples",
            "250 g = 0.25 kg × 3.99/kg",
            "3.99",
            "1.00",
            "—",
            "1.00",
            "0.05 FOOD",
            "1.05",
        ],
    ]
    body = body_of(html)
    assert [item["quantity"] for item in body["cartItems"]] == [
        {"value": "1.5", "unit": "lb"},
        {"value": "250", "unit": "g"},
    ]
    response = Client().post(
        "/v1/order/purchases",
        data=body,
        content_type="application/json",
        headers={"X-JWO-Connector-Key": connector_key_create(name="gateway")[1]},
    )

    assert response.status_code == 201
    purchase = Purchase.objects.get(trip_id=body["idempotentShoppingTripId"])
    assert (purchase.status, purchase.subtotal, purchase.tax_total, purchase.total) == (
        PurchaseStatus.PRICED,
        Decimal("3.71"),
        Decimal("0.19"),
        Decimal("3.90"),
    )
    assert list(
        purchase.lines.order_by("position").values_list("quantity", "unit", "priced_quantity", "priced_unit", "gross")
    ) == [
        (Decimal("1.5"), "lb", Decimal("0.680389"), "kg", Decimal("2.71")),
        (Decimal("250"), "g", Decimal("0.25"), "kg", Decimal("1.00")),
    ]


def test_a_count_for_a_per_kg_item_is_not_priced_and_says_why(shop: Store, viewer_client: Client) -> None:
    html = viewer_client.get(URL, {"store": str(shop.pk), "lines": "SKU-APPLE 2 unit\nSKU-COLA 1 kg"}).content.decode()

    assert table_rows(html, "tried-lines") == [
        [
            "1",
            "SKU-APPLE",
            "SKU-APPLE Apples",
            "2 unit",
            'not priced: unit "unit" cannot be priced per kg (a count, not a weight)',
        ],
        [
            "2",
            "SKU-COLA",
            "SKU-COLA Cola",
            "1 kg",
            'not priced: unit "kg" cannot be priced per item (a weight, not a count)',
        ],
    ]
    assert element_text(html, "tried-totals") == "Subtotal 0.00 USD Discounts −0.00 USD Tax 0.00 USD Total 0.00 USD"


def test_outside_its_hours_a_promotion_gives_nothing(shop: Store, viewer_client: Client) -> None:
    html = viewer_client.get(
        URL, {"store": str(shop.pk), "moment": "2025-03-10T12:00", "lines": "SKU-COLA 2"}
    ).content.decode()

    assert table_rows(html, "tried-lines") == [
        ["1", "SKU-COLA", "SKU-COLA Cola", "2 unit", "1.99", "3.98", "—", "3.98", "0.20 FOOD", "4.18"]
    ]


def test_the_curl_command_sends_this_cart_to_the_connector(shop: Store, viewer_client: Client) -> None:
    html = viewer_client.get(
        URL, {"store": str(shop.pk), "moment": "2025-03-10T10:00", "lines": CART, "shopper": "cust-9"}
    ).content.decode()

    words = curl_of(html)
    assert words[:9] == [
        "curl",
        "-sS",
        "-X",
        "POST",
        "http://testserver/v1/order/purchases",
        "-H",
        "Content-Type: application/json",
        "-H",
        "X-JWO-Connector-Key: $JWO_CONNECTOR_KEY",
    ]
    assert words[9] == "-d"
    assert len(words) == 11
    body = body_of(html)
    parsed = purchase_request_parse(body)  # what the connector validates first
    assert uuid.UUID(body["requestId"]).version == 4
    assert uuid.UUID(body["idempotentShoppingTripId"]).version == 4
    assert uuid.UUID(body["shoppingTrip"]["authEvents"][0]["id"]).version == 4
    # 10:00 in New York on 10 March 2025 (EDT, UTC−4) is 14:00 UTC; the trip started 10 minutes before
    assert body["storeId"] == "TEST_STORE_001"
    assert body["shoppingTrip"]["startTime"] == "2025-03-10T13:50:00Z"
    assert body["shoppingTrip"]["endTime"] == "2025-03-10T14:00:00Z"
    assert {key: value for key, value in body["shoppingTrip"]["authEvents"][0].items() if key != "id"} == {
        "timestamp": "2025-03-10T13:50:00Z",
        "location": "ENTRY",
        "payloadType": "SCAN_CODE",
        "scanResult": {"id": "cust-9", "type": "SHOPPER"},
    }
    assert body["cartItems"] == [
        {"id": "SKU-CHIPS", "type": "SKU", "quantity": {"value": "3", "unit": "unit"}, "lineItemId": "li-1"},
        {"id": "SKU-COLA", "type": "SKU", "quantity": {"value": "2", "unit": "unit"}, "lineItemId": "li-2"},
        {"id": "SKU-APPLE", "type": "SKU", "quantity": {"value": "0.75", "unit": "kg"}, "lineItemId": "li-3"},
        {"id": "RET-NOPE", "type": "SKU", "quantity": {"value": "1", "unit": "unit"}, "lineItemId": "li-4"},
    ]
    assert [item.quantity for item in parsed.items] == [Decimal(3), Decimal(2), Decimal("0.75"), Decimal(1)]
    assert "Sending it twice gives one purchase" in element_text(html, "tried-cart")


@pytest.mark.django_db(transaction=True)  # the connector notes the key's use from another connection
def test_the_connector_prices_the_curl_body_to_the_previewed_figures_once(shop: Store, viewer_client: Client) -> None:
    html = viewer_client.get(URL, {"store": str(shop.pk), "moment": "2025-03-10T10:00", "lines": CART}).content.decode()
    body = body_of(html)
    key = connector_key_create(name="gateway")[1]

    def send() -> Any:
        return Client().post(
            "/v1/order/purchases", data=body, content_type="application/json", headers={"X-JWO-Connector-Key": key}
        )

    first, second = send(), send()

    purchase = Purchase.objects.get()
    assert (first.status_code, second.status_code) == (201, 201)
    assert first.json() == second.json() == {"purchaseId": purchase.purchase_id}
    assert (purchase.status, purchase.replays) == (PurchaseStatus.BAD_CART, 1)
    assert (purchase.subtotal, purchase.discount_total, purchase.tax_total, purchase.total) == (
        Decimal("14.47"),
        Decimal("1.40"),
        Decimal("0.98"),
        Decimal("14.05"),
    )


def test_an_item_id_staff_mapped_resolves_as_the_connector_resolves_it(shop: Store, viewer_client: Client) -> None:
    ItemAlias.objects.create(store=shop, item_id="RET-OLD-COLA", product=Product.objects.get(sku="SKU-COLA"))

    html = viewer_client.get(
        URL, {"store": str(shop.pk), "moment": "2025-03-10T12:00", "lines": "RET-OLD-COLA 1"}
    ).content.decode()

    assert table_rows(html, "tried-lines") == [
        [
            "1",
            "RET-OLD-COLA",
            "SKU-COLA Cola",
            "1 unit matched by item alias",
            "1.99",
            "1.99",
            "—",
            "1.99",
            "0.10 FOOD",
            "2.09",
        ]
    ]
    assert [item["id"] for item in body_of(html)["cartItems"]] == ["SKU-COLA"]


def test_every_preview_is_a_new_trip(shop: Store, viewer_client: Client) -> None:
    query = {"store": str(shop.pk), "lines": "SKU-COLA 1"}

    first = body_of(viewer_client.get(URL, query).content.decode())
    second = body_of(viewer_client.get(URL, query).content.decode())

    assert first["idempotentShoppingTripId"] != second["idempotentShoppingTripId"]
    assert first["requestId"] != second["requestId"]


def test_a_fractional_count_is_a_line_that_is_not_priced_and_the_rest_is(shop: Store, viewer_client: Client) -> None:
    response = viewer_client.get(URL, {"store": str(shop.pk), "lines": "SKU-COLA 1\nSKU-CHIPS 0.5"})

    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="pricing-problem"' not in html
    assert table_rows(html, "tried-lines")[1] == [
        "2",
        "SKU-CHIPS",
        "SKU-CHIPS Chips",
        "0.5 unit",
        'not priced: 0.5 "unit" cannot be priced per item (a count must be whole)',
    ]
    # cola alone: 1.99, tax 5 % 0.0995 → 0.10, total 2.09
    assert element_text(html, "tried-totals") == "Subtotal 1.99 USD Discounts −0.00 USD Tax 0.10 USD Total 2.09 USD"


def test_an_unknown_tax_code_is_a_message(shop: Store, viewer_client: Client) -> None:
    Product.objects.create(store=shop, sku="SKU-TOY", name="Toy", price=Decimal("5.00"), tax_code="TOYS")

    html = viewer_client.get(URL, {"store": str(shop.pk), "lines": "SKU-TOY 1"}).content.decode()

    assert element_text(html, "pricing-problem") == (
        "The connector could not price this cart: "
        "Line 0: product SKU-TOY has tax code 'TOYS', which store TEST_STORE_001 has no rate for."
    )


@pytest.mark.parametrize(
    ("lines", "error"),
    [
        (
            "SKU-COLA 2\nSKU-CHIPS two",
            "Line 2: “two” is not a quantity above 0 (digits and one decimal point, at most 10 characters).",
        ),
        ("SKU-COLA 0", "Line 1: “0” is not a quantity above 0 (digits and one decimal point, at most 10 characters)."),
        (
            "SKU-COLA 12345678901",
            "Line 1: “12345678901” is not a quantity above 0 (digits and one decimal point, at most 10 characters).",
        ),
        ("SKU-COLA 2 " + "x" * 33, "Line 1: a unit has at most 32 characters."),
        ("  \n ", "This field is required."),
    ],
)
def test_badly_typed_lines_are_form_errors(shop: Store, viewer_client: Client, lines: str, error: str) -> None:
    response = viewer_client.get(URL, {"store": str(shop.pk), "lines": lines})

    assert response.context["form"].errors == {"lines": [error]}
    assert "tried" not in response.context


def test_the_empty_form_prices_nothing(shop: Store, viewer_client: Client) -> None:
    response = viewer_client.get(URL)

    assert response.context["form"].is_bound is False
    assert "tried" not in response.context
    assert 'id="curl-command"' not in response.content.decode()
