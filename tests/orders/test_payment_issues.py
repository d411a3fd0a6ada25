"""The payment-issues queue (orders.services.payments.issues): one open issue per purchase and kind or per
hold; a shopper we flagged for it is reinstated when their last issue closes, and nobody else's
flag or block is touched; the gate refuses a flagged shopper and admits them again after."""

import pytest
from django.contrib.auth.models import User
from django.test import Client

from catalog.models import Store
from entry.models import GateEvent, Shopper, ShopperStatus
from entry.services.shoppers import payment_method_add, shopper_set_status
from jwo_admin.core.connector_keys import connector_key_create
from jwo_admin.core.exceptions import ApplicationError
from orders.models import AuthorisationStatus, PaymentAuthorisation, PaymentIssue, Purchase, PurchaseAudit
from orders.services.payments.issues import issue_dismiss, issue_open, issues_resolve
from tests.entry.conftest import identity_key_for
from tests.orders.payment_helpers import admitted, bought, card_shopper, enter, hold_of, payments_store, purchase_body


@pytest.fixture
def trip(shop: Store, key: str) -> tuple[Shopper, PaymentAuthorisation, Purchase]:
    """A shopper held and charged without trouble: a hold and a purchase to hang issues on."""
    shopper = card_shopper("cust-ok", "pm_ok_4242")
    event_id = admitted(shop, shopper)
    purchase = bought(key, purchase_body(shop, shopper, event_id, [("COLA", "1")]))
    return shopper, hold_of(event_id), purchase


def status_of(shopper: Shopper) -> tuple[str, str]:
    shopper.refresh_from_db()
    return shopper.status, shopper.status_reason


@pytest.mark.django_db
def test_one_issue_stays_open_per_purchase_and_kind(trip: tuple[Shopper, PaymentAuthorisation, Purchase]) -> None:
    shopper, _, purchase = trip

    first = issue_open(shopper_pk=shopper.pk, kind="capture", outcome="declined", message="first", purchase=purchase)
    again = issue_open(shopper_pk=shopper.pk, kind="capture", outcome="unavailable", message="again", purchase=purchase)
    other_kind = issue_open(shopper_pk=shopper.pk, kind="authorise", outcome="declined", message="x", purchase=purchase)

    assert again.pk == first.pk
    assert other_kind.pk != first.pk
    assert list(PaymentIssue.objects.order_by("id").values_list("kind", "outcome", "message", "status")) == [
        ("capture", "declined", "first", "open"),
        ("authorise", "declined", "x", "open"),
    ]
    assert status_of(shopper) == (ShopperStatus.FLAGGED, "Payment issue: first")


@pytest.mark.django_db
def test_one_issue_stays_open_per_hold(trip: tuple[Shopper, PaymentAuthorisation, Purchase]) -> None:
    shopper, hold, _ = trip

    first = issue_open(shopper_pk=shopper.pk, kind="authorise", outcome="declined", message="a", authorisation=hold)
    again = issue_open(shopper_pk=shopper.pk, kind="authorise", outcome="declined", message="b", authorisation=hold)

    assert again.pk == first.pk
    assert PaymentIssue.objects.count() == 1


@pytest.mark.django_db
def test_a_closed_issue_does_not_stop_a_new_one_for_the_same_purchase(
    trip: tuple[Shopper, PaymentAuthorisation, Purchase],
) -> None:
    shopper, _, purchase = trip
    first = issue_open(shopper_pk=shopper.pk, kind="capture", outcome="declined", message="m", purchase=purchase)
    issues_resolve(issues=[first], resolution=PaymentIssue.Resolution.WRITTEN_OFF)

    second = issue_open(shopper_pk=shopper.pk, kind="capture", outcome="declined", message="m", purchase=purchase)

    assert second.pk != first.pk
    assert list(PaymentIssue.objects.order_by("id").values_list("status", flat=True)) == ["resolved", "open"]


@pytest.mark.django_db
def test_resolving_reinstates_the_shopper_only_when_their_last_issue_closes(
    trip: tuple[Shopper, PaymentAuthorisation, Purchase], store_manager: User
) -> None:
    shopper, hold, purchase = trip
    on_hold = issue_open(
        shopper_pk=shopper.pk, kind="authorise", outcome="declined", message="hold", authorisation=hold
    )
    on_purchase = issue_open(
        shopper_pk=shopper.pk, kind="capture", outcome="declined", message="buy", purchase=purchase
    )

    assert issues_resolve(issues=[on_hold], resolution=PaymentIssue.Resolution.DISMISSED, user_pk=store_manager.pk) == 1
    assert status_of(shopper) == (ShopperStatus.FLAGGED, "Payment issue: hold")

    assert (
        issues_resolve(issues=[on_purchase], resolution=PaymentIssue.Resolution.CHARGED, user_pk=store_manager.pk) == 1
    )
    assert status_of(shopper) == (ShopperStatus.ACTIVE, "")
    on_purchase.refresh_from_db()
    assert (on_purchase.status, on_purchase.resolution, on_purchase.resolved_by_id) == (
        "resolved",
        "charged",
        store_manager.pk,
    )
    assert on_purchase.resolved_at is not None
    assert list(PurchaseAudit.objects.filter(action="issue_resolved").values_list("purchase_id", "detail")) == [
        (purchase.pk, "Capture issue: Charged on retry. ")
    ]


