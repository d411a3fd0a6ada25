"""The bad-cart queue (orders.services.bad_carts): a cart with an item we do not know waits on its hold;
staff map the item (optionally remembering it), reprice, then charge or write it off. Every step
is audited; a refused step changes nothing."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.forms.models import model_to_dict

from catalog.models import Product, Store
from entry.models import Shopper, ShopperStatus
from jwo_admin.core.exceptions import ApplicationError
from orders.models import (
    AuthorisationStatus,
    ItemAlias,
    PaymentIssue,
    PaymentOperation,
    PaymentStatus,
    Promotion,
    Purchase,
    PurchaseAudit,
    PurchaseLine,
    PurchaseLineDiscount,
    SandboxCharge,
)
from orders.services.bad_carts import (
    bad_cart_line_map,
    bad_cart_line_quantity_set,
    bad_cart_reprice,
    bad_carts_open_count,
    purchase_charge,
    purchase_paid_at_counter,
    purchase_write_off,
)
from orders.services.purchase_lines import PRICED_LINE_FIELDS
from tests.orders.payment_helpers import (
    admitted,
    bought,
    card_shopper,
    hold_of,
    on_commit_run,
    payments_store,
    purchase_body,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop(db: None) -> Store:
    """The payments store with cola 10 % off, and a pear (1.50) for the unknown item to become."""
    store = payments_store()
    Product.objects.create(store=store, sku="PEAR", name="Pear", price=Decimal("1.50"), tax_code="GENERAL")
    Promotion.objects.create(name="Cola 10% off", kind="percent_off", skus=["COLA"], percent=Decimal("10"))
    return store


def bad_cart(store: Store, key: str, card: str = "pm_ok_4242") -> tuple[Purchase, str]:
    """3 colas and one item (MYSTERY-1) the catalog does not know; returns it and the gate event."""
    shopper = card_shopper(f"cust-{card}", card)
    event_id = admitted(store, shopper)
    purchase = bought(key, purchase_body(store, shopper, event_id, [("COLA", "3"), ("MYSTERY-1", "1")]))
    return purchase, event_id


def unknown_line(purchase: Purchase) -> PurchaseLine:
    return purchase.lines.get(item_id="MYSTERY-1")


def state(purchase: Purchase) -> tuple[dict[str, object], list[dict[str, object]], int, int, int, int]:
    """Everything a refused step must leave as it was."""
    row = model_to_dict(Purchase.objects.get(pk=purchase.pk))
    lines = [model_to_dict(line) for line in PurchaseLine.objects.filter(purchase=purchase).order_by("position")]
    return (
        row,
        lines,
        PurchaseLineDiscount.objects.count(),
        ItemAlias.objects.count(),
        PurchaseAudit.objects.count(),
        PaymentOperation.objects.count(),
    )


def audits(purchase: Purchase) -> list[tuple[str, int | None, str]]:
    return list(PurchaseAudit.objects.filter(purchase=purchase).values_list("action", "user_id", "detail"))


def test_a_cart_with_an_unknown_item_waits_on_its_hold_and_nothing_is_charged(shop: Store, key: str) -> None:
    purchase, event_id = bad_cart(shop, key)

    assert (purchase.status, purchase.payment_status, purchase.problem) == (
        "bad_cart",
        PaymentStatus.ON_HOLD,
        "line 2 (MYSTERY-1): no product with this SKU or barcode",
    )
    assert (purchase.total, purchase.captured_total) == (Decimal("5.940"), Decimal(0))  # the colas alone
    line = unknown_line(purchase)
    assert (line.product_id, line.is_resolved, line.total) == (None, False, Decimal(0))
    assert hold_of(event_id).status == AuthorisationStatus.AUTHORISED
    assert [kind for (kind,) in PaymentOperation.objects.values_list("kind")] == ["authorise"]  # the gate's hold
    assert SandboxCharge.objects.filter(kind="capture").count() == 0
    assert mail.outbox == []
    assert bad_carts_open_count() == 1


def test_staff_map_reprice_and_charge_a_bad_cart(shop: Store, key: str, store_manager: User) -> None:
    purchase, event_id = bad_cart(shop, key)
    pear = Product.objects.get(sku="PEAR")

    line = bad_cart_line_map(
        purchase_pk=purchase.pk,
        line_pk=unknown_line(purchase).pk,
        product_pk=pear.pk,
        remember=True,
        user_pk=store_manager.pk,
    )

    assert (line.product_id, line.sku, line.name, line.is_resolved) == (pear.pk, "PEAR", "Pear", True)
    alias = ItemAlias.objects.get()
    assert (alias.store_id, alias.item_id, alias.product_id, alias.created_by_id) == (
        shop.pk,
        "MYSTERY-1",
        pear.pk,
        store_manager.pk,
    )

    repriced = bad_cart_reprice(purchase_pk=purchase.pk, user_pk=store_manager.pk)

    # cola 3 × 2.00 = 6.00, 10 % off 0.60 → 5.40, tax 0.54 → 5.94; pear 1.50, tax 0.15 → 1.65
    assert (repriced.subtotal, repriced.discount_total, repriced.tax_total, repriced.total) == (
        Decimal("7.50"),
        Decimal("0.60"),
        Decimal("0.69"),
        Decimal("7.59"),
    )
    stored = Purchase.objects.get(pk=purchase.pk)
    assert (stored.status, stored.payment_status, stored.problem, stored.total) == (
        "priced",
        PaymentStatus.ON_HOLD,
        "",
        Decimal("7.590"),
    )
    assert list(
        PurchaseLine.objects.filter(purchase=purchase)
        .order_by("position")
        .values_list("sku", "discount_total", "tax", "total")
    ) == [
        ("COLA", Decimal("0.600"), Decimal("0.540"), Decimal("5.940")),
        ("PEAR", Decimal(0), Decimal("0.150"), Decimal("1.650")),
    ]
    assert list(PurchaseLineDiscount.objects.values_list("line__sku", "promotion_name", "quantity", "amount")) == [
        ("COLA", "Cola 10% off", Decimal(3), Decimal("0.600"))
    ]
    assert SandboxCharge.objects.filter(kind="capture").count() == 0  # staff check the figures first

    with on_commit_run():
        purchase_charge(purchase_pk=purchase.pk, user_pk=store_manager.pk)

    stored.refresh_from_db()
    assert (stored.payment_status, stored.captured_total) == (PaymentStatus.CAPTURED, Decimal("7.590"))
    assert hold_of(event_id).status == AuthorisationStatus.CAPTURED
    assert list(SandboxCharge.objects.filter(kind="capture").values_list("amount", "outcome")) == [
        (Decimal("7.590"), "approved")
    ]
    assert len(mail.outbox) == 1
    assert audits(purchase) == [
        ("line_mapped", store_manager.pk, "line 2 (MYSTERY-1) → PEAR Pear (remembered for later carts)"),
        ("repriced", store_manager.pk, "total 5.940 → 7.59 USD"),
        ("charge", store_manager.pk, "released for payment (To be charged)"),
    ]
    assert bad_carts_open_count() == 0


def test_a_remembered_item_resolves_by_itself_in_the_next_cart(shop: Store, key: str) -> None:
    purchase, _ = bad_cart(shop, key)
    bad_cart_line_map(
        purchase_pk=purchase.pk,
        line_pk=unknown_line(purchase).pk,
        product_pk=Product.objects.get(sku="PEAR").pk,
        remember=True,
        user_pk=None,
    )

    later, _ = bad_cart(shop, key, card="pm_later_4242")

    # cola 5.94 as before; the pear 1.50 + 0.15 = 1.65
    assert (later.status, later.payment_status, later.total) == ("priced", PaymentStatus.CAPTURED, Decimal("7.590"))
    assert list(later.lines.order_by("position").values_list("item_id", "sku", "is_resolved")) == [
        ("COLA", "COLA", True),
        ("MYSTERY-1", "PEAR", True),
    ]


def test_a_mapping_not_remembered_makes_no_alias(shop: Store, key: str) -> None:
    purchase, _ = bad_cart(shop, key)

    bad_cart_line_map(
        purchase_pk=purchase.pk,
        line_pk=unknown_line(purchase).pk,
        product_pk=Product.objects.get(sku="PEAR").pk,
        remember=False,
        user_pk=None,
    )

    assert ItemAlias.objects.count() == 0
    assert audits(purchase) == [("line_mapped", None, "line 2 (MYSTERY-1) → PEAR Pear")]


def test_a_repriced_cart_keeps_what_create_purchases_keeps_for_the_same_cart(shop: Store, key: str) -> None:
    purchase, _ = bad_cart(shop, key)
    bad_cart_line_map(
        purchase_pk=purchase.pk,
        line_pk=unknown_line(purchase).pk,
        product_pk=Product.objects.get(sku="PEAR").pk,
        remember=False,
        user_pk=None,
    )

    bad_cart_reprice(purchase_pk=purchase.pk, user_pk=None)
    shopper = card_shopper("cust-direct", "pm_direct_4242")
    direct = bought(key, purchase_body(shop, shopper, admitted(shop, shopper), [("COLA", "3"), ("PEAR", "1")]))

    def stored(of: Purchase) -> tuple[list[dict[str, object]], list[tuple[object, ...]]]:
        lines = [
            {name: value for name, value in model_to_dict(line).items() if name in PRICED_LINE_FIELDS}
            for line in PurchaseLine.objects.filter(purchase=of).order_by("position")
        ]
        discounts = PurchaseLineDiscount.objects.filter(line__purchase=of).order_by("pk")
        return lines, list(discounts.values_list("line__position", "promotion_name", "kind", "quantity", "amount"))

    assert stored(purchase) == stored(direct)
    # cola 3 × 2.00 = 6.00, 10 % off 0.60 → 5.40, tax 0.54 → 5.94; pear 1.50, tax 0.15 → 1.65
    lines, discounts = stored(direct)
    assert [
        (line["priced_quantity"], line["priced_unit"], line["net"], line["tax"], line["total"]) for line in lines
    ] == [
        (Decimal(3), "each", Decimal("5.40"), Decimal("0.54"), Decimal("5.94")),
        (Decimal(1), "each", Decimal("1.50"), Decimal("0.15"), Decimal("1.65")),
    ]
    assert discounts == [(0, "Cola 10% off", "percent_off", Decimal(3), Decimal("0.600"))]


def test_writing_off_a_bad_cart_releases_the_hold(shop: Store, key: str, store_manager: User) -> None:
    purchase, event_id = bad_cart(shop, key)

    purchase_write_off(purchase_pk=purchase.pk, user_pk=store_manager.pk, reason="  Scanner fault  ")

    stored = Purchase.objects.get(pk=purchase.pk)
    assert (stored.status, stored.payment_status, stored.captured_total) == (
        "written_off",
        PaymentStatus.NOT_CHARGED,
        Decimal(0),
    )
    assert hold_of(event_id).status == AuthorisationStatus.VOIDED
    assert list(PaymentOperation.objects.order_by("id").values_list("kind", "outcome")) == [
        ("authorise", "approved"),
        ("void", "approved"),
    ]
    assert audits(purchase) == [("written_off", store_manager.pk, "5.940 USD not collected: Scanner fault")]
    assert mail.outbox == []


def test_writing_off_closes_the_shoppers_payment_issues_and_reinstates_them(
    shop: Store, key: str, store_manager: User
) -> None:
    purchase, event_id = bad_cart(shop, key, card="pm_declined_0002")  # the gate's hold was refused
    shopper = Shopper.objects.get(purchases=purchase)
    assert (shopper.status, PaymentIssue.objects.get().status) == (ShopperStatus.FLAGGED, "open")

    purchase_write_off(purchase_pk=purchase.pk, user_pk=store_manager.pk, reason="Goodwill")

    issue = PaymentIssue.objects.get()
    assert (issue.status, issue.resolution, issue.resolved_by_id, issue.note) == (
        "resolved",
        "written_off",
        store_manager.pk,
        "Goodwill",
    )
    shopper.refresh_from_db()
    assert (shopper.status, shopper.status_reason) == (ShopperStatus.ACTIVE, "")
    assert hold_of(event_id).status == AuthorisationStatus.DECLINED  # nothing to release
    assert [kind for (kind,) in PaymentOperation.objects.values_list("kind")] == ["authorise"]


def test_a_failed_charge_paid_at_the_counter_closes_its_issues(shop: Store, key: str, store_manager: User) -> None:
    shopper = card_shopper("cust-declined", "pm_declined_0002")
    purchase = bought(key, purchase_body(shop, shopper, admitted(shop, shopper), [("COLA", "1")]))
    assert purchase.payment_status == PaymentStatus.FAILED

    purchase_paid_at_counter(purchase_pk=purchase.pk, user_pk=store_manager.pk, note="Paid cash")

    assert Purchase.objects.get(pk=purchase.pk).payment_status == PaymentStatus.PAID_AT_COUNTER
    assert set(PaymentIssue.objects.values_list("status", "resolution")) == {("resolved", "paid_counter")}
    assert Shopper.objects.get(pk=shopper.pk).status == ShopperStatus.ACTIVE
    assert audits(purchase) == [  # cola 2.00 − 10 % = 1.80, tax 0.18
        ("paid_at_counter", store_manager.pk, "1.980 USD paid in store. Paid cash"),
        ("issue_resolved", store_manager.pk, "Authorise issue: Paid at the counter. Paid cash"),
    ]


def test_repricing_with_an_unknown_line_left_is_refused_and_changes_nothing(shop: Store, key: str) -> None:
    purchase, _ = bad_cart(shop, key)
    before = state(purchase)

    with pytest.raises(ApplicationError) as refused:
        bad_cart_reprice(purchase_pk=purchase.pk, user_pk=None)

    assert refused.value.message == "Map every unknown item first: line(s) 2"
    assert state(purchase) == before


def test_repricing_with_a_product_without_a_price_is_refused_and_changes_nothing(shop: Store, key: str) -> None:
    purchase, _ = bad_cart(shop, key)
    unpriced = Product.objects.create(store=shop, sku="FREEBIE", name="Freebie", price=None, tax_code="GENERAL")
    bad_cart_line_map(
        purchase_pk=purchase.pk, line_pk=unknown_line(purchase).pk, product_pk=unpriced.pk, remember=False, user_pk=None
    )
    before = state(purchase)

    with pytest.raises(ApplicationError, match="^FREEBIE has no price in this store"):
        bad_cart_reprice(purchase_pk=purchase.pk, user_pk=None)

    assert state(purchase) == before


def test_mapping_to_another_stores_product_is_refused_and_changes_nothing(shop: Store, key: str) -> None:
    purchase, _ = bad_cart(shop, key)
    elsewhere = Store.objects.create(store_id="ELSEWHERE", name="Elsewhere", currency="USD")
    theirs = Product.objects.create(store=elsewhere, sku="PEAR", name="Pear", price=Decimal("1.00"))
    before = state(purchase)

    with pytest.raises(ApplicationError) as refused:
        bad_cart_line_map(
            purchase_pk=purchase.pk,
            line_pk=unknown_line(purchase).pk,
            product_pk=theirs.pk,
            remember=True,
            user_pk=None,
        )

    assert refused.value.message == "Choose a product of this purchase's store."
    assert state(purchase) == before


def test_mapping_a_line_of_another_purchase_is_refused_and_changes_nothing(shop: Store, key: str) -> None:
    purchase, _ = bad_cart(shop, key)
    other, _ = bad_cart(shop, key, card="pm_other_4242")
    before = state(purchase), state(other)

    with pytest.raises(ApplicationError, match=r"^That line is not part of this purchase\.$"):
        bad_cart_line_map(
            purchase_pk=purchase.pk,
            line_pk=unknown_line(other).pk,
            product_pk=Product.objects.get(sku="PEAR").pk,
            remember=True,
            user_pk=None,
        )

    assert (state(purchase), state(other)) == before


def test_a_purchase_out_of_the_queue_can_no_longer_be_mapped_repriced_charged_or_written_off(
    shop: Store, key: str
) -> None:
    purchase, _ = bad_cart(shop, key)
    purchase_write_off(purchase_pk=purchase.pk, user_pk=None, reason="Scanner fault")
    before = state(purchase)
    name = purchase.purchase_id

    refusals = []
    for step in (
        lambda: bad_cart_line_map(
            purchase_pk=purchase.pk,
            line_pk=unknown_line(purchase).pk,
            product_pk=Product.objects.get(sku="PEAR").pk,
            remember=True,
            user_pk=None,
        ),
        lambda: bad_cart_reprice(purchase_pk=purchase.pk, user_pk=None),
        lambda: purchase_charge(purchase_pk=purchase.pk, user_pk=None),
        lambda: purchase_write_off(purchase_pk=purchase.pk, user_pk=None, reason="Again"),
        lambda: purchase_paid_at_counter(purchase_pk=purchase.pk, user_pk=None),
    ):
        with pytest.raises(ApplicationError) as refused:
            step()
        refusals.append(refused.value.message)

    assert refusals == [
        f"{name} is not in the bad-cart queue any more.",
        f"{name} is not in the bad-cart queue any more.",
        f"{name} has nothing waiting to be charged.",
        f"{name} has nothing outstanding to write off.",
        f"{name} is not waiting for a payment at the counter.",
    ]
    assert state(purchase) == before


def test_a_bad_cart_is_not_charged_before_it_is_repriced(shop: Store, key: str) -> None:
    purchase, _ = bad_cart(shop, key)
    before = state(purchase)

    with pytest.raises(ApplicationError, match="has nothing waiting to be charged"):
        purchase_charge(purchase_pk=purchase.pk, user_pk=None)

    assert state(purchase) == before


def test_a_write_off_needs_a_reason(shop: Store, key: str) -> None:
    purchase, _ = bad_cart(shop, key)
    before = state(purchase)

    with pytest.raises(ApplicationError, match="Say why"):
        purchase_write_off(purchase_pk=purchase.pk, user_pk=None, reason=" ")

    assert state(purchase) == before


def test_a_line_whose_unit_cannot_be_priced_is_settled_by_staff_in_the_products_unit(
    shop: Store, key: str, store_manager: User
) -> None:
    Product.objects.create(store=shop, sku="STEAK", name="Steak", price=Decimal("6.79"), unit="kg", tax_code="GENERAL")
    shopper = card_shopper("cust-steak", "pm_ok_4242")
    event_id = admitted(shop, shopper)
    purchase = bought(key, purchase_body(shop, shopper, event_id, [("COLA", "1"), ("STEAK", "2")]))  # "2 unit" of steak
    steak = purchase.lines.get(item_id="STEAK")
    assert steak.problem == 'unit "unit" cannot be priced per kg (a count, not a weight)'
    before = state(purchase)

    with pytest.raises(ApplicationError, match="at most 6 decimal places"):
        bad_cart_line_quantity_set(
            purchase_pk=purchase.pk, line_pk=steak.pk, quantity=Decimal("0.1234567"), user_pk=store_manager.pk
        )
    with pytest.raises(ApplicationError, match="Still cannot price this cart: line 2 \\(STEAK\\): unit"):
        bad_cart_reprice(purchase_pk=purchase.pk, user_pk=store_manager.pk)
    assert state(purchase) == before

    bad_cart_line_quantity_set(
        purchase_pk=purchase.pk, line_pk=steak.pk, quantity=Decimal("0.85"), user_pk=store_manager.pk
    )
    bad_cart_reprice(purchase_pk=purchase.pk, user_pk=store_manager.pk)

    purchase.refresh_from_db()
    steak.refresh_from_db()
    # cola 2.00 − 10 % = 1.80, tax 0.18 → 1.98; steak 0.85 kg × 6.79 = 5.7715 → 5.77, tax 0.577 → 0.58 → 6.35
    assert (steak.quantity, steak.unit, steak.priced_quantity, steak.priced_unit, steak.total, steak.problem) == (
        Decimal("2"),
        "unit",
        Decimal("0.85"),
        "kg",
        Decimal("6.35"),
        "",
    )
    assert (purchase.status, purchase.total, purchase.problem) == ("priced", Decimal("8.33"), "")
    assert list(PurchaseAudit.objects.filter(purchase=purchase).values_list("action", "detail")) == [
        ("quantity_set", "line 2 (STEAK): 2 unit taken as 0.85 kg"),
        ("repriced", "total 1.980 → 8.33 USD"),
    ]
    with on_commit_run():
        purchase_charge(purchase_pk=purchase.pk, user_pk=store_manager.pk)
    assert SandboxCharge.objects.get(kind="capture").amount == Decimal("8.33")
