"""Money from gate to receipt, through the real connectors and the sandbox gateway: the hold at
entry, the capture when the cart is priced, the release for an empty cart, the receipt."""

from decimal import Decimal

import pytest
from django.core import mail
from django.test import Client

from catalog.models import Store
from entry.models import Shopper, ShopperStatus
from jwo_admin.core.connector_keys import connector_key_create
from orders.models import (
    AuthorisationStatus,
    PaymentAuthorisation,
    PaymentIssue,
    PaymentOperation,
    PaymentStatus,
    Purchase,
    SandboxCharge,
)
from tests.entry.conftest import identity_key_for
from tests.orders.payment_helpers import buy, card_shopper, enter, payments_store, purchase_body

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def store(transactional_db: None) -> Store:
    return payments_store()


@pytest.fixture
def key(transactional_db: None) -> str:
    return connector_key_create(name="gateway")[1]


def test_a_shopper_is_held_at_the_gate_and_charged_the_total_when_the_cart_is_priced(store: Store, key: str) -> None:
    shopper = card_shopper("cust-ok", "pm_ok_4242")
    client = Client()
    event_id, answer = enter(client, key, shopper, store)
    assert answer.status_code == 200

    hold = PaymentAuthorisation.objects.get()
    assert (hold.auth_event_id, hold.status, hold.amount, hold.currency, hold.card_reference) == (
        event_id,
        AuthorisationStatus.AUTHORISED,
        Decimal("50.00"),
        "USD",
        "pm_ok_4242",
    )

    response = buy(client, key, purchase_body(store, shopper, event_id, [("COLA", "2"), ("CHEESE", "1")]))

    purchase = Purchase.objects.get()
    assert response.status_code == 201
    # 2 × 2.00 + 30.00 = 34.00, tax 10 % = 3.40, total 37.40: within the 50.00 hold
    assert (purchase.total, purchase.payment_status, purchase.captured_total) == (
        Decimal("37.400"),
        PaymentStatus.CAPTURED,
        Decimal("37.400"),
    )
    assert purchase.authorisation_id == hold.pk
    hold.refresh_from_db()
    assert hold.status == AuthorisationStatus.CAPTURED
    assert list(SandboxCharge.objects.order_by("id").values_list("kind", "amount", "outcome")) == [
        ("authorise", Decimal("50.000"), "approved"),
        ("capture", Decimal("37.400"), "approved"),
    ]
    assert list(PaymentOperation.objects.order_by("id").values_list("kind", "idempotency_key", "outcome")) == [
        ("authorise", f"hold:{event_id}", "approved"),
        ("capture", f"capture:{purchase.pk}", "approved"),
    ]
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["cust-ok@example.com"]
    assert purchase.purchase_id in mail.outbox[0].subject
    assert "37.400" in mail.outbox[0].body or "37.40" in mail.outbox[0].body


def test_a_total_above_the_hold_is_authorised_afresh_and_the_hold_released(store: Store, key: str) -> None:
    shopper = card_shopper("cust-big", "pm_big_4242")
    client = Client()
    event_id, _ = enter(client, key, shopper, store)

    buy(client, key, purchase_body(store, shopper, event_id, [("CHEESE", "2")]))  # 66.00

    purchase = Purchase.objects.get()
    assert (purchase.payment_status, purchase.captured_total) == (PaymentStatus.CAPTURED, Decimal("66.000"))
    assert list(PaymentOperation.objects.order_by("id").values_list("kind", "amount", "outcome")) == [
        ("authorise", Decimal("50.000"), "approved"),
        ("authorise", Decimal("66.000"), "approved"),
        ("capture", Decimal("66.000"), "approved"),
        ("void", None, "approved"),
    ]
    assert PaymentAuthorisation.objects.get().status == AuthorisationStatus.VOIDED


def test_an_empty_cart_releases_the_hold_and_charges_nothing(store: Store, key: str) -> None:
    shopper = card_shopper("cust-empty", "pm_empty_4242")
    client = Client()
    event_id, _ = enter(client, key, shopper, store)

    response = buy(client, key, purchase_body(store, shopper, event_id, []))

    assert (response.status_code, response.json()) == (201, {"purchaseId": ""})
    purchase = Purchase.objects.get()
    assert (purchase.payment_status, purchase.captured_total) == (PaymentStatus.VOIDED, Decimal(0))
    assert PaymentAuthorisation.objects.get().status == AuthorisationStatus.VOIDED
    assert list(SandboxCharge.objects.order_by("id").values_list("kind", "outcome")) == [
        ("authorise", "approved"),
        ("void", "approved"),
    ]
    assert mail.outbox == []


def test_a_declined_hold_flags_the_shopper_and_the_next_gate_answer_refuses_them(store: Store, key: str) -> None:
    shopper = card_shopper("cust-declined", "pm_declined_0002")
    code_still_on_screen = identity_key_for(shopper)
    client = Client()
    _, first = enter(client, key, shopper, store)
    assert first.status_code == 200

    hold = PaymentAuthorisation.objects.get()
    assert (hold.status, hold.message) == (AuthorisationStatus.DECLINED, "Card declined.")
    issue = PaymentIssue.objects.get()
    assert (issue.kind, issue.outcome, issue.status, issue.authorisation_id) == (
        "authorise",
        "declined",
        "open",
        hold.pk,
    )
    shopper.refresh_from_db()
    assert shopper.status == ShopperStatus.FLAGGED
    assert shopper.status_reason.startswith("Payment issue: Hold of 50.00 USD at the gate: Card declined.")

    _, second = enter(client, key, shopper, store, code_still_on_screen)

    assert second.status_code == 401
    assert PaymentAuthorisation.objects.count() == 1  # a refused shopper is not held


def test_a_capture_whose_answer_is_lost_is_retried_without_a_second_charge(store: Store, key: str) -> None:
    shopper = card_shopper("cust-flaky", "pm_flaky_0341")
    client = Client()
    event_id, _ = enter(client, key, shopper, store)
    hold = PaymentAuthorisation.objects.get()
    assert hold.status == AuthorisationStatus.AUTHORISED  # its own lost answer was retried too

    buy(client, key, purchase_body(store, shopper, event_id, [("COLA", "1")]))

    purchase = Purchase.objects.get()
    assert (purchase.payment_status, purchase.captured_total) == (PaymentStatus.CAPTURED, Decimal("2.200"))
    assert SandboxCharge.objects.filter(kind="capture").count() == 1
    assert list(
        PaymentOperation.objects.filter(kind="capture").order_by("id").values_list("idempotency_key", "outcome")
    ) == [(f"capture:{purchase.pk}", "unavailable"), (f"capture:{purchase.pk}", "approved")]
    assert Shopper.objects.get(pk=shopper.pk).status == ShopperStatus.ACTIVE