@pytest.mark.django_db
def test_resolving_an_issue_already_closed_changes_and_audits_nothing(
    trip: tuple[Shopper, PaymentAuthorisation, Purchase],
) -> None:
    shopper, _, purchase = trip
    issue = issue_open(shopper_pk=shopper.pk, kind="capture", outcome="declined", message="m", purchase=purchase)
    stale_copy = PaymentIssue.objects.get(pk=issue.pk)
    issues_resolve(issues=[issue], resolution=PaymentIssue.Resolution.CHARGED)

    closed = issues_resolve(issues=[stale_copy], resolution=PaymentIssue.Resolution.WRITTEN_OFF, note="late")

    assert closed == 0
    assert PaymentIssue.objects.get().resolution == "charged"
    assert PurchaseAudit.objects.filter(action="issue_resolved").count() == 1


@pytest.mark.django_db
def test_a_shopper_blocked_for_another_reason_stays_blocked(
    trip: tuple[Shopper, PaymentAuthorisation, Purchase],
) -> None:
    shopper, _, purchase = trip
    shopper_set_status(shopper=shopper, status=ShopperStatus.BLOCKED, reason="Chargeback fraud")

    issue = issue_open(shopper_pk=shopper.pk, kind="capture", outcome="declined", message="m", purchase=purchase)
    assert status_of(shopper) == (ShopperStatus.BLOCKED, "Chargeback fraud")
    issues_resolve(issues=[issue], resolution=PaymentIssue.Resolution.CHARGED)

    assert status_of(shopper) == (ShopperStatus.BLOCKED, "Chargeback fraud")


@pytest.mark.django_db
def test_a_shopper_flagged_by_staff_for_another_reason_is_not_reinstated(
    trip: tuple[Shopper, PaymentAuthorisation, Purchase],
) -> None:
    shopper, _, purchase = trip
    shopper_set_status(shopper=shopper, status=ShopperStatus.FLAGGED, reason="Under review")

    issue = issue_open(shopper_pk=shopper.pk, kind="capture", outcome="declined", message="m", purchase=purchase)
    assert status_of(shopper) == (ShopperStatus.FLAGGED, "Under review")
    issues_resolve(issues=[issue], resolution=PaymentIssue.Resolution.CHARGED)

    assert status_of(shopper) == (ShopperStatus.FLAGGED, "Under review")


@pytest.mark.django_db
def test_dismissing_needs_a_note_and_a_refusal_changes_nothing(
    trip: tuple[Shopper, PaymentAuthorisation, Purchase], store_manager: User
) -> None:
    shopper, hold, _ = trip
    issue = issue_open(shopper_pk=shopper.pk, kind="authorise", outcome="declined", message="m", authorisation=hold)

    with pytest.raises(ApplicationError, match=r"^Say why the issue is dismissed\.$"):
        issue_dismiss(issue_pk=issue.pk, user_pk=store_manager.pk, note="   ")

    issue.refresh_from_db()
    assert (issue.status, issue.resolution, issue.resolved_by_id) == ("open", "", None)
    assert status_of(shopper)[0] == ShopperStatus.FLAGGED

    dismissed = issue_dismiss(issue_pk=issue.pk, user_pk=store_manager.pk, note="  Card replaced  ")

    assert (dismissed.status, dismissed.resolution, dismissed.resolved_by_id, dismissed.note) == (
        "resolved",
        "dismissed",
        store_manager.pk,
        "Card replaced",
    )
    assert status_of(shopper) == (ShopperStatus.ACTIVE, "")
    with pytest.raises(ApplicationError, match=r"^This issue is already resolved\.$"):
        issue_dismiss(issue_pk=issue.pk, user_pk=store_manager.pk, note="again")


@pytest.mark.django_db(transaction=True)
def test_the_gate_refuses_a_flagged_shopper_and_admits_them_once_the_issue_is_settled() -> None:
    store = payments_store()
    key = connector_key_create(name="gateway")[1]
    staff = User.objects.create_user(username="desk")
    shopper = card_shopper("cust-declined", "pm_declined_0002")
    code_still_on_screen = identity_key_for(shopper)
    client = Client()
    enter(client, key, shopper, store)
    issue = PaymentIssue.objects.get()
    assert status_of(shopper)[0] == ShopperStatus.FLAGGED

    _, refused = enter(client, key, shopper, store, code_still_on_screen)

    assert refused.status_code == 401
    assert GateEvent.objects.order_by("-id").values_list("decision", "reason").first() == ("refused", "flagged")
    assert PaymentAuthorisation.objects.count() == 1  # a refused shopper is not held

    payment_method_add(shopper=shopper, provider_reference="pm_new_4242", expiry_month=1, expiry_year=2099)
    issue_dismiss(issue_pk=issue.pk, user_pk=staff.pk, note="Card replaced")
    assert status_of(shopper) == (ShopperStatus.ACTIVE, "")
    event_id, admitted_again = enter(client, key, shopper, store, identity_key_for(shopper))

    assert admitted_again.status_code == 200
    assert GateEvent.objects.get(auth_event_id=event_id).decision == "admitted"
    hold = hold_of(event_id)
    assert (hold.status, hold.card_reference) == (AuthorisationStatus.AUTHORISED, "pm_new_4242")
    assert status_of(shopper) == (ShopperStatus.ACTIVE, "")
