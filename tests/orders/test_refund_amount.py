"""Refund by amount from the purchase page: part of a charge given back through the same refund
service and gateway call as the other refunds; zero, negative, more than is left and amounts finer
than the currency's minor unit are refused on the field with nothing stored; the same form sent
twice gives the money back once; only the roles that may refund can."""

from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from catalog.models import Store
from jwo_admin.core.exceptions import ApplicationError
from orders.models import PaymentOperation, Purchase, PurchaseAudit, Refund, RefundLine, SandboxCharge
from orders.services.payments.refunds import refund_amount_check, refund_create
from tests.conftest import client_for
from tests.orders.payment_helpers import admitted, bought, card_shopper, on_commit_run, payments_store, purchase_body
from tests.orders.test_views import element_text

pytestmark = pytest.mark.django_db


@pytest.fixture
def purchase(db: None, key: str) -> Purchase:
    """Charged 37.40 USD: cola 2 × 2.00 and cheese 30.00, plus 10 % tax (3.40)."""
    store: Store = payments_store()
    shopper = card_shopper("cust-refund", "pm_ok_4242")
    charged = bought(key, purchase_body(store, shopper, admitted(store, shopper), [("COLA", "2"), ("CHEESE", "1")]))
    assert (charged.payment_status, charged.captured_total) == ("captured", Decimal("37.400"))
    return charged


def post_amount(
    client: Client, purchase: Purchase, amount: str, *, key: str = "form-1", reason: str = "Crushed box"
) -> Any:
    with on_commit_run():
        return client.post(
            f"/orders/purchases/{purchase.pk}/refund-amount/",
            {"amount": amount, "reason": reason, "request_key": key},
        )


def state(purchase: Purchase) -> tuple[Any, ...]:
    """What a refused refund must leave as it was."""
    return (
        Purchase.objects.get(pk=purchase.pk).refunded_total,
        Refund.objects.count(),
        RefundLine.objects.count(),
        PaymentOperation.objects.filter(kind="refund").count(),
        SandboxCharge.objects.filter(kind="refund").count(),
        PurchaseAudit.objects.filter(action="refund").count(),
    )


def test_an_amount_is_refunded_through_the_gateway_and_the_page_shows_what_is_left(
    purchase: Purchase, store_manager: User
) -> None:
    client = client_for(store_manager)

    response = post_amount(client, purchase, "12.34")

    assert (response.status_code, response["Location"]) == (302, f"/orders/purchases/{purchase.pk}/")
    refund = Refund.objects.get()
    assert (refund.status, refund.amount, refund.reason, refund.created_by_id, refund.request_key) == (
        Refund.Status.SUCCEEDED,
        Decimal("12.340"),
        "Crushed box",
        store_manager.pk,
        "form-1",
    )
    assert RefundLine.objects.count() == 0  # an amount belongs to no line
    assert list(PaymentOperation.objects.filter(kind="refund").values_list("idempotency_key", "amount", "outcome")) == [
        (f"refund:{refund.pk}", Decimal("12.340"), "approved")
    ]
    assert SandboxCharge.objects.get(kind="refund").amount == Decimal("12.340")
    assert Purchase.objects.get(pk=purchase.pk).refunded_total == Decimal("12.340")
    audit = PurchaseAudit.objects.get(action="refund")
    assert (audit.user_id, audit.detail) == (store_manager.pk, "12.34 USD (an amount): Crushed box")
    page = client.get(f"/orders/purchases/{purchase.pk}/")
    assert [str(message) for message in page.context["messages"]] == ["Refund of 12.34 USD: Pending."]
    assert element_text(page.content.decode(), "refund-remaining") == "Left to refund: 25.06 USD"  # 37.40 − 12.34


@pytest.mark.parametrize(
    ("amount", "error"),
    [
        ("0", "Enter an amount above zero."),
        ("0.00", "Enter an amount above zero."),
        ("-5", "Enter an amount above zero."),
        ("37.41", "At most 37.40 USD is left to refund."),
        ("1.234", "USD amounts have at most 2 decimal places."),
        ("ten", "Enter a number."),
        ("NaN", "Enter a number."),
    ],
)
def test_a_refused_amount_is_shown_on_the_field_and_nothing_is_stored(
    purchase: Purchase, store_manager: User, amount: str, error: str
) -> None:
    before = state(purchase)

    response = post_amount(client_for(store_manager), purchase, amount)

    assert response.status_code == 200
    html = response.content.decode()
    assert element_text(html, "refund-amount-error") == error
    assert f'value="{amount}"' in html  # what staff typed stays for them to correct
    assert state(purchase) == before == (Decimal("0.000"), 0, 0, 0, 0, 0)


