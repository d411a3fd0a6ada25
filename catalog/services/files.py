"""Files are kept for a while, then deleted; their records stay.

Uploaded imports and Amazon's raw reports are evidence for a few weeks (what was sent, what Amazon
said), then only weight in the bucket: after ``JWO_FILES_KEEP_DAYS`` they are deleted from the
storage and the record says the file is gone. django-import-export's admin previews that were
never confirmed are deleted after a day. Hourly, by beat; safe to run twice or on two workers.
"""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.core.files.storage import default_storage
from django.utils import timezone

from catalog.models import ImportJob, ImportStatus, UploadBatch
from catalog.services.sync_results import report_raw_delete

logger = logging.getLogger(__name__)
IMPORT_EXPORT_FOLDER = "django-import-export"  # import_export.tmp_storages.MediaStorage's
PREVIEW_KEEP = timedelta(days=1)
BUSY = (ImportStatus.QUEUED, ImportStatus.RUNNING, ImportStatus.WRITING)


def _delete(name: str) -> None:
    try:
        default_storage.delete(name)
    except OSError as error:  # gone already, or the storage refuses: the record is cleared anyway
        logger.warning("could not delete %s: %s", name, error)


def catalog_files_sweep(*, now: datetime | None = None) -> dict[str, int]:
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.JWO_FILES_KEEP_DAYS)
    old_jobs = ImportJob.objects.filter(created_at__lt=cutoff).exclude(file="").exclude(status__in=BUSY)
    names = set(old_jobs.values_list("file", flat=True))
    still_used = set(  # an apply made from an old preview reads the same file: wait for it too
        ImportJob.objects.filter(file__in=names, created_at__gte=cutoff).values_list("file", flat=True)
    )
    for name in names - still_used:
        _delete(name)
    imports = ImportJob.objects.filter(file__in=names - still_used).update(file="")

    reports = 0
    for batch in UploadBatch.objects.filter(created_at__lt=cutoff).exclude(report_file="").only("pk", "report_file"):
        report_raw_delete(batch=batch)
        reports += UploadBatch.objects.filter(pk=batch.pk).update(report_file="")

    previews = 0
    try:
        _, files = default_storage.listdir(IMPORT_EXPORT_FOLDER)
    except (FileNotFoundError, NotADirectoryError):
        files = []
    for name in files:
        path = f"{IMPORT_EXPORT_FOLDER}/{name}"
        if default_storage.get_modified_time(path) < now - PREVIEW_KEEP:
            _delete(path)
            previews += 1
    return {"imports": imports, "reports": reports, "previews": previews}
