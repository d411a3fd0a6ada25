"""A shopper's purchases and spend (``orders:shopper_purchases``): the fragment the shopper's page
loads with htmx, and the page it is without htmx."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from catalog.models import Store
from entry.models import Shopper
from orders.models import PaymentStatus, Purchase, Refund
from orders.selectors.shoppers import Spend, shopper_purchase_list
from tests.orders.test_views import element_text, make_purchase, table_rows

pytestmark = pytest.mark.django_db

NOW = datetime(2025, 3, 10, 14, 20, tzinfo=UTC)
HTMX = {"HX-Request": "true"}


@pytest.fixture
def alice(settings: Any) -> Shopper:
    settings.TIME_ZONE = "UTC"
    return Shopper.objects.create(external_id="cust-alice", name="Alice Archer", email="alice@example.com")


@pytest.fixture
def bought(alice: Shopper, store: Store, other_store: Store, viewer: User) -> dict[str, Purchase]:
    """Alice's four trips in two currencies (one partly refunded, one not paid) and Bob's one."""
    bob = Shopper.objects.create(external_id="cust-bob", name="Bob Baker", email="bob@example.com")
    refunded = make_purchase(
        store,
        at=NOW - timedelta(hours=3),
        total="10.00",
        payment_status=PaymentStatus.CAPTURED,
        shopper=alice,
        captured_total=Decimal("10.00"),
        refunded_total=Decimal("2.50"),
    )
    Refund.objects.create(purchase=refunded, amount=Decimal("2.50"), reason="Bruised", status=Refund.Status.SUCCEEDED)
    return {
        "failed": make_purchase(
            store, at=NOW - timedelta(hours=4), total="3.00", payment_status=PaymentStatus.FAILED, shopper=alice
        ),
        "refunded": refunded,
        "counter": make_purchase(
            store,
            at=NOW - timedelta(hours=2),
            total="4.18",
            payment_status=PaymentStatus.PAID_AT_COUNTER,
            shopper=alice,
        ),
        "euro": make_purchase(
            other_store,
            at=NOW - timedelta(hours=1),
            total="7.25",
            payment_status=PaymentStatus.CAPTURED,
            shopper=alice,
            captured_total=Decimal("7.25"),
        ),
        "bob": make_purchase(
            store,
            at=NOW,
            total="99.00",
            payment_status=PaymentStatus.CAPTURED,
            shopper=bob,
            captured_total=Decimal("99.00"),
        ),
    }


def _url(shopper: Shopper) -> str:
    return reverse("orders:shopper_purchases", args=[shopper.pk])


def test_spend_is_paid_less_refunds_per_currency(alice: Shopper, bought: dict[str, Purchase]) -> None:
    summary = shopper_purchase_list(shopper_pk=alice.pk)

    # USD: 10.00 charged - 2.50 refunded + 4.18 at the counter; the failed 3.00 was never paid
    assert summary.spend == [Spend("EUR", Decimal("7.25")), Spend("USD", Decimal("11.68"))]
    assert [purchase.pk for purchase in summary.purchases] == [
        bought["euro"].pk,
        bought["counter"].pk,
        bought["refunded"].pk,
        bought["failed"].pk,
    ]
    assert summary.count == 4
    assert summary.has_simulated is False


def test_the_fragment_lists_exactly_their_purchases_and_spend(
    alice: Shopper, bought: dict[str, Purchase], viewer_client: Client
) -> None:
    html = viewer_client.get(_url(alice), headers=HTMX).content.decode()

    assert "<html" not in html  # a fragment, swapped into the shopper's page
    assert table_rows(html, "shopper-purchase-table") == [
        ["10 Mar 2025 13:20:00 UTC", bought["euro"].purchase_id, "TEST_STORE_002", "7.25 EUR", "Priced", "Charged"],
        [
            "10 Mar 2025 12:20:00 UTC",
            bought["counter"].purchase_id,
            "TEST_STORE_001",
            "4.18 USD",
            "Priced",
            "Paid at the counter",
        ],
        [
            "10 Mar 2025 11:20:00 UTC",
            bought["refunded"].purchase_id,
            "TEST_STORE_001",
            "10.00 USD",
            "Priced",
            "Charged",
        ],
        [
            "10 Mar 2025 10:20:00 UTC",
            bought["failed"].purchase_id,
            "TEST_STORE_001",
            "3.00 USD",
            "Priced",
            "Payment issue",
        ],
    ]
    for name in ("euro", "counter", "refunded", "failed"):
        assert f'href="/orders/purchases/{bought[name].pk}/"' in html
    assert bought["bob"].purchase_id not in html
    assert "99.00" not in html
    assert element_text(html, "shopper-spend") == (
        "4 purchases 7.25 EUR spent (after refunds) 11.68 USD spent (after refunds)"
    )
    assert 'href="/orders/purchases/?q=cust-alice"' in html


def test_without_htmx_it_is_a_page_of_its_own(
    alice: Shopper, bought: dict[str, Purchase], viewer_client: Client
) -> None:
    html = viewer_client.get(_url(alice)).content.decode()

    assert "<title>" in html
    assert "Purchases of Alice Archer" in html
    assert f'href="/entry/shoppers/{alice.pk}/"' in html
    assert len(table_rows(html, "shopper-purchase-table")) == 4


def test_a_shopper_without_purchases_spent_nothing(alice: Shopper, viewer_client: Client) -> None:
    html = viewer_client.get(_url(alice), headers=HTMX).content.decode()

    assert element_text(html, "shopper-spend") == "0 purchases — spent (after refunds)"
    assert table_rows(html, "shopper-purchase-table") == [["No purchases yet."]]


def test_a_simulated_shoppers_purchases_are_listed_and_the_list_link_shows_simulated(
    store: Store, viewer_client: Client, settings: Any
) -> None:
    settings.TIME_ZONE = "UTC"
    shopper = Shopper.objects.create(
        external_id="sim-1", name="Simulated shopper", email="sim-1@example.com", simulation_run_id=7
    )
    purchase = make_purchase(store, at=NOW, total="2.00", shopper=shopper, simulation_run_id=7)

    html = viewer_client.get(_url(shopper), headers=HTMX).content.decode()

    assert table_rows(html, "shopper-purchase-table")[0][1] == f"{purchase.purchase_id} Simulated"
    assert 'href="/orders/purchases/?q=sim-1&amp;simulated=on"' in html


def test_the_shopper_page_loads_the_purchases_with_htmx(alice: Shopper, viewer_client: Client) -> None:
    html = viewer_client.get(reverse("entry:shopper_detail", args=[alice.pk])).content.decode()

    url = _url(alice)
    assert f'hx-get="{url}"' in html
    assert 'hx-trigger="load"' in html
    assert f'href="{url}"' in html  # without htmx, a link to the same view as a page


def test_anonymous_is_sent_to_sign_in(alice: Shopper, client: Client) -> None:
    response = client.get(_url(alice), headers=HTMX)

    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next=/orders/shoppers/{alice.pk}/purchases/"


def test_an_unknown_shopper_is_404(viewer_client: Client) -> None:
    assert viewer_client.get(reverse("orders:shopper_purchases", args=[999_999])).status_code == 404
