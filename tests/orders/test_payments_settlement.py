"""Settling a purchase's money (orders.services.payments.settlement, run by orders.tasks): who is charged
and how, what a refusal or an unreachable gateway leaves behind, and what the sweeper picks up.

Purchases come in through the real Create Purchases connector; the gate's admission is recorded
as the Identity Connector records it and its hold placed through the real hold service and the
sandbox gateway. Tests run in a rolled-back transaction: ``bought(...)`` runs the settlement
hand-off as a commit would, and ``settle=False`` leaves it undone (a lost hand-off).
"""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.utils import timezone

from catalog.models import Product, Store
from entry.models import GateDecisionKind, GateEvent, GateReason, Shopper, ShopperStatus, VisitorType
from entry.services.shoppers import payment_method_add, shopper_create
from orders.models import (
    AuthorisationStatus,
    PaymentAuthorisation,
    PaymentIssue,
    PaymentOperation,
    PaymentStatus,
    Promotion,
    Purchase,
    SandboxCharge,
)
from orders.services.bad_carts import purchase_charge
from orders.services.payments.dispatch import payment_plan
from orders.services.payments.holds import hold_request
from orders.services.payments.settlement import purchase_settle
from orders.tasks import payments_sweep_task, purchase_settle_task
from tests.orders.payment_helpers import (
    admitted,
    bought,
    card_shopper,
    hold_of,
    on_commit_run,
    purchase_body,
)

pytestmark = pytest.mark.django_db


def operations() -> list[tuple[str, str, Decimal | None, str]]:
    """Every gateway call recorded: (kind, idempotency key, amount, outcome), in order."""
    return list(PaymentOperation.objects.order_by("id").values_list("kind", "idempotency_key", "amount", "outcome"))


def open_issues() -> list[tuple[str, str, int | None, int | None]]:
    return list(
        PaymentIssue.objects.filter(status="open")
        .order_by("id")
        .values_list("kind", "outcome", "purchase_id", "authorisation_id")
    )


def backdate(model: Any, pk: int, **ago: float) -> None:
    model.objects.filter(pk=pk).update(created_at=timezone.now() - timedelta(**ago))


@pytest.mark.parametrize(
    ("status", "scan_type", "recorded", "expected", "flag"),
    [
        ("priced", "SHOPPER", "SHOPPER", PaymentStatus.PENDING, ""),
        ("empty", "SHOPPER", "SHOPPER", PaymentStatus.PENDING, ""),  # settled by releasing the hold
        ("bad_cart", "SHOPPER", "SHOPPER", PaymentStatus.ON_HOLD, ""),
        ("priced", "CASH_SHOPPER", "CASH_SHOPPER", PaymentStatus.AT_COUNTER, ""),
        ("priced", "CASH", "CASH_SHOPPER", PaymentStatus.AT_COUNTER, ""),
        ("empty", "CASH_SHOPPER", "CASH_SHOPPER", PaymentStatus.NOT_CHARGED, ""),
        ("bad_cart", "CASH_SHOPPER", "CASH_SHOPPER", PaymentStatus.ON_HOLD, ""),
        ("priced", "ASSOCIATE", "ASSOCIATE", PaymentStatus.NOT_CHARGED, ""),
        ("priced", "", "", PaymentStatus.PENDING, ""),
        # the type is believed only when our records agree: anyone else is charged as a shopper, flagged
        (
            "priced",
            "ASSOCIATE",
            "SHOPPER",
            PaymentStatus.PENDING,
            "Sent as ASSOCIATE, but cust-1 is a shopper in our records: charged as a shopper.",
        ),
        (
            "priced",
            "ASSOCIATE",
            "",
            PaymentStatus.PENDING,
            "Sent as ASSOCIATE, but cust-1 is not in our records: charged as a shopper.",
        ),
        (
            "priced",
            "CASH",
            "ASSOCIATE",
            PaymentStatus.PENDING,
            "Sent as CASH, but cust-1 is an associate in our records: charged as a shopper.",
        ),
    ],
)
def test_what_a_new_purchase_owes_follows_its_cart_and_who_shopped(
    status: str, scan_type: str, recorded: str, expected: str, flag: str
) -> None:
    plan = payment_plan(status=status, scan_result_type=scan_type, visitor_ref="cust-1", recorded_type=recorded)

    assert (plan.payment_status, plan.flag) == (expected, flag)


