"""Refunds (orders.services.payments.refunds): all or part of a charge, per line with the rounding written
down, within JWO_REFUND_DAYS, in cash for a purchase paid at the counter; the reservation that
keeps two refunds from giving back more than was charged, and what a refusal leaves behind."""

import threading
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.utils import timezone

from catalog.models import Product, Store
from entry.models import VisitorType
from entry.services.shoppers import shopper_create
from jwo_admin.core.connector_keys import connector_key_create
from jwo_admin.core.exceptions import ApplicationError
from orders.models import (
    PaymentOperation,
    PaymentStatus,
    Purchase,
    PurchaseAudit,
    PurchaseLine,
    Refund,
    RefundLine,
    SandboxCharge,
)
from orders.services.bad_carts import purchase_paid_at_counter
from orders.services.payments.refunds import refund_create
from tests.orders.payment_helpers import admitted, bought, card_shopper, on_commit_run, payments_store, purchase_body

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop(db: None) -> Store:
    """The payments store, plus tea at 3.03: 3 × 3.03 = 9.09 + 10 % tax 0.909 → 0.91 = a line of 10.00."""
    store = payments_store()
    Product.objects.create(store=store, sku="TEA", name="Tea", price=Decimal("3.03"), tax_code="GENERAL")
    return store


def charged(store: Store, key: str, items: list[tuple[str, str]], card: str = "pm_ok_4242") -> Purchase:
    shopper = card_shopper(f"cust-{card}", card)
    purchase = bought(key, purchase_body(store, shopper, admitted(store, shopper), items))
    assert purchase.payment_status == PaymentStatus.CAPTURED
    return purchase


def refund(
    purchase: Purchase, user: User | None, lines: dict[int, Decimal] | None = None, reason: str = "Damaged"
) -> Refund:
    """Create the refund as staff do; its gateway call runs as after the commit."""
    with on_commit_run():
        created = refund_create(purchase_pk=purchase.pk, reason=reason, user_pk=user.pk if user else None, lines=lines)
    created.refresh_from_db()
    return created


def refund_calls() -> list[tuple[str, Decimal | None, str]]:
    return list(
        PaymentOperation.objects.filter(kind="refund")
        .order_by("id")
        .values_list("idempotency_key", "amount", "outcome")
    )


def refunded_total(purchase: Purchase) -> Decimal:
    return Purchase.objects.get(pk=purchase.pk).refunded_total


def snapshot() -> tuple[int, int, int, int, int]:
    """What a refused refund must leave as it was."""
    return (
        Refund.objects.count(),
        RefundLine.objects.count(),
        PaymentOperation.objects.count(),
        SandboxCharge.objects.count(),
        PurchaseAudit.objects.count(),
    )


def test_a_whole_refund_gives_back_the_charge_through_the_gateway(shop: Store, key: str, store_manager: User) -> None:
    purchase = charged(shop, key, [("COLA", "2"), ("CHEESE", "1")])  # 37.40

    done = refund(purchase, store_manager)

    assert (done.status, done.amount, done.created_by_id, done.reason) == (
        Refund.Status.SUCCEEDED,
        Decimal("37.400"),
        store_manager.pk,
        "Damaged",
    )
    assert done.gateway_reference == SandboxCharge.objects.get(kind="refund").reference
    assert refunded_total(purchase) == Decimal("37.400")
    assert refund_calls() == [(f"refund:{done.pk}", Decimal("37.400"), "approved")]
    assert RefundLine.objects.count() == 0
    charge = SandboxCharge.objects.get(kind="capture")
    assert SandboxCharge.objects.get(kind="refund").parent_reference == charge.reference
    audit = PurchaseAudit.objects.get(purchase=purchase, action="refund")
    assert (audit.user_id, audit.detail) == (store_manager.pk, "37.400 USD (everything left): Damaged")


