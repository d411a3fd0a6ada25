"""python manage.py catalog_results [--follow] — read Amazon's notifications from the SQS queue."""

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from catalog.services.notifications import notifications_consume


class Command(BaseCommand):
    help = "Consume the results queue once (until empty), or keep following it with --follow."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--follow", action="store_true", help="Keep consuming until interrupted")

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.JWO_SQS_QUEUE_URL:
            raise CommandError("JWO_SQS_QUEUE_URL is not set.")
        try:
            while True:
                stats = notifications_consume(
                    seconds=settings.JWO_SQS_RUN_SECONDS, stop_when_empty=not options["follow"]
                )
                self.stdout.write(
                    f"received {stats.received}, handled {stats.handled}, failed {stats.failed}, "
                    f"receive errors {stats.receive_errors}"
                )
                if not options["follow"]:
                    return
        except KeyboardInterrupt:
            return
