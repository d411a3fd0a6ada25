"""POST /v1/order/purchases through the connector: priced once, replays answered alike, empty and bad
carts, item aliases, the hold, receipt token and payment status a purchase keeps."""

import copy
import json
import threading
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from catalog.models import Barcode, Product, Store
from entry.models import Shopper
from jwo_admin.core.connector_keys import connector_key_create
from orders.models import (
    ItemAlias,
    PaymentAuthorisation,
    Promotion,
    Purchase,
    PurchaseLine,
    PurchaseLineDiscount,
    TaxRate,
)
from orders.purchase_request import purchase_request_parse
from orders.services.purchases import purchase_create

URL = "/v1/order/purchases"
SPEC_EXAMPLE = json.loads((Path(__file__).parent.parent / "fixtures" / "create_purchases.json").read_text())


@pytest.fixture
def shop(store: Store) -> Store:
    """USD, tax added: FOOD 5 %, GENERAL 10 %; cola 1.99 (UPC 012345678905), chips 2.50 with 10 % off."""
    TaxRate.objects.create(store=store, tax_code="FOOD", rate=Decimal("0.05"))
    TaxRate.objects.create(store=store, tax_code="GENERAL", rate=Decimal("0.10"))
    cola = Product.objects.create(store=store, sku="SKU-COLA", name="Cola", price=Decimal("1.99"), tax_code="FOOD")
    Barcode.objects.create(
        store=store, product=cola, value="012345678905", type="UPC", match_key="00012345678905", is_primary=True
    )
    Product.objects.create(store=store, sku="SKU-CHIPS", name="Chips", price=Decimal("2.50"), tax_code="GENERAL")
    Promotion.objects.create(name="Chips 10% off", kind="percent_off", skus=["SKU-CHIPS"], percent=Decimal("10"))
    return store


@pytest.fixture
def key(db: None) -> str:
    return connector_key_create(name="gateway")[1]


def line(item_id: str, quantity: str, line_item_id: str, barcode: str = "") -> dict[str, Any]:
    item: dict[str, Any] = {
        "id": item_id,
        "type": "SKU",
        "quantity": {"value": quantity, "unit": "unit"},
        "lineItemId": line_item_id,
    }
    if barcode:
        item["externalIdentifiers"] = [{"id": barcode, "type": "UPC"}]
    return item


def body(items: list[dict[str, Any]], **changes: Any) -> dict[str, Any]:
    sent = copy.deepcopy(SPEC_EXAMPLE)
    sent["storeId"] = "TEST_STORE_001"
    sent["cartItems"] = items
    sent.update(changes)
    return sent


def post(sent: Any, key: str | None) -> Any:
    headers = {"X-JWO-Connector-Key": key} if key else {}
    return Client().post(URL, data=sent, content_type="application/json", headers=headers)


CART = [
    line("SKU-COLA", "2.0", "li-1"),
    line("SKU-CHIPS", "1.0", "li-2"),
    line("RET-UNKNOWN-SKU", "1", "li-3", barcode="12345678905"),  # the cola, by its unpadded barcode
]