def test_a_cash_shopper_pays_at_the_counter_gets_a_receipt_and_the_gateway_is_never_called(
    shop: Store, key: str
) -> None:
    shopper = shopper_create(
        external_id="cash-1", name="Cash", email="cash-1@example.com", visitor_type=VisitorType.CASH_SHOPPER
    )
    event_id = admitted(shop, shopper)  # a cash shopper is let in, but not held

    purchase = bought(key, purchase_body(shop, shopper, event_id, [("COLA", "2")], scan_type="CASH_SHOPPER"))

    assert (purchase.status, purchase.payment_status, purchase.total, purchase.captured_total) == (
        "priced",
        PaymentStatus.AT_COUNTER,
        Decimal("4.400"),
        Decimal(0),
    )
    assert PaymentAuthorisation.objects.count() == 0
    assert PaymentOperation.objects.count() == 0
    assert SandboxCharge.objects.count() == 0
    assert [(message.to, "To be paid at the counter" in message.body) for message in mail.outbox] == [
        (["cash-1@example.com"], True)
    ]


def test_an_associates_trip_is_not_charged(shop: Store, key: str) -> None:
    associate = card_shopper("staff-1", "pm_staff_4242", visitor_type=VisitorType.ASSOCIATE)
    event_id = admitted(shop, associate)

    purchase = bought(key, purchase_body(shop, associate, event_id, [("CHEESE", "1")], scan_type="ASSOCIATE"))

    assert (purchase.payment_status, purchase.captured_total) == (PaymentStatus.NOT_CHARGED, Decimal(0))
    assert PaymentAuthorisation.objects.count() == 0
    assert PaymentOperation.objects.count() == 0
    assert SandboxCharge.objects.count() == 0
    assert "Not charged" in mail.outbox[0].body


def test_a_card_without_funds_fails_the_hold_and_the_fresh_authorisation_and_flags_the_shopper(
    shop: Store, key: str
) -> None:
    shopper = card_shopper("cust-poor", "pm_poor_9995")
    event_id = admitted(shop, shopper)
    hold = hold_of(event_id)
    assert (hold.status, hold.message) == (AuthorisationStatus.DECLINED, "Insufficient funds.")

    purchase = bought(key, purchase_body(shop, shopper, event_id, [("COLA", "2")]))  # 4.40

    assert (purchase.payment_status, purchase.captured_total, purchase.authorisation_id) == (
        PaymentStatus.FAILED,
        Decimal(0),
        hold.pk,
    )
    assert operations() == [
        ("authorise", f"hold:{event_id}", Decimal("50.000"), "insufficient_funds"),
        ("authorise", f"charge:{purchase.pk}", Decimal("4.400"), "insufficient_funds"),
    ]
    assert SandboxCharge.objects.filter(outcome="approved").count() == 0
    assert open_issues() == [
        ("authorise", "insufficient_funds", None, hold.pk),
        ("authorise", "insufficient_funds", purchase.pk, None),
    ]
    assert PaymentIssue.objects.get(purchase=purchase).message == f"{purchase.purchase_id}: Insufficient funds."
    shopper.refresh_from_db()
    assert (shopper.status, shopper.status_reason) == (
        ShopperStatus.FLAGGED,
        "Payment issue: Hold of 50.00 USD at the gate: Insufficient funds.",
    )
    assert mail.outbox == []


def test_staff_retry_a_failed_charge_on_the_card_the_shopper_has_since_added(shop: Store, key: str) -> None:
    shopper = card_shopper("cust-poor", "pm_poor_9995")
    event_id = admitted(shop, shopper)
    purchase = bought(key, purchase_body(shop, shopper, event_id, [("COLA", "2")]))
    assert purchase.payment_status == PaymentStatus.FAILED
    payment_method_add(shopper=shopper, provider_reference="pm_new_4242", expiry_month=1, expiry_year=2099)

    with on_commit_run():
        purchase_charge(purchase_pk=purchase.pk, user_pk=None)

    purchase.refresh_from_db()
    assert (purchase.payment_status, purchase.captured_total) == (PaymentStatus.CAPTURED, Decimal("4.400"))
    # the refused first try is not asked again under its key: that would only replay the refusal
    assert operations()[2:] == [
        ("authorise", f"charge:{purchase.pk}:1", Decimal("4.400"), "approved"),
        ("capture", f"capture:{purchase.pk}:1", Decimal("4.400"), "approved"),
    ]
    assert SandboxCharge.objects.get(kind="capture").card_reference == "pm_new_4242"
    assert open_issues() == []
    assert set(PaymentIssue.objects.values_list("resolution", flat=True)) == {"charged"}
    shopper.refresh_from_db()
    assert (shopper.status, shopper.status_reason) == (ShopperStatus.ACTIVE, "")
    assert len(mail.outbox) == 1


