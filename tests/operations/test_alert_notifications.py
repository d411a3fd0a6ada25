"""Alerts sent by email and to a webhook (a real HTTP server on this machine), each once until it
clears, again when it comes back; a failing webhook neither stops the email nor is forgotten."""

import json
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from operations.models import SentAlert
from operations.services.alerts import alerts_notify
from operations.tasks import alerts_send_task
from orders.models import PaymentStatus, Purchase, PurchaseStatus

NOW = datetime(2026, 12, 7, 9, 14, tzinfo=UTC)
LATER = NOW + timedelta(minutes=1)
MESSAGE = "1 cart received more than 5 min ago not priced (bad carts)"


class Webhook:
    """What the chat service received, and the status codes it answers with (then 200)."""

    def __init__(self) -> None:
        self.received: list[tuple[str, str, Any]] = []
        self.statuses: list[int] = []
        self.url = ""


@pytest.fixture
def webhook() -> Iterator[Webhook]:
    hook = Webhook()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            body = self.rfile.read(int(self.headers["Content-Length"]))
            hook.received.append((self.path, self.headers["Content-Type"], json.loads(body)))
            status = hook.statuses.pop(0) if hook.statuses else 200
            self.send_response(status)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    hook.url = f"http://127.0.0.1:{server.server_address[1]}/services/T000/B000/XYZ"
    try:
        yield hook
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def channels(settings: Any, webhook: Webhook) -> Webhook:
    settings.JWO_ALERT_EMAILS = ["oncall@example.com", "ops@example.com"]
    settings.JWO_ALERT_WEBHOOK_URL = webhook.url
    settings.JWO_PUBLIC_BASE_URL = "https://admin.example.com/"
    settings.JWO_ALERT_UNPRICED_MINUTES = 5
    return webhook


def bad_cart(store: Any, *, now: datetime = NOW) -> Purchase:
    created = Purchase.objects.create(
        trip_id=str(uuid.uuid4()),
        purchase_id=f"PO-{uuid.uuid4().hex[:8]}",
        store=store,
        status=PurchaseStatus.BAD_CART,
        payment_status=PaymentStatus.PENDING,
        started_at=NOW,
        ended_at=NOW,
        currency="USD",
        total=Decimal("5.00"),
        request_body={},
        request_fingerprint="x",
        response_body={},
    )
    Purchase.objects.filter(pk=created.pk).update(created_at=now - timedelta(minutes=10))
    return created


def expected_body(raised_at: datetime) -> str:
    since = timezone.localtime(raised_at)
    return (
        f"{MESSAGE}\n\n"
        "Severity: critical\n"
        f"Since: {since:%Y-%m-%d %H:%M} {since.tzname()}\n"
        "Open: https://admin.example.com/orders/bad-carts/\n\n"
        "This alert is sent once; you hear of it again only if it clears and comes back.\n"
    )


PAYLOAD = {"text": f"Critical: {MESSAGE} <https://admin.example.com/orders/bad-carts/|Open in jwo-admin>"}


def test_an_alert_is_sent_once_by_email_and_webhook_and_again_after_it_cleared(store: Any, channels: Webhook) -> None:
    cart = bad_cart(store)

    first = alerts_notify(now=NOW)
    second = alerts_notify(now=LATER)

    assert (first.raised, first.emailed, first.posted, first.failed) == (["unpriced"], ["unpriced"], ["unpriced"], [])
    assert (second.raised, second.emailed, second.posted) == ([], [], [])
    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert email.subject == f"[jwo-admin] Critical: {MESSAGE}"
    assert email.body == expected_body(NOW)
    assert email.to == ["oncall@example.com", "ops@example.com"]
    assert channels.received == [("/services/T000/B000/XYZ", "application/json", PAYLOAD)]

    Purchase.objects.filter(pk=cart.pk).update(status=PurchaseStatus.PRICED, payment_status=PaymentStatus.CAPTURED)
    cleared = alerts_notify(now=NOW + timedelta(minutes=2))
    assert (cleared.cleared, cleared.emailed, cleared.posted) == (["unpriced"], [], [])
    assert len(mail.outbox) == 1

    bad_cart(store)
    back = alerts_notify(now=NOW + timedelta(minutes=3))

    assert (back.raised, back.emailed, back.posted) == (["unpriced"], ["unpriced"], ["unpriced"])
    assert [sent.body for sent in mail.outbox] == [expected_body(NOW), expected_body(NOW + timedelta(minutes=3))]
    assert [received[2] for received in channels.received] == [PAYLOAD, PAYLOAD]
    assert list(SentAlert.objects.order_by("id").values_list("key", "first_sent_at", "cleared_at")) == [
        ("unpriced", NOW, NOW + timedelta(minutes=2)),
        ("unpriced", NOW + timedelta(minutes=3), None),
    ]


