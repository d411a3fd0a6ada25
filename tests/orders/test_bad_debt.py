"""Bad debt: a declined charge is debt on the shopper; the gate refuses them until it is settled;
staff retry, settle at the counter or on the shopper's newest card, or write it off, each with
who in the purchase's audit; an expired hold is re-authorised or becomes debt by store policy; a
repeat offender is blocked at the debt that crosses the rule, and staff may unblock them.

Amounts: cola 2.00 + 10 % tax = 2.20 each; three colas 6.60; the gate's hold is 50.00."""

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from catalog.models import Store
from entry.models import GateEvent, Shopper, ShopperStatus, ShopperStatusChange
from entry.services.shoppers import payment_method_add
from jwo_admin.core.connector_keys import connector_key_create
from jwo_admin.core.exceptions import ApplicationError
from orders.models import (
    PaymentAuthorisation,
    PaymentIssue,
    PaymentStatus,
    Purchase,
    PurchaseAudit,
    SandboxCharge,
    StorePayment,
)
from orders.services.bad_carts import (
    purchase_charge,
    purchase_charge_newest_card,
    purchase_paid_at_counter,
    purchase_write_off,
)
from tests.conftest import client_for
from tests.entry.conftest import identity_key_for
from tests.orders.payment_helpers import (
    admitted,
    bought,
    card_shopper,
    enter,
    hold_of,
    on_commit_run,
    payments_store,
    purchase_body,
)

DECLINED_CARD = "pm_declined_0002"
HOLD_EXPIRED_MESSAGE = "The pre-authorisation expired before the cart was priced"


@pytest.fixture
def desk(db: None) -> User:
    return User.objects.create_user(username="desk")


def status_of(shopper: Shopper) -> tuple[str, str]:
    shopper.refresh_from_db()
    return shopper.status, shopper.status_reason


def books() -> list[tuple[str, Decimal | None, str, str]]:
    """The sandbox gateway's recorded calls: kind, amount, card, outcome."""
    return list(SandboxCharge.objects.order_by("id").values_list("kind", "amount", "card_reference", "outcome"))


def debt_trip(shop: Store, key: str, shopper: Shopper, colas: str = "3") -> Purchase:
    """A trip whose charge is declined: the shopper's card refuses the hold and the fresh charge."""
    event_id = admitted(shop, shopper)
    return bought(key, purchase_body(shop, shopper, event_id, [("COLA", colas)]))


def audits(purchase: Purchase) -> list[tuple[str, str, str]]:
    return [
        (audit.action, audit.user.username if audit.user else "", audit.detail)
        for audit in PurchaseAudit.objects.filter(purchase=purchase).select_related("user").order_by("id")
    ]


@pytest.mark.django_db(transaction=True)
def test_the_gate_refuses_a_shopper_in_debt_and_admits_them_once_paid_at_the_counter() -> None:
    store = payments_store()
    key = connector_key_create(name="gateway")[1]
    desk = User.objects.create_user(username="desk")
    shopper = card_shopper("cust-debt", DECLINED_CARD)
    code = identity_key_for(shopper)
    client = Client()
    event_id, first = enter(client, key, shopper, store)
    assert first.status_code == 200
    purchase = bought(key, purchase_body(store, shopper, event_id, [("COLA", "3")]))
    assert (purchase.payment_status, purchase.total) == (PaymentStatus.FAILED, Decimal("6.60"))

    _, refused = enter(client, key, shopper, store, code)

    assert refused.status_code == 401
    assert GateEvent.objects.order_by("-id").values_list("decision", "reason").first() == ("refused", "flagged")

    purchase_paid_at_counter(purchase_pk=purchase.pk, user_pk=desk.pk, note="cash")

    purchase.refresh_from_db()
    assert purchase.payment_status == PaymentStatus.PAID_AT_COUNTER
    assert list(PaymentIssue.objects.order_by("id").values_list("status", "resolution", "resolved_by")) == [
        ("resolved", "paid_counter", desk.pk),  # the declined hold
        ("resolved", "paid_counter", desk.pk),  # the declined charge
    ]
    assert status_of(shopper) == (ShopperStatus.ACTIVE, "")
    assert ("paid_at_counter", "desk", "6.600 USD paid in store. cash") in audits(purchase)

    _, admitted_again = enter(client, key, shopper, store, identity_key_for(shopper))

    assert admitted_again.status_code == 200


