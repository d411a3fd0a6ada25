"""The simulator's finance check: every trip of the run reconciled, captures equal to totals less refunds."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from catalog.models import Store
from operations.simulation.checks import finance_check
from orders.models import PaymentOperation, PaymentStatus
from tests.orders.test_views import make_purchase

pytestmark = pytest.mark.django_db

AT = datetime(2025, 3, 10, 14, tzinfo=UTC)


def test_a_run_whose_trips_add_up_passes(store: Store) -> None:
    purchase = make_purchase(store, at=AT, total="5.00", payment_status=PaymentStatus.CAPTURED, simulation_run_id=3)
    PaymentOperation.objects.create(
        kind="capture", idempotency_key="c", purchase=purchase, amount=Decimal(5), outcome="approved"
    )
    make_purchase(store, at=AT, total="9.00", payment_status=PaymentStatus.FAILED)  # real: not the run's

    assert finance_check(run_pk=3, store=store, now=AT).as_dict() == {
        "name": "every trip reconciled; captures less refunds equal the totals less refunds",
        "ok": True,
        "problems": [],
        "count": 0,
    }


def test_an_uncaptured_trip_fails_it_with_the_reason(store: Store) -> None:
    purchase = make_purchase(store, at=AT, total="5.00", payment_status=PaymentStatus.FAILED, simulation_run_id=3)

    check = finance_check(run_pk=3, store=store, now=AT)

    assert (check.ok, check.problems) == (
        False,
        (
            f"Priced, not captured {purchase.trip_id}: Nothing captured (failed); total 5.00 USD, refunds 0.00 USD.",
            "captures add to 0.00 against priced totals of 5.00 (refunds of 0.00 are given back after the capture)",
        ),
    )
