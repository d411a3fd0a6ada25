"""Issue 19's "Done when", as README's `make run` walk-through tells it, in headless Chromium: the
demo `make run` seeds (``manage.py demo_seed``), then a simulated day played by the store
simulator against the running app; staff then read the settlement of the lost cart's day (every
figure worked out here from the stored purchases, payments and refunds, and the day adds up),
find the lost cart in the reconciliation queue, export the day as XLSX, and see the repeat
offender blocked with the reason, which the gate then refuses."""

import io
import json
import shlex
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.utils import timezone
from openpyxl import load_workbook

from catalog.models import Store
from entry.models import GateEvent, Shopper
from operations.models import SimulationRun, SimulationStatus
from orders.demo import DEMO_LOST_CART_EVENT
from orders.models import PaymentOperation, Purchase, Refund
from orders.services.payments.refunds import refund_create
from tests.conftest import PASSWORD, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CENT = Decimal("0.01")
OUTSTANDING = {"pending", "on_hold", "failed", "at_counter"}


@dataclass(frozen=True)
class DayByHand:
    """A store day's settlement added up here, row by row, from what is stored."""

    trips: int
    purchases: list[Purchase]
    priced: int
    gross: Decimal
    promotions: Decimal
    total: Decimal
    captured: Decimal
    paid_at_counter: Decimal
    outstanding: Decimal
    written_off: Decimal
    refunds: Decimal


def day_by_hand(store: Store, day: date, simulation_run: int | None = None) -> DayByHand:
    """Real rows, or ``simulation_run``'s only."""
    start = datetime.combine(day, time.min, tzinfo=store.zone)
    end = datetime.combine(day + timedelta(days=1), time.min, tzinfo=store.zone)
    run: dict[str, Any] = (
        {"simulation_run_id__isnull": True} if simulation_run is None else {"simulation_run_id": simulation_run}
    )
    events = GateEvent.objects.filter(store=store, decision="admitted", **run)
    purchases = [
        purchase
        for purchase in Purchase.objects.filter(store=store, **run).order_by("pk")
        if start <= purchase.created_at < end
    ]
    priced = [purchase for purchase in purchases if purchase.status == "priced"]
    charged = [purchase for purchase in purchases if purchase.payment_status == "captured"]
    captures = PaymentOperation.objects.filter(purchase__in=charged, kind="capture", outcome="approved")
    refunds = Refund.objects.filter(purchase__in=purchases, status="succeeded")
    return DayByHand(
        trips=sum(1 for event in events if start <= event.created_at < end),
        purchases=purchases,
        priced=len(priced),
        gross=sum((purchase.subtotal for purchase in priced), Decimal(0)),
        promotions=sum((purchase.discount_total for purchase in priced), Decimal(0)),
        total=sum((purchase.total for purchase in priced), Decimal(0)),
        # what the card gateway approved, not the purchase's own captured_total
        captured=sum((operation.amount or Decimal(0) for operation in captures), Decimal(0)),
        paid_at_counter=sum((p.total for p in purchases if p.payment_status == "paid_at_counter"), Decimal(0)),
        outstanding=sum((p.total for p in priced if p.payment_status in OUTSTANDING), Decimal(0)),
        written_off=sum((p.total for p in purchases if p.payment_status == "not_charged"), Decimal(0)),
        refunds=sum((refund.amount for refund in refunds), Decimal(0)),
    )


SETTLEMENT_FIGURES = (
    "purchases-priced",
    "gross",
    "promotions",
    "total",
    "captured",
    "paid-at-counter",
    "outstanding",
    "written-off",
    "refunds",
    "net-collected",
)


def figures_by_hand(by_hand: DayByHand) -> dict[str, str]:
    """The settlement page's money table as it must read for ``by_hand``."""
    return {
        "purchases-priced": str(by_hand.priced),
        "gross": shown(by_hand.gross),
        "promotions": f"−{shown(by_hand.promotions)}",
        "total": shown(by_hand.total),
        "captured": shown(by_hand.captured),
        "paid-at-counter": shown(by_hand.paid_at_counter),
        "outstanding": shown(by_hand.outstanding),
        "written-off": shown(by_hand.written_off),
        "refunds": f"−{shown(by_hand.refunds)}",
        "net-collected": shown(by_hand.captured + by_hand.paid_at_counter - by_hand.refunds),
    }


def shown(amount: Decimal) -> str:
    """As the page writes US dollars: cents, thousands separated."""
    return f"{amount.quantize(CENT):,}"


def xlsx_rows(download: Any) -> list[list[Any]]:
    sheet = load_workbook(io.BytesIO(Path(download.path()).read_bytes()), read_only=True).active
    return [list(row) for row in sheet.iter_rows(values_only=True)]


@pytest.fixture
def demo(tmp_path: Path, settings: Any) -> dict[str, str]:
    """`make run`'s seed, with the test password so staff sign in as the fixtures do."""
    settings.VAR_DIR = tmp_path / "var"
    out = StringIO()
    call_command("demo_seed", "--products", "200", "--password", PASSWORD, stdout=out)
    printed = out.getvalue()
    return {"connector_key": printed.split("Connector key (shown once): ")[1].split()[0], "printed": printed}


