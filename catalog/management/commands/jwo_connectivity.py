"""python manage.py jwo_connectivity — can we reach Amazon's catalog API and our results queue?"""

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from catalog.services.connectivity import connectivity_check


class Command(BaseCommand):
    help = "Check the signed call to Amazon's catalog API and the SQS results queue."

    def handle(self, *args: Any, **options: Any) -> None:
        report = connectivity_check()
        self.stdout.write(f"Amazon catalog API: {report.amazon_detail}")
        self.stdout.write(f"Results queue: {report.queue_detail}")
        if not report.amazon_ok:
            raise CommandError("Amazon's catalog API is not reachable with our credentials.")
