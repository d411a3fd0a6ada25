"""Staff acting on purchases from their pages: the bad-cart queue resolved line by line, charges,
write-offs, payments at the counter, refunds and dismissed issues — and that a Viewer can do none."""

import uuid
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from catalog.models import Store
from entry.models import Shopper, ShopperStatus
from orders.models import (
    ItemAlias,
    PaymentIssue,
    PaymentStatus,
    Purchase,
    PurchaseAudit,
    PurchaseStatus,
    Refund,
    SandboxCharge,
)
from tests.conftest import PASSWORD
from tests.orders.payment_helpers import admitted, bought, card_shopper, on_commit_run, purchase_body

pytestmark = pytest.mark.django_db


def staff(user: User) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def messages_of(response: Any) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def bad_cart(shop: Store, key: str, shopper: Shopper) -> Purchase:
    """Cola × 2 and an item the catalog does not know (it is the cheese)."""
    return bought(key, purchase_body(shop, shopper, admitted(shop, shopper), [("COLA", "2"), ("RET-CHEESE-9", "1")]))


def test_a_store_manager_resolves_a_bad_cart_from_the_queue_to_the_charge(
    shop: Store, key: str, store_manager: User
) -> None:
    shopper = card_shopper("cust-bad", "pm_bad_4242")
    purchase = bad_cart(shop, key, shopper)
    assert (purchase.status, purchase.payment_status) == (PurchaseStatus.BAD_CART, PaymentStatus.ON_HOLD)
    client = staff(store_manager)

    queue = client.get("/orders/bad-carts/").content.decode()
    assert f'data-purchase="{purchase.purchase_id}"' in queue
    page = client.get(f"/orders/purchases/{purchase.pk}/").content.decode()
    assert 'data-map-line="2"' in page
    assert 'data-map-line="1"' not in page
    unknown = purchase.lines.get(position=1)

    mapped = client.post(
        f"/orders/purchases/{purchase.pk}/lines/{unknown.pk}/map/", {"product": "CHEESE", "remember": "on"}, follow=True
    )
    assert messages_of(mapped) == ["Line 2 is now CHEESE Cheese."]
    assert list(ItemAlias.objects.values_list("item_id", "product__sku")) == [("RET-CHEESE-9", "CHEESE")]

    repriced = client.post(f"/orders/purchases/{purchase.pk}/reprice/", follow=True)
    # 2 × 2.00 + 30.00 = 34.00, tax 10 % = 3.40: 37.40, still on hold until charged
    assert messages_of(repriced) == ["Repriced: 37.40 USD. Check the figures, then charge."]
    purchase.refresh_from_db()
    assert (purchase.status, purchase.payment_status, purchase.total) == (
        PurchaseStatus.PRICED,
        PaymentStatus.ON_HOLD,
        Decimal("37.400"),
    )
    assert not SandboxCharge.objects.filter(kind="capture").exists()

    with on_commit_run():
        charged = client.post(f"/orders/purchases/{purchase.pk}/charge/", follow=True)

    assert messages_of(charged) == ["Payment: To be charged."]
    purchase.refresh_from_db()
    assert (purchase.payment_status, purchase.captured_total) == (PaymentStatus.CAPTURED, Decimal("37.400"))
    assert list(SandboxCharge.objects.filter(kind="capture").values_list("amount", flat=True)) == [Decimal("37.400")]
    assert list(PurchaseAudit.objects.filter(purchase=purchase).values_list("action", "user__username")) == [
        ("line_mapped", store_manager.username),
        ("repriced", store_manager.username),
        ("charge", store_manager.username),
    ]
    assert f'data-purchase="{purchase.purchase_id}"' not in client.get("/orders/bad-carts/").content.decode()


def test_mapping_to_an_unknown_product_is_refused_and_changes_nothing(
    shop: Store, key: str, store_manager: User
) -> None:
    purchase = bad_cart(shop, key, card_shopper("cust-nomap", "pm_nomap_4242"))
    unknown = purchase.lines.get(position=1)

    response = staff(store_manager).post(
        f"/orders/purchases/{purchase.pk}/lines/{unknown.pk}/map/", {"product": "NOPE-1"}, follow=True
    )

    assert messages_of(response) == ["No product with SKU or barcode “NOPE-1” in Pay Store."]
    unknown.refresh_from_db()
    assert (unknown.product_id, unknown.is_resolved) == (None, False)
    assert not ItemAlias.objects.exists()
    assert not PurchaseAudit.objects.exists()