def test_an_unreachable_gateway_is_tried_three_times_then_the_purchase_fails_with_an_issue(
    shop: Store, key: str, settings: Any
) -> None:
    settings.JWO_PAYMENT_RETRIES = 2
    shopper = card_shopper("cust-offline", "pm_offline_0119")
    event_id = admitted(shop, shopper)
    hold = hold_of(event_id)
    assert (hold.status, hold.message) == (
        AuthorisationStatus.FAILED,
        "Gateway unreachable: sandbox: network error (test card …0119)",
    )

    purchase = bought(key, purchase_body(shop, shopper, event_id, [("COLA", "1")]))

    assert purchase.payment_status == PaymentStatus.FAILED
    assert operations() == [
        *[("authorise", f"hold:{event_id}", Decimal("50.000"), "unavailable")] * 3,
        *[("authorise", f"charge:{purchase.pk}", Decimal("2.200"), "unavailable")] * 3,
    ]
    assert SandboxCharge.objects.count() == 0
    issue = PaymentIssue.objects.get(purchase=purchase)
    assert (issue.kind, issue.outcome, issue.status, issue.message) == (
        "capture",
        "unavailable",
        "open",
        f"{purchase.purchase_id}: Gateway unreachable: sandbox: network error (test card …0119)",
    )
    assert Shopper.objects.get(pk=shopper.pk).status == ShopperStatus.FLAGGED


def test_a_cart_priced_at_zero_releases_the_hold_and_gets_a_receipt(shop: Store, key: str) -> None:
    Promotion.objects.create(name="Free cola", kind="percent_off", skus=["COLA"], percent=Decimal("100"))
    shopper = card_shopper("cust-free", "pm_free_4242")
    event_id = admitted(shop, shopper)

    purchase = bought(key, purchase_body(shop, shopper, event_id, [("COLA", "2")]))

    assert (purchase.status, purchase.total, purchase.discount_total) == ("priced", Decimal(0), Decimal("4.000"))
    assert (purchase.payment_status, purchase.captured_total) == (PaymentStatus.VOIDED, Decimal(0))
    assert hold_of(event_id).status == AuthorisationStatus.VOIDED
    assert [(kind, outcome) for kind, _, _, outcome in operations()] == [
        ("authorise", "approved"),
        ("void", "approved"),
    ]
    assert SandboxCharge.objects.filter(kind="capture").count() == 0
    assert len(mail.outbox) == 1
    assert "Not charged" in mail.outbox[0].body


def test_an_empty_cart_after_a_refused_hold_owes_nothing_and_reinstates_the_shopper(shop: Store, key: str) -> None:
    shopper = card_shopper("cust-declined", "pm_declined_0002")
    event_id = admitted(shop, shopper)
    assert Shopper.objects.get(pk=shopper.pk).status == ShopperStatus.FLAGGED

    purchase = bought(key, purchase_body(shop, shopper, event_id, []))

    assert (purchase.status, purchase.payment_status) == ("empty", PaymentStatus.NOT_CHARGED)
    assert [kind for kind, *_ in operations()] == ["authorise"]  # the refused hold; nothing to release
    assert PaymentIssue.objects.get().resolution == "superseded"
    assert Shopper.objects.get(pk=shopper.pk).status == ShopperStatus.ACTIVE
    assert mail.outbox == []


