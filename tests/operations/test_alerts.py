"""Each alert fires on data that should fire it, and not on data just short of its threshold."""

import uuid
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.utils import timezone

from catalog.models import BatchStatus, InboundMessage, SyncRun, UploadBatch
from entry.models import GateDecisionKind, GateEvent, GateReason
from operations.selectors.alerts import alerts_now
from orders.models import PaymentStatus, Purchase, PurchaseStatus

NOW = timezone.now()


def purchase(store: Any, *, status: str, payment_status: str = PaymentStatus.PENDING, age: timedelta) -> Purchase:
    created = Purchase.objects.create(
        trip_id=str(uuid.uuid4()),
        purchase_id=f"PO-{uuid.uuid4().hex[:8]}",
        store=store,
        status=status,
        payment_status=payment_status,
        started_at=NOW,
        ended_at=NOW,
        currency="USD",
        total=Decimal("5.00"),
        request_body={},
        request_fingerprint="x",
        response_body={},
    )
    Purchase.objects.filter(pk=created.pk).update(created_at=NOW - age)
    return created


def keys() -> list[str]:
    return [alert.key for alert in alerts_now(now=NOW)]


def test_nothing_to_say_about_a_quiet_store(store: Any) -> None:
    assert alerts_now(now=NOW) == []


def test_a_bad_cart_older_than_the_threshold_is_a_cart_not_priced(store: Any, settings: Any) -> None:
    settings.JWO_ALERT_UNPRICED_MINUTES = 5
    purchase(store, status=PurchaseStatus.BAD_CART, age=timedelta(minutes=4, seconds=50))
    assert keys() == []
    purchase(store, status=PurchaseStatus.BAD_CART, age=timedelta(minutes=6))
    [alert] = alerts_now(now=NOW)
    assert (alert.key, alert.severity, alert.url) == ("unpriced", "critical", "/orders/bad-carts/")
    assert alert.message == "1 cart received more than 5 min ago not priced (bad carts)"


def test_a_priced_purchase_not_charged_in_time(store: Any, settings: Any) -> None:
    settings.JWO_ALERT_UNCHARGED_MINUTES = 30
    purchase(store, status=PurchaseStatus.PRICED, age=timedelta(minutes=29))
    purchase(store, status=PurchaseStatus.PRICED, payment_status=PaymentStatus.CAPTURED, age=timedelta(hours=2))
    purchase(store, status=PurchaseStatus.PRICED, payment_status=PaymentStatus.NOT_CHARGED, age=timedelta(hours=2))
    assert keys() == []
    purchase(store, status=PurchaseStatus.PRICED, age=timedelta(minutes=31))
    purchase(store, status=PurchaseStatus.PRICED, payment_status=PaymentStatus.FAILED, age=timedelta(hours=1))
    [alert] = alerts_now(now=NOW)
    assert (alert.key, alert.message) == ("uncharged", "2 priced purchases not charged after 30 min")


def gate_events(store: Any, *, refused: int, admitted: int, age: timedelta) -> None:
    for decision, count in ((GateDecisionKind.REFUSED, refused), (GateDecisionKind.ADMITTED, admitted)):
        for _ in range(count):
            event = GateEvent.objects.create(
                auth_event_id=str(uuid.uuid4()),
                store=store,
                store_ref=store.store_id,
                decision=decision,
                reason=GateReason.ADMITTED if decision == GateDecisionKind.ADMITTED else GateReason.EXPIRED,
                status_code=200 if decision == GateDecisionKind.ADMITTED else 401,
                response_body={},
                latency_ms=1.0,
            )
            GateEvent.objects.filter(pk=event.pk).update(created_at=NOW - age)


def test_identity_refusals_above_their_usual_share(store: Any, settings: Any) -> None:
    settings.JWO_ALERT_REFUSAL_FACTOR = 2.0
    settings.JWO_ALERT_REFUSAL_MIN_CALLS = 20
    gate_events(store, refused=5, admitted=95, age=timedelta(days=2))  # usually 5 %
    gate_events(store, refused=2, admitted=18, age=timedelta(minutes=10))  # 10 %: twice, not more
    assert keys() == []
    gate_events(store, refused=1, admitted=0, age=timedelta(minutes=5))  # 3 of 21: 14 %
    [alert] = alerts_now(now=NOW)
    assert (alert.key, alert.severity) == ("refusals", "warning")
    assert alert.message == "Identity refusals at 14% of 21 calls in the last hour (usually 5%)"
    assert alert.url == "/entry/gate-log/?decision=refused"


def test_few_calls_never_page_anyone(store: Any, settings: Any) -> None:
    settings.JWO_ALERT_REFUSAL_MIN_CALLS = 20
    gate_events(store, refused=19, admitted=0, age=timedelta(minutes=5))
    assert keys() == []


def test_unreadable_notifications_failed_syncs_and_expiring_reports(store: Any, settings: Any) -> None:
    settings.JWO_ALERT_REPORT_EXPIRY_MINUTES = 15
    InboundMessage.objects.create(message_id="m-old", status=InboundMessage.Status.POISON, body="?")
    InboundMessage.objects.filter(message_id="m-old").update(received_at=NOW - timedelta(hours=25))
    run = SyncRun.objects.create(store=store, status="waiting")
    waiting = UploadBatch.objects.create(
        sync_run=run,
        sequence=1,
        status=BatchStatus.ACCEPTED,
        body=b"",
        item_count=1,
        ingestion_id=str(uuid.uuid4()),
        report_link="https://reports.example/1",
        report_link_expires_at=NOW + timedelta(minutes=16),
    )
    assert keys() == []

    InboundMessage.objects.create(message_id="m-new", status=InboundMessage.Status.POISON, body="?")
    UploadBatch.objects.filter(pk=waiting.pk).update(report_link_expires_at=NOW + timedelta(minutes=14))
    UploadBatch.objects.create(
        sync_run=run, sequence=2, status=BatchStatus.FAILED, body=b"", item_count=1, last_error="403"
    )
    found = {alert.key: alert for alert in alerts_now(now=NOW)}
    assert list(found) == ["syncs", "notifications", "reports"]  # critical first
    assert found["syncs"].message == "Catalog sync: 0 items failed, 1 batch failed in the last 24 h"
    assert found["notifications"].message == "1 unreadable notification from Amazon in the last 24 h"
    assert found["reports"].message == "1 report link from Amazon expire within 15 min unread"