def test_a_write_off_needs_a_reason_and_records_who(shop: Store, key: str, desk: User) -> None:
    shopper = card_shopper("cust-write-off", DECLINED_CARD)
    purchase = debt_trip(shop, key, shopper)

    with pytest.raises(ApplicationError, match="Say why the purchase is written off."):
        purchase_write_off(purchase_pk=purchase.pk, user_pk=desk.pk, reason="  ")
    purchase.refresh_from_db()
    assert purchase.payment_status == PaymentStatus.FAILED
    assert PaymentIssue.objects.filter(status="open").count() == 2

    purchase_write_off(purchase_pk=purchase.pk, user_pk=desk.pk, reason="Card cancelled, shopper moved away")

    purchase.refresh_from_db()
    assert purchase.payment_status == PaymentStatus.NOT_CHARGED
    assert list(PaymentIssue.objects.order_by("id").values_list("resolution", "resolved_by", "note")) == [
        ("written_off", desk.pk, "Card cancelled, shopper moved away"),
        ("written_off", desk.pk, "Card cancelled, shopper moved away"),
    ]
    assert ("written_off", "desk", "6.600 USD not collected: Card cancelled, shopper moved away") in audits(purchase)
    assert status_of(shopper) == (ShopperStatus.ACTIVE, "")


def test_staff_settle_a_debt_on_the_shoppers_newest_card(shop: Store, key: str, desk: User) -> None:
    shopper = card_shopper("cust-new-card", DECLINED_CARD)
    purchase = debt_trip(shop, key, shopper)
    payment_method_add(
        shopper=shopper, provider_reference="pm_new_4242", expiry_month=1, expiry_year=2099, brand="Visa", last4="4242"
    )

    with on_commit_run():
        purchase_charge_newest_card(purchase_pk=purchase.pk, user_pk=desk.pk)

    purchase.refresh_from_db()
    assert (purchase.payment_status, purchase.captured_total) == (PaymentStatus.CAPTURED, Decimal("6.60"))
    assert books() == [
        ("authorise", Decimal("50.000"), DECLINED_CARD, "declined"),  # the gate's hold
        ("authorise", Decimal("6.600"), DECLINED_CARD, "declined"),  # the charge: debt
        ("authorise", Decimal("6.600"), "pm_new_4242", "approved"),  # staff: the newest card
        ("capture", Decimal("6.600"), "pm_new_4242", "approved"),
    ]
    assert ("new_card", "desk", "charge the newest card, Visa …4242 01/2099") in audits(purchase)
    assert not PaymentIssue.objects.filter(status="open").exists()
    assert status_of(shopper) == (ShopperStatus.ACTIVE, "")
    with pytest.raises(ApplicationError, match="has no unpaid charge to settle"):
        purchase_charge_newest_card(purchase_pk=purchase.pk, user_pk=desk.pk)
    assert len(books()) == 4


def test_staff_retry_a_declined_charge_once_the_card_is_topped_up(shop: Store, key: str, desk: User) -> None:
    shopper = card_shopper("cust-retry", DECLINED_CARD)
    purchase = debt_trip(shop, key, shopper, colas="1")
    shopper.payment_methods.update(provider_reference="pm_topped_up_4242")  # the provider's card, now funded

    with on_commit_run():
        purchase_charge(purchase_pk=purchase.pk, user_pk=desk.pk)

    purchase.refresh_from_db()
    assert (purchase.payment_status, purchase.captured_total) == (PaymentStatus.CAPTURED, Decimal("2.20"))
    assert books()[-2:] == [
        ("authorise", Decimal("2.200"), "pm_topped_up_4242", "approved"),
        ("capture", Decimal("2.200"), "pm_topped_up_4242", "approved"),
    ]
    assert status_of(shopper) == (ShopperStatus.ACTIVE, "")