@pytest.mark.parametrize(
    ("price", "total", "calls"),
    [
        # 45.45 + 10 % tax 4.545 → 4.55 = 50.00: exactly the hold, captured from it
        ("45.45", "50.000", [("authorise", "50.000"), ("capture", "50.000")]),
        # 45.46 + 4.546 → 4.55 = 50.01: one cent above, authorised afresh and the hold released
        ("45.46", "50.010", [("authorise", "50.000"), ("authorise", "50.010"), ("capture", "50.010"), ("void", None)]),
    ],
)
def test_a_total_up_to_the_hold_is_captured_from_it_and_above_it_authorised_afresh(
    shop: Store, key: str, price: str, total: str, calls: list[tuple[str, str | None]]
) -> None:
    Product.objects.create(store=shop, sku="HAMPER", name="Hamper", price=Decimal(price), tax_code="GENERAL")
    shopper = card_shopper("cust-hamper", "pm_hamper_4242")
    event_id = admitted(shop, shopper)

    purchase = bought(key, purchase_body(shop, shopper, event_id, [("HAMPER", "1")]))

    assert (purchase.total, purchase.payment_status, purchase.captured_total) == (
        Decimal(total),
        PaymentStatus.CAPTURED,
        Decimal(total),
    )
    assert [(kind, amount) for kind, _, amount, _ in operations()] == [
        (kind, Decimal(amount) if amount else None) for kind, amount in calls
    ]
    captured_from_hold = len(calls) == 2
    assert hold_of(event_id).status == (
        AuthorisationStatus.CAPTURED if captured_from_hold else AuthorisationStatus.VOIDED
    )
    capture = PaymentOperation.objects.get(kind="capture")
    assert capture.authorisation_id == (hold_of(event_id).pk if captured_from_hold else None)


def test_settling_again_asks_the_gateway_nothing_and_sends_no_second_receipt(shop: Store, key: str) -> None:
    shopper = card_shopper("cust-twice", "pm_twice_4242")
    event_id = admitted(shop, shopper)
    purchase = bought(key, purchase_body(shop, shopper, event_id, [("CHEESE", "1")]))
    before = operations()

    again = purchase_settle(purchase_pk=purchase.pk)
    with on_commit_run():
        purchase_settle_task.delay(purchase.pk)

    assert again == PaymentStatus.CAPTURED
    assert operations() == before
    assert [kind for kind, *_ in before] == ["authorise", "capture"]
    assert SandboxCharge.objects.filter(kind="capture").count() == 1
    assert len(mail.outbox) == 1


def test_a_hold_written_after_the_purchase_is_found_by_the_trips_gate_event_and_captured(shop: Store, key: str) -> None:
    shopper = card_shopper("cust-late", "pm_late_4242")
    event_id = admitted(shop, shopper, place_hold=False)  # the gate's announcement is still on its way
    purchase = bought(key, purchase_body(shop, shopper, event_id, [("COLA", "1")]), settle=False)
    assert purchase.authorisation_id is None
    with on_commit_run():
        hold_request(auth_event_id=event_id)
    assert hold_of(event_id).status == AuthorisationStatus.AUTHORISED

    with on_commit_run():
        purchase_settle_task.delay(purchase.pk)

    purchase.refresh_from_db()
    assert (purchase.payment_status, purchase.captured_total, purchase.authorisation_id) == (
        PaymentStatus.CAPTURED,
        Decimal("2.200"),
        hold_of(event_id).pk,
    )
    assert hold_of(event_id).status == AuthorisationStatus.CAPTURED
    assert [(kind, key) for kind, key, _, _ in operations()] == [
        ("authorise", f"hold:{event_id}"),
        ("capture", f"capture:{purchase.pk}"),
    ]


def test_a_hold_still_undecided_after_every_retry_is_given_up_and_the_total_charged_without_it(
    shop: Store, key: str, settings: Any
) -> None:
    settings.JWO_PAYMENT_RETRIES = 1
    shopper = card_shopper("cust-slow", "pm_slow_4242")
    event_id = admitted(shop, shopper, place_hold=False)
    hold_request(auth_event_id=event_id)  # its gateway call is never made (the hand-off is not run)

    purchase = bought(key, purchase_body(shop, shopper, event_id, [("COLA", "1")]))

    assert (purchase.payment_status, purchase.captured_total) == (PaymentStatus.CAPTURED, Decimal("2.200"))
    hold = hold_of(event_id)
    assert (hold.status, hold.message) == (
        AuthorisationStatus.FAILED,
        "Gateway unreachable: no answer before the purchase",
    )
    assert [(kind, key) for kind, key, _, _ in operations()] == [
        ("authorise", f"charge:{purchase.pk}"),
        ("capture", f"capture:{purchase.pk}"),
    ]
    assert list(PaymentIssue.objects.values_list("authorisation_id", "status", "resolution")) == [
        (hold.pk, "resolved", "charged")
    ]
    assert Shopper.objects.get(pk=shopper.pk).status == ShopperStatus.ACTIVE


