"""python manage.py amazon_feed_poll — read Amazon's new store report files and feed events once,
and try the failed ones again (what the beat task does every minute), printing its progress."""

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from orders.services.amazon_feed import amazon_feed_poll


class Command(BaseCommand):
    help = "Poll Amazon's store report files and event feed once ([INFERRED] formats)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--seconds",
            type=float,
            default=settings.JWO_AMAZON_FEED_POLL_SECONDS,
            help="Read the event queue for at most this long (it stops sooner once empty)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        stats = amazon_feed_poll(seconds=options["seconds"], progress=lambda line: self.stdout.write(line))
        self.stdout.write(self.style.SUCCESS(", ".join(f"{name} {value}" for name, value in vars(stats).items())))