def test_a_cart_is_priced_with_promotions_and_tax_and_kept(shop: Store, key: str) -> None:
    response = post(body(CART), key)

    purchase = Purchase.objects.get()
    assert (response.status_code, response.json()) == (201, {"purchaseId": purchase.purchase_id})
    assert purchase.purchase_id == f"PO-{purchase.created_at:%Y%m%d}-{purchase.pk:08d}"
    assert (purchase.status, purchase.problem, purchase.currency) == ("priced", "", "USD")
    # cola 2 × 1.99 = 3.98, tax 5 % 0.199 → 0.20, total 4.18
    # chips 2.50 − 10 % 0.25 = 2.25, tax 10 % 0.225 → 0.23, total 2.48
    # cola by barcode 1.99, tax 0.0995 → 0.10, total 2.09
    assert (purchase.subtotal, purchase.discount_total, purchase.tax_total, purchase.total) == (
        Decimal("8.47"),
        Decimal("0.25"),
        Decimal("0.53"),
        Decimal("8.75"),
    )
    assert list(
        PurchaseLine.objects.order_by("position").values_list(
            "line_item_id", "sku", "quantity", "unit_price", "gross", "discount_total", "net", "tax", "total"
        )
    ) == [
        (
            "li-1",
            "SKU-COLA",
            Decimal("2"),
            Decimal("1.99"),
            Decimal("3.98"),
            Decimal("0"),
            Decimal("3.98"),
            Decimal("0.20"),
            Decimal("4.18"),
        ),
        (
            "li-2",
            "SKU-CHIPS",
            Decimal("1"),
            Decimal("2.50"),
            Decimal("2.50"),
            Decimal("0.25"),
            Decimal("2.25"),
            Decimal("0.23"),
            Decimal("2.48"),
        ),
        (
            "li-3",
            "SKU-COLA",
            Decimal("1"),
            Decimal("1.99"),
            Decimal("1.99"),
            Decimal("0"),
            Decimal("1.99"),
            Decimal("0.10"),
            Decimal("2.09"),
        ),
    ]
    assert list(PurchaseLineDiscount.objects.values_list("promotion_name", "kind", "amount")) == [
        ("Chips 10% off", "percent_off", Decimal("0.25"))
    ]
    assert purchase.visitor_ref == "cust-000982"


def test_a_replay_gets_the_same_answer_and_adds_nothing(shop: Store, key: str) -> None:
    first = post(body(CART), key)
    again = post(body(CART, requestId="00000000-0000-4000-8000-000000000001"), key)

    assert (again.status_code, again.json()) == (first.status_code, first.json())
    purchase = Purchase.objects.get()
    assert (purchase.replays, purchase.conflicts) == (1, 0)
    assert PurchaseLine.objects.count() == 3


def test_a_replay_with_another_cart_gets_the_first_answer_and_is_a_conflict(shop: Store, key: str) -> None:
    first = post(body(CART), key)
    changed = post(body([line("SKU-CHIPS", "5.0", "li-9")]), key)

    assert changed.json() == first.json()
    purchase = Purchase.objects.get()
    assert (purchase.replays, purchase.conflicts, purchase.total) == (1, 1, Decimal("8.75"))
    assert PurchaseLine.objects.count() == 3


def test_an_empty_cart_answers_an_empty_purchase_id(shop: Store, key: str) -> None:
    response = post(body([]), key)

    assert (response.status_code, response.json()) == (201, {"purchaseId": ""})
    purchase = Purchase.objects.get()
    assert (purchase.status, purchase.purchase_id, purchase.total) == ("empty", "", Decimal("0"))
    assert PurchaseLine.objects.count() == 0


def test_an_unknown_item_makes_a_bad_cart_with_the_known_lines_priced(shop: Store, key: str) -> None:
    response = post(body([line("SKU-COLA", "1", "li-1"), line("NOPE-1", "1", "li-2", barcode="4006381333931")]), key)

    purchase = Purchase.objects.get()
    assert (response.status_code, response.json()) == (201, {"purchaseId": purchase.purchase_id})
    assert purchase.purchase_id != ""
    assert purchase.status == "bad_cart"
    assert purchase.problem == "line 2 (NOPE-1): no product with this SKU or barcode"
    assert list(PurchaseLine.objects.order_by("position").values_list("item_id", "is_resolved", "total")) == [
        ("SKU-COLA", True, Decimal("2.09")),
        ("NOPE-1", False, Decimal("0")),
    ]
    assert purchase.total == Decimal("2.09")


