"""Staff see their own stores: a staff user limited to one store walks every staff screen of the
authorisation matrix while another store has data of every kind, and never sees any of it; their
actions on the other store's objects answer 404 and change nothing."""

import secrets
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from catalog.models import ImportJob, Product, Store, SyncRun
from catalog.services.imports import import_job_create
from catalog.services.staff_stores import staff_stores_set
from entry.models import GateDecisionKind, GateEvent, GateReason, Shopper
from entry.services.shoppers import shopper_create
from operations.models import SimulationRun, SimulationStatus
from orders.models import PaymentIssue, PaymentStatus, Promotion, Purchase, PurchaseStatus, TaxRate
from orders.pricing.types import PromotionKind
from tests.core.test_authorization_matrix import ROLE_FIXTURES, ROLES, TABLE, TO_LOGIN, Caller, Case, World
from tests.core.test_authorization_matrix import world as world  # the matrix's fixture: the objects a path names

# Whatever names the other store or its data: none of it may reach a page of the first store's user.
OTHER_STORE_STRINGS = ("Other Store", "TEST_STORE_002", "BRAVO", "Bravo")


def _gate_event(*, store: Store, shopper: Shopper) -> GateEvent:
    return GateEvent.objects.create(
        store=store,
        store_ref=store.store_id,
        decision=GateDecisionKind.ADMITTED,
        reason=GateReason.ADMITTED,
        status_code=200,
        response_body={},
        shopper=shopper,
        visitor_type=shopper.visitor_type,
        latency_ms=1.0,
    )


def _purchase(*, store: Store, shopper: Shopper, number: int, **fields: Any) -> Purchase:
    now = timezone.now()
    values: dict[str, Any] = {
        "trip_id": f"00000000-0000-4000-8000-0000000b{number:04d}",
        "purchase_id": f"PO-BRAVO-{number}",
        "store": store,
        "status": PurchaseStatus.PRICED,
        "shopper": shopper,
        "visitor_ref": shopper.external_id,
        "started_at": now - timedelta(minutes=10),
        "ended_at": now,
        "currency": store.currency,
        "subtotal": Decimal("7.000"),
        "total": Decimal("7.000"),
        "captured_total": Decimal("7.000"),
        "payment_status": PaymentStatus.CAPTURED,
        "request_body": {"storeId": store.store_id},
        "request_fingerprint": "b" * 64,
        "response_body": {},
        "receipt_token": secrets.token_urlsafe(24),
    }
    return Purchase.objects.create(**{**values, **fields})


@pytest.fixture
def bravo(other_store: Store) -> dict[str, Any]:
    """The other store's data, one of every kind a staff screen shows."""
    shopper = shopper_create(external_id="cust-bravo", name="Bravo Shopper", email="bravo@example.com", password="")
    _gate_event(store=other_store, shopper=shopper)
    product = Product.objects.create(store=other_store, sku="BRAVO-SKU", name="Bravo Cola", price=Decimal("3.00"))
    purchase = _purchase(store=other_store, shopper=shopper, number=1)
    bad_cart = _purchase(
        store=other_store,
        shopper=shopper,
        number=2,
        status=PurchaseStatus.BAD_CART,
        payment_status=PaymentStatus.ON_HOLD,
        captured_total=Decimal(0),
    )
    issue = PaymentIssue.objects.create(
        shopper=shopper, purchase=purchase, kind="capture", outcome="declined", message="Bravo declined"
    )
    promotion = Promotion.objects.create(name="Bravo deal", kind=PromotionKind.PERCENT_OFF, percent=Decimal(5))
    promotion.stores.set([other_store])
    tax_rate = TaxRate.objects.create(store=other_store, tax_code="BRAVOTAX", rate=Decimal("0.20"), is_default=True)
    job = import_job_create(
        store=other_store, upload=SimpleUploadedFile("bravo.csv", b"item_sku,item_name\nBRAVO-SKU,Bravo Cola\n")
    )
    run = SyncRun.objects.create(store=other_store, status="done")
    simulation = SimulationRun.objects.create(
        store=other_store, base_url="http://testserver", status=SimulationStatus.PASSED
    )
    return {
        "shopper": shopper,
        "product": product,
        "purchase": purchase,
        "bad_cart": bad_cart,
        "issue": issue,
        "promotion": promotion,
        "tax_rate": tax_rate,
        "import_job": job,
        "sync_run": run,
        "simulation": simulation,
    }


def _limited_to(user: User, store: Store) -> Client:
    staff_stores_set(user=user, all_stores=False, stores=[store])
    client = Client()
    client.force_login(user)
    return client


def _staff_screens() -> list[Any]:
    """Every staff GET of the matrix that a role below Admin may open, with the last such role."""
    params = []
    for case in TABLE:
        allowed = [role for role in ROLES[:-1] if case.answers[role].status == 200]
        if case.method == "get" and case.answers[Caller.ANONYMOUS] == TO_LOGIN and allowed:
            params.append(pytest.param(case, allowed[-1], id=f"{case.id} as {allowed[-1]}"))
    return params