def test_a_bad_cart_is_written_off_only_with_a_reason(shop: Store, key: str, store_manager: User) -> None:
    purchase = bad_cart(shop, key, card_shopper("cust-off", "pm_off_4242"))
    client = staff(store_manager)

    refused = client.post(f"/orders/purchases/{purchase.pk}/write-off/", {"reason": "  "}, follow=True)
    assert messages_of(refused) == ["Say why the purchase is written off."]
    assert Purchase.objects.get(pk=purchase.pk).status == PurchaseStatus.BAD_CART

    done = client.post(f"/orders/purchases/{purchase.pk}/write-off/", {"reason": "Item not ours"}, follow=True)

    assert messages_of(done) == ["Written off: nothing will be collected."]
    purchase.refresh_from_db()
    assert (purchase.status, purchase.payment_status) == (PurchaseStatus.WRITTEN_OFF, PaymentStatus.NOT_CHARGED)
    assert not SandboxCharge.objects.filter(kind="capture").exists()


def test_a_line_is_refunded_from_the_purchase_page(shop: Store, key: str, store_manager: User) -> None:
    shopper = card_shopper("cust-refund", "pm_refund_4242")
    purchase = bought(key, purchase_body(shop, shopper, admitted(shop, shopper), [("COLA", "3"), ("CHEESE", "1")]))
    cola = purchase.lines.get(position=0)  # 3 × 2.00 + 10 % = 6.60
    client = staff(store_manager)
    assert 'id="refund-form"' in client.get(f"/orders/purchases/{purchase.pk}/").content.decode()

    with on_commit_run():
        response = client.post(
            f"/orders/purchases/{purchase.pk}/refund/", {f"line-{cola.pk}": "1", "reason": "Leaking can"}, follow=True
        )

    assert messages_of(response) == ["Refund of 2.20 USD: Pending."]  # its gateway call follows on a worker
    assert list(Refund.objects.values_list("amount", "status", "reason")) == [
        (Decimal("2.200"), "succeeded", "Leaking can")
    ]
    assert list(SandboxCharge.objects.filter(kind="refund").values_list("amount", flat=True)) == [Decimal("2.200")]


@pytest.mark.parametrize("quantity", ["abc", "-1", "NaN"])
def test_a_refund_quantity_that_is_not_a_number_is_refused(
    shop: Store, key: str, store_manager: User, quantity: str
) -> None:
    shopper = card_shopper(f"cust-q{quantity}", "pm_q_4242")
    purchase = bought(key, purchase_body(shop, shopper, admitted(shop, shopper), [("COLA", "1")]))
    line = purchase.lines.get()

    response = staff(store_manager).post(
        f"/orders/purchases/{purchase.pk}/refund/", {f"line-{line.pk}": quantity, "reason": "x"}, follow=True
    )

    assert messages_of(response) == [f"“{quantity}” is not a quantity."]
    assert not Refund.objects.exists()


def test_a_cash_shopper_is_marked_paid_at_the_counter(shop: Store, key: str, store_manager: User) -> None:
    shopper = card_shopper("cash-1", "pm_cash_4242", visitor_type="CASH_SHOPPER")
    purchase = bought(key, purchase_body(shop, shopper, str(uuid.uuid4()), [("COLA", "1")], scan_type="CASH_SHOPPER"))
    assert purchase.payment_status == PaymentStatus.AT_COUNTER

    response = staff(store_manager).post(
        f"/orders/purchases/{purchase.pk}/paid-at-counter/", {"note": "till 2"}, follow=True
    )

    assert messages_of(response) == ["Recorded as paid at the counter."]
    assert Purchase.objects.get(pk=purchase.pk).payment_status == PaymentStatus.PAID_AT_COUNTER
    assert not SandboxCharge.objects.exists()


def test_a_declined_hold_is_dismissed_from_the_payment_issues_queue(shop: Store, store_manager: User) -> None:
    shopper = card_shopper("cust-dee", "pm_dee_0002")
    admitted(shop, shopper)
    issue = PaymentIssue.objects.get()
    client = staff(store_manager)
    assert f'data-issue="{issue.pk}"' in client.get("/orders/payment-issues/").content.decode()
    assert Shopper.objects.get(pk=shopper.pk).status == ShopperStatus.FLAGGED

    response = client.post(f"/orders/payment-issues/{issue.pk}/dismiss/", {"note": "New card on file"}, follow=True)

    assert messages_of(response) == ["Issue dismissed."]
    issue.refresh_from_db()
    assert (issue.status, issue.resolution, issue.note) == ("resolved", "dismissed", "New card on file")
    assert Shopper.objects.get(pk=shopper.pk).status == ShopperStatus.ACTIVE
    assert "No open payment issues." in client.get("/orders/payment-issues/").content.decode()


