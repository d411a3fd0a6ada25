"""python manage.py catalog_import PATH --store STORE_ID [--mapping NAME] [--dry-run] [--strict]"""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from catalog.models import ImportStatus, MappingProfile, Store
from catalog.services.imports import import_job_create, import_job_run


class Command(BaseCommand):
    help = "Check a catalog file (CSV/XLSX) and apply it to a store; exits non-zero when the file is refused."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path)
        parser.add_argument("--store", required=True, help="Amazon store id")
        parser.add_argument("--mapping", default="", help="Mapping profile name (default: Amazon field names)")
        parser.add_argument("--dry-run", action="store_true", help="Check and report; write nothing")
        parser.add_argument("--strict", action="store_true", help="Refuse the whole file if any row is rejected")
        parser.add_argument("--no-progress", action="store_true", help="No progress bar")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["path"]
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        try:
            store = Store.objects.get(store_id=options["store"])
        except Store.DoesNotExist:
            raise CommandError(f"No store with id {options['store']!r}.") from None
        profile = None
        if options["mapping"]:
            try:
                profile = MappingProfile.objects.get(name=options["mapping"])
            except MappingProfile.DoesNotExist:
                names = ", ".join(MappingProfile.objects.values_list("name", flat=True))
                raise CommandError(f"No mapping profile {options['mapping']!r}. Profiles: {names}.") from None
        job = import_job_create(
            store=store, upload=path, profile=profile, is_dry_run=options["dry_run"], is_strict=options["strict"]
        )
        bar = None if options["no_progress"] else tqdm(total=100, unit="%", file=self.stderr._out, leave=False)

        def progress(phase: str, rows: int, percent: int) -> None:
            if bar is not None:
                bar.set_description(f"{phase} {rows:,} rows")
                bar.update(percent - bar.n)

        job = import_job_run(job_id=job.pk, on_progress=progress)
        if bar is not None:
            bar.close()
        job.refresh_from_db()
        self.stdout.write(
            f"Import #{job.pk} {job.get_status_display().lower()}: {job.rows_total} rows — {job.rows_new} new, "
            f"{job.rows_changed} changed, {job.rows_unchanged} unchanged, {job.rows_rejected} rejected, "
            f"{job.rows_warned} with warnings."
        )
        for problem in job.row_errors.filter(is_warning=False)[:20]:
            self.stdout.write(f"  row {problem.row_number} {problem.sku} {problem.field}: {problem.message}")
        if job.rows_rejected > 20:
            self.stdout.write(f"  … and more; see the import page for all {job.rows_rejected} rejected rows.")
        if job.status in (ImportStatus.REFUSED, ImportStatus.FAILED):
            raise CommandError(job.message or "The file was refused.")
