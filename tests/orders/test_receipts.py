"""The shopper's receipt page at /receipts/<token>/: public but unguessable, never cached, the
figures as charged on the store's clock, refunds shown; nothing for an unknown token or for a
purchase without a receipt (an empty cart, a bad cart)."""

import re
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.core import mail
from django.test import Client

from catalog.models import Product, Store
from orders.models import Promotion, Purchase, Refund, TaxRate
from orders.services.payments.refunds import refund_create
from tests.orders.payment_helpers import admitted, bought, card_shopper, on_commit_run, payments_store, purchase_body

pytestmark = pytest.mark.django_db

ENDED = datetime(2026, 11, 20, 15, 4, tzinfo=UTC)


@pytest.fixture
def bakery(db: None) -> Store:
    """EUR, shelf prices include 19 % VAT, Berlin time; bread 2.38 (2.00 + 0.38 VAT), 25 % off rolls."""
    store = Store.objects.create(
        store_id="BAKERY", name="Bäckerei", currency="EUR", prices_include_tax=True, time_zone="Europe/Berlin"
    )
    TaxRate.objects.create(store=store, tax_code="STANDARD", rate=Decimal("0.19"), is_default=True)
    Product.objects.create(store=store, sku="BREAD", name="Bread", price=Decimal("2.38"), tax_code="STANDARD")
    Product.objects.create(store=store, sku="ROLL", name="Roll", price=Decimal("0.50"), tax_code="STANDARD")
    Promotion.objects.create(name="Rolls 25% off", kind="percent_off", skus=["ROLL"], percent=Decimal("25"))
    return store


def page_of(purchase: Purchase) -> tuple[int, str, dict[str, str]]:
    response = Client().get(f"/receipts/{purchase.receipt_token}/")
    return response.status_code, response.content.decode(), dict(response.headers)


def plain(html: str) -> str:
    """The page's text, one space between words, as a reader sees it."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def test_the_receipt_page_shows_the_purchase_as_charged_on_the_stores_clock(bakery: Store, key: str) -> None:
    shopper = card_shopper("cust-bread", "pm_bread_4242")
    purchase = bought(
        key, purchase_body(bakery, shopper, admitted(bakery, shopper), [("BREAD", "2"), ("ROLL", "4")], ended_at=ENDED)
    )

    status, html, headers = page_of(purchase)

    assert status == 200
    assert (headers["Cache-Control"], headers["Referrer-Policy"]) == ("private, no-store", "no-referrer")
    assert '<meta name="robots" content="noindex">' in html
    # bread 2 × 2.38 = 4.76; rolls 4 × 0.50 = 2.00, 25 % off 0.50 → 1.50; total 6.26 with the VAT in it:
    # 4.76 × 19/119 = 0.76, 1.50 × 19/119 = 0.2395 → 0.24; 1.00 VAT
    assert plain(html).startswith(
        f"Receipt {purchase.purchase_id} Bäckerei Receipt {purchase.purchase_id} 20 Nov 2026, 16:04"  # 15:04 UTC
        " Item Qty Price Amount"
        " Bread 2 unit 2.38 4.76"
        " Roll 4 unit 0.50 2.00 Rolls 25% off −0.50"
        " Subtotal 6.76 Savings −0.50 Tax (included) 1.00 Total EUR 6.26"
        " Charged to your card"
    )
    assert '<td data-total="total">\n        <strong>6.26</strong>' in html


def test_a_store_adding_tax_shows_it_without_included(key: str) -> None:
    store = payments_store()
    shopper = card_shopper("cust-cola", "pm_cola_4242")
    purchase = bought(key, purchase_body(store, shopper, admitted(store, shopper), [("COLA", "1")], ended_at=ENDED))

    _, html, _ = page_of(purchase)

    assert "20 Nov 2026, 15:04" in plain(html)  # the store keeps UTC
    assert "Subtotal 2.00 Savings −0.00 Tax 0.20 Total USD 2.20" in plain(html)
    assert "(included)" not in html


def test_refunds_given_back_are_listed_on_the_stores_clock(key: str) -> None:
    store = payments_store()
    store.time_zone = "America/New_York"
    store.save()
    shopper = card_shopper("cust-cheese", "pm_cheese_4242")
    purchase = bought(key, purchase_body(store, shopper, admitted(store, shopper), [("CHEESE", "1")], ended_at=ENDED))
    line = purchase.lines.get()
    with on_commit_run():
        refund_create(purchase_pk=purchase.pk, reason="Mouldy", user_pk=None, lines={line.pk: Decimal(1)})
    Refund.objects.update(created_at=datetime(2026, 11, 21, 2, 30, tzinfo=UTC))  # 20 Nov, 21:30 in New York
    Refund.objects.create(purchase=purchase, amount=Decimal("1.00"), reason="Never sent", status=Refund.Status.FAILED)

    _, html, _ = page_of(purchase)

    assert "Total USD 33.00 Refunded 20 Nov 2026: Mouldy −33.00 Charged to your card" in plain(html)
    assert "Never sent" not in html


@pytest.mark.parametrize("token", ["", "short", "x" * 32])
def test_an_unknown_token_is_not_found(db: None, token: str) -> None:
    response = Client().get(f"/receipts/{token}/")

    assert response.status_code == 404


@pytest.mark.parametrize(("items", "status"), [([], "empty"), ([("NO-SUCH-SKU", "1")], "bad_cart")])
def test_a_purchase_without_a_receipt_is_not_found(key: str, items: list[tuple[str, str]], status: str) -> None:
    store = payments_store()
    shopper = card_shopper("cust-none", "pm_none_4242")
    purchase = bought(key, purchase_body(store, shopper, admitted(store, shopper), items))
    assert purchase.status == status
    assert len(purchase.receipt_token) == 32

    response = Client().get(f"/receipts/{purchase.receipt_token}/")

    assert response.status_code == 404


def test_quantities_are_written_plainly_on_the_page_and_in_the_email(key: str) -> None:
    store = payments_store()
    shopper = card_shopper("cust-ten", "pm_ten_4242")

    purchase = bought(key, purchase_body(store, shopper, admitted(store, shopper), [("COLA", "10")]))

    _, html, _ = page_of(purchase)
    assert "Cola 10 unit 2.00 20.00" in plain(html)
    assert "Cola  10 unit × 2.00  20.00" in mail.outbox[0].body
