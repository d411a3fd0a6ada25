"""One store day worked out by hand, shared by the settlement, export and sales-report tests.

Kiritimati (UTC+14, AUD), 7 Dec 2026 on its clock = 2026-12-06 10:00 to 2026-12-07 10:00 UTC:

- P1, 6 Dec 23:30 UTC (13:30 there): COLA 2 × 2.50 = 5.00 − 1.00 promotion = 4.00 + 10 % tax 0.40,
  BREAD 3.00 + 5 % 0.15; total 7.55, captured, 3.15 refunded (and a failed refund of 1.00).
- P2, 7 Dec 01:00 UTC (15:00): COLA 4 × 2.50 = 10.00 − 2.00 = 8.00 + 10 % 0.80; total 8.80, not captured yet.
- P3, 7 Dec 02:00 UTC (16:00): BREAD 2 × 3.00 = 6.00 + 5 % 0.30; total 6.30, written off.
- P4, 7 Dec 03:00 UTC (17:00): an empty cart, not charged.

Left out: P5 at 6 Dec 09:30 UTC (23:30 on 6 Dec there, the day before), a simulated purchase, the
other store's purchase at the same time. Gate: 4 real admissions that day, plus a refusal, a
simulated admission and an admission the day before.
"""

import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from catalog.models import Product, Store
from entry.models import GateDecisionKind, GateEvent, GateReason
from orders.models import (
    PaymentOperation,
    PaymentStatus,
    Purchase,
    PurchaseLine,
    PurchaseStatus,
    Refund,
)

DAY = date(2026, 12, 7)
NOW = datetime(2026, 12, 7, 5, 0, tzinfo=UTC)  # 19:00 on 7 Dec in Kiritimati
FORMULA = '=HYPERLINK("http://example.com","x")'


@dataclass(frozen=True)
class World:
    store: Store
    other: Store
    purchases: dict[str, Purchase]


def _purchase(store: Store, name: str, at: datetime, **fields: Any) -> Purchase:
    values: dict[str, Any] = {
        "trip_id": f"trip-{name.lower()}-{store.store_id.lower()}",
        "purchase_id": f"PO-{store.store_id}-{name}",
        "store": store,
        "status": PurchaseStatus.PRICED,
        "started_at": at - timedelta(minutes=10),
        "ended_at": at,
        "currency": store.currency,
        "request_body": {},
        "request_fingerprint": "f" * 64,
        "response_body": {},
        "receipt_token": secrets.token_urlsafe(12),
        **fields,
    }
    purchase = Purchase.objects.create(**values)
    Purchase.objects.filter(pk=purchase.pk).update(created_at=at)
    purchase.refresh_from_db()
    return purchase


def _line(purchase: Purchase, position: int, product: Product, quantity: str, **amounts: str) -> PurchaseLine:
    return PurchaseLine.objects.create(
        purchase=purchase,
        position=position,
        item_id=product.sku,
        item_type="SKU",
        product=product,
        sku=product.sku,
        name=product.name,
        quantity=Decimal(quantity),
        unit="unit",
        priced_quantity=Decimal(quantity),
        priced_unit="unit",
        unit_price=product.price,
        **{name: Decimal(value) for name, value in amounts.items()},
    )


def _admission(store: Store, at: datetime, *, decision: str = GateDecisionKind.ADMITTED, **fields: Any) -> None:
    event = GateEvent.objects.create(
        store=store,
        store_ref=store.store_id,
        decision=decision,
        reason=GateReason.ADMITTED if decision == GateDecisionKind.ADMITTED else GateReason.BLOCKED,
        status_code=200,
        response_body={},
        latency_ms=1.0,
        **fields,
    )
    GateEvent.objects.filter(pk=event.pk).update(created_at=at)


