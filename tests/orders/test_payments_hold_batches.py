"""Holds in batches: admissions announced within one window reach the worker as one task, each
hold is asked for once whatever the batch holds, and an unanswered call is retried alone.

The batch's window is a test's own (``HoldBatch`` with a long window, flushed by hand); run
eagerly, the task's retries follow at once. The sandbox's test cards stand in for a provider:
``…0341`` loses the first answer for each idempotency key, ``…0119`` never answers."""

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from celery.signals import task_prerun
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalog.models import Store
from orders.models import (
    AuthorisationStatus,
    PaymentAuthorisation,
    PaymentIssue,
    PaymentOperation,
    SandboxCharge,
    StorePayment,
)
from orders.services.payments import holds
from orders.services.payments.holds import HoldBatch, hold_announce, hold_request, holds_place
from orders.tasks import holds_place_task
from tests.orders.payment_helpers import admitted, card_shopper, on_commit_run

pytestmark = pytest.mark.django_db


@pytest.fixture
def batch(monkeypatch: pytest.MonkeyPatch) -> HoldBatch:
    """A window that never ends by itself in a test: the batch is handed over when full or flushed."""
    window = HoldBatch(lambda: 3600.0)
    monkeypatch.setattr(holds, "_batch", window)
    return window


@pytest.fixture
def runs() -> Iterator[list[tuple[str, Any]]]:
    """Each hold task run: (task name, its arguments)."""
    seen: list[tuple[str, Any]] = []

    def record(sender: Any = None, args: Any = None, **_: Any) -> None:
        if sender is not None and sender.name.startswith("orders.tasks.hold"):
            seen.append((sender.name, list(args or ())))

    task_prerun.connect(record, weak=False, dispatch_uid="test.hold_runs")
    yield seen
    task_prerun.disconnect(dispatch_uid="test.hold_runs")


def _admit(shop: Store, name: str, card: str) -> str:
    return admitted(shop, card_shopper(name, card), place_hold=False)


def _operations() -> list[tuple[str, str, str]]:
    return list(PaymentOperation.objects.order_by("id").values_list("kind", "idempotency_key", "outcome"))


def test_admissions_in_one_window_are_placed_by_one_task_each_hold_once(
    shop: Store, batch: HoldBatch, runs: list[tuple[str, Any]]
) -> None:
    ids = [_admit(shop, f"cust-{n}", f"pm_batch_{n}_4242") for n in range(3)]
    with on_commit_run():
        for event_id in ids:
            hold_request(auth_event_id=event_id)

    assert runs == []  # gathered, not yet handed over
    assert set(PaymentAuthorisation.objects.values_list("status", flat=True)) == {AuthorisationStatus.REQUESTED}

    assert batch.flush() == ids

    assert runs == [("orders.tasks.holds_place_task", [ids])]
    assert dict(PaymentAuthorisation.objects.values_list("auth_event_id", "status")) == dict.fromkeys(
        ids, AuthorisationStatus.AUTHORISED
    )
    assert _operations() == [("authorise", f"hold:{event_id}", "approved") for event_id in ids]
    assert SandboxCharge.objects.filter(kind="authorise").count() == 3
    assert batch.flush() == []  # nothing left: a second flush hands over nothing


def test_a_full_batch_is_handed_over_at_once_and_the_rest_waits_for_the_window(
    shop: Store, batch: HoldBatch, runs: list[tuple[str, Any]], settings: Any
) -> None:
    settings.JWO_HOLD_BATCH_SIZE = 2
    ids = [_admit(shop, f"cust-{n}", f"pm_full_{n}_4242") for n in range(3)]
    with on_commit_run():
        for event_id in ids:
            hold_request(auth_event_id=event_id)

    assert runs == [("orders.tasks.holds_place_task", [ids[:2]])]
    assert PaymentAuthorisation.objects.get(auth_event_id=ids[2]).status == AuthorisationStatus.REQUESTED

    batch.flush()

    assert runs == [("orders.tasks.holds_place_task", [ids[:2]]), ("orders.tasks.holds_place_task", [ids[2:]])]
    assert PaymentAuthorisation.objects.filter(status=AuthorisationStatus.AUTHORISED).count() == 3


def test_an_id_twice_in_a_batch_places_one_hold(shop: Store) -> None:
    event_id = _admit(shop, "cust-twice", "pm_twice_4242")
    hold_request(auth_event_id=event_id)  # the row; its own hand-off is not run (no commit)

    statuses = holds_place_task.apply(args=([event_id, event_id],)).get()

    assert statuses == {event_id: AuthorisationStatus.AUTHORISED}
    assert _operations() == [("authorise", f"hold:{event_id}", "approved")]
    assert SandboxCharge.objects.filter(idempotency_key=f"hold:{event_id}").count() == 1


def test_a_batch_run_twice_asks_the_gateway_once_per_hold(shop: Store) -> None:
    ids = [_admit(shop, f"cust-{n}", f"pm_again_{n}_4242") for n in range(2)]
    for event_id in ids:
        hold_request(auth_event_id=event_id)

    first = holds_place(auth_event_ids=ids)
    second = holds_place(auth_event_ids=ids)  # a redelivered task

    assert first.statuses == second.statuses == dict.fromkeys(ids, AuthorisationStatus.AUTHORISED)
    assert first.unanswered == second.unanswered == {}
    assert _operations() == [("authorise", f"hold:{event_id}", "approved") for event_id in ids]


