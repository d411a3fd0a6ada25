"""Bad-debt figures: open (count and amount per currency, by age), recovered and written off, on the
dashboard (the user's stores) and in /metrics (per store); simulated purchases left out.

Amounts: cola 2.00 + 10 % tax = 2.20; three colas 6.60; cheese 30.00 + 10 % = 33.00.
PAY_STORE (USD): open 6.60 (7 days 23 hours old), 2.20 (8 days and a minute), 33.00 (40 days),
recovered 2.20 (paid at the counter), written off 6.60, a simulated open 6.60 (left out), a charge
that went through (not debt). EU_STORE (EUR): open 2.20 today.
USD open: 3 purchases, 6.60 + 2.20 + 33.00 = 41.80."""

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from catalog.models import Product, Store
from catalog.services.staff_stores import staff_member_create
from entry.models import Shopper
from jwo_admin.core.roles import VIEWER
from orders.models import PaymentAuthorisation, Purchase, StorePayment, TaxRate
from orders.selectors.bad_debt import BadDebt, Figure, bad_debt_figures
from orders.services.bad_carts import purchase_paid_at_counter, purchase_write_off
from tests.orders.payment_helpers import admitted, bought, card_shopper, payments_store, purchase_body

TOKEN = "bad-debt-scrape-token"


def debt(store: Store, key: str, shopper: Shopper, items: list[tuple[str, str]], *, age: timedelta) -> Purchase:
    purchase = bought(key, purchase_body(store, shopper, admitted(store, shopper), items))
    Purchase.objects.filter(pk=purchase.pk).update(created_at=timezone.now() - age)
    purchase.refresh_from_db()
    return purchase


@pytest.fixture
def debts(db: None, key: str, settings: Any) -> tuple[Store, Store]:
    settings.JWO_REPEAT_OFFENDER_DEBTS = 100  # the figures, not the blocks, are under test
    shop = payments_store()
    europe = Store.objects.create(store_id="EU_STORE", name="Euro Store", currency="EUR")
    StorePayment.objects.create(store=europe, preauthorisation_amount=Decimal("50.00"))
    TaxRate.objects.create(store=europe, tax_code="GENERAL", rate=Decimal("0.10"), is_default=True)
    Product.objects.create(store=europe, sku="COLA", name="Cola", price=Decimal("2.00"), tax_code="GENERAL")
    declined = card_shopper("cust-figures", "pm_figures_0002")
    debt(shop, key, declined, [("COLA", "3")], age=timedelta(days=7, hours=23))
    debt(shop, key, declined, [("COLA", "1")], age=timedelta(days=8, minutes=1))
    debt(shop, key, declined, [("CHEESE", "1")], age=timedelta(days=40))
    recovered = debt(shop, key, declined, [("COLA", "1")], age=timedelta(days=2))
    purchase_paid_at_counter(purchase_pk=recovered.pk, user_pk=None)
    written_off = debt(shop, key, declined, [("COLA", "3")], age=timedelta(days=3))
    purchase_write_off(purchase_pk=written_off.pk, user_pk=None, reason="Card cancelled")
    simulated = debt(shop, key, declined, [("COLA", "3")], age=timedelta(0))
    Purchase.objects.filter(pk=simulated.pk).update(simulation_run_id=1)
    debt(shop, key, card_shopper("cust-paying", "pm_paying_4242"), [("COLA", "1")], age=timedelta(0))
    debt(europe, key, declined, [("COLA", "1")], age=timedelta(0))
    return shop, europe


def figure(count: int, amount: str) -> Figure:
    return Figure(count=count, amount=Decimal(amount))


USD = BadDebt(
    currency="USD",
    open=figure(3, "41.80"),
    recovered=figure(1, "2.20"),
    written_off=figure(1, "6.60"),
    open_by_age={"0-7": figure(1, "6.60"), "8-30": figure(1, "2.20"), "31+": figure(1, "33.00")},
)
EUR = BadDebt(
    currency="EUR",
    open=figure(1, "2.20"),
    open_by_age={"0-7": figure(1, "2.20"), "8-30": figure(0, "0"), "31+": figure(0, "0")},
)


def test_the_figures_per_currency_for_every_store_and_for_one(debts: tuple[Store, Store]) -> None:
    shop, europe = debts

    assert bad_debt_figures() == [EUR, USD]
    assert bad_debt_figures(store_ids=frozenset({shop.pk})) == [USD]
    assert bad_debt_figures(store_ids=frozenset({europe.pk})) == [EUR]


def test_the_dashboard_shows_the_figures_of_the_users_stores(debts: tuple[Store, Store]) -> None:
    shop, _ = debts
    user = staff_member_create(
        username="one-store", password="pw-one-store-1", role=VIEWER, all_stores=False, stores=[shop]
    )
    client = Client()
    client.force_login(user)

    html = client.get("/").content.decode()

    table = html[html.index('id="bad-debt"') : html.index("</table>", html.index('id="bad-debt"'))]
    assert 'data-currency="USD"' in table
    assert 'data-currency="EUR"' not in table
    assert "3 · 41.80" in table
    assert '<td data-age="0-7">1 · 6.60</td>' in table
    assert '<td data-age="8-30">1 · 2.20</td>' in table
    assert '<td data-age="31+">1 · 33.00</td>' in table
    assert "1 · 2.20</td>\n          <td>1 · 6.60</td>" in table  # recovered, then written off