def _expired(event_id: str) -> None:
    PaymentAuthorisation.objects.filter(auth_event_id=event_id).update(created_at=timezone.now() - timedelta(hours=169))


def test_an_expired_hold_is_authorised_afresh_under_the_reauthorise_policy(shop: Store, key: str) -> None:
    shopper = card_shopper("cust-reauth", "pm_ok_4242")
    event_id = admitted(shop, shopper)
    _expired(event_id)

    purchase = bought(key, purchase_body(shop, shopper, event_id, [("COLA", "1")]))

    assert (purchase.payment_status, purchase.captured_total) == (PaymentStatus.CAPTURED, Decimal("2.20"))
    assert books() == [
        ("authorise", Decimal("50.000"), "pm_ok_4242", "approved"),  # the gate's hold, expired since
        ("authorise", Decimal("2.200"), "pm_ok_4242", "approved"),  # re-authorised
        ("capture", Decimal("2.200"), "pm_ok_4242", "approved"),
        ("void", None, "pm_ok_4242", "approved"),  # the old hold released
    ]
    assert audits(purchase) == [
        ("reauthorised", "", "The pre-authorisation expired before the cart was priced: 2.20 USD authorised afresh.")
    ]
    assert not PaymentIssue.objects.exists()
    assert hold_of(event_id).status == "voided"


def test_an_expired_hold_becomes_debt_under_the_debt_policy_and_staff_retry_it(
    shop: Store, key: str, desk: User
) -> None:
    StorePayment.objects.filter(store=shop).update(expired_hold_policy="debt")
    shopper = card_shopper("cust-expired", "pm_ok_4242")
    event_id = admitted(shop, shopper)
    _expired(event_id)

    purchase = bought(key, purchase_body(shop, shopper, event_id, [("COLA", "1")]))

    assert purchase.payment_status == PaymentStatus.FAILED
    assert books() == [("authorise", Decimal("50.000"), "pm_ok_4242", "approved")]
    issue = PaymentIssue.objects.get()
    assert (issue.kind, issue.outcome, issue.message, issue.status) == (
        "authorise",
        "hold_expired",
        f"{purchase.purchase_id}: {HOLD_EXPIRED_MESSAGE} (gate event {event_id}).",
        "open",
    )
    assert status_of(shopper) == (ShopperStatus.FLAGGED, f"Payment issue: {issue.message}")

    with on_commit_run():
        purchase_charge(purchase_pk=purchase.pk, user_pk=desk.pk)

    purchase.refresh_from_db()
    assert (purchase.payment_status, purchase.captured_total) == (PaymentStatus.CAPTURED, Decimal("2.20"))
    assert books()[1:] == [
        ("authorise", Decimal("2.200"), "pm_ok_4242", "approved"),
        ("capture", Decimal("2.200"), "pm_ok_4242", "approved"),
        ("void", None, "pm_ok_4242", "approved"),
    ]
    assert status_of(shopper) == (ShopperStatus.ACTIVE, "")
    # what the expired hold came to is recorded once: debt, though staff recovered it since
    assert [(action, who) for action, who, _ in audits(purchase)] == [
        ("hold_expired_debt", ""),
        ("charge", "desk"),
        ("issue_resolved", ""),
    ]
    assert audits(purchase)[0][2] == "The pre-authorisation expired before the cart was priced: store policy: debt."


def test_an_expired_hold_whose_fresh_authorisation_is_declined_becomes_debt(shop: Store, key: str) -> None:
    shopper = card_shopper("cust-reauth-declined", "pm_ok_4242")
    event_id = admitted(shop, shopper)
    _expired(event_id)
    PaymentAuthorisation.objects.filter(auth_event_id=event_id).update(
        card_reference=DECLINED_CARD
    )  # card since cancelled

    purchase = bought(key, purchase_body(shop, shopper, event_id, [("COLA", "1")]))

    assert purchase.payment_status == PaymentStatus.FAILED
    assert books()[1:] == [("authorise", Decimal("2.200"), DECLINED_CARD, "declined")]
    assert audits(purchase) == [
        (
            "hold_expired_debt",
            "",
            "The pre-authorisation expired before the cart was priced: authorising afresh: Card declined.",
        )
    ]
    assert PaymentIssue.objects.get().message == (
        f"{purchase.purchase_id}: {HOLD_EXPIRED_MESSAGE}; authorising afresh: Card declined."
    )


