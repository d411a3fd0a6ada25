"""The whole life of a store, on real processes: gunicorn with production settings, a Celery
worker with beat, the SNS → SQS results consumer, the fake Amazon with moto, PostgreSQL and Redis.

Import a catalog → sync it to Amazon → item results back through SNS → SQS → shoppers enter →
carts priced (a replay, an empty cart, a bad cart) → payments captured → receipts; and a staff
user resolves the bad cart in headless Chromium. Everything goes through the app's own doors
(management commands, HTTP, the browser); the assertions read the database and the pages.
"""

import base64
import time
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
import pytest
import requests

from tests.conftest import PASSWORD
from tests.e2e.conftest import STORE_ID
from tests.e2e.processes import Stack, wait_until

pytestmark = [pytest.mark.browser]


def ean13(base: str) -> str:
    total = sum(int(digit) * (3 if index % 2 else 1) for index, digit in enumerate(base))
    return base + str((10 - total % 10) % 10)


def one(sql: psycopg.Connection[Any], query: str, *params: Any) -> Any:
    row = sql.execute(query, params).fetchone()
    return row[0] if row and len(row) == 1 else row


def stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def catalog_file(path: Path) -> Path:
    rows = ["item_sku,item_name,external_product_id,external_product_id_type,standard_price,product_tax_code,unit"]
    for number in range(1, 41):
        rows.append(
            f"E2E-{number:03d},Thing {number},{ean13(f'40012345{number:04d}')},EAN,{number % 9 + 1}.49,GENERAL,each"
        )
    rows.append(f"E2E-APPLES,Apples,{ean13('400123459999')},EAN,3.20,GENERAL,kg")
    path.write_text("\n".join(rows) + "\n")
    return path


def cart(trip: str, event_id: str, shopper: str, lines: list[tuple[str, str, str]]) -> dict[str, Any]:
    end = datetime.now(UTC)
    return {
        "requestId": str(uuid.uuid4()),
        "idempotentShoppingTripId": trip,
        "storeId": STORE_ID,
        "shoppingTrip": {
            "startTime": stamp(end - timedelta(minutes=5)),
            "endTime": stamp(end),
            "authEvents": [
                {
                    "id": event_id,
                    "timestamp": stamp(end - timedelta(minutes=5)),
                    "location": "ENTRY",
                    "payloadType": "SCAN_CODE",
                    "scanResult": {"id": shopper, "type": "SHOPPER"},
                }
            ],
        },
        "cartItems": [
            {"id": sku, "type": "SKU", "quantity": {"value": value, "unit": unit}, "lineItemId": f"li-{n}"}
            for n, (sku, value, unit) in enumerate(lines)
        ],
    }