def test_a_product_whose_tax_is_unknown_makes_a_bad_cart_not_a_guess(shop: Store, key: str) -> None:
    Product.objects.create(store=shop, sku="SKU-ODD", name="Odd", price=Decimal("3.00"), tax_code="NOT-A-CODE")

    response = post(body([line("SKU-ODD", "1", "li-1")]), key)

    purchase = Purchase.objects.get()
    assert response.status_code == 201
    assert purchase.status == "bad_cart"
    assert "NOT-A-CODE" in purchase.problem
    assert (purchase.total, PurchaseLine.objects.get().is_resolved) == (Decimal("0"), True)


@pytest.mark.parametrize(
    ("change", "status", "expected"),
    [
        (
            {"idempotentShoppingTripId": "trip-1"},
            400,
            {
                "message": "Invalid idempotentShoppingTripId: This value does not match the required pattern.",
                "field": "idempotentShoppingTripId",
            },
        ),
        ({"storeId": "NOT-OURS"}, 400, {"message": "Invalid storeId", "field": "storeId"}),
    ],
)
def test_bad_requests_name_the_field_and_store_nothing(
    shop: Store, key: str, change: dict[str, Any], status: int, expected: dict[str, Any]
) -> None:
    response = post(body(CART, **change), key)

    assert (response.status_code, response.json()) == (status, expected)
    assert Purchase.objects.count() == 0