def test_the_sweeper_settles_a_purchase_whose_hand_off_was_lost(shop: Store, key: str) -> None:
    shopper = card_shopper("cust-lost", "pm_lost_4242")
    event_id = admitted(shop, shopper)
    lost = bought(key, purchase_body(shop, shopper, event_id, [("COLA", "1")]), settle=False)
    recent = bought(key, purchase_body(shop, shopper, admitted(shop, shopper), [("COLA", "2")]), settle=False)
    backdate(Purchase, lost.pk, minutes=3)

    with on_commit_run():
        swept = payments_sweep_task.delay().get()

    assert swept == {"holds": 0, "purchases": 1, "released": 0, "refunds": 0, "receipts": 0}
    lost.refresh_from_db()
    recent.refresh_from_db()
    assert (lost.payment_status, lost.captured_total) == (PaymentStatus.CAPTURED, Decimal("2.200"))
    assert (recent.payment_status, recent.captured_total) == (PaymentStatus.PENDING, Decimal(0))  # not stuck yet
    assert [key for kind, key, _, _ in operations() if kind == "capture"] == [f"capture:{lost.pk}"]
    assert len(mail.outbox) == 1


def _admission(store: Store, shopper: Shopper, event_id: str, minutes_ago: float) -> None:
    event = GateEvent.objects.create(
        auth_event_id=event_id,
        store=store,
        decision=GateDecisionKind.ADMITTED,
        reason=GateReason.ADMITTED,
        status_code=200,
        response_body={},
        shopper=shopper,
        visitor_type=shopper.visitor_type,
        latency_ms=1.0,
    )
    backdate(GateEvent, event.pk, minutes=minutes_ago)


def test_the_sweeper_requests_the_hold_of_an_admission_whose_announcement_was_lost(shop: Store) -> None:
    shopper = card_shopper("cust-unheld", "pm_unheld_4242")
    _admission(shop, shopper, "ev-lost", minutes_ago=5)
    _admission(shop, shopper, "ev-just-now", minutes_ago=0.5)  # its announcement may still be on the way
    _admission(shop, shopper, "ev-yesterday", minutes_ago=180)  # long gone: the trip is over

    with on_commit_run():
        swept = payments_sweep_task.delay().get()

    assert swept == {"holds": 1, "purchases": 0, "released": 0, "refunds": 0, "receipts": 0}
    hold = hold_of("ev-lost")
    assert (hold.status, hold.amount, hold.card_reference) == (
        AuthorisationStatus.AUTHORISED,
        Decimal("50.00"),
        "pm_unheld_4242",
    )
    assert list(PaymentAuthorisation.objects.values_list("auth_event_id", flat=True)) == ["ev-lost"]
    assert operations() == [("authorise", "hold:ev-lost", Decimal("50.000"), "approved")]


def test_the_sweeper_releases_holds_nobody_came_for_after_the_release_hours(
    shop: Store, key: str, settings: Any
) -> None:
    settings.JWO_HOLD_RELEASE_HOURS = 6
    shopper = card_shopper("cust-gone", "pm_gone_4242")
    stale = hold_of(admitted(shop, shopper))
    young = hold_of(admitted(shop, shopper))
    bad_cart_event = admitted(shop, shopper)
    bought(key, purchase_body(shop, shopper, bad_cart_event, [("NO-SUCH-SKU", "1")]))  # kept for staff
    bad_cart_hold = hold_of(bad_cart_event)
    captured_event = admitted(shop, shopper)
    bought(key, purchase_body(shop, shopper, captured_event, [("COLA", "1")]))
    captured_hold = hold_of(captured_event)  # captured, though a crash kept its row from saying so:
    PaymentAuthorisation.objects.filter(pk=captured_hold.pk).update(status=AuthorisationStatus.AUTHORISED)
    for hold, age in ((stale, 6 * 60 + 1), (young, 6 * 60 - 1), (bad_cart_hold, 7 * 60), (captured_hold, 7 * 60)):
        backdate(PaymentAuthorisation, hold.pk, minutes=age)

    with on_commit_run():
        swept = payments_sweep_task.delay().get()

    assert swept == {"holds": 0, "purchases": 0, "released": 1, "refunds": 0, "receipts": 0}
    assert [
        PaymentAuthorisation.objects.get(pk=hold.pk).status for hold in (stale, young, bad_cart_hold, captured_hold)
    ] == [
        AuthorisationStatus.VOIDED,
        AuthorisationStatus.AUTHORISED,
        AuthorisationStatus.AUTHORISED,
        AuthorisationStatus.AUTHORISED,
    ]
    assert [(kind, key) for kind, key, _, _ in operations() if kind == "void"] == [
        ("void", f"void:{stale.auth_event_id}")
    ]


