"""python manage.py alerts_send [--dry-run]

What the beat task does every minute (README, "Alerts by email and webhook"): evaluate the alerts
and send the new ones; from cron or by hand where no beat runs. Safe to re-run: an alert is sent
once until it clears."""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from operations.selectors.alerts import alerts_now
from operations.services.alerts import alerts_notify


class Command(BaseCommand):
    help = "Send new alerts by email (JWO_ALERT_EMAILS) and webhook (JWO_ALERT_WEBHOOK_URL), each once until it clears."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="List the alerts now; send nothing.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["dry_run"]:
            found = alerts_now()
            for alert in found:
                self.stdout.write(f"{alert.severity}: {alert.message} ({alert.key})")
            self.stdout.write(f"{len(found)} alert{'s' if len(found) != 1 else ''} now; nothing sent.")
            return
        done = alerts_notify()
        self.stdout.write(
            f"Raised: {', '.join(done.raised) or 'none'}. Cleared: {', '.join(done.cleared) or 'none'}. "
            f"Emailed: {', '.join(done.emailed) or 'none'}. Posted: {', '.join(done.posted) or 'none'}."
        )
        if done.failed:
            self.stdout.write(f"Not delivered (tried again next time): {', '.join(done.failed)}.")
