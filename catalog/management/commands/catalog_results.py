"""python manage.py catalog_results [--follow] — read Amazon's notifications from the SQS queue."""

import logging
import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError, close_old_connections

from catalog.services.notifications import notifications_consume

logger = logging.getLogger(__name__)
# A database that restarts or blinks is waited out when following (the messages stay in SQS, to
# be received again): a consumer process that exits on it would stop results until restarted.
DATABASE_RETRY_SECONDS = 5.0


class Command(BaseCommand):
    help = "Consume the results queue once (until empty), or keep following it with --follow."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--follow", action="store_true", help="Keep consuming until interrupted")

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.JWO_SQS_QUEUE_URL:
            raise CommandError("JWO_SQS_QUEUE_URL is not set.")
        try:
            while True:
                try:
                    stats = notifications_consume(
                        seconds=settings.JWO_SQS_RUN_SECONDS, stop_when_empty=not options["follow"]
                    )
                except DatabaseError as error:
                    if not options["follow"]:
                        raise
                    logger.warning("the database failed (%s); consuming again in %.0f s", error, DATABASE_RETRY_SECONDS)
                    close_old_connections()
                    time.sleep(DATABASE_RETRY_SECONDS)
                    continue
                self.stdout.write(
                    f"received {stats.received}, handled {stats.handled}, failed {stats.failed}, "
                    f"receive errors {stats.receive_errors}"
                )
                if not options["follow"]:
                    return
        except KeyboardInterrupt:
            return