def test_a_viewer_sees_the_queues_but_no_action_and_cannot_act(shop: Store, key: str, viewer: User) -> None:
    purchase = bad_cart(shop, key, card_shopper("cust-view", "pm_view_4242"))
    unknown = purchase.lines.get(position=1)
    client = staff(viewer)

    assert client.get("/orders/bad-carts/").status_code == 200
    assert client.get("/orders/payment-issues/").status_code == 200
    page = client.get(f"/orders/purchases/{purchase.pk}/").content.decode()
    assert 'id="purchase-actions"' not in page
    assert "data-map-line" not in page
    for url, data in [
        (f"/orders/purchases/{purchase.pk}/lines/{unknown.pk}/map/", {"product": "CHEESE"}),
        (f"/orders/purchases/{purchase.pk}/reprice/", {}),
        (f"/orders/purchases/{purchase.pk}/charge/", {}),
        (f"/orders/purchases/{purchase.pk}/write-off/", {"reason": "x"}),
        (f"/orders/purchases/{purchase.pk}/paid-at-counter/", {}),
        (f"/orders/purchases/{purchase.pk}/refund/", {"everything": "on", "reason": "x"}),
    ]:
        assert client.post(url, data).status_code == 403, url
    purchase.refresh_from_db()
    assert (purchase.status, purchase.payment_status) == (PurchaseStatus.BAD_CART, PaymentStatus.ON_HOLD)
    assert not PurchaseAudit.objects.exists()


def test_the_actions_need_a_signed_in_user_and_a_post(shop: Store, key: str, store_manager: User) -> None:
    purchase = bad_cart(shop, key, card_shopper("cust-anon", "pm_anon_4242"))

    anonymous = Client().post(f"/orders/purchases/{purchase.pk}/reprice/")
    assert (anonymous.status_code, anonymous["Location"]) == (
        302,
        f"/accounts/login/?next=/orders/purchases/{purchase.pk}/reprice/",
    )
    assert staff(store_manager).get(f"/orders/purchases/{purchase.pk}/reprice/").status_code == 405


def test_a_purchase_nobody_can_be_charged_for_is_assigned_and_charged_from_its_page(
    shop: Store, key: str, store_manager: User, viewer: User
) -> None:
    ann = card_shopper("cust-ann", "pm_ann_4242")
    body = purchase_body(shop, ann, str(uuid.uuid4()), [("COLA", "2")])
    body["shoppingTrip"]["authEvents"][0]["scanResult"] = {"id": "LOYAL-77", "type": "LOYALTY"}
    purchase = bought(key, body)
    client = staff(store_manager)

    queue = client.get("/orders/payment-issues/").content.decode()
    page = client.get(f"/orders/purchases/{purchase.pk}/").content.decode()
    assert "nobody yet" in queue
    assert "LOYAL-77" in queue
    assert "who is not one of our shoppers: nobody to charge." in page
    assert 'id="assign-shopper"' in page
    assert 'id="assign-shopper"' not in staff(viewer).get(f"/orders/purchases/{purchase.pk}/").content.decode()

    wrong = client.post(f"/orders/purchases/{purchase.pk}/shopper/", {"shopper": "nobody@example.com"}, follow=True)
    assert messages_of(wrong) == ["No shopper with the id or email “nobody@example.com”."]
    assigned = client.post(f"/orders/purchases/{purchase.pk}/shopper/", {"shopper": "cust-ann"}, follow=True)
    assert messages_of(assigned) == [
        f"{purchase.purchase_id} is now Shopper cust-ann's (cust-ann); charge it when ready."
    ]
    with on_commit_run():
        client.post(f"/orders/purchases/{purchase.pk}/charge/")

    purchase.refresh_from_db()
    assert (purchase.shopper_id, purchase.payment_status, purchase.captured_total) == (
        ann.pk,
        PaymentStatus.CAPTURED,
        Decimal("4.40"),
    )
    assert list(SandboxCharge.objects.values_list("kind", "card_reference")) == [
        ("authorise", "pm_ann_4242"),
        ("capture", "pm_ann_4242"),
    ]
    assert PaymentIssue.objects.filter(status="open").count() == 0


def test_a_flagged_purchase_says_why_on_its_page(shop: Store, key: str, viewer: User) -> None:
    ann = card_shopper("cust-ann", "pm_ann_4242")
    purchase = bought(key, purchase_body(shop, ann, admitted(shop, ann), [("COLA", "1")], scan_type="ASSOCIATE"))

    page = staff(viewer).get(f"/orders/purchases/{purchase.pk}/").content.decode()

    assert "Sent as ASSOCIATE, but cust-ann is a shopper in our records: charged as a shopper." in page
