"""Which card pays for a trip (SPEC §8, §10): a gate hold pays only for a purchase of the shopper it
was placed for, in its store, for a trip that lists its gate event, once. Anything else is a payment
issue with the reason — the other shopper's hold is left to its own rules — and a purchase nobody
can be charged for is put in front of staff, who assign it to a shopper and charge it.

Each test asserts which cards the sandbox gateway touched, and that nothing else was."""

import threading
import uuid
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from catalog.models import Store
from entry.models import Shopper, ShopperStatus, VisitorType
from jwo_admin.core.connector_keys import connector_key_create
from operations.metrics import DatabaseCollector
from orders.models import AuthorisationStatus, PaymentIssue, PaymentStatus, Purchase, PurchaseAudit, SandboxCharge
from orders.services.bad_carts import purchase_charge, purchase_shopper_assign
from orders.tasks import payments_sweep_task
from tests.orders.payment_helpers import (
    admitted,
    bought,
    buy,
    card_shopper,
    hold_of,
    on_commit_run,
    payments_store,
    purchase_body,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop(require_postgres: None) -> Store:
    return payments_store()


@pytest.fixture
def ann(shop: Store) -> Shopper:
    return card_shopper("cust-ann", "pm_ann_4242")


@pytest.fixture
def bob(shop: Store) -> Shopper:
    return card_shopper("cust-bob", "pm_bob_4242")


def books() -> list[tuple[str, Decimal | None, str]]:
    """The sandbox gateway's own books: every call that moved or held money, with the card."""
    rows = SandboxCharge.objects.order_by("id").values_list("kind", "amount", "card_reference")
    return [
        (kind, amount.quantize(Decimal("0.01")) if amount is not None else None, card) for kind, amount, card in rows
    ]


def open_issues() -> list[tuple[str | None, str, str]]:
    return [
        (issue.shopper.external_id if issue.shopper else None, issue.outcome, issue.message.split(": ", 1)[1])
        for issue in PaymentIssue.objects.filter(status="open").select_related("shopper").order_by("id")
    ]


def test_a_trip_naming_another_shopper_with_an_admitted_shoppers_event_charges_nobody(
    shop: Store, key: str, ann: Shopper, bob: Shopper
) -> None:
    event = admitted(shop, ann)  # Ann is let in: a 50.00 hold on Ann's card

    purchase = bought(key, purchase_body(shop, bob, event, [("COLA", "2")]))  # the trip names Bob with Ann's event

    purchase.refresh_from_db()
    assert (purchase.shopper_id, purchase.authorisation_id, purchase.payment_status) == (
        bob.pk,
        None,
        PaymentStatus.FAILED,
    )
    assert open_issues() == [
        (
            "cust-bob",
            "hold_mismatch",
            f"Gate event {event} admitted cust-ann, but this trip names cust-bob: cust-ann's hold cannot pay for it.",
        )
    ]
    assert books() == [("authorise", Decimal("50.00"), "pm_ann_4242")]  # Ann's hold only; Bob's card untouched
    assert hold_of(event).status == AuthorisationStatus.AUTHORISED
    bob.refresh_from_db()
    assert bob.status == ShopperStatus.ACTIVE  # not Bob's doing: he is not refused at the gate for it


def test_a_hold_pays_once_however_many_trips_name_its_event(shop: Store, key: str, ann: Shopper, bob: Shopper) -> None:
    event = admitted(shop, ann)
    first = bought(key, purchase_body(shop, ann, event, [("COLA", "2")]))  # 2 × 2.00 + 10 % = 4.40

    second = bought(key, purchase_body(shop, bob, event, [("CHEESE", "1")]))
    third = bought(key, purchase_body(shop, ann, event, [("CHEESE", "1")]))

    first.refresh_from_db()
    assert (first.payment_status, first.captured_total, first.authorisation_id) == (
        PaymentStatus.CAPTURED,
        Decimal("4.40"),
        hold_of(event).pk,
    )
    assert Purchase.objects.filter(pk__in=[second.pk, third.pk], payment_status=PaymentStatus.FAILED).count() == 2
    assert open_issues() == [
        (
            "cust-bob",
            "hold_mismatch",
            f"Gate event {event} admitted cust-ann, but this trip names cust-bob: cust-ann's hold cannot pay for it.",
        ),
        ("cust-ann", "hold_mismatch", f"The hold of gate event {event} already pays for {first.purchase_id}."),
    ]
    assert books() == [("authorise", Decimal("50.00"), "pm_ann_4242"), ("capture", Decimal("4.40"), "pm_ann_4242")]


def test_a_group_trip_is_paid_from_the_named_shoppers_own_hold(
    shop: Store, key: str, ann: Shopper, bob: Shopper
) -> None:
    ann_event = admitted(shop, ann)
    bob_event = admitted(shop, bob)
    body = purchase_body(shop, bob, bob_event, [("CHEESE", "1")])  # 30.00 + 10 % = 33.00
    ann_entry = dict(
        body["shoppingTrip"]["authEvents"][0], id=ann_event, scanResult={"id": "cust-ann", "type": "SHOPPER"}
    )
    body["shoppingTrip"]["authEvents"].append(ann_entry)  # Bob's event first, Ann's second

    purchase = bought(key, body)

    purchase.refresh_from_db()
    assert (purchase.shopper_id, purchase.authorisation_id, purchase.captured_total) == (
        bob.pk,
        hold_of(bob_event).pk,
        Decimal("33.00"),
    )
    assert books() == [
        ("authorise", Decimal("50.00"), "pm_ann_4242"),
        ("authorise", Decimal("50.00"), "pm_bob_4242"),
        ("capture", Decimal("33.00"), "pm_bob_4242"),
    ]
    assert hold_of(ann_event).status == AuthorisationStatus.AUTHORISED  # Ann's is left to its own rules
    assert open_issues() == []


def test_a_group_member_without_a_hold_of_their_own_is_charged_afresh_not_refused(
    shop: Store, key: str, ann: Shopper, bob: Shopper
) -> None:
    ann_event = admitted(shop, ann)
    bob_event = admitted(shop, bob, place_hold=False)  # admitted; his hold not written (yet)
    body = purchase_body(shop, bob, bob_event, [("COLA", "1")])  # 2.00 + 10 % = 2.20
    ann_entry = dict(
        body["shoppingTrip"]["authEvents"][0], id=ann_event, scanResult={"id": "cust-ann", "type": "SHOPPER"}
    )
    body["shoppingTrip"]["authEvents"].append(ann_entry)

    purchase = bought(key, body)

    purchase.refresh_from_db()
    assert (purchase.payment_status, purchase.captured_total, purchase.authorisation_id) == (
        PaymentStatus.CAPTURED,
        Decimal("2.20"),
        None,
    )
    assert books() == [
        ("authorise", Decimal("50.00"), "pm_ann_4242"),
        ("authorise", Decimal("2.20"), "pm_bob_4242"),
        ("capture", Decimal("2.20"), "pm_bob_4242"),
    ]
    assert hold_of(ann_event).status == AuthorisationStatus.AUTHORISED
    assert open_issues() == []


def test_another_shoppers_hold_is_released_by_its_own_rules(
    shop: Store, key: str, ann: Shopper, bob: Shopper, settings: Any
) -> None:
    event = admitted(shop, ann)
    bought(key, purchase_body(shop, bob, event, [("COLA", "2")]))
    hold = hold_of(event)
    type(hold).objects.filter(pk=hold.pk).update(
        created_at=hold.created_at - timedelta(hours=settings.JWO_HOLD_RELEASE_HOURS + 1)
    )

    payments_sweep_task()

    assert hold_of(event).status == AuthorisationStatus.VOIDED
    assert books() == [("authorise", Decimal("50.00"), "pm_ann_4242"), ("void", None, "pm_ann_4242")]


def test_staff_charge_a_mismatched_trip_to_its_shopper_once_they_have_looked(
    shop: Store, key: str, ann: Shopper, bob: Shopper, store_manager: Any
) -> None:
    event = admitted(shop, ann)
    purchase = bought(key, purchase_body(shop, bob, event, [("COLA", "2")]))

    with on_commit_run():
        purchase_charge(purchase_pk=purchase.pk, user_pk=store_manager.pk)

    purchase.refresh_from_db()
    assert (purchase.payment_status, purchase.captured_total) == (PaymentStatus.CAPTURED, Decimal("4.40"))
    assert books() == [
        ("authorise", Decimal("50.00"), "pm_ann_4242"),
        ("authorise", Decimal("4.40"), "pm_bob_4242"),  # Bob's own card, afresh
        ("capture", Decimal("4.40"), "pm_bob_4242"),
    ]
    assert open_issues() == []


@pytest.mark.django_db(transaction=True)
def test_two_trips_delivered_at_once_with_one_event_share_no_hold(require_postgres: None) -> None:
    shop = payments_store()
    ann = card_shopper("cust-ann", "pm_ann_4242")
    key = connector_key_create(name="gateway")[1]
    event = admitted(shop, ann)
    bodies = [purchase_body(shop, ann, event, [("COLA", "1")]) for _ in range(6)]
    barrier = threading.Barrier(len(bodies))
    statuses: list[int] = []

    def deliver(body: dict[str, Any]) -> None:
        barrier.wait()
        statuses.append(buy(Client(), key, body).status_code)

    threads = [threading.Thread(target=deliver, args=(body,)) for body in bodies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert statuses == [201] * 6
    assert Purchase.objects.count() == 6
    assert Purchase.objects.filter(authorisation=hold_of(event)).count() == 1


# --- Purchases nobody can be charged for -------------------------------------------------------------------
def test_a_trip_naming_nobody_without_a_gate_hold_is_a_payment_issue_staff_assign_and_charge(
    shop: Store, key: str, ann: Shopper, store_manager: Any
) -> None:
    body = purchase_body(shop, ann, str(uuid.uuid4()), [("COLA", "2")])
    del body["shoppingTrip"]["authEvents"][0]["scanResult"]

    purchase = bought(key, body)

    purchase.refresh_from_db()
    assert (purchase.shopper_id, purchase.visitor_ref, purchase.payment_status) == (None, "", PaymentStatus.FAILED)
    assert open_issues() == [
        (None, "no_shopper", "The trip names no shopper (no scanResult) and no gate hold: nobody to charge.")
    ]
    assert books() == []
    open_work = next(iter(DatabaseCollector().collect()))  # /metrics: jwo_open_work{kind="payment_issues"}
    assert {sample.labels["kind"]: sample.value for sample in open_work.samples}["payment_issues"] == 1

    purchase_shopper_assign(purchase_pk=purchase.pk, shopper_text="cust-ann@example.com", user_pk=store_manager.pk)
    with on_commit_run():
        purchase_charge(purchase_pk=purchase.pk, user_pk=store_manager.pk)

    purchase.refresh_from_db()
    assert (purchase.shopper_id, purchase.payment_status, purchase.captured_total) == (
        ann.pk,
        PaymentStatus.CAPTURED,
        Decimal("4.40"),
    )
    assert books() == [("authorise", Decimal("4.40"), "pm_ann_4242"), ("capture", Decimal("4.40"), "pm_ann_4242")]
    assert open_issues() == []
    assert list(PurchaseAudit.objects.filter(purchase=purchase).values_list("action", "detail"))[0] == (
        "shopper_assigned",
        "charged to cust-ann (the trip named nobody)",
    )


def test_a_trip_naming_nobody_is_paid_from_the_hold_of_whoever_its_event_admitted(
    shop: Store, key: str, ann: Shopper
) -> None:
    event = admitted(shop, ann)
    body = purchase_body(shop, ann, event, [("COLA", "2")])
    del body["shoppingTrip"]["authEvents"][0]["scanResult"]

    purchase = bought(key, body)

    purchase.refresh_from_db()
    assert (purchase.shopper_id, purchase.authorisation_id, purchase.captured_total) == (
        ann.pk,
        hold_of(event).pk,
        Decimal("4.40"),
    )
    assert books() == [("authorise", Decimal("50.00"), "pm_ann_4242"), ("capture", Decimal("4.40"), "pm_ann_4242")]


def test_a_shopper_id_we_do_not_know_is_a_payment_issue_that_flags_nobody(shop: Store, key: str, ann: Shopper) -> None:
    event = admitted(shop, ann)
    body = purchase_body(shop, ann, event, [("COLA", "2")])
    body["shoppingTrip"]["authEvents"][0]["scanResult"] = {"id": "LOYAL-77", "type": "LOYALTY"}

    purchase = bought(key, body)

    purchase.refresh_from_db()
    assert (purchase.shopper_id, purchase.visitor_ref, purchase.payment_status) == (
        None,
        "LOYAL-77",
        PaymentStatus.FAILED,
    )
    assert open_issues() == [
        (
            None,
            "hold_mismatch",
            f"Gate event {event} admitted cust-ann, but this trip names LOYAL-77: cust-ann's hold cannot pay for it.",
        )
    ]
    assert books() == [("authorise", Decimal("50.00"), "pm_ann_4242")]


def test_an_unknown_id_without_a_hold_says_so(shop: Store, key: str, ann: Shopper) -> None:
    body = purchase_body(shop, ann, str(uuid.uuid4()), [("COLA", "2")])
    body["shoppingTrip"]["authEvents"][0]["scanResult"] = {"id": "LOYAL-77", "type": "LOYALTY"}

    bought(key, body)

    assert open_issues() == [
        (None, "unknown_shopper", "The trip names LOYAL-77, who is not one of our shoppers: nobody to charge.")
    ]
    assert books() == []


def test_a_shopper_without_a_card_is_a_payment_issue_that_flags_them(shop: Store, key: str) -> None:
    shopper = Shopper.objects.create(external_id="cust-nocard", name="No Card", email="nocard@example.com")

    bought(key, purchase_body(shop, shopper, str(uuid.uuid4()), [("COLA", "2")]))

    assert open_issues() == [("cust-nocard", "no_card", "No card on file.")]
    shopper.refresh_from_db()
    assert shopper.status == ShopperStatus.FLAGGED
    assert books() == []


def test_a_trip_sent_as_an_associate_for_a_shopper_is_charged_and_flagged(shop: Store, key: str, ann: Shopper) -> None:
    event = admitted(shop, ann)

    purchase = bought(key, purchase_body(shop, ann, event, [("COLA", "2")], scan_type="ASSOCIATE"))

    purchase.refresh_from_db()
    assert (purchase.payment_status, purchase.captured_total, purchase.flag_reason) == (
        PaymentStatus.CAPTURED,
        Decimal("4.40"),
        "Sent as ASSOCIATE, but cust-ann is a shopper in our records: charged as a shopper.",
    )
    assert books() == [("authorise", Decimal("50.00"), "pm_ann_4242"), ("capture", Decimal("4.40"), "pm_ann_4242")]


def test_a_real_associates_trip_is_not_charged(shop: Store, key: str) -> None:
    associate = card_shopper("assoc-1", "pm_assoc_4242", visitor_type=VisitorType.ASSOCIATE)

    purchase = bought(key, purchase_body(shop, associate, str(uuid.uuid4()), [("COLA", "2")], scan_type="ASSOCIATE"))

    purchase.refresh_from_db()
    assert (purchase.payment_status, purchase.flag_reason) == (PaymentStatus.NOT_CHARGED, "")
    assert books() == []