def test_a_fresh_hold_is_captured_as_before_under_either_policy(shop: Store, key: str) -> None:
    StorePayment.objects.filter(store=shop).update(expired_hold_policy="debt")
    shopper = card_shopper("cust-fresh", "pm_ok_4242")
    event_id = admitted(shop, shopper)
    PaymentAuthorisation.objects.filter(auth_event_id=event_id).update(created_at=timezone.now() - timedelta(hours=167))

    purchase = bought(key, purchase_body(shop, shopper, event_id, [("COLA", "1")]))

    assert purchase.payment_status == PaymentStatus.CAPTURED
    assert [row[0] for row in books()] == ["authorise", "capture"]


def test_the_second_debt_within_the_window_blocks_the_shopper(shop: Store, key: str, settings: Any) -> None:
    shopper = card_shopper("cust-repeat", DECLINED_CARD)
    debt_trip(shop, key, shopper)

    assert status_of(shopper)[0] == ShopperStatus.FLAGGED

    debt_trip(shop, key, shopper)

    assert status_of(shopper) == (ShopperStatus.BLOCKED, "2 unpaid debts in 30 days")

    settings.JWO_REPEAT_OFFENDER_DEBTS = 3  # the rule is read when a debt is recorded
    other = card_shopper("cust-three", "pm_three_0002")
    debt_trip(shop, key, other)
    debt_trip(shop, key, other)
    assert status_of(other)[0] == ShopperStatus.FLAGGED
    debt_trip(shop, key, other)
    assert status_of(other) == (ShopperStatus.BLOCKED, "3 unpaid debts in 30 days")


def test_a_debt_older_than_the_window_is_not_counted(shop: Store, key: str) -> None:
    shopper = card_shopper("cust-old-debt", DECLINED_CARD)
    first = debt_trip(shop, key, shopper)
    PaymentIssue.objects.filter(purchase=first).update(created_at=timezone.now() - timedelta(days=30, minutes=1))

    debt_trip(shop, key, shopper)

    assert status_of(shopper)[0] == ShopperStatus.FLAGGED


def test_staff_see_the_block_and_its_reason_and_may_unblock(shop: Store, key: str, store_manager: User) -> None:
    shopper = card_shopper("cust-reviewed", DECLINED_CARD)
    debt_trip(shop, key, shopper)
    debt_trip(shop, key, shopper)
    client = client_for(store_manager)

    page = client.get(f"/entry/shoppers/{shopper.pk}/").content.decode()

    assert "2 unpaid debts in 30 days" in page

    refused = client.post(f"/entry/shoppers/{shopper.pk}/status/", {"status": "active"})

    assert refused.status_code == 302
    assert status_of(shopper) == (ShopperStatus.BLOCKED, "2 unpaid debts in 30 days")  # no reason, no unblock

    response = client.post(
        f"/entry/shoppers/{shopper.pk}/status/", {"status": "active", "reason": "Card replaced; debts paid in store"}
    )

    assert response.status_code == 302
    assert status_of(shopper) == (ShopperStatus.ACTIVE, "")
    assert list(
        ShopperStatusChange.objects.filter(shopper=shopper)
        .order_by("id")
        .values_list("previous_status", "status", "note", "changed_by")
    ) == [
        ("flagged", "blocked", "2 unpaid debts in 30 days", None),  # the rule, on the second debt
        ("blocked", "active", "Card replaced; debts paid in store", store_manager.pk),
    ]
    assert "Card replaced; debts paid in store" in client.get(f"/entry/shoppers/{shopper.pk}/").content.decode()
