"""The purchase list's one search box: part of a purchase id, part of the shopper's email (any
case), or a card's last four digits, as staff answer a shopper who calls about a charge."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from catalog.models import Store
from entry.models import PaymentMethod, Shopper
from orders.models import AuthorisationStatus, PaymentAuthorisation, PaymentStatus, Purchase
from tests.orders.test_views import make_purchase

pytestmark = pytest.mark.django_db

AT = datetime(2025, 3, 10, 14, 20, tzinfo=UTC)


def shopper(external_id: str, email: str, *cards: str) -> Shopper:
    person = Shopper.objects.create(external_id=external_id, name=external_id, email=email)
    for number, last4 in enumerate(cards):
        PaymentMethod.objects.create(
            shopper=person,
            provider_reference=f"pm_{external_id}_{last4}",
            brand="Visa",
            last4=last4,
            expiry_month=12,
            expiry_year=2030,
            is_default=number == 0,
        )
    return person


def bought(store: Store, purchase_id: str, person: Shopper | None, *, held_on: str | None) -> Purchase:
    """A charged purchase named ``purchase_id``; ``held_on``: the card label of its gate hold
    (blank: a hold placed on no card; None: no hold)."""
    hold = None
    if held_on is not None and person is not None:
        hold = PaymentAuthorisation.objects.create(
            auth_event_id=f"event-{purchase_id}",
            store=store,
            shopper=person,
            card_label=held_on,
            amount=Decimal("50.00"),
            currency="USD",
            status=AuthorisationStatus.CAPTURED,
        )
    purchase = make_purchase(
        store,
        at=AT,
        total="2.20",
        shopper=person,
        visitor_ref="" if person else "walk-in-9",
        payment_status=PaymentStatus.CAPTURED,
        authorisation=hold,
    )
    Purchase.objects.filter(pk=purchase.pk).update(purchase_id=purchase_id)
    return purchase


@pytest.fixture
def purchases(store: Store) -> dict[str, Purchase]:
    alice = shopper("cust-alice", "Alice.Archer@example.com", "4242")
    bob = shopper("cust-bob", "bob@shop.example.org", "5555")
    carol = shopper("cust-carol", "carol@example.com", "4242")
    dave = shopper("cust-dave", "dave@example.org", "4242", "1111")
    return {
        "alice": bought(store, "PO-20250310-00000101", alice, held_on="Visa …4242 12/2030"),
        "bob": bought(store, "PO-20250310-00000102", bob, held_on="Mastercard …5555 01/2031"),
        # no card on file at the gate: the card added since is the one a retry charged
        "carol": bought(store, "PO-20250310-00000203", carol, held_on=""),
        # held on the 1111 card at the gate; a 4242 card on file does not make it a 4242 purchase
        "dave": bought(store, "PO-20250310-00000204", dave, held_on="Visa …1111 12/2030"),
        "walk_in": bought(store, "PO-20250311-00000305", None, held_on=None),
    }


def found(client: Client, term: str) -> list[str]:
    response = client.get(reverse("orders:purchase_list"), {"q": term})
    assert response.status_code == 200
    return sorted(purchase.purchase_id for purchase in response.context["purchases"])


def test_part_of_a_purchase_id_finds_it_in_any_case(purchases: dict[str, Purchase], viewer_client: Client) -> None:
    assert found(viewer_client, "00000102") == ["PO-20250310-00000102"]
    assert found(viewer_client, "po-20250310-000002") == ["PO-20250310-00000203", "PO-20250310-00000204"]
    assert found(viewer_client, "20250311") == ["PO-20250311-00000305"]
    assert found(viewer_client, "PO-20250310-00000101") == ["PO-20250310-00000101"]


def test_part_of_the_shoppers_email_finds_their_purchases_in_any_case(
    purchases: dict[str, Purchase], viewer_client: Client
) -> None:
    assert found(viewer_client, "ALICE.archer@") == ["PO-20250310-00000101"]
    assert found(viewer_client, "example.org") == ["PO-20250310-00000102", "PO-20250310-00000204"]
    assert found(viewer_client, "carol") == ["PO-20250310-00000203"]
    assert found(viewer_client, "nobody@example.com") == []


def test_a_cards_last_four_finds_the_purchases_paid_with_it(
    purchases: dict[str, Purchase], viewer_client: Client
) -> None:
    # alice was held on her 4242 card; carol had no card at the gate and has a 4242 one now;
    # dave was held on his 1111 card, so his 4242 card on file does not bring his purchase in
    assert found(viewer_client, "4242") == ["PO-20250310-00000101", "PO-20250310-00000203"]
    assert found(viewer_client, " 5555 ") == ["PO-20250310-00000102"]
    assert found(viewer_client, "1111") == ["PO-20250310-00000204"]
    assert found(viewer_client, "9999") == []
    assert found(viewer_client, "424") == []  # three digits are no card ending, and no id or email has them


def test_trip_and_shopper_ids_are_still_found_exactly(purchases: dict[str, Purchase], viewer_client: Client) -> None:
    assert found(viewer_client, purchases["bob"].trip_id.upper()) == ["PO-20250310-00000102"]
    assert found(viewer_client, "cust-dave") == ["PO-20250310-00000204"]
    assert found(viewer_client, "walk-in-9") == ["PO-20250311-00000305"]


def test_the_search_box_says_what_it_finds(viewer_client: Client) -> None:
    html = viewer_client.get(reverse("orders:purchase_list")).content.decode()

    assert 'placeholder="Purchase id, shopper email or card last 4"' in html
