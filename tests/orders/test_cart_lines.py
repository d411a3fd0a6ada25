"""Create Purchases' cart lines as Amazon sends them: quantities in any unit priced in the product's
own (and charged so at the sandbox), lines that cannot be priced as bad-cart lines with their
reason, and lines that name a barcode instead of a SKU — each line saying how it found its product."""

from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from catalog.models import Barcode, Product, Store
from orders.models import Purchase, PurchaseLine, PurchaseStatus, SandboxCharge
from tests.conftest import client_for
from tests.orders.payment_helpers import admitted, bought, card_shopper, payments_store, purchase_body

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop(db: None) -> Store:
    """payments_store (USD, tax added 10 %, cola 2.00 each) and steak at 6.79 per kg."""
    store = payments_store()
    Product.objects.create(store=store, sku="STEAK", name="Steak", price=Decimal("6.79"), unit="kg", tax_code="GENERAL")
    return store


def with_units(body: dict[str, Any], *units: str) -> dict[str, Any]:
    for item, unit in zip(body["cartItems"], units, strict=True):
        item["quantity"]["unit"] = unit
    return body


def sandbox_books() -> list[tuple[str, Decimal | None, str]]:
    return list(SandboxCharge.objects.order_by("id").values_list("kind", "amount", "card_reference"))


def test_pounds_of_a_per_kg_item_are_priced_and_charged_in_kilos(shop: Store, key: str) -> None:
    shopper = card_shopper("cust-ann", "pm_ann_4242")
    event = admitted(shop, shopper)

    purchase = bought(key, with_units(purchase_body(shop, shopper, event, [("STEAK", "1.5")]), "lb"))

    # 1.5 lb = 0.680388555 kg → 0.680389 kg; × 6.79 = 4.61984131 → 4.62 (not 1.5 × 6.79 = 10.19);
    # tax 10 % 0.462 → 0.46; total 5.08, captured from the 50.00 hold
    line = PurchaseLine.objects.get(purchase=purchase)
    assert (line.quantity, line.unit, line.priced_quantity, line.priced_unit) == (
        Decimal("1.5"),
        "lb",
        Decimal("0.680389"),
        "kg",
    )
    assert (line.unit_price, line.gross, line.tax, line.total, line.problem) == (
        Decimal("6.79"),
        Decimal("4.62"),
        Decimal("0.46"),
        Decimal("5.08"),
        "",
    )
    purchase.refresh_from_db()
    assert (purchase.status, purchase.total, purchase.payment_status, purchase.captured_total) == (
        PurchaseStatus.PRICED,
        Decimal("5.08"),
        "captured",
        Decimal("5.08"),
    )
    assert sandbox_books() == [
        ("authorise", Decimal("50.00"), "pm_ann_4242"),
        ("capture", Decimal("5.08"), "pm_ann_4242"),
    ]


@pytest.mark.parametrize(
    ("unit", "reason"),
    [
        ("unit", 'unit "unit" cannot be priced per kg (a count, not a weight)'),
        ("bag", 'unit "bag" cannot be priced per kg (not a unit we know)'),
        ("ml", 'unit "ml" cannot be priced per kg (a volume, not a weight)'),
    ],
)
def test_a_unit_that_cannot_be_priced_per_the_products_unit_is_a_bad_cart_line_never_a_guess(
    shop: Store, key: str, unit: str, reason: str
) -> None:
    shopper = card_shopper("cust-ann", "pm_ann_4242")
    event = admitted(shop, shopper)

    purchase = bought(
        key, with_units(purchase_body(shop, shopper, event, [("COLA", "2"), ("STEAK", "1")]), "unit", unit)
    )

    purchase.refresh_from_db()
    assert (purchase.status, purchase.payment_status) == (PurchaseStatus.BAD_CART, "on_hold")
    assert purchase.problem == f"line 2 (STEAK): {reason}"
    # the cola is priced (2 × 2.00 + 10 %); the steak line is kept as sent, unpriced, with its reason
    assert purchase.total == Decimal("4.40")
    assert list(
        PurchaseLine.objects.order_by("position").values_list("sku", "priced_quantity", "total", "problem")
    ) == [("COLA", Decimal("2"), Decimal("4.40"), ""), ("STEAK", None, Decimal("0"), reason)]
    assert sandbox_books() == [("authorise", Decimal("50.00"), "pm_ann_4242")]  # the hold, nothing charged


def test_a_fractional_count_of_an_item_sold_by_the_unit_is_a_bad_cart_line(shop: Store, key: str) -> None:
    shopper = card_shopper("cust-ann", "pm_ann_4242")
    event = admitted(shop, shopper)

    purchase = bought(key, purchase_body(shop, shopper, event, [("COLA", "2.5")]))

    purchase.refresh_from_db()
    assert purchase.status == PurchaseStatus.BAD_CART
    assert purchase.problem == 'line 1 (COLA): 2.5 "unit" cannot be priced per item (a count must be whole)'
    assert SandboxCharge.objects.filter(kind="capture").count() == 0