def settlement_world(other_store: Store) -> World:
    store = Store.objects.create(
        store_id="KIRITIMATI", name="Kiritimati", currency="AUD", time_zone="Pacific/Kiritimati"
    )
    cola = Product.objects.create(store=store, sku="COLA", name="Cola", price=Decimal("2.50"), category="Drinks")
    bread = Product.objects.create(store=store, sku="BREAD", name=FORMULA, price=Decimal("3.00"), category="Bakery")

    p1 = _purchase(
        store, "P1", datetime(2026, 12, 6, 23, 30, tzinfo=UTC),
        subtotal=Decimal("8"), discount_total=Decimal("1"), tax_total=Decimal("0.55"), total=Decimal("7.55"),
        payment_status=PaymentStatus.CAPTURED, captured_total=Decimal("7.55"), refunded_total=Decimal("3.15"),
    )  # fmt: skip
    _line(p1, 1, cola, "2", gross="5", discount_total="1", net="4", tax_rate="0.10", tax="0.40", total="4.40")
    _line(p1, 2, bread, "1", gross="3", net="3", tax_rate="0.05", tax="0.15", total="3.15")
    refund = Refund.objects.create(purchase=p1, amount=Decimal("3.15"), reason=FORMULA, status=Refund.Status.SUCCEEDED)
    Refund.objects.create(purchase=p1, amount=Decimal("1.00"), reason="declined", status=Refund.Status.FAILED)
    PaymentOperation.objects.create(
        kind="capture", idempotency_key="capture-p1", purchase=p1, amount=Decimal("7.55"), currency="AUD",
        outcome="approved", gateway_reference="ch_1",
    )  # fmt: skip
    PaymentOperation.objects.create(
        kind="refund", idempotency_key="refund-p1", purchase=p1, refund=refund, amount=Decimal("3.15"),
        currency="AUD", outcome="approved", gateway_reference="re_1",
    )  # fmt: skip

    p2 = _purchase(
        store, "P2", datetime(2026, 12, 7, 1, 0, tzinfo=UTC),
        subtotal=Decimal("10"), discount_total=Decimal("2"), tax_total=Decimal("0.80"), total=Decimal("8.80"),
        payment_status=PaymentStatus.PENDING,
    )  # fmt: skip
    _line(p2, 1, cola, "4", gross="10", discount_total="2", net="8", tax_rate="0.10", tax="0.80", total="8.80")

    p3 = _purchase(
        store, "P3", datetime(2026, 12, 7, 2, 0, tzinfo=UTC),
        subtotal=Decimal("6"), tax_total=Decimal("0.30"), total=Decimal("6.30"),
        payment_status=PaymentStatus.NOT_CHARGED,
    )  # fmt: skip
    _line(p3, 1, bread, "2", gross="6", net="6", tax_rate="0.05", tax="0.30", total="6.30")

    p4 = _purchase(
        store, "P4", datetime(2026, 12, 7, 3, 0, tzinfo=UTC),
        status=PurchaseStatus.EMPTY, purchase_id="", payment_status=PaymentStatus.NOT_CHARGED,
    )  # fmt: skip

    p5 = _purchase(
        store, "P5", datetime(2026, 12, 6, 9, 30, tzinfo=UTC),
        subtotal=Decimal("100"), total=Decimal("100"), payment_status=PaymentStatus.CAPTURED,
        captured_total=Decimal("100"),
    )  # fmt: skip
    _line(p5, 1, cola, "40", gross="100", net="100", total="100")
    simulated = _purchase(
        store, "SIM", datetime(2026, 12, 7, 0, 0, tzinfo=UTC), simulation_run_id=1,
        subtotal=Decimal("50"), total=Decimal("50"), payment_status=PaymentStatus.CAPTURED,
        captured_total=Decimal("50"),
    )  # fmt: skip
    _line(simulated, 1, cola, "20", gross="50", net="50", total="50")
    bravo = _purchase(
        other_store, "BRAVO", datetime(2026, 12, 7, 1, 0, tzinfo=UTC),
        subtotal=Decimal("9"), total=Decimal("9"), payment_status=PaymentStatus.CAPTURED,
        captured_total=Decimal("9"),
    )  # fmt: skip
    other_product = Product.objects.create(store=other_store, sku="BRAVO-SKU", name="Bravo Beer", price=Decimal("9"))
    _line(bravo, 1, other_product, "1", gross="9", net="9", total="9")
    PaymentOperation.objects.create(
        kind="capture", idempotency_key="capture-bravo", purchase=bravo, amount=Decimal("9"), currency="EUR",
        outcome="approved", gateway_reference="ch_bravo",
    )  # fmt: skip
    Refund.objects.create(purchase=bravo, amount=Decimal("1"), reason="Bravo refund", status=Refund.Status.SUCCEEDED)

    for hour in (11, 20, 23):
        _admission(store, datetime(2026, 12, 6, hour, 0, tzinfo=UTC))
    _admission(store, datetime(2026, 12, 7, 9, 59, tzinfo=UTC))
    _admission(store, datetime(2026, 12, 7, 1, 0, tzinfo=UTC), decision=GateDecisionKind.REFUSED)
    _admission(store, datetime(2026, 12, 7, 1, 0, tzinfo=UTC), simulation_run_id=1)
    _admission(store, datetime(2026, 12, 6, 9, 59, tzinfo=UTC))  # 23:59 the day before
    _admission(other_store, datetime(2026, 12, 7, 1, 0, tzinfo=UTC))
    return World(
        store=store,
        other=other_store,
        purchases={"P1": p1, "P2": p2, "P3": p3, "P4": p4, "P5": p5, "SIM": simulated, "BRAVO": bravo},
    )