def test_a_line_is_refunded_unit_by_unit_and_its_last_units_take_what_is_left(
    shop: Store, key: str, store_manager: User
) -> None:
    purchase = charged(shop, key, [("TEA", "3"), ("COLA", "1")])  # 10.00 + 2.20
    tea = PurchaseLine.objects.get(purchase=purchase, sku="TEA")
    assert (tea.quantity, tea.total, purchase.captured_total) == (Decimal(3), Decimal("10.000"), Decimal("12.200"))

    one = refund(purchase, store_manager, {tea.pk: Decimal(1)})  # 10.00 / 3 = 3.333… → 3.33
    rest = refund(purchase, store_manager, {tea.pk: Decimal(2)})  # 10.00 − 3.33 = 6.67, not 2 × 3.33

    assert [(r.status, r.amount) for r in (one, rest)] == [
        (Refund.Status.SUCCEEDED, Decimal("3.330")),
        (Refund.Status.SUCCEEDED, Decimal("6.670")),
    ]
    assert list(RefundLine.objects.order_by("id").values_list("line_id", "quantity", "amount")) == [
        (tea.pk, Decimal(1), Decimal("3.330")),
        (tea.pk, Decimal(2), Decimal("6.670")),
    ]
    assert refunded_total(purchase) == Decimal("10.000")
    assert refund_calls() == [
        (f"refund:{one.pk}", Decimal("3.330"), "approved"),
        (f"refund:{rest.pk}", Decimal("6.670"), "approved"),
    ]
    assert list(PurchaseAudit.objects.filter(action="refund").order_by("id").values_list("detail", flat=True)) == [
        "3.33 USD (lines 1 × 1): Damaged",
        "6.670 USD (lines 1 × 2): Damaged",
    ]


def test_quantities_of_ten_or_more_are_written_plainly(shop: Store, key: str, store_manager: User) -> None:
    purchase = charged(shop, key, [("COLA", "10")])  # 20.00 + 2.00 = 22.00
    cola = purchase.lines.get()

    with pytest.raises(ApplicationError, match=r"^Line 1: at most 10 unit left to refund\.$"):
        refund(purchase, store_manager, {cola.pk: Decimal(11)})
    refund(purchase, store_manager, {cola.pk: Decimal(10)})

    assert PurchaseAudit.objects.get(action="refund").detail == "22.000 USD (lines 1 × 10): Damaged"


@pytest.mark.parametrize(
    ("first", "second", "message"),
    [
        ("all", "all", "Nothing is left to refund."),
        ("all", "line", "At most 0.00 USD is left to refund."),
        ("line", "too many", "Line 1: at most 2 unit left to refund."),
        ("none", "zero", "Choose a quantity to refund on at least one line."),
    ],
)
def test_a_refund_beyond_what_is_left_is_refused_and_writes_nothing(
    shop: Store, key: str, store_manager: User, first: str, second: str, message: str
) -> None:
    purchase = charged(shop, key, [("TEA", "3")])
    tea = purchase.lines.get()
    if first == "all":
        refund(purchase, store_manager)
    elif first == "line":
        refund(purchase, store_manager, {tea.pk: Decimal(1)})
    before, total_before = snapshot(), refunded_total(purchase)
    lines = {"all": None, "line": {tea.pk: Decimal(1)}, "too many": {tea.pk: Decimal(3)}, "zero": {tea.pk: Decimal(0)}}

    with pytest.raises(ApplicationError) as refused:
        refund(purchase, store_manager, lines[second])

    assert refused.value.message == message
    assert snapshot() == before
    assert refunded_total(purchase) == total_before


def test_a_line_of_another_purchase_is_refused(shop: Store, key: str, store_manager: User) -> None:
    purchase = charged(shop, key, [("TEA", "3")])
    other = charged(shop, key, [("COLA", "1")], card="pm_other_4242")
    before = snapshot()

    with pytest.raises(ApplicationError, match="is not part of"):
        refund(purchase, store_manager, {other.lines.get().pk: Decimal(1)})

    assert snapshot() == before


def test_a_refund_needs_a_reason(shop: Store, key: str, store_manager: User) -> None:
    purchase = charged(shop, key, [("COLA", "1")])
    before = snapshot()

    with pytest.raises(ApplicationError, match="Say why"):
        refund(purchase, store_manager, reason="  ")

    assert snapshot() == before


def test_a_refund_after_the_refund_period_is_refused(shop: Store, key: str, store_manager: User, settings: Any) -> None:
    settings.JWO_REFUND_DAYS = 30
    purchase = charged(shop, key, [("COLA", "1")])
    Purchase.objects.filter(pk=purchase.pk).update(created_at=timezone.now() - timedelta(days=30, minutes=1))
    before = snapshot()

    with pytest.raises(ApplicationError, match=r"^Refunds are possible for 30 days after the purchase\.$"):
        refund(purchase, store_manager)

    assert snapshot() == before
    assert refunded_total(purchase) == Decimal(0)


def test_a_refund_just_inside_the_refund_period_is_made(shop: Store, key: str, store_manager: User) -> None:
    purchase = charged(shop, key, [("COLA", "1")])
    Purchase.objects.filter(pk=purchase.pk).update(created_at=timezone.now() - timedelta(days=29, hours=23))

    assert refund(purchase, store_manager).status == Refund.Status.SUCCEEDED