def test_a_deployment_teaches_the_connector_its_own_unit_strings(shop: Store, key: str, settings: Any) -> None:
    settings.JWO_QUANTITY_UNIT_ALIASES = {"KGM": "kg"}  # UN/ECE Recommendation 20's code for a kilogram
    shopper = card_shopper("cust-ann", "pm_ann_4242")
    event = admitted(shop, shopper)

    purchase = bought(key, with_units(purchase_body(shop, shopper, event, [("STEAK", "0.5")]), "kgm"))

    purchase.refresh_from_db()
    # 0.5 kg × 6.79 = 3.395 → 3.40; tax 0.34; total 3.74
    assert (purchase.status, purchase.total, purchase.captured_total) == (
        PurchaseStatus.PRICED,
        Decimal("3.74"),
        Decimal("3.74"),
    )


# --- Lines that name a barcode -----------------------------------------------------------------------------
@pytest.fixture
def coded(shop: Store) -> Store:
    """Cola carries EAN 4000000000013; a product whose SKU is that same text exists too."""
    cola = Product.objects.get(store=shop, sku="COLA")
    Barcode.objects.create(
        store=shop, product=cola, value="4000000000013", type="EAN", match_key="04000000000013", is_primary=True
    )
    Product.objects.create(
        store=shop, sku="4000000000013", name="Legacy code", price=Decimal("9.00"), tax_code="GENERAL"
    )
    cheese = Product.objects.get(store=shop, sku="CHEESE")
    Barcode.objects.create(
        store=shop, product=cheese, value="012345678905", type="UPC", match_key="00012345678905", is_primary=True
    )
    return shop


def line_body(shop: Store, *items: dict[str, Any]) -> dict[str, Any]:
    shopper = card_shopper("cust-ann", "pm_ann_4242")
    body = purchase_body(shop, shopper, "9d8c7b6a-1234-4abc-8def-0123456789ab", [])
    body["cartItems"] = [
        {"quantity": {"value": "1", "unit": "unit"}, "lineItemId": f"li-{n}", **item} for n, item in enumerate(items)
    ]
    return body


def resolved_lines(purchase: Purchase) -> list[tuple[str, str, str, bool]]:
    return list(purchase.lines.order_by("position").values_list("item_id", "sku", "matched_by", "is_resolved"))


def test_a_scan_code_line_is_resolved_by_its_barcode_first(coded: Store, key: str) -> None:
    purchase = bought(key, line_body(coded, {"id": "4000000000013", "type": "SCANCODE"}), settle=False)

    assert resolved_lines(purchase) == [("4000000000013", "COLA", "barcode 4000000000013", True)]
    assert (purchase.status, purchase.total) == (PurchaseStatus.PRICED, Decimal("2.20"))


def test_a_scan_code_that_is_no_barcode_falls_back_to_the_sku(coded: Store, key: str) -> None:
    purchase = bought(key, line_body(coded, {"id": "CHEESE", "type": "SCANCODE"}), settle=False)

    assert resolved_lines(purchase) == [("CHEESE", "CHEESE", "SKU", True)]


def test_a_sku_line_is_resolved_by_sku_first_even_when_its_id_is_also_a_barcode(coded: Store, key: str) -> None:
    purchase = bought(key, line_body(coded, {"id": "4000000000013", "type": "SKU"}), settle=False)

    assert resolved_lines(purchase) == [("4000000000013", "4000000000013", "SKU", True)]
    assert purchase.total == Decimal("9.90")


def test_a_sku_line_whose_id_is_no_sku_tries_its_identifiers_then_its_id_as_a_barcode(coded: Store, key: str) -> None:
    purchase = bought(
        key,
        line_body(
            coded,
            {"id": "12345678905", "type": "SKU"},  # the cheese's UPC without its leading zero
            {"id": "00012345678905", "type": "SKU", "externalIdentifiers": [{"id": "4000000000013", "type": "EAN"}]},
            {"id": "NOTHING-1", "type": "SCANCODE"},
        ),
        settle=False,
    )

    assert resolved_lines(purchase) == [
        ("12345678905", "CHEESE", "barcode 12345678905", True),
        ("00012345678905", "COLA", "barcode 4000000000013 (EAN in externalIdentifiers)", True),
        ("NOTHING-1", "", "", False),
    ]
    assert purchase.problem == "line 3 (NOTHING-1): no product with this SKU or barcode"


def test_staff_see_how_each_line_was_found_and_how_it_was_priced(shop: Store, key: str, store_manager: Any) -> None:
    cola = Product.objects.get(store=shop, sku="COLA")
    Barcode.objects.create(
        store=shop, product=cola, value="4000000000013", type="EAN", match_key="04000000000013", is_primary=True
    )
    body = line_body(shop, {"id": "4000000000013", "type": "SCANCODE"}, {"id": "STEAK", "type": "SKU"})
    body["cartItems"][1]["quantity"] = {"value": "1.5", "unit": "lb"}
    purchase = bought(key, body, settle=False)

    html = client_for(store_manager).get(f"/orders/purchases/{purchase.pk}/").content.decode()

    assert "1 unit" in html
    assert "matched by barcode 4000000000013" in html
    assert "1.5 lb" in html
    assert "= 0.680389 kg" in html
    receipt = " ".join(Client().get(f"/receipts/{purchase.receipt_token}/").content.decode().split())
    # 0.680389 kg × 6.79 = 4.62 on the receipt, with the quantity as sent and as priced
    assert '1.5 lb <small class="conversion">= 0.680389 kg</small>' in receipt
    assert "6.79/kg" in receipt