def test_metrics_give_the_figures_per_store(debts: tuple[Store, Store], settings: Any) -> None:
    settings.JWO_METRICS_TOKEN = TOKEN

    text = Client().get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).content.decode()

    lines = sorted(line for line in text.splitlines() if line.startswith("jwo_bad_debt"))
    assert lines == [
        'jwo_bad_debt_amount{currency="EUR",state="open",store="EU_STORE"} 2.2',
        'jwo_bad_debt_amount{currency="EUR",state="recovered",store="EU_STORE"} 0.0',
        'jwo_bad_debt_amount{currency="EUR",state="written_off",store="EU_STORE"} 0.0',
        'jwo_bad_debt_amount{currency="USD",state="open",store="PAY_STORE"} 41.8',
        'jwo_bad_debt_amount{currency="USD",state="recovered",store="PAY_STORE"} 2.2',
        'jwo_bad_debt_amount{currency="USD",state="written_off",store="PAY_STORE"} 6.6',
        'jwo_bad_debt_open_amount_by_age{age="0-7",currency="EUR",store="EU_STORE"} 2.2',
        'jwo_bad_debt_open_amount_by_age{age="0-7",currency="USD",store="PAY_STORE"} 6.6',
        'jwo_bad_debt_open_amount_by_age{age="31+",currency="EUR",store="EU_STORE"} 0.0',
        'jwo_bad_debt_open_amount_by_age{age="31+",currency="USD",store="PAY_STORE"} 33.0',
        'jwo_bad_debt_open_amount_by_age{age="8-30",currency="EUR",store="EU_STORE"} 0.0',
        'jwo_bad_debt_open_amount_by_age{age="8-30",currency="USD",store="PAY_STORE"} 2.2',
        'jwo_bad_debt_purchases{currency="EUR",state="open",store="EU_STORE"} 1.0',
        'jwo_bad_debt_purchases{currency="EUR",state="recovered",store="EU_STORE"} 0.0',
        'jwo_bad_debt_purchases{currency="EUR",state="written_off",store="EU_STORE"} 0.0',
        'jwo_bad_debt_purchases{currency="USD",state="open",store="PAY_STORE"} 3.0',
        'jwo_bad_debt_purchases{currency="USD",state="recovered",store="PAY_STORE"} 1.0',
        'jwo_bad_debt_purchases{currency="USD",state="written_off",store="PAY_STORE"} 1.0',
    ]


def test_no_debt_no_figures(db: None) -> None:
    assert bad_debt_figures() == []


def test_a_viewer_may_not_charge_the_newest_card_and_nothing_changes(debts: tuple[Store, Store], viewer: User) -> None:
    purchase = Purchase.objects.filter(payment_status="failed", store__store_id="PAY_STORE").first()
    assert purchase is not None
    client = Client()
    client.force_login(viewer)

    response = client.post(f"/orders/purchases/{purchase.pk}/charge-newest-card/")

    assert response.status_code == 403
    purchase.refresh_from_db()
    assert purchase.payment_status == "failed"
    assert not purchase.audits.filter(action="new_card").exists()


def _expired_hold_trip(store: Store, key: str, external_id: str, colas: str, *, card: str = "pm_ok_4242") -> Purchase:
    """A trip whose gate hold (on a good card) expired before its cart was priced; the card on
    the hold is ``card`` when the fresh authorisation is asked."""
    event_id = admitted(store, card_shopper(external_id, "pm_ok_4242"))
    PaymentAuthorisation.objects.filter(auth_event_id=event_id).update(
        created_at=timezone.now() - timedelta(hours=169), card_reference=card
    )
    shopper = Shopper.objects.get(external_id=external_id)
    return bought(key, purchase_body(store, shopper, event_id, [("COLA", colas)]))


def test_expired_holds_are_reported_re_authorised_or_became_debt(db: None, key: str, settings: Any) -> None:
    settings.JWO_METRICS_TOKEN = TOKEN
    shop = payments_store()
    reauthorised = _expired_hold_trip(shop, key, "cust-reauth", "1")  # 2.20, authorised afresh
    declined = _expired_hold_trip(shop, key, "cust-declined", "3", card="pm_gone_0002")  # 6.60, refused afresh
    simulated = _expired_hold_trip(shop, key, "cust-simulated", "1")
    Purchase.objects.filter(pk=simulated.pk).update(simulation_run_id=1)
    StorePayment.objects.filter(store=shop).update(expired_hold_policy="debt")
    by_policy = _expired_hold_trip(shop, key, "cust-policy", "1")  # 2.20, debt by the store's policy
    user = staff_member_create(username="figures", password="pw-figures-1", role=VIEWER, all_stores=True)
    client = Client()
    client.force_login(user)

    figures = bad_debt_figures()
    html = client.get("/").content.decode()
    metrics = Client().get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).content.decode()

    assert [
        Purchase.objects.get(pk=purchase.pk).payment_status for purchase in (reauthorised, declined, by_policy)
    ] == ["captured", "failed", "failed"]
    assert figures == [
        BadDebt(
            currency="USD",
            open=figure(2, "8.80"),
            open_by_age={"0-7": figure(2, "8.80"), "8-30": figure(0, "0"), "31+": figure(0, "0")},
            expired_reauthorised=figure(1, "2.20"),
            expired_debt=figure(2, "8.80"),
        )
    ]
    table = html[html.index('id="bad-debt"') : html.index("</table>", html.index('id="bad-debt"'))]
    assert "re-authorised 1, became debt 2" in table
    assert sorted(line for line in metrics.splitlines() if line.startswith("jwo_expired_holds{")) == [
        'jwo_expired_holds{currency="USD",outcome="debt",store="PAY_STORE"} 2.0',
        'jwo_expired_holds{currency="USD",outcome="reauthorised",store="PAY_STORE"} 1.0',
    ]