def test_an_unknown_id_in_a_batch_is_missing_and_the_others_are_placed(shop: Store) -> None:
    event_id = _admit(shop, "cust-known", "pm_known_4242")
    hold_request(auth_event_id=event_id)

    placed = holds_place(auth_event_ids=["no-such-event", event_id])

    assert placed.statuses == {"no-such-event": "missing", event_id: AuthorisationStatus.AUTHORISED}
    assert _operations() == [("authorise", f"hold:{event_id}", "approved")]


def test_one_unanswered_call_in_a_batch_is_retried_alone_with_its_key(shop: Store, runs: list[tuple[str, Any]]) -> None:
    first = _admit(shop, "cust-a", "pm_a_4242")
    lost = _admit(shop, "cust-lost", "pm_lost_0341")  # the first answer is lost on the way back
    last = _admit(shop, "cust-c", "pm_c_4242")
    for event_id in (first, lost, last):
        hold_request(auth_event_id=event_id)

    statuses = holds_place_task.apply(args=([first, lost, last],)).get()

    assert statuses == dict.fromkeys((first, lost, last), AuthorisationStatus.AUTHORISED)
    assert _operations() == [
        ("authorise", f"hold:{first}", "approved"),
        ("authorise", f"hold:{lost}", "unavailable"),
        ("authorise", f"hold:{last}", "approved"),
        ("authorise", f"hold:{lost}", "approved"),  # the retry: that hold alone, the same key
    ]
    assert SandboxCharge.objects.filter(kind="authorise").count() == 3  # one hold each at the provider
    assert PaymentIssue.objects.count() == 0


def test_a_hold_unanswered_through_every_retry_becomes_a_payment_issue_and_the_others_are_placed(
    shop: Store, settings: Any
) -> None:
    settings.JWO_PAYMENT_RETRIES = 2
    placed = _admit(shop, "cust-ok", "pm_ok_4242")
    down = _admit(shop, "cust-down", "pm_down_0119")  # network error on every call
    for event_id in (placed, down):
        hold_request(auth_event_id=event_id)

    statuses = holds_place_task.apply(args=([placed, down],)).get()

    assert statuses == {placed: AuthorisationStatus.AUTHORISED, down: AuthorisationStatus.FAILED}
    assert _operations() == [
        ("authorise", f"hold:{placed}", "approved"),
        ("authorise", f"hold:{down}", "unavailable"),
        ("authorise", f"hold:{down}", "unavailable"),
        ("authorise", f"hold:{down}", "unavailable"),
    ]
    issue = PaymentIssue.objects.get()
    assert (issue.authorisation_id, issue.outcome, issue.status) == (
        PaymentAuthorisation.objects.get(auth_event_id=down).pk,
        "unavailable",
        PaymentIssue.Status.OPEN,
    )


def test_the_hold_row_is_written_in_one_statement_as_staff_read_it(shop: Store, batch: HoldBatch) -> None:
    """The admission's usual case is one INSERT … SELECT; the row carries the store's amount, its
    currency and the default card's token and label exactly as the ORM would have written them."""
    StorePayment.objects.filter(store=shop).update(preauthorisation_amount=Decimal("75.50"))
    event_id = _admit(shop, "cust-one", "pm_one_4242")
    with CaptureQueriesContext(connection) as queries, on_commit_run():
        hold = hold_request(auth_event_id=event_id)

    assert len(queries) == 1
    assert hold is not None
    stored = PaymentAuthorisation.objects.get(auth_event_id=event_id)
    assert (hold.pk, hold.amount, hold.currency, hold.card_reference, hold.card_label) == (
        stored.pk,
        stored.amount,
        stored.currency,
        stored.card_reference,
        stored.card_label,
    )
    assert (stored.amount, stored.currency, stored.card_reference, stored.card_label, stored.status) == (
        Decimal("75.50"),
        "USD",
        "pm_one_4242",
        "Visa …4242 12/2099",
        AuthorisationStatus.REQUESTED,
    )
    assert stored.store_id == shop.pk
    assert stored.created_at is not None
    assert batch.flush() == [event_id]
    # Again (the sweeper): no second row, the first one handed over again while it has no answer.
    with on_commit_run():
        again = hold_request(auth_event_id=event_id)
    assert again is not None
    assert again.pk == stored.pk
    assert PaymentAuthorisation.objects.count() == 1


def test_announced_admissions_get_their_hold_rows_in_one_statement_when_the_batch_is_handed_over(
    shop: Store, batch: HoldBatch, runs: list[tuple[str, Any]]
) -> None:
    """The gate's announcements write nothing at once: the batch writes every row in one statement
    when handed over, then hands over the holds it wrote (an associate's admission has none)."""
    StorePayment.objects.filter(store=shop).update(preauthorisation_amount=Decimal("75.50"))
    ids = [_admit(shop, f"cust-{n}", f"pm_batch_{n}_4242") for n in range(3)]
    for event_id in [*ids, ids[0], "no-such-admission"]:
        hold_announce(auth_event_id=event_id)
    assert PaymentAuthorisation.objects.count() == 0
    assert runs == []

    with CaptureQueriesContext(connection) as queries, pytest.MonkeyPatch.context() as patch:
        patch.setattr(holds, "_enqueue", lambda event_ids: None)  # the hand-off alone, not the task's work
        assert batch.flush() == ids

    assert len(queries) == 1
    assert queries[0]["sql"].startswith("INSERT INTO orders_paymentauthorisation ")
    assert sorted(
        PaymentAuthorisation.objects.values_list("auth_event_id", "amount", "currency", "card_reference", "status")
    ) == sorted(
        (event_id, Decimal("75.50"), "USD", f"pm_batch_{n}_4242", AuthorisationStatus.REQUESTED)
        for n, event_id in enumerate(ids)
    )
    assert batch.flush() == []
