"""python manage.py catalog_status INGESTION_ID — Amazon's processing status of one upload."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from catalog.models import UploadBatch
from catalog.services.sync_records import amazon_call_record
from jwo_admin.integrations.amazon_catalog import Outcome, client_from_settings


class Command(BaseCommand):
    help = "Ask Amazon for an ingestion's status (and say which of our batches it is)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("ingestion_id")

    def handle(self, *args: Any, **options: Any) -> None:
        batch = UploadBatch.objects.filter(ingestion_id=options["ingestion_id"]).first()
        result = client_from_settings().status(options["ingestion_id"])
        amazon_call_record(result, batch)
        if result.outcome is not Outcome.OK:
            raise CommandError(f"{result.outcome.value} (HTTP {result.status_code}): {result.message}")
        self.stdout.write(f"processingStatus: {result.processing_status}")
        self.stdout.write(f"reportDownloadLink: {result.report_link or '—'}")
        if batch is not None:
            self.stdout.write(
                f"ours: sync #{batch.sync_run_id} batch {batch.sequence} ({batch.kind}, {batch.item_count} items), "
                f"{batch.get_status_display().lower()}"
            )