def test_after_a_simulated_day_the_money_view_adds_up_and_the_problems_are_shown(
    page: Any, live_server: Any, demo: dict[str, str]
) -> None:
    store = Store.objects.get(store_id="DEMO-STORE-001")
    yesterday = timezone.localtime(timezone.now(), store.zone).date() - timedelta(days=1)

    # A simulated day at the demo store, as staff start one from *Simulator*.
    simulated = StringIO()
    call_command(
        "store_simulate",
        *("--base-url", live_server.url, "--store", store.store_id, "--gates", "2", "--shoppers", "12"),
        *("--seconds", "2", "--seed", "3", "--no-progress"),
        stdout=simulated,
    )
    run = SimulationRun.objects.get()
    assert run.status == SimulationStatus.PASSED, simulated.getvalue()
    finance = run.summary["invariants"][-1]
    assert (finance["name"], finance["ok"]) == (
        "every trip reconciled; captures less refunds equal the totals less refunds",
        True,
    )
    assert Purchase.objects.filter(simulation_run_id=run.pk).count() > 0

    # Finance gives 1.00 back on one of yesterday's charged purchases (a refund counts on its purchase's day).
    by_hand = day_by_hand(store, yesterday)
    charged = [purchase for purchase in by_hand.purchases if purchase.payment_status == "captured"]
    assert charged, "the demo charges purchases every day"
    refund = refund_create(
        purchase_pk=charged[0].pk, reason="Crushed box", user_pk=None, amount=Decimal("1.00"), reason_code="damaged"
    )
    refund.refresh_from_db()
    assert refund.status == "succeeded"
    by_hand = day_by_hand(store, yesterday)

    # The day adds up: every priced purchase's total is captured, paid at the counter, outstanding or written off.
    assert by_hand.trips == 1  # the lost cart's admission; the demo's trips come without a gate event
    assert by_hand.refunds == Decimal("1.00")
    assert by_hand.captured == sum((purchase.captured_total for purchase in charged), Decimal(0))
    assert by_hand.total == by_hand.captured + by_hand.paid_at_counter + by_hand.outstanding + by_hand.written_off
    tax = sum((p.tax_total for p in by_hand.purchases if p.status == "priced"), Decimal(0))
    assert by_hand.total == by_hand.gross - by_hand.promotions + tax  # the demo store's prices exclude tax
    sign_in(page, live_server.url, "store")
    page.goto(f"{live_server.url}/orders/settlement/?store={store.pk}&day={yesterday:%Y-%m-%d}")
    assert page.inner_text("#settlement-day") == f"{yesterday:%A %Y-%m-%d}"
    assert page.inner_text("#settlement-trips .trips") == str(by_hand.trips)
    assert page.inner_text("#settlement-trips .purchases") == str(len(by_hand.purchases))
    money = page.locator("#settlement-USD")
    assert {figure: money.locator(f".{figure}").inner_text() for figure in SETTLEMENT_FIGURES} == figures_by_hand(
        by_hand
    )
    assert page.locator("#simulated-banner").count() == 0

    # Today's page, the simulated day's: the simulator's admissions and purchases are not real money.
    today = day_by_hand(store, yesterday + timedelta(days=1))
    page.goto(f"{live_server.url}/orders/settlement/?store={store.pk}")
    assert page.inner_text("#settlement-trips .trips") == str(today.trips) == "0"
    assert page.inner_text("#settlement-trips .purchases") == str(len(today.purchases))
    assert GateEvent.objects.filter(simulation_run_id=run.pk, decision="admitted").count() > 0

    # Picking the run shows its day's settlement alone, labelled as not real money, and it adds up.
    simulated_day = timezone.localtime(run.started_at, store.zone).date()
    page.select_option("#id_simulation_run", label=f"Simulation #{run.pk} ({simulated_day:%Y-%m-%d})")
    page.click("form.filters button[type=submit]")
    page.wait_for_selector("#simulated-banner")
    assert page.inner_text("#simulated-banner strong") == "Simulated — not real money."
    assert page.inner_text("#settlement-day") == f"{simulated_day:%A %Y-%m-%d}"
    simulated_by_hand = day_by_hand(store, simulated_day, simulation_run=run.pk)
    assert simulated_by_hand.trips == GateEvent.objects.filter(simulation_run_id=run.pk, decision="admitted").count()
    assert simulated_by_hand.priced > 0
    assert simulated_by_hand.total == (
        simulated_by_hand.captured
        + simulated_by_hand.paid_at_counter
        + simulated_by_hand.outstanding
        + simulated_by_hand.written_off
    )
    assert page.inner_text("#settlement-trips .trips") == str(simulated_by_hand.trips)
    assert page.inner_text("#settlement-trips .purchases") == str(len(simulated_by_hand.purchases))
    money = page.locator("#settlement-USD")
    assert {figure: money.locator(f".{figure}").inner_text() for figure in SETTLEMENT_FIGURES} == figures_by_hand(
        simulated_by_hand
    )
    assert page.locator("#settlement-exports").count() == 0  # exports are of real money only
    page.goto(f"{live_server.url}/orders/settlement/?store={store.pk}&day={yesterday:%Y-%m-%d}")

    # Finance exports the day as XLSX: the settlement row, and the purchases behind it.
    with page.expect_download() as settlement_file:
        page.click("#export-settlement-xlsx")
    rows = xlsx_rows(settlement_file.value)
    assert rows[0][:15] == [
        "store_id", "day", "currency", "trips", "purchases", "purchases_priced", "gross", "promotions", "tax",
        "total", "refunds", "captured", "paid_at_counter", "outstanding", "written_off",
    ]  # fmt: skip
    assert len(rows) == 2
    figures = [Decimal(str(value)) for value in rows[1][6:15]]
    assert rows[1][:6] == ["DEMO-STORE-001", rows[1][1], "USD", by_hand.trips, len(by_hand.purchases), by_hand.priced]
    assert rows[1][1].date() == yesterday
    assert figures[:2] + figures[3:] == [
        by_hand.gross.quantize(CENT),
        by_hand.promotions.quantize(CENT),
        by_hand.total.quantize(CENT),
        by_hand.refunds.quantize(CENT),
        by_hand.captured.quantize(CENT),
        by_hand.paid_at_counter.quantize(CENT),
        by_hand.outstanding.quantize(CENT),
        by_hand.written_off.quantize(CENT),
    ]
    with page.expect_download() as purchases_file:
        page.click("#export-purchases-xlsx")
    rows = xlsx_rows(purchases_file.value)
    header = rows[0]
    exported = [dict(zip(header, row, strict=True)) for row in rows[1:]]
    assert sorted(row["purchase_id"] for row in exported) == sorted(p.purchase_id for p in by_hand.purchases)
    assert {row["purchase_id"]: Decimal(str(row["total"])) for row in exported} == {
        p.purchase_id: p.total for p in by_hand.purchases
    }
    assert sum(Decimal(str(row["refunded_total"])) for row in exported) == by_hand.refunds

    # The deliberately lost cart waits in the reconciliation queue.
    page.goto(f"{live_server.url}/orders/reconciliation/?store={store.pk}")
    lost = page.locator("#reconciliation-queue tbody tr", has_text=DEMO_LOST_CART_EVENT)
    cells = lost.locator("td").all_inner_texts()
    assert cells[:4] == [
        f"{yesterday:%Y-%m-%d}",
        "Demo Market Downtown",
        "Missing cart (admitted, no purchase)",
        DEMO_LOST_CART_EVENT,
    ]

    # The repeat offender is blocked with the reason, and the gate refuses them with it.
    offender = Shopper.objects.get(external_id="cust-demo-declined")
    page.goto(f"{live_server.url}/entry/shoppers/{offender.pk}/")
    assert page.inner_text("#shopper-status") == "Blocked"
    assert page.inner_text("#status-reason") == "Reason: 2 unpaid debts in 30 days"
    printed = StringIO()
    call_command("identity_key", offender.external_id, "--store", store.store_id, "--force", stdout=printed)
    curl = shlex.split(printed.getvalue().splitlines()[-1])
    answer = page.request.post(
        f"{live_server.url}/v1/identity/identity-keys",
        data=curl[curl.index("-d") + 1],
        headers={"Content-Type": "application/json", django_settings.JWO_CONNECTOR_KEY_HEADER: demo["connector_key"]},
    )
    assert answer.status == 401
    refused = GateEvent.objects.get(auth_event_id=json.loads(curl[curl.index("-d") + 1])["authEvent"]["id"])
    assert (refused.decision, refused.reason, refused.detail) == ("refused", "blocked", "2 unpaid debts in 30 days")
    page.goto(f"{live_server.url}/entry/gate-log/")
    row = page.locator(f'tr[data-event="{refused.pk}"] td').all_inner_texts()
    assert row[3:6] == ["Shopper blocked", "2 unpaid debts in 30 days", offender.name]

    # Staff review the block: lifting it takes a reason, kept in the shopper's history beside the rule's block.
    page.goto(f"{live_server.url}/entry/shoppers/{offender.pk}/")
    page.click("#reinstate-shopper")  # no reason: the browser asks for one, nothing is sent
    assert page.evaluate("document.querySelector('#reinstate-form input[name=reason]').validity.valueMissing")
    offender.refresh_from_db()
    assert offender.status == "blocked"
    page.get_by_label("Reason to unblock").fill("New card on file; both debts paid at the counter")
    page.click("#reinstate-shopper")
    page.wait_for_selector("#shopper-status >> text=Active")
    history = [row.locator("td").all_inner_texts()[1:] for row in page.locator("#status-history tbody tr").all()]
    assert history[:2] == [
        ["Blocked", "Active", "New card on file; both debts paid at the counter", "store"],
        ["Flagged (under review)", "Blocked", "2 unpaid debts in 30 days", "not staff (a rule or a command)"],
    ]
