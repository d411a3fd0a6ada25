"""“Charge again” from a purchase's page without a reload: the htmx button answers with the live
payment fragment, which polls while the gateway has not answered and stops once the payment has
settled (charged or failed), updating the page's payment badge as it goes."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import User

from catalog.models import Store
from entry.models import Shopper
from entry.services.shoppers import payment_method_add
from orders.models import PaymentStatus, Purchase, PurchaseAudit, SandboxCharge
from tests.conftest import client_for
from tests.orders.payment_helpers import admitted, bought, card_shopper, on_commit_run, payments_store, purchase_body
from tests.orders.test_views import element_text

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}
POLLING = 'hx-trigger="every 1s"'


@pytest.fixture
def shopper(db: None) -> Shopper:
    return card_shopper("cust-broke", "pm_broke_9995")  # the sandbox refuses this card: no funds


@pytest.fixture
def failed(key: str, shopper: Shopper) -> Purchase:
    """A cola (2.00 + 10 % tax = 2.20) the shopper's card could not pay."""
    store: Store = payments_store()
    purchase = bought(key, purchase_body(store, shopper, admitted(store, shopper), [("COLA", "1")]))
    assert purchase.payment_status == PaymentStatus.FAILED
    return purchase


def new_card(shopper: Shopper) -> None:
    payment_method_add(
        shopper=shopper, provider_reference="pm_new_4242", expiry_month=1, expiry_year=2099, last4="4242"
    )


def test_charge_again_answers_a_fragment_that_polls_until_the_charge_settles(
    failed: Purchase, shopper: Shopper, store_manager: User
) -> None:
    new_card(shopper)
    client = client_for(store_manager)

    with on_commit_run():
        charging = client.post(f"/orders/purchases/{failed.pk}/charge/", headers=HTMX)
        # the answer is written before the gateway is asked (after the commit, on a worker)
        html = charging.content.decode()
        assert charging.status_code == 200
        assert f'hx-get="/orders/purchases/{failed.pk}/payment/"' in html
        assert POLLING in html
        assert element_text(html, "payment-outcome") == "To be charged Waiting for the payment gateway…"
        assert 'id="payment-status"' in html
        assert 'hx-swap-oob="true"' in html
        assert 'id="charge"' not in html  # nothing to press while it is being charged

    settled = client.get(f"/orders/purchases/{failed.pk}/payment/").content.decode()

    assert POLLING not in settled
    assert "hx-get" not in settled
    assert 'data-settled="true"' in settled
    assert element_text(settled, "payment-outcome") == "Charged 2.20 USD taken from the card."
    failed.refresh_from_db()
    assert (failed.payment_status, failed.captured_total) == (PaymentStatus.CAPTURED, Decimal("2.200"))
    assert list(SandboxCharge.objects.order_by("id").values_list("kind", "card_reference", "outcome")) == [
        ("authorise", "pm_broke_9995", "insufficient_funds"),  # the gate's hold
        ("authorise", "pm_broke_9995", "insufficient_funds"),  # the first charge
        ("authorise", "pm_new_4242", "approved"),  # charged again, on the new card
        ("capture", "pm_new_4242", "approved"),
    ]
    assert list(PurchaseAudit.objects.filter(purchase=failed).order_by("id").values_list("action", "user_id")) == [
        ("charge", store_manager.pk),
        ("issue_resolved", None),  # the settlement closed the payment issue
    ]


def test_a_charge_that_fails_again_stops_polling_with_the_reason_and_offers_another_try(
    failed: Purchase, store_manager: User
) -> None:
    client = client_for(store_manager)

    with on_commit_run():
        client.post(f"/orders/purchases/{failed.pk}/charge/", headers=HTMX)
    settled = client.get(f"/orders/purchases/{failed.pk}/payment/").content.decode()

    assert "hx-get" not in settled
    assert element_text(settled, "payment-outcome") == (f"Payment issue {failed.purchase_id}: Insufficient funds.")
    assert element_text(settled, "charge") == "Charge again 2.20 USD"
    assert SandboxCharge.objects.filter(card_reference="pm_broke_9995", outcome="insufficient_funds").count() == 3


def test_a_charge_pressed_twice_charges_once_and_says_why(
    failed: Purchase, shopper: Shopper, store_manager: User
) -> None:
    new_card(shopper)
    client = client_for(store_manager)
    with on_commit_run():
        client.post(f"/orders/purchases/{failed.pk}/charge/", headers=HTMX)

    again = client.post(f"/orders/purchases/{failed.pk}/charge/", headers=HTMX).content.decode()

    assert element_text(again, "payment-refused") == f"{failed.purchase_id} has nothing waiting to be charged."
    assert list(SandboxCharge.objects.filter(outcome="approved").values_list("kind", flat=True)) == [
        "authorise",
        "capture",
    ]


def test_the_purchase_page_polls_while_a_charge_waits_for_the_gateway(
    failed: Purchase, shopper: Shopper, store_manager: User
) -> None:
    new_card(shopper)
    client = client_for(store_manager)
    with on_commit_run():
        client.post(f"/orders/purchases/{failed.pk}/charge/")  # without htmx: back to the page
        page = client.get(f"/orders/purchases/{failed.pk}/").content.decode()
        assert POLLING in page
        assert element_text(page, "payment-outcome") == "To be charged Waiting for the payment gateway…"

    page = client.get(f"/orders/purchases/{failed.pk}/").content.decode()
    assert POLLING not in page


@pytest.mark.parametrize("role", ["viewer", "catalog_manager"])
def test_roles_that_may_not_charge_are_refused_and_nothing_changes(
    failed: Purchase, shopper: Shopper, role: str, request: pytest.FixtureRequest
) -> None:
    new_card(shopper)
    client = client_for(request.getfixturevalue(role))

    with on_commit_run():
        refused = client.post(f"/orders/purchases/{failed.pk}/charge/", headers=HTMX)

    assert refused.status_code == 403
    failed.refresh_from_db()
    assert failed.payment_status == PaymentStatus.FAILED
    assert SandboxCharge.objects.count() == 2  # the gate's hold and the first charge, both refused
    assert not PurchaseAudit.objects.exists()
    status = client.get(f"/orders/purchases/{failed.pk}/payment/")  # reading it is every role's
    assert status.status_code == 200
    assert 'id="charge"' not in status.content.decode()