@pytest.mark.django_db(transaction=True)  # DRF marks a request's transaction for rollback on a 401
def test_a_missing_or_wrong_connector_key_is_401_and_stores_nothing(shop: Store, key: str) -> None:
    assert post(body(CART), None).status_code == 401
    wrong = post(body(CART), key + "x")
    assert wrong.status_code == 401, wrong.content
    assert Purchase.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_concurrent_deliveries_make_one_purchase_with_identical_answers(require_postgres: None) -> None:
    store = Store.objects.create(store_id="TEST_STORE_001", name="Test Store", currency="USD")
    TaxRate.objects.create(store=store, tax_code="FOOD", rate=Decimal("0.05"))
    Product.objects.create(store=store, sku="SKU-COLA", name="Cola", price=Decimal("1.99"), tax_code="FOOD")
    _, connector_key = connector_key_create(name="gateway")
    sent = body([line("SKU-COLA", "3", "li-1")])
    barrier = threading.Barrier(10)
    answers: list[tuple[int, Any]] = []
    lock = threading.Lock()

    def deliver() -> None:
        barrier.wait()
        response = post(sent, connector_key)
        with lock:
            answers.append((response.status_code, response.json()))

    threads = [threading.Thread(target=deliver) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    purchase = Purchase.objects.get()
    assert answers == [(201, {"purchaseId": purchase.purchase_id})] * 10
    assert (purchase.replays, purchase.total) == (9, Decimal("6.27"))  # 3 × 1.99 = 5.97 + 0.2985 → 0.30
    assert PurchaseLine.objects.count() == 1


def test_an_item_alias_resolves_a_line_amazon_sends_under_another_id(shop: Store, key: str) -> None:
    chips = Product.objects.get(sku="SKU-CHIPS")
    ItemAlias.objects.create(store=shop, item_id="AMZ-CHIPS-77", product=chips)

    response = post(body([line("AMZ-CHIPS-77", "2.0", "li-1")]), key)

    purchase = Purchase.objects.get()
    assert (response.status_code, response.json()) == (201, {"purchaseId": purchase.purchase_id})
    assert (purchase.status, purchase.problem, purchase.total) == ("priced", "", Decimal("4.95"))  # 5.00 − 0.50 + 0.45
    assert list(PurchaseLine.objects.values_list("item_id", "product_id", "sku", "name", "is_resolved", "total")) == [
        ("AMZ-CHIPS-77", chips.pk, "SKU-CHIPS", "Chips", True, Decimal("4.95"))
    ]
    assert list(PurchaseLineDiscount.objects.values_list("promotion_name", "amount")) == [
        ("Chips 10% off", Decimal("0.50"))
    ]


def test_a_new_purchase_keeps_its_hold_a_receipt_token_and_what_it_owes_and_is_settled_after_commit(
    shop: Store, key: str, django_capture_on_commit_callbacks: Any
) -> None:
    shopper = Shopper.objects.create(external_id="cust-000982", name="Ann", email="ann@example.com")
    hold = PaymentAuthorisation.objects.create(
        auth_event_id="9d8c7b6a-1234-4abc-8def-0123456789ab",  # the SPEC example's auth event
        store=shop,
        shopper=shopper,
        amount=Decimal("50.00"),
        currency="USD",
    )

    with django_capture_on_commit_callbacks() as settlements:
        post(body(CART), key)
    with django_capture_on_commit_callbacks() as replayed:
        post(body(CART, requestId="00000000-0000-4000-8000-000000000001"), key)

    purchase = Purchase.objects.get()
    assert (purchase.shopper_id, purchase.authorisation_id, purchase.payment_status) == (shopper.pk, hold.pk, "pending")
    assert len(purchase.receipt_token) == 32
    assert (len(settlements), len(replayed)) == (1, 0)


@pytest.mark.parametrize(
    ("scan_type", "recorded", "items", "payment_status", "flag"),
    [
        ("CASH", "CASH_SHOPPER", CART, "at_counter", ""),
        ("CASH", "CASH_SHOPPER", [], "not_charged", ""),
        ("ASSOCIATE", "ASSOCIATE", CART, "not_charged", ""),
        ("SHOPPER", "SHOPPER", [line("NOPE-1", "1", "li-1")], "on_hold", ""),
        (
            "ASSOCIATE",
            "SHOPPER",
            CART,
            "pending",
            "Sent as ASSOCIATE, but cust-000982 is a shopper in our records: charged as a shopper.",
        ),
        ("CASH", None, CART, "pending", "Sent as CASH, but cust-000982 is not in our records: charged as a shopper."),
    ],
)
def test_what_a_purchase_owes_follows_its_cart_and_who_our_records_say_shopped(
    shop: Store,
    key: str,
    scan_type: str,
    recorded: str | None,
    items: list[dict[str, Any]],
    payment_status: str,
    flag: str,
) -> None:
    if recorded is not None:
        Shopper.objects.create(external_id="cust-000982", name="Ann", visitor_type=recorded)
    sent = body(items)
    sent["shoppingTrip"]["authEvents"][0]["scanResult"]["type"] = scan_type

    post(sent, key)

    assert Purchase.objects.values_list("payment_status", "flag_reason").get() == (payment_status, flag)


def test_a_purchase_without_a_named_shopper_keeps_no_visitor(shop: Store, key: str) -> None:
    sent = body(CART)
    del sent["shoppingTrip"]["authEvents"][0]["scanResult"]

    post(sent, key)

    purchase = Purchase.objects.get()
    assert (purchase.shopper_id, purchase.visitor_ref, purchase.authorisation_id) == (None, "", None)


def test_a_new_purchase_is_two_statements_and_a_replay_two(
    require_postgres: None, shop: Store, django_assert_num_queries: Any
) -> None:
    """One read (store, trip, shopper, hold, pricing versions, products) and one insert; a replay
    is the read and one update. (The first call of a process also loads tax rates and promotions.)"""
    first = body(CART)
    purchase_create(request=purchase_request_parse(first), raw=first)
    second = body(CART, idempotentShoppingTripId="11111111-2222-4333-8444-555555555555")

    with django_assert_num_queries(2):
        new = purchase_create(request=purchase_request_parse(second), raw=second)
    with django_assert_num_queries(2):
        replay = purchase_create(request=purchase_request_parse(second), raw=second)

    assert (new.is_replay, replay.is_replay, replay.purchase_id, replay.purchase_pk) == (
        False,
        True,
        new.purchase_id,
        new.purchase_pk,
    )