def test_a_failing_webhook_does_not_stop_the_email_and_is_tried_again(store: Any, channels: Webhook) -> None:
    channels.statuses = [500]
    bad_cart(store)

    first = alerts_notify(now=NOW)

    alert = SentAlert.objects.get()
    assert (first.emailed, first.posted, first.failed) == (["unpriced"], [], ["unpriced: webhook"])
    assert len(mail.outbox) == 1
    assert (alert.email_sent_at, alert.webhook_sent_at, alert.last_error) == (NOW, None, "Webhook: HTTP 500: ok")

    again = alerts_notify(now=LATER)

    alert.refresh_from_db()
    assert (again.emailed, again.posted, again.failed) == ([], ["unpriced"], [])
    assert len(mail.outbox) == 1
    assert [received[2] for received in channels.received] == [PAYLOAD, PAYLOAD]
    assert (alert.email_sent_at, alert.webhook_sent_at) == (NOW, LATER)


def test_an_unreachable_webhook_is_a_failure_tried_again(store: Any, channels: Webhook, settings: Any) -> None:
    settings.JWO_ALERT_WEBHOOK_URL = "http://127.0.0.1:9/hook"
    bad_cart(store)

    done = alerts_notify(now=NOW)

    alert = SentAlert.objects.get()
    assert (done.emailed, done.failed) == (["unpriced"], ["unpriced: webhook"])
    assert alert.webhook_sent_at is None
    assert alert.last_error.startswith("Webhook: ConnectionError: ")


def test_with_no_channel_set_alerts_are_recorded_and_sent_nowhere(store: Any, settings: Any, webhook: Webhook) -> None:
    settings.JWO_ALERT_EMAILS = []
    settings.JWO_ALERT_WEBHOOK_URL = ""
    bad_cart(store)

    done = alerts_notify(now=NOW)

    assert (done.raised, done.emailed, done.posted) == (["unpriced"], [], [])
    assert mail.outbox == []
    assert webhook.received == []
    assert list(SentAlert.objects.values_list("key", "email_sent_at", "webhook_sent_at")) == [("unpriced", None, None)]


def test_the_command_sends_and_its_dry_run_sends_nothing(store: Any, channels: Webhook, capsys: Any) -> None:
    bad_cart(store, now=timezone.now())

    call_command("alerts_send", "--dry-run")
    assert not SentAlert.objects.exists()
    call_command("alerts_send")

    lines = capsys.readouterr().out.splitlines()
    assert lines[-2:] == [
        "1 alert now; nothing sent.",
        "Raised: unpriced. Cleared: none. Emailed: unpriced. Posted: unpriced.",
    ]
    assert len(mail.outbox) == 1
    assert len(channels.received) == 1


def test_the_beat_task_evaluates_and_sends(store: Any, channels: Webhook) -> None:
    bad_cart(store, now=timezone.now())

    result = alerts_send_task()

    assert result == {"raised": ["unpriced"], "cleared": [], "failed": []}
    assert [received[2] for received in channels.received] == [PAYLOAD]
    assert django_settings.CELERY_BEAT_SCHEDULE["operations-alerts-send"] == {
        "task": "operations.tasks.alerts_send_task",
        "schedule": 60.0,
    }
