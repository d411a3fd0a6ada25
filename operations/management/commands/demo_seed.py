"""python manage.py demo_seed — demo stores, products, shoppers of each kind, staff of each role and a
connector key, so every part of the app can be tried at once (``operations.services.demo``)."""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from operations.services.demo import demo_seed


class Command(BaseCommand):
    help = "Create demo stores, products, a sample import file with mistakes, and demo staff. Safe to re-run."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--products", type=int, default=3000)
        parser.add_argument("--password", default="", help="Password for the demo staff (default: generated)")

    def handle(self, *args: Any, **options: Any) -> None:
        report = demo_seed(products=options["products"], password=options["password"])
        for problem in report.problems:
            self.stderr.write(problem)
        for line in report.lines:
            self.stdout.write(line)