def test_after_a_part_is_refunded_only_what_is_left_may_follow(purchase: Purchase, store_manager: User) -> None:
    client = client_for(store_manager)
    post_amount(client, purchase, "30.00", key="form-1")
    before = state(purchase)

    refused = post_amount(client, purchase, "7.41", key="form-2")
    rest = post_amount(client, purchase, "7.40", key="form-3")

    assert element_text(refused.content.decode(), "refund-amount-error") == "At most 7.40 USD is left to refund."
    assert before == (Decimal("30.000"), 1, 0, 1, 1, 1)
    assert rest.status_code == 302
    assert list(Refund.objects.order_by("id").values_list("amount", "status")) == [
        (Decimal("30.000"), "succeeded"),
        (Decimal("7.400"), "succeeded"),
    ]
    assert Purchase.objects.get(pk=purchase.pk).refunded_total == Decimal("37.400")


def test_the_same_form_sent_twice_refunds_once(purchase: Purchase, store_manager: User) -> None:
    client = client_for(store_manager)

    first = post_amount(client, purchase, "5.00", key="one-click")
    second = post_amount(client, purchase, "5.00", key="one-click")

    assert (first.status_code, second.status_code) == (302, 302)
    refund = Refund.objects.get()
    assert refund.amount == Decimal("5.000")
    assert PaymentOperation.objects.filter(kind="refund").count() == 1
    assert SandboxCharge.objects.filter(kind="refund").count() == 1
    assert PurchaseAudit.objects.filter(action="refund").count() == 1
    assert Purchase.objects.get(pk=purchase.pk).refunded_total == Decimal("5.000")
    page = client.get(f"/orders/purchases/{purchase.pk}/")
    assert [str(message) for message in page.context["messages"]] == [
        "Refund of 5.00 USD: Pending.",
        "Refund of 5.00 USD: Refunded.",  # the first refund, found by the form's key: by then refunded
    ]


@pytest.mark.parametrize("role", ["viewer", "catalog_manager"])
def test_roles_that_may_not_refund_are_refused_and_nothing_changes(
    purchase: Purchase, role: str, request: pytest.FixtureRequest
) -> None:
    before = state(purchase)

    response = post_amount(client_for(request.getfixturevalue(role)), purchase, "5.00")

    assert response.status_code == 403
    assert state(purchase) == before


def test_the_page_offers_the_amount_form_only_to_those_who_may_refund(
    purchase: Purchase, store_manager: User, viewer: User
) -> None:
    assert (
        'id="refund-amount-form"' in client_for(store_manager).get(f"/orders/purchases/{purchase.pk}/").content.decode()
    )
    assert 'id="refund-amount-form"' not in client_for(viewer).get(f"/orders/purchases/{purchase.pk}/").content.decode()


@pytest.mark.parametrize(
    ("amount", "currency", "checked"),
    [
        ("1.50", "USD", Decimal("1.50")),
        ("1.5", "USD", Decimal("1.50")),
        ("150", "JPY", Decimal("150")),
        ("1.234", "KWD", Decimal("1.234")),
    ],
)
def test_an_amount_is_taken_in_the_currencys_minor_units(amount: str, currency: str, checked: Decimal) -> None:
    result = refund_amount_check(amount=Decimal(amount), currency=currency)

    assert (result, result.as_tuple().exponent) == (checked, checked.as_tuple().exponent)


@pytest.mark.parametrize(
    ("amount", "currency", "message"),
    [
        ("1.5", "JPY", "JPY amounts are whole numbers."),
        ("1.2345", "KWD", "KWD amounts have at most 3 decimal places."),
        ("0.001", "EUR", "EUR amounts have at most 2 decimal places."),
        ("-0.01", "EUR", "Enter an amount above zero."),
    ],
)
def test_an_amount_finer_than_the_minor_unit_or_not_above_zero_is_refused(
    amount: str, currency: str, message: str
) -> None:
    with pytest.raises(ApplicationError) as refused:
        refund_amount_check(amount=Decimal(amount), currency=currency)

    assert refused.value.message == message


def test_lines_and_an_amount_together_are_refused(purchase: Purchase, store_manager: User) -> None:
    cola = purchase.lines.get(sku="COLA")

    with pytest.raises(ApplicationError, match=r"^Refund quantities of lines or an amount, not both\.$"):
        refund_create(
            purchase_pk=purchase.pk,
            reason="x",
            user_pk=store_manager.pk,
            lines={cola.pk: Decimal(1)},
            amount=Decimal(1),
        )

    assert state(purchase) == (Decimal("0.000"), 0, 0, 0, 0, 0)
