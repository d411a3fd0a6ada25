"""The shopper's own receipt list on the shop page: their priced purchases only, each linked."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.test import Client

from catalog.models import Store
from entry.models import Shopper
from orders.models import Purchase, PurchaseStatus
from tests.entry.conftest import make_shopper
from tests.entry.test_shopper_page import signed_in

pytestmark = pytest.mark.django_db


def _purchase(store: Store, shopper: Shopper, number: int, status: str, total: str) -> Purchase:
    ended = datetime(2026, 11, 20, 15, number, tzinfo=UTC)
    return Purchase.objects.create(
        trip_id=f"trip-{number}",
        purchase_id=f"PO-TEST-{number:04d}" if status != PurchaseStatus.EMPTY else "",
        store=store,
        status=status,
        shopper=shopper,
        started_at=ended,
        ended_at=ended,
        currency="USD",
        total=Decimal(total),
        request_body={},
        request_fingerprint="x",
        response_body={},
        receipt_token=f"token-{number:04d}-abcdefghijklmnop",
    )


def test_the_shopper_sees_their_priced_purchases_newest_first_with_receipt_links(store: Store) -> None:
    store.time_zone = "America/New_York"
    store.save()
    alice, bob = make_shopper("cust-alice"), make_shopper("cust-bob")
    _purchase(store, alice, 1, PurchaseStatus.PRICED, "4.18")
    _purchase(store, alice, 2, PurchaseStatus.EMPTY, "0")
    _purchase(store, alice, 3, PurchaseStatus.BAD_CART, "2.00")
    _purchase(store, alice, 4, PurchaseStatus.PRICED, "12.50")
    _purchase(store, bob, 5, PurchaseStatus.PRICED, "99.00")

    page = signed_in(alice).get("/shop/receipts/").content.decode()

    rows = [row.split('"')[0] for row in page.split('data-purchase="')[1:]]
    assert rows == ["PO-TEST-0004", "PO-TEST-0001"]
    assert '<a href="/receipts/token-0004-abcdefghijklmnop/">PO-TEST-0004</a>' in page
    assert "12.50 USD" in page
    assert "20 Nov 2026, 10:04" in page
    assert "99.00" not in page


def test_the_receipt_list_asks_to_sign_in_first(db: None) -> None:
    response = Client().get("/shop/receipts/")

    assert (response.status_code, response["Location"]) == (302, "/shop/sign-in/")


def test_the_key_page_links_to_the_receipts(store: Store) -> None:
    page = signed_in(make_shopper("cust-link")).get("/shop/").content.decode()

    assert '<a href="/shop/receipts/">Your receipts</a>' in page
