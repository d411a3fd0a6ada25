"""Tell people about alerts without them watching the dashboard: by email to JWO_ALERT_EMAILS and
to a chat webhook (JWO_ALERT_WEBHOOK_URL, Slack-compatible), each alert once until it clears.

Every evaluation compares the alerts found now with the ones already sent (``SentAlert`` rows
still open): a new key is raised and sent; a key no longer found is cleared; one that comes back
later is a new row and is sent again. Each channel is claimed with a conditional UPDATE before the
call (two evaluations at once send nothing twice) and released when the call fails, so a failing
webhook neither stops the email nor is forgotten: it is tried again at the next evaluation.
"""

import logging
import smtplib
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone

from jwo_admin.integrations.alert_webhook import WebhookFailed, alert_webhook_post
from operations.models import SentAlert
from operations.selectors.alerts import Alert, alerts_now

logger = logging.getLogger(__name__)


@dataclass
class AlertsNotified:
    """What one evaluation did, by alert key (for the command's output and the tests)."""

    raised: list[str] = field(default_factory=list)
    cleared: list[str] = field(default_factory=list)
    emailed: list[str] = field(default_factory=list)
    posted: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


def alert_link(*, alert: SentAlert) -> str:
    return settings.JWO_PUBLIC_BASE_URL.rstrip("/") + alert.url


def alert_email_subject(*, alert: SentAlert) -> str:
    return f"[jwo-admin] {alert.severity.capitalize()}: {alert.message}"[:200]


def alert_email_body(*, alert: SentAlert) -> str:
    since = timezone.localtime(alert.first_sent_at)
    return (
        f"{alert.message}\n\n"
        f"Severity: {alert.severity}\n"
        f"Since: {since:%Y-%m-%d %H:%M} {since.tzname()}\n"
        f"Open: {alert_link(alert=alert)}\n\n"
        "This alert is sent once; you hear of it again only if it clears and comes back.\n"
    )


def alert_webhook_text(*, alert: SentAlert) -> str:
    """Slack's message text: the link as ``<url|label>``."""
    return f"{alert.severity.capitalize()}: {alert.message} <{alert_link(alert=alert)}|Open in jwo-admin>"


def _claim(alert: SentAlert, channel: str, now: datetime) -> bool:
    return bool(SentAlert.objects.filter(pk=alert.pk, **{f"{channel}__isnull": True}).update(**{channel: now}))


def _release(alert: SentAlert, channel: str, error: str) -> None:
    SentAlert.objects.filter(pk=alert.pk).update(**{channel: None}, last_error=error[:500])


def _raise(alert: Alert, now: datetime) -> bool:
    try:
        with transaction.atomic():
            SentAlert.objects.create(
                key=alert.key, severity=alert.severity, message=alert.message[:500], url=alert.url, first_sent_at=now
            )
    except IntegrityError:  # another evaluation raised it a moment ago
        return False
    return True


def alerts_notify(*, now: datetime | None = None) -> AlertsNotified:
    """Evaluate the alerts and send the new ones to the configured channels (none configured:
    alerts are still recorded, raised and cleared, and sent nowhere)."""
    now = now or timezone.now()
    done = AlertsNotified()
    found = {alert.key: alert for alert in alerts_now(now=now)}
    open_keys = set(SentAlert.objects.filter(cleared_at__isnull=True).values_list("key", flat=True))
    done.cleared = sorted(open_keys - found.keys())
    SentAlert.objects.filter(cleared_at__isnull=True, key__in=done.cleared).update(cleared_at=now)
    done.raised = [key for key, alert in found.items() if key not in open_keys and _raise(alert, now)]

    emails, webhook = [email for email in settings.JWO_ALERT_EMAILS if email], settings.JWO_ALERT_WEBHOOK_URL
    for alert in SentAlert.objects.filter(cleared_at__isnull=True).order_by("first_sent_at", "id"):
        if emails and alert.email_sent_at is None and _claim(alert, "email_sent_at", now):
            try:
                send_mail(alert_email_subject(alert=alert), alert_email_body(alert=alert), None, emails)
            except (smtplib.SMTPException, OSError) as error:
                logger.warning("alert %s: the email was not sent: %s", alert.key, error)
                _release(alert, "email_sent_at", f"Email: {error}")
                done.failed.append(f"{alert.key}: email")
            else:
                done.emailed.append(alert.key)
        if webhook and alert.webhook_sent_at is None and _claim(alert, "webhook_sent_at", now):
            try:
                alert_webhook_post(webhook, text=alert_webhook_text(alert=alert))
            except WebhookFailed as error:
                logger.warning("alert %s: the webhook did not take it: %s", alert.key, error)
                _release(alert, "webhook_sent_at", f"Webhook: {error}")
                done.failed.append(f"{alert.key}: webhook")
            else:
                done.posted.append(alert.key)
    return done