def test_a_hold_whose_release_went_unanswered_after_the_charge_is_released_by_the_sweeper(
    shop: Store, key: str, settings: Any
) -> None:
    settings.JWO_HOLD_RELEASE_HOURS = 6
    shopper = card_shopper("cust-flaky", "pm_flaky_0341")  # every first answer is lost
    event_id = admitted(shop, shopper)

    purchase = bought(key, purchase_body(shop, shopper, event_id, [("CHEESE", "2")]))  # 66.00: above the hold

    assert (purchase.payment_status, purchase.captured_total) == (PaymentStatus.CAPTURED, Decimal("66.000"))
    assert hold_of(event_id).status == AuthorisationStatus.AUTHORISED  # its release got no answer
    backdate(PaymentAuthorisation, hold_of(event_id).pk, hours=7)

    with on_commit_run():
        swept = payments_sweep_task.delay().get()

    assert swept["released"] == 1
    assert hold_of(event_id).status == AuthorisationStatus.VOIDED
    assert SandboxCharge.objects.filter(kind="void").count() == 1
    assert [outcome for kind, _, _, outcome in operations() if kind == "void"] == ["unavailable", "approved"]


def test_the_receipt_email_lists_lines_discounts_totals_and_link_and_is_sent_once(
    shop: Store, key: str, settings: Any
) -> None:
    settings.JWO_PUBLIC_BASE_URL = "https://shop.example.com/"
    shop.time_zone = "America/New_York"
    shop.save()
    Promotion.objects.create(name="Cola 10% off", kind="percent_off", skus=["COLA"], percent=Decimal("10"))
    shopper = card_shopper("cust-receipt", "pm_receipt_4242")
    event_id = admitted(shop, shopper)
    ended = datetime(2026, 11, 20, 15, 4, tzinfo=UTC)

    purchase = bought(key, purchase_body(shop, shopper, event_id, [("COLA", "3"), ("CHEESE", "1")], ended_at=ended))
    purchase_settle(purchase_pk=purchase.pk)

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert (message.to, message.subject) == (
        ["cust-receipt@example.com"],
        f"Your receipt from Pay Store: {purchase.purchase_id}",
    )
    # cola 3 × 2.00 = 6.00, 10 % off 0.60 → 5.40; cheese 30.00; subtotal 36.00 (before savings),
    # tax 10 % of 35.40 = 3.54; total 38.94
    link = f"https://shop.example.com/receipts/{purchase.receipt_token}/"
    assert message.body == (
        "Pay Store\n"
        f"Receipt {purchase.purchase_id}, 20 Nov 2026, 10:04\n"
        "\n"
        "Cola  3 unit × 2.00  6.00\n"
        "  Cola 10% off  −0.60\n"
        "Cheese  1 unit × 30.00  30.00\n"
        "\n"
        "Subtotal  36.00\n"
        "Savings   −0.60\n"
        "Tax       3.54\n"
        "Total USD 38.94\n"
        "Charged to your card\n"
        "\n"
        f"Online: {link}\n"
        "\n"
    )
    assert isinstance(message, EmailMultiAlternatives)
    html, mime = message.alternatives[0]
    assert isinstance(html, str)
    assert mime == "text/html"
    assert f'<a href="{link}">See this receipt online</a>' in html
    assert "<strong data-purchase-id>" + purchase.purchase_id in html
    assert "<strong>38.94</strong>" in html
    purchase.refresh_from_db()
    assert purchase.receipt_sent_at is not None