@pytest.mark.django_db
@pytest.mark.parametrize(("case", "caller"), _staff_screens())
def test_a_user_of_one_store_never_sees_the_other_stores_data(
    case: Case, caller: Caller, world: World, bravo: dict[str, Any], store: Store
) -> None:
    client = _limited_to(world.fixture(ROLE_FIXTURES[caller]), store)
    promotion = world["promotion"]
    promotion.stores.set([store])  # the first store's own promotion, which its manager may open
    _gate_event(store=store, shopper=world["shopper"])  # the table's shopper went through the first store
    for name in case.needs:
        world[name]

    response = client.get(world.fill(case.path), headers=case.headers)
    body = b"".join(response.streaming_content) if response.streaming else response.content  # type: ignore[attr-defined]

    assert response.status_code == 200
    leaked = [text for text in OTHER_STORE_STRINGS if text.encode() in body]
    assert leaked == []


@pytest.mark.django_db
def test_lists_show_exactly_the_users_stores_data(bravo: dict[str, Any], store: Store, store_manager: User) -> None:
    Product.objects.create(store=store, sku="ALPHA-SKU", name="Alpha Cola", price=Decimal("2.00"))
    client = _limited_to(store_manager, store)

    products = client.get("/catalog/").content.decode()
    dropdown = client.get("/orders/purchases/").content.decode()

    assert "ALPHA-SKU" in products
    assert "BRAVO-SKU" not in products
    assert f'<option value="{store.pk}">Test Store' in dropdown
    assert "Other Store" not in dropdown


@pytest.mark.django_db
def test_a_filter_naming_another_store_answers_404(
    bravo: dict[str, Any], store: Store, other_store: Store, store_manager: User
) -> None:
    client = _limited_to(store_manager, store)

    assert client.get(f"/catalog/?store={other_store.pk}").status_code == 404
    assert client.get(f"/orders/?store={other_store.pk}").status_code == 404
    assert client.get(f"/catalog/?store={store.pk}").status_code == 200


@pytest.mark.django_db
def test_actions_on_the_other_stores_objects_answer_404_and_change_nothing(
    bravo: dict[str, Any], store: Store, other_store: Store, store_manager: User, catalog_manager: User
) -> None:
    client = _limited_to(store_manager, store)
    purchase, shopper = bravo["purchase"], bravo["shopper"]

    answers = [
        client.post(f"/orders/purchases/{purchase.pk}/refund/", {"everything": "on", "reason": "x"}).status_code,
        client.post(f"/orders/purchases/{bravo['bad_cart'].pk}/write-off/", {"reason": "x"}).status_code,
        client.post(f"/orders/payment-issues/{bravo['issue'].pk}/dismiss/", {"note": "x"}).status_code,
        client.post(f"/orders/promotions/{bravo['promotion'].pk}/deactivate/").status_code,
        client.post(f"/orders/tax-rates/{bravo['tax_rate'].pk}/delete/").status_code,
        client.post(f"/entry/shoppers/{shopper.pk}/status/", {"status": "blocked", "reason": "x"}).status_code,
        client.post(f"/entry/stores/{other_store.pk}/gate-default/", {"default_gate_decision": "OPEN"}).status_code,
    ]
    catalog = _limited_to(catalog_manager, store)
    answers += [
        catalog.post("/catalog/sync/start/", {"store": str(other_store.pk)}).status_code,
        catalog.post(f"/catalog/imports/{bravo['import_job'].pk}/confirm/").status_code,
    ]

    assert answers == [404] * 9
    assert purchase.refunds.count() == 0
    bad_cart = Purchase.objects.get(pk=bravo["bad_cart"].pk)
    assert (bad_cart.status, bad_cart.payment_status) == (PurchaseStatus.BAD_CART, PaymentStatus.ON_HOLD)
    assert PaymentIssue.objects.get(pk=bravo["issue"].pk).status == PaymentIssue.Status.OPEN
    assert Promotion.objects.get(pk=bravo["promotion"].pk).is_active is True
    assert TaxRate.objects.filter(pk=bravo["tax_rate"].pk).exists()
    assert Shopper.objects.get(pk=shopper.pk).status == "active"
    assert SyncRun.objects.filter(store=other_store).count() == 1
    assert ImportJob.objects.filter(store=other_store).count() == 1


@pytest.mark.django_db
def test_a_staff_user_without_stores_sees_none_and_is_told_so(
    bravo: dict[str, Any], store: Store, store_manager: User
) -> None:
    store_manager.store_access.delete()
    client = Client()
    client.force_login(store_manager)

    home = client.get("/").content.decode()
    products = client.get("/catalog/").content.decode()

    assert "You have no stores yet: ask an administrator." in home
    assert "The alerts count across every store: users of every store see them." in home
    assert "Test Store" not in home
    assert "Other Store" not in home
    assert "BRAVO-SKU" not in products


@pytest.mark.django_db
def test_the_admin_role_sees_every_store_without_an_access_row(bravo: dict[str, Any], admin_user: User) -> None:
    admin_user.store_access.delete()
    client = Client()
    client.force_login(admin_user)

    assert "BRAVO-SKU" in client.get("/catalog/").content.decode()