def test_a_purchase_that_was_never_charged_cannot_be_refunded(shop: Store, key: str, store_manager: User) -> None:
    shopper = card_shopper("cust-declined", "pm_declined_0002")
    purchase = bought(key, purchase_body(shop, shopper, admitted(shop, shopper), [("COLA", "1")]))
    assert purchase.payment_status == PaymentStatus.FAILED
    before = snapshot()

    with pytest.raises(ApplicationError) as refused:
        refund(purchase, store_manager)

    assert refused.value.message == f"{purchase.purchase_id} was not charged: nothing to refund."
    assert snapshot() == before


def test_a_purchase_paid_at_the_counter_is_refunded_in_cash_without_the_gateway(
    shop: Store, key: str, store_manager: User
) -> None:
    shopper = shopper_create(
        external_id="cash-1", name="Cash", email="cash-1@example.com", visitor_type=VisitorType.CASH_SHOPPER
    )
    purchase = bought(
        key, purchase_body(shop, shopper, admitted(shop, shopper), [("TEA", "3")], scan_type="CASH_SHOPPER")
    )
    purchase_paid_at_counter(purchase_pk=purchase.pk, user_pk=store_manager.pk, note="Paid cash")
    tea = purchase.lines.get()

    done = refund(purchase, store_manager, {tea.pk: Decimal(1)}, reason="Leaking")

    assert (done.status, done.amount, done.message, done.gateway_reference) == (
        Refund.Status.SUCCEEDED,
        Decimal("3.330"),
        "Cash at the counter.",
        "",
    )
    assert refunded_total(purchase) == Decimal("3.330")
    assert PaymentOperation.objects.count() == 0
    assert SandboxCharge.objects.count() == 0


def test_a_refund_the_gateway_declines_fails_and_releases_its_reservation(
    shop: Store, key: str, store_manager: User
) -> None:
    purchase = charged(shop, key, [("COLA", "1")])  # 2.20
    charge = SandboxCharge.objects.get(kind="capture")
    SandboxCharge.objects.create(  # refunded meanwhile in the provider's own dashboard
        idempotency_key="dashboard-refund",
        kind="refund",
        reference="sbx_refu_dashboard",
        parent_reference=charge.reference,
        card_reference=charge.card_reference,
        amount=Decimal("2.20"),
        currency="USD",
        outcome="approved",
    )

    done = refund(purchase, store_manager)

    assert (done.status, done.message) == (Refund.Status.FAILED, "Refunds would exceed the charge of 2.200.")
    assert refunded_total(purchase) == Decimal(0)
    assert refund_calls() == [(f"refund:{done.pk}", Decimal("2.200"), "declined")]
    again = refund(purchase, store_manager)  # the reservation is free again: staff may try once more
    assert again.amount == Decimal("2.200")


def test_a_refund_whose_answer_is_lost_is_retried_with_its_key_and_books_one_refund(
    shop: Store, key: str, store_manager: User
) -> None:
    purchase = charged(shop, key, [("COLA", "1")], card="pm_flaky_0341")

    done = refund(purchase, store_manager)

    assert (done.status, done.amount) == (Refund.Status.SUCCEEDED, Decimal("2.200"))
    assert refund_calls() == [
        (f"refund:{done.pk}", Decimal("2.200"), "unavailable"),
        (f"refund:{done.pk}", Decimal("2.200"), "approved"),
    ]
    assert SandboxCharge.objects.filter(kind="refund").count() == 1
    assert refunded_total(purchase) == Decimal("2.200")


@pytest.mark.django_db(transaction=True)
def test_two_staff_refunding_everything_at_once_give_it_back_once(require_postgres: None) -> None:
    store = payments_store()
    key = connector_key_create(name="gateway")[1]
    purchase = charged(store, key, [("CHEESE", "1")])  # 33.00
    barrier = threading.Barrier(2)
    outcomes: list[str] = []
    lock = threading.Lock()

    def attempt(name: str) -> None:
        try:
            barrier.wait()
            refund_create(purchase_pk=purchase.pk, reason=f"by {name}", user_pk=None)
            outcome = "refunded"
        except ApplicationError as error:
            outcome = error.message
        finally:
            connection.close()
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=attempt, args=(name,)) for name in ("ann", "bob")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["Nothing is left to refund.", "refunded"]
    done = Refund.objects.get()
    assert (done.status, done.amount) == (Refund.Status.SUCCEEDED, Decimal("33.000"))
    assert refunded_total(purchase) == Decimal("33.000")
    assert list(SandboxCharge.objects.filter(kind="refund").values_list("amount", "outcome")) == [
        (Decimal("33.000"), "approved")
    ]
