"""The reconciliation run: every admission matched with a purchase, every priced purchase's
captures equal to its total less its refunds; whatever is not joins the queue once per trip."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from catalog.models import Store
from entry.models import GateDecisionKind, GateEvent, GateReason, Shopper
from entry.services.shoppers import shopper_create
from orders.models import (
    CLEARED_ON_RERUN,
    AmazonTrip,
    AmazonTripLine,
    AuthorisationStatus,
    PaymentAuthorisation,
    PaymentOperation,
    PaymentOperationKind,
    PaymentStatus,
    Purchase,
    PurchaseAudit,
    PurchaseAuditAction,
    PurchaseStatus,
    ReconciliationDay,
    ReconciliationItem,
    ReconciliationStatus,
)
from orders.services.reconciliation import (
    reconciliation_days_due,
    reconciliation_item_record,
    reconciliation_item_resolve,
    reconciliation_run,
)
from tests.orders.test_views import make_purchase

pytestmark = pytest.mark.django_db

DAY = date(2025, 3, 10)
AT = datetime(2025, 3, 10, 14, 0, tzinfo=UTC)
LATE = datetime(2025, 3, 11, 9, 0, tzinfo=UTC)  # well past every cut-off of DAY


@pytest.fixture
def shopper(db: None) -> Shopper:
    return shopper_create(external_id="cust-1", name="Ada", email="ada@example.com")


def admit(store: Store, shopper: Shopper, event_id: str, *, at: datetime = AT, **fields: Any) -> GateEvent:
    event = GateEvent.objects.create(
        auth_event_id=event_id,
        store=store,
        decision=GateDecisionKind.ADMITTED,
        reason=GateReason.ADMITTED,
        status_code=200,
        response_body={},
        shopper=shopper,
        visitor_type="SHOPPER",
        latency_ms=1.0,
        **fields,
    )
    GateEvent.objects.filter(pk=event.pk).update(created_at=at)
    return event


def hold(store: Store, shopper: Shopper, event_id: str, status: str = AuthorisationStatus.AUTHORISED) -> Any:
    return PaymentAuthorisation.objects.create(
        auth_event_id=event_id, store=store, shopper=shopper, amount=Decimal(50), currency="USD", status=status
    )


def operation(purchase: Purchase, kind: str, amount: str, outcome: str = "approved") -> None:
    PaymentOperation.objects.create(
        kind=kind, idempotency_key=f"{kind}:{purchase.pk}", purchase=purchase, amount=Decimal(amount), outcome=outcome
    )


def priced(store: Store, total: str, *, at: datetime = AT, **fields: Any) -> Purchase:
    fields.setdefault("payment_status", PaymentStatus.CAPTURED)
    return make_purchase(store, at=at, total=total, **fields)


def open_items(store: Store) -> list[tuple[str, str, Decimal | None, Decimal | None, str]]:
    return [
        (item.kind, item.trip_id, item.expected, item.actual, item.reason)
        for item in ReconciliationItem.objects.filter(store=store, status=ReconciliationStatus.OPEN).order_by("kind")
    ]


# --- Payments ---------------------------------------------------------------------------------------
def test_a_purchase_captured_at_its_total_less_refunds_adds_up(store: Store) -> None:
    purchase = priced(store, "12.50")
    operation(purchase, PaymentOperationKind.CAPTURE, "12.50")
    operation(purchase, PaymentOperationKind.REFUND, "2.50")  # given back after the capture
    result = reconciliation_run(store=store, day=DAY, now=LATE)

    # kept 12.50 − 2.50 = 10.00, the total less refunds 12.50 − 2.50 = 10.00
    assert open_items(store) == []
    assert (result.purchases_checked, result.opened) == (1, 0)


def test_a_capture_short_of_the_total_is_a_mismatch_net_of_refunds(store: Store) -> None:
    purchase = priced(store, "12.50")
    operation(purchase, PaymentOperationKind.CAPTURE, "10.00")
    operation(purchase, PaymentOperationKind.REFUND, "2.50")
    result = reconciliation_run(store=store, day=DAY, now=LATE)

    # kept 10.00 − 2.50 = 7.50 against 12.50 − 2.50 = 10.00
    assert open_items(store) == [
        (
            "capture_mismatch",
            purchase.trip_id,
            Decimal("10.000"),
            Decimal("7.500"),
            "Captured 10.00 USD of a 12.50 USD total: kept 7.50 USD after refunds of 2.50 USD, expected 10.00 USD.",
        )
    ]
    assert (result.purchases_checked, result.opened) == (1, 1)


def test_an_exact_capture_leaves_nothing_open(store: Store) -> None:
    purchase = priced(store, "7.25")
    operation(purchase, PaymentOperationKind.CAPTURE, "7.25")
    operation(purchase, PaymentOperationKind.CAPTURE, "7.25", outcome="declined")  # refused: moved nothing

    result = reconciliation_run(store=store, day=DAY, now=LATE)

    assert open_items(store) == []
    assert result.open_count == 0


def test_uncaptured(store: Store) -> None:
    purchase = priced(store, "9.99", payment_status=PaymentStatus.FAILED)

    reconciliation_run(store=store, day=DAY, now=LATE)

    assert open_items(store) == [
        (
            "uncaptured",
            purchase.trip_id,
            Decimal("9.990"),
            Decimal("0"),
            "Nothing captured (failed); total 9.99 USD, refunds 0.00 USD.",
        )
    ]


def test_captured_twice(store: Store) -> None:
    purchase = priced(store, "4.00")
    PaymentOperation.objects.create(
        kind="capture", idempotency_key="capture:a", purchase=purchase, amount=Decimal(4), outcome="approved"
    )
    PaymentOperation.objects.create(
        kind="capture", idempotency_key="capture:b", purchase=purchase, amount=Decimal(4), outcome="approved"
    )

    reconciliation_run(store=store, day=DAY, now=LATE)

    assert open_items(store) == [
        (
            "captured_twice",
            purchase.trip_id,
            Decimal("4.000"),
            Decimal("8.000"),
            "Captured 2 times, 8.00 USD in all; total 4.00 USD, refunds 0.00 USD.",
        )
    ]


def test_captured_over_total(store: Store) -> None:
    purchase = priced(store, "10.00")
    operation(purchase, PaymentOperationKind.CAPTURE, "10.01")

    reconciliation_run(store=store, day=DAY, now=LATE)

    assert open_items(store) == [
        ("captured_over_total", purchase.trip_id, Decimal("10.000"), Decimal("10.010"),
         "Captured 10.01 USD of a 10.00 USD total.")
    ]  # fmt: skip


def test_refunded_over_captured(store: Store) -> None:
    purchase = priced(store, "10.00")
    operation(purchase, PaymentOperationKind.CAPTURE, "6.00")
    operation(purchase, PaymentOperationKind.REFUND, "8.00")

    reconciliation_run(store=store, day=DAY, now=LATE)

    # expected 10.00 − 8.00 = 2.00 kept; 6.00 captured − 8.00 refunded = −2.00 kept
    assert open_items(store) == [
        ("refunded_over_captured", purchase.trip_id, Decimal("2.000"), Decimal("-2.000"),
         "Refunded 8.00 USD of 6.00 USD captured.")
    ]  # fmt: skip


def test_hold_expired_before_capture(store: Store, shopper: Shopper) -> None:
    voided = hold(store, shopper, "ev-1", status=AuthorisationStatus.VOIDED)
    purchase = priced(store, "3.30", payment_status=PaymentStatus.PENDING, shopper=shopper, authorisation=voided)

    reconciliation_run(store=store, day=DAY, now=LATE)

    item = ReconciliationItem.objects.get()
    assert (item.kind, item.trip_id, item.authorisation_id, item.purchase_id) == (
        "hold_expired_before_capture",
        purchase.trip_id,
        voided.pk,
        purchase.pk,
    )
    assert (
        item.reason == "The hold was released before any capture; total 3.30 USD, refunds 0.00 USD, nothing captured."
    )


def test_a_re_authorised_expired_hold_is_shown_resolved_for_information(store: Store, shopper: Shopper) -> None:
    expired = hold(store, shopper, "ev-1", status=AuthorisationStatus.VOIDED)  # released after the fresh charge
    purchase = priced(store, "3.30", shopper=shopper, authorisation=expired)
    operation(purchase, PaymentOperationKind.AUTHORISE, "3.30")
    operation(purchase, PaymentOperationKind.CAPTURE, "3.30")
    detail = "The pre-authorisation expired before the cart was priced: 3.30 USD authorised afresh."
    PurchaseAudit.objects.create(purchase=purchase, action=PurchaseAuditAction.REAUTHORISED, detail=detail)

    result = reconciliation_run(store=store, day=DAY, now=LATE)
    again = reconciliation_run(store=store, day=DAY, now=LATE + timedelta(hours=1))

    item = ReconciliationItem.objects.get()
    assert (item.kind, item.trip_id, item.purchase_id, item.authorisation_id, item.reason) == (
        "hold_reauthorised",
        purchase.trip_id,
        purchase.pk,
        expired.pk,
        detail,
    )
    assert (item.status, item.resolution_note, item.resolved_at, item.resolved_by_id) == (
        "resolved",
        "For information: the records add up, nothing to decide.",
        LATE,
        None,
    )
    assert (result.opened, result.open_count, again.opened, again.cleared) == (0, 0, 0, 0)
    assert ReconciliationDay.objects.get(store=store, day=DAY).is_closed


def test_counter_money_empty_and_bad_carts_are_not_payment_discrepancies(store: Store) -> None:
    priced(store, "5.00", payment_status=PaymentStatus.PAID_AT_COUNTER)
    priced(store, "5.00", payment_status=PaymentStatus.AT_COUNTER)
    make_purchase(store, at=AT, status=PurchaseStatus.EMPTY, payment_status=PaymentStatus.VOIDED)
    make_purchase(store, at=AT, status=PurchaseStatus.BAD_CART, total="2.00", payment_status=PaymentStatus.ON_HOLD)
    priced(store, "0.00", payment_status=PaymentStatus.VOIDED)  # all discounted: nothing to capture

    result = reconciliation_run(store=store, day=DAY, now=LATE)

    assert open_items(store) == []
    assert result.purchases_checked == 1


# --- Missing carts ----------------------------------------------------------------------------------
def test_an_admission_with_no_purchase_is_a_missing_cart_only_after_the_configured_time(
    store: Store, shopper: Shopper, settings: Any
) -> None:
    settings.JWO_MISSING_CART_HOURS = 2
    admit(store, shopper, "ev-paid", at=AT)
    paid_hold = hold(store, shopper, "ev-paid")
    priced(store, "1.00", shopper=shopper, authorisation=paid_hold).operations.create(
        kind="capture", idempotency_key="c", amount=Decimal(1), outcome="approved"
    )
    lost = admit(store, shopper, "ev-lost", at=AT + timedelta(hours=1))  # 15:00, the day's last gate event
    lost_hold = hold(store, shopper, "ev-lost")

    early = reconciliation_run(store=store, day=DAY, now=datetime(2025, 3, 10, 16, 59, tzinfo=UTC))
    assert (early.missing_carts_decided, open_items(store)) == (False, [])

    reconciliation_run(store=store, day=DAY, now=datetime(2025, 3, 10, 17, 0, tzinfo=UTC))
    item = ReconciliationItem.objects.get()
    assert (item.kind, item.trip_id, item.gate_event_id, item.authorisation_id) == (
        "missing_cart",
        "ev-lost",
        lost.pk,
        lost_hold.pk,
    )
    assert item.reason == (
        "Admitted at gate event ev-lost; no purchase came 2 h after the day's last gate event. "
        "Its hold is kept until staff decide."
    )
    lost_hold.refresh_from_db()
    assert lost_hold.status == AuthorisationStatus.AUTHORISED  # kept for staff
    assert PaymentOperation.objects.filter(authorisation=lost_hold).count() == 0


def test_an_associate_is_no_missing_cart_and_a_cash_shopper_without_hold_is_one(store: Store, shopper: Shopper) -> None:
    GateEvent.objects.filter(pk=admit(store, shopper, "ev-staff").pk).update(visitor_type="ASSOCIATE")
    GateEvent.objects.filter(pk=admit(store, shopper, "ev-cash").pk).update(visitor_type="CASH_SHOPPER")

    result = reconciliation_run(store=store, day=DAY, now=LATE)

    assert result.admissions == 1
    assert [(kind, trip, reason) for kind, trip, _, _, reason in open_items(store)] == [
        (
            "missing_cart",
            "ev-cash",
            "Admitted at gate event ev-cash; no purchase came 2 h after the day's last gate event. No hold was placed.",
        )
    ]


def test_a_group_trip_naming_the_admission_is_no_missing_cart(store: Store, shopper: Shopper) -> None:
    admit(store, shopper, "ev-parent")
    admit(store, shopper, "ev-child", at=AT + timedelta(minutes=1))
    purchase = priced(store, "0.00", payment_status=PaymentStatus.VOIDED)
    purchase.request_body = {"shoppingTrip": {"authEvents": [{"id": "ev-parent"}, {"id": "ev-child"}]}}
    purchase.save(update_fields=["request_body"])

    result = reconciliation_run(store=store, day=DAY, now=LATE)

    assert (result.admissions, open_items(store)) == (2, [])


def test_an_open_missing_cart_keeps_its_hold_from_the_stale_sweep(store: Store, shopper: Shopper) -> None:
    from orders.services.payments.holds import holds_stale  # noqa: PLC0415 - the sweep under test, here only

    admit(store, shopper, "ev-lost")
    lost_hold = hold(store, shopper, "ev-lost")
    PaymentAuthorisation.objects.filter(pk=lost_hold.pk).update(created_at=AT)
    reconciliation_run(store=store, day=DAY, now=LATE)

    assert holds_stale(now=LATE) == []


# --- Re-runs, the day, the store's clock, simulated rows ---------------------------------------------
def test_a_rerun_adds_nothing_keeps_resolved_and_clears_what_went_away(
    store: Store, shopper: Shopper, admin_user: Any
) -> None:
    failed = priced(store, "2.00", payment_status=PaymentStatus.FAILED)
    twice = priced(store, "3.00")
    operation(twice, PaymentOperationKind.CAPTURE, "3.00")
    PaymentOperation.objects.create(
        kind="capture", idempotency_key="again", purchase=twice, amount=Decimal(3), outcome="approved"
    )
    reconciliation_run(store=store, day=DAY, now=LATE)
    resolved = reconciliation_item_resolve(
        item_pk=ReconciliationItem.objects.get(trip_id=twice.trip_id).pk, user_pk=admin_user.pk, note="Refunded 3.00"
    )
    operation(failed, PaymentOperationKind.CAPTURE, "2.00")  # charged since

    again = reconciliation_run(store=store, day=DAY, now=LATE + timedelta(hours=1))

    items = list(ReconciliationItem.objects.order_by("kind").values_list("kind", "status", "resolution_note"))
    assert items == [("captured_twice", "resolved", "Refunded 3.00"), ("uncaptured", "resolved", CLEARED_ON_RERUN)]
    assert (again.opened, again.cleared, again.open_count) == (0, 1, 0)
    resolved.refresh_from_db()
    assert (resolved.resolved_by_id, resolved.resolved_at) == (admin_user.pk, resolved.resolved_at)


def test_the_day_closes_when_its_queue_is_empty(store: Store, admin_user: Any) -> None:
    priced(store, "2.00", payment_status=PaymentStatus.FAILED)
    reconciliation_run(store=store, day=DAY, now=LATE)
    day = ReconciliationDay.objects.get(store=store, day=DAY)
    assert (day.open_count, day.is_closed, day.last_run_at) == (1, False, LATE)

    reconciliation_item_resolve(item_pk=ReconciliationItem.objects.get().pk, user_pk=admin_user.pk, note="Cash")

    day.refresh_from_db()
    assert (day.open_count, day.is_closed) == (0, True)


def test_a_store_far_from_utc_reconciles_its_own_day(db: None) -> None:
    kiritimati = Store.objects.create(
        store_id="KIRI", name="Kiritimati", currency="USD", time_zone="Pacific/Kiritimati"
    )
    # UTC+14: 10:30 UTC on the 9th is 00:30 on the 10th there; 09:59 UTC on the 10th is 23:59 there
    first = priced(kiritimati, "1.00", payment_status=PaymentStatus.FAILED, at=datetime(2025, 3, 9, 10, 30, tzinfo=UTC))
    last = priced(kiritimati, "1.00", payment_status=PaymentStatus.FAILED, at=datetime(2025, 3, 10, 9, 59, tzinfo=UTC))
    priced(kiritimati, "1.00", payment_status=PaymentStatus.FAILED, at=datetime(2025, 3, 10, 10, 0, tzinfo=UTC))
    priced(kiritimati, "1.00", payment_status=PaymentStatus.FAILED, at=datetime(2025, 3, 9, 9, 59, tzinfo=UTC))

    reconciliation_run(store=kiritimati, day=DAY, now=LATE)

    assert sorted(ReconciliationItem.objects.values_list("trip_id", "store_day")) == sorted(
        [(first.trip_id, DAY), (last.trip_id, DAY)]
    )


def test_simulated_rows_are_left_out_unless_their_run_is_asked_for(store: Store, shopper: Shopper) -> None:
    simulated = priced(store, "2.00", payment_status=PaymentStatus.FAILED, simulation_run_id=7)
    admit(store, shopper, "ev-sim", simulation_run_id=7)

    real = reconciliation_run(store=store, day=DAY, now=LATE)
    assert (real.admissions, real.purchases_checked, ReconciliationItem.objects.count()) == (0, 0, 0)

    run = reconciliation_run(store=store, day=DAY, now=LATE, simulation_run_id=7)
    assert (run.admissions, run.purchases_checked, run.open_count) == (1, 1, 2)
    assert set(ReconciliationItem.objects.values_list("kind", "trip_id", "simulation_run_id")) == {
        ("uncaptured", simulated.trip_id, 7),
        ("missing_cart", "ev-sim", 7),
    }
    day = ReconciliationDay.objects.get()  # the real run's: a simulation's items never open a real day
    assert (day.open_count, day.is_closed) == (0, True)


def test_an_item_recorded_twice_is_one_row_and_a_resolved_one_stays(store: Store, admin_user: Any) -> None:
    first = reconciliation_item_record(
        store=store, store_day=DAY, kind="amazon_trip_without_purchase", trip_id="t-1", reason="Amazon: 4.00"
    )
    again = reconciliation_item_record(
        store=store, store_day=DAY, kind="amazon_trip_without_purchase", trip_id="t-1", reason="Amazon: 5.00"
    )
    assert (again.pk, again.reason) == (first.pk, "Amazon: 5.00")
    reconciliation_item_resolve(item_pk=first.pk, user_pk=admin_user.pk, note="Test trip")
    third = reconciliation_item_record(
        store=store, store_day=DAY, kind="amazon_trip_without_purchase", trip_id="t-1", reason="Amazon: 6.00"
    )
    assert (third.status, third.reason, ReconciliationItem.objects.count()) == ("resolved", "Amazon: 5.00", 1)
    assert reconciliation_run(store=store, day=DAY, now=LATE).cleared == 0  # Amazon's kinds are not the run's


def test_each_store_is_due_for_its_previous_day_after_the_wait(store: Store, settings: Any) -> None:
    settings.JWO_MISSING_CART_HOURS = 2
    store.time_zone = "America/New_York"  # UTC−4 on 2025-06-11
    store.save()

    assert reconciliation_days_due(now=datetime(2025, 6, 11, 5, 59, tzinfo=UTC)) == []
    assert reconciliation_days_due(now=datetime(2025, 6, 11, 6, 0, tzinfo=UTC)) == [(store.pk, date(2025, 6, 10))]
    reconciliation_run(store=store, day=date(2025, 6, 10), now=datetime(2025, 6, 11, 6, 0, tzinfo=UTC))
    assert reconciliation_days_due(now=datetime(2025, 6, 11, 7, 0, tzinfo=UTC)) == []


# --- Amazon's trips ---------------------------------------------------------------------------------
def amazon_trip(store: Store, trip_id: str, lines: list[tuple[str, str]]) -> None:
    trip = AmazonTrip.objects.create(trip_id=trip_id, store=store, ended_at=AT)
    for number, (sku, quantity) in enumerate(lines):
        AmazonTripLine.objects.create(trip=trip, line_id=f"{trip_id}-{number}", sku=sku, quantity=Decimal(quantity))


def test_amazon_differences_join_the_queue_where_the_feed_is_received(store: Store, settings: Any) -> None:
    settings.JWO_AMAZON_EVENT_QUEUE_URL = "http://sqs.local/000000000000/jwo-store-events"
    matched = priced(store, "4.50")
    operation(matched, PaymentOperationKind.CAPTURE, "4.50")
    ours_only = priced(store, "2.00")
    operation(ours_only, PaymentOperationKind.CAPTURE, "2.00")
    amazon_trip(store, matched.trip_id, [(line.item_id, str(line.quantity)) for line in matched.lines.all()])
    amazon_trip(store, "amazon-only-trip", [("SKU-9", "1")])

    reconciliation_run(store=store, day=DAY, now=LATE)
    reconciliation_run(store=store, day=DAY, now=LATE)  # a re-run adds nothing

    assert [(kind, trip) for kind, trip, *_ in open_items(store)] == [
        ("amazon_trip_without_purchase", "amazon-only-trip"),
        ("purchase_without_amazon_trip", ours_only.trip_id),
    ]
    assert ReconciliationItem.objects.count() == 2


def test_without_a_feed_no_purchase_lacks_its_amazon_trip(store: Store, settings: Any) -> None:
    settings.JWO_AMAZON_EVENT_QUEUE_URL = settings.JWO_AMAZON_REPORT_BUCKET = settings.JWO_AMAZON_REPORT_DROP_DIR = ""
    purchase = priced(store, "2.00")
    operation(purchase, PaymentOperationKind.CAPTURE, "2.00")

    reconciliation_run(store=store, day=DAY, now=LATE)

    assert ReconciliationItem.objects.count() == 0