def test_the_life_of_a_store(stack: Stack, sql: psycopg.Connection[Any], page: Any) -> None:
    started = time.monotonic()
    base = stack.env["E2E_BASE_URL"]
    stack.manage(
        "shell", "-c",
        "from decimal import Decimal; from catalog.services.stores import store_create; "
        "from orders.models import TaxRate; from catalog.services.staff_stores import staff_member_create; "
        f"store = store_create(store_id='{STORE_ID}', name='E2E store', currency='USD'); "
        "TaxRate.objects.create(store=store, tax_code='GENERAL', rate=Decimal('0.08'), is_default=True); "
        f"staff_member_create(username='manager', password='{PASSWORD}', role='Store manager', stores=[store], "
        "all_stores=False)",
    )  # fmt: skip

    # 1. Import the catalog.
    stack.manage(
        "catalog_import", str(catalog_file(stack.workdir / "catalog.csv")), "--store", STORE_ID, "--no-progress"
    )
    assert one(sql, "SELECT count(*) FROM catalog_product") == 41

    # 2. Sync to Amazon; results come back through SNS → SQS → the consumer process.
    stack.manage("catalog_upload", "--store", STORE_ID, "--wait", "--timeout", "120", "--no-progress", timeout=200)
    assert sql.execute("SELECT result, count(*) FROM catalog_syncitem GROUP BY result").fetchall() == [("accepted", 41)]
    wait_until(
        "a notification applied",
        lambda: one(sql, "SELECT count(*) FROM catalog_inboundmessage WHERE status='applied'"),
        stack,
    )

    # 3. Shoppers enter through the app API and the Identity Connector.
    key = stack.manage("connector_key", "create", "--name", "gateway").splitlines()[1].strip()
    headers = {"X-JWO-Connector-Key": key}
    shoppers = ["e2e-ann", "e2e-bob", "e2e-cy", "e2e-dee"]
    events = {}
    for shopper in shoppers:
        stack.manage("shopper_add", shopper, "--name", shopper, "--email", f"{shopper}@example.com",
                     "--password", "shopper-pass-123", "--card", "12/2099")  # fmt: skip
        token = requests.post(f"{base}/api/app/v1/token", json={"email": f"{shopper}@example.com",
                              "password": "shopper-pass-123"}, timeout=10).json()["token"]  # fmt: skip
        issued = requests.post(f"{base}/api/app/v1/scan-keys", json={"storeId": STORE_ID},
                               headers={"Authorization": f"Token {token}"}, timeout=10)  # fmt: skip
        assert issued.status_code == 201, issued.text
        events[shopper] = str(uuid.uuid4())
        answer = requests.post(
            f"{base}/v1/identity/identity-keys",
            json={
                "requestId": str(uuid.uuid4()),
                "identityKey": base64.b64encode(issued.json()["code"].encode()).decode(),
                "storeId": STORE_ID,
                "authEvent": {"id": events[shopper], "timestamp": stamp(datetime.now(UTC)), "location": "ENTRY"},
            },
            headers=headers,
            timeout=10,
        )
        assert (answer.status_code, answer.json()) == (200, {"visitorDetails": {"id": shopper, "type": "SHOPPER"}})
    wait_until(
        "four holds placed",
        lambda: one(sql, "SELECT count(*) FROM orders_paymentauthorisation WHERE status='authorised'") == 4,
        stack,
    )

    # 4. Carts priced: two normal ones (one with the weight item, sent twice), an empty one, a bad one.
    trips = {shopper: str(uuid.uuid4()) for shopper in shoppers}
    lines: dict[str, list[tuple[str, str, str]]] = {
        "e2e-ann": [("E2E-001", "2", "unit"), ("E2E-APPLES", "0.532", "kg")],
        "e2e-bob": [("E2E-002", "1", "unit")],
        "e2e-cy": [],
        "e2e-dee": [("E2E-003", "1", "unit"), ("NOT-IN-CATALOG", "1", "unit")],
    }
    bodies = {shopper: cart(trips[shopper], events[shopper], shopper, lines[shopper]) for shopper in shoppers}
    answers = {}
    for shopper, body in bodies.items():
        response = requests.post(f"{base}/v1/order/purchases", json=body, headers=headers, timeout=10)
        assert response.status_code == 201, response.text
        answers[shopper] = response.json()["purchaseId"]
    replay = requests.post(f"{base}/v1/order/purchases", json={**bodies["e2e-ann"], "requestId": str(uuid.uuid4())},
                           headers=headers, timeout=10)  # fmt: skip
    assert replay.json() == {"purchaseId": answers["e2e-ann"]}
    assert answers["e2e-cy"] == ""
    assert one(sql, "SELECT count(*) FROM orders_purchase") == 4
    assert one(sql, "SELECT replays FROM orders_purchase WHERE trip_id = %s", trips["e2e-ann"]) == 1
    # 2 × 2.49 = 4.98 + tax 0.3984 → 0.40; 0.532 kg × 3.20 = 1.7024 → 1.70 + tax 0.136 → 0.14: 7.22
    # (tax is rounded per line: on the sum it would be 0.53)
    assert one(sql, "SELECT total FROM orders_purchase WHERE trip_id = %s", trips["e2e-ann"]) == Decimal("7.22")

    # 5. Payments: the worker captures the priced carts and releases the empty one's hold.
    def settled() -> bool:
        rows = dict(sql.execute("SELECT trip_id, payment_status FROM orders_purchase").fetchall())
        return (rows[trips["e2e-ann"]], rows[trips["e2e-bob"]], rows[trips["e2e-cy"]]) == (
            "captured",
            "captured",
            "voided",
        )

    wait_until("payments settled", settled, stack)
    assert one(sql, "SELECT captured_total = total FROM orders_purchase WHERE trip_id = %s", trips["e2e-ann"]) is True
    assert one(sql, "SELECT payment_status FROM orders_purchase WHERE trip_id = %s", trips["e2e-dee"]) == "on_hold"

    # 6. The receipt page.
    token = one(sql, "SELECT receipt_token FROM orders_purchase WHERE trip_id = %s", trips["e2e-ann"])
    receipt = requests.get(f"{base}/receipts/{token}/", timeout=10)
    assert receipt.status_code == 200
    assert "Apples" in receipt.text
    assert "7.22" in receipt.text

    # 7. A store manager resolves the bad cart in the browser; the worker then charges it.
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", "manager")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")
    page.click("nav >> text=Orders")
    page.click("nav.subnav >> text=Bad carts")
    page.click(f'[data-purchase="{answers["e2e-dee"]}"] a')
    page.fill('[data-map-line="2"] input[name="product"]', "E2E-004")
    page.click('[data-map-line="2"] button')
    page.click("#reprice")
    page.click("#charge")
    wait_until(
        "the bad cart charged",
        lambda: (
            one(sql, "SELECT payment_status FROM orders_purchase WHERE trip_id = %s", trips["e2e-dee"]) == "captured"
        ),
        stack,
    )
    page.reload()
    assert "Captured" in page.inner_text("main")
    assert one(sql, "SELECT status FROM orders_purchase WHERE trip_id = %s", trips["e2e-dee"]) == "priced"
    print(f"store life: {time.monotonic() - started:.0f} s")  # noqa: T201
