"""What an unreachable or refusing provider leaves behind: never a second refund, never a
forgotten authorisation, and a sweeper that does not pile on while a task is still retrying.

The provider is the one thing outside the process, so these tests stand a provider in front of
the sandbox that fails in the one way each case needs (``JWO_PAYMENT_GATEWAY``)."""

from datetime import timedelta
from decimal import Decimal
from typing import Any, ClassVar

import pytest
from django.utils import timezone

from catalog.models import Store
from jwo_admin.core.exceptions import ApplicationError
from jwo_admin.integrations.payments.gateway import DECLINED, GatewayResult, GatewayUnavailable
from jwo_admin.integrations.payments.sandbox import SandboxGateway
from orders.models import (
    AuthorisationStatus,
    PaymentAuthorisation,
    PaymentOperation,
    PaymentStatus,
    Purchase,
    Refund,
    SandboxCharge,
)
from orders.services.payments.holds import hold_give_up, hold_place, hold_request
from orders.services.payments.refunds import refund_create
from orders.tasks import payments_sweep_task
from tests.orders.payment_helpers import admitted, bought, card_shopper, on_commit_run, purchase_body

pytestmark = pytest.mark.django_db


class FlakyProvider(SandboxGateway):
    """The sandbox, with the failures a test switches on."""

    refunds_down: ClassVar[bool] = False
    captures_refused: ClassVar[bool] = False
    on_authorise: ClassVar[Any] = None

    def refund(self, **kwargs: Any) -> GatewayResult:
        if FlakyProvider.refunds_down:
            raise GatewayUnavailable("connection reset")
        return super().refund(**kwargs)

    def capture(self, **kwargs: Any) -> GatewayResult:
        if FlakyProvider.captures_refused:
            return GatewayResult(DECLINED, "", "Do not honour.")
        return super().capture(**kwargs)

    def authorise(self, **kwargs: Any) -> GatewayResult:
        result = super().authorise(**kwargs)
        if FlakyProvider.on_authorise is not None:
            FlakyProvider.on_authorise()
        return result


@pytest.fixture(autouse=True)
def provider(settings: Any) -> Any:
    settings.JWO_PAYMENT_GATEWAY = f"{__name__}.FlakyProvider"
    settings.JWO_PAYMENT_RETRIES = 2
    FlakyProvider.refunds_down = False
    FlakyProvider.captures_refused = False
    FlakyProvider.on_authorise = None
    return FlakyProvider


def test_a_refund_without_an_answer_stays_pending_and_reserved_and_the_sweeper_finishes_it(
    shop: Store, key: str
) -> None:
    shopper = card_shopper("cust-refund", "pm_refund_4242")
    purchase = bought(key, purchase_body(shop, shopper, admitted(shop, shopper), [("COLA", "1")]))
    FlakyProvider.refunds_down = True

    with on_commit_run():
        refund = refund_create(purchase_pk=purchase.pk, reason="Damaged", user_pk=None)

    refund.refresh_from_db()
    assert (refund.status, refund.message) == (Refund.Status.PENDING, "unavailable: connection reset")
    assert Purchase.objects.get(pk=purchase.pk).refunded_total == Decimal("2.200")  # still reserved
    assert PaymentOperation.objects.filter(kind="refund").count() == 3  # the first call and 2 retries
    assert not SandboxCharge.objects.filter(kind="refund").exists()
    with pytest.raises(ApplicationError, match="Nothing is left to refund"):
        refund_create(purchase_pk=purchase.pk, reason="Again", user_pk=None)

    FlakyProvider.refunds_down = False
    Refund.objects.filter(pk=refund.pk).update(created_at=timezone.now() - timedelta(minutes=30))
    PaymentOperation.objects.filter(refund=refund).update(created_at=timezone.now() - timedelta(minutes=30))
    swept = payments_sweep_task.delay().get()

    refund.refresh_from_db()
    assert swept == {"holds": 0, "purchases": 0, "released": 0, "refunds": 1, "receipts": 0}
    assert refund.status == Refund.Status.SUCCEEDED
    assert list(SandboxCharge.objects.filter(kind="refund").values_list("idempotency_key", "amount")) == [
        (f"refund:{refund.pk}", Decimal("2.200"))
    ]


def test_the_sweeper_leaves_a_purchase_alone_while_its_own_task_is_still_retrying(shop: Store, key: str) -> None:
    shopper = card_shopper("cust-retrying", "pm_retrying_4242")
    purchase = bought(key, purchase_body(shop, shopper, admitted(shop, shopper), [("COLA", "1")]), settle=False)
    Purchase.objects.filter(pk=purchase.pk).update(created_at=timezone.now() - timedelta(minutes=5))
    PaymentOperation.objects.create(
        kind="capture", idempotency_key=f"capture:{purchase.pk}", purchase=purchase, outcome="unavailable"
    )

    swept = payments_sweep_task.delay().get()

    assert swept == {"holds": 0, "purchases": 0, "released": 0, "refunds": 0, "receipts": 0}
    assert Purchase.objects.get(pk=purchase.pk).payment_status == PaymentStatus.PENDING


def test_a_fresh_authorisation_whose_capture_is_refused_is_released_at_once(shop: Store, key: str) -> None:
    shopper = card_shopper("cust-refused", "pm_refused_4242")
    event_id = admitted(shop, shopper)
    FlakyProvider.captures_refused = True

    purchase = bought(key, purchase_body(shop, shopper, event_id, [("CHEESE", "2")]))  # 66.00 > the 50.00 hold

    assert purchase.payment_status == PaymentStatus.FAILED
    assert list(PaymentOperation.objects.order_by("id").values_list("kind", "idempotency_key", "outcome")) == [
        ("authorise", f"hold:{event_id}", "approved"),
        ("authorise", f"charge:{purchase.pk}", "approved"),
        ("capture", f"capture:{purchase.pk}", "declined"),
        ("void", f"void-charge:{purchase.pk}", "approved"),
    ]
    fresh = SandboxCharge.objects.get(idempotency_key=f"charge:{purchase.pk}")
    assert SandboxCharge.objects.filter(kind="void", parent_reference=fresh.reference, outcome="approved").count() == 1


def test_a_hold_approved_after_it_was_given_up_on_is_released_at_once(shop: Store) -> None:
    shopper = card_shopper("cust-late", "pm_late_4242")
    event_id = admitted(shop, shopper, place_hold=False)
    hold_request(auth_event_id=event_id)  # the row only: its hand-off never runs under this fixture
    FlakyProvider.on_authorise = lambda: hold_give_up(auth_event_id=event_id, message="no answer before the purchase")

    status = hold_place(auth_event_id=event_id)

    hold = PaymentAuthorisation.objects.get(auth_event_id=event_id)
    assert status == hold.status == AuthorisationStatus.FAILED
    assert list(PaymentOperation.objects.order_by("id").values_list("kind", "idempotency_key", "outcome")) == [
        ("authorise", f"hold:{event_id}", "approved"),
        ("void", f"void-late:{event_id}", "approved"),
    ]
