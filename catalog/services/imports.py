"""Catalog imports: create a job for a file, check it, and apply it all-or-nothing.

Policy (written down in the README): by default the good rows of a file are applied and the
rejected rows are reported row by row (downloadable as CSV); a *strict* import refuses the whole
file if any row is rejected. Either way the write is one transaction: nothing is half-written.
"""

import logging
from collections.abc import Callable
from contextlib import ExitStack
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files import File
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from catalog.amazon_items import currency_places
from catalog.importing.checker import Checker, CheckResult, StoreContext
from catalog.importing.mapping import ColumnMap, ProfileSpec
from catalog.importing.pgstream import ANALYZE_AFTER_ROWS, ProductStream, tables_analyze
from catalog.importing.readers import FileRefused, TableReader, open_table
from catalog.importing.writer import write_import
from catalog.models import ImportJob, ImportRowError, ImportStatus, MappingProfile, Store
from catalog.selectors.products import existing_catalog
from jwo_admin.core import db
from jwo_admin.core.exceptions import ApplicationError
from jwo_admin.core.files import local_copy
from jwo_admin.core.tasks import task_enqueue_on_commit

logger = logging.getLogger(__name__)

CHECK_SHARE = 80  # percent of the progress bar given to checking; the rest is writing
ProgressCallback = Callable[[str, int, int], None]  # phase, rows, percent


def import_job_create(
    *,
    store: Store,
    upload: UploadedFile | Path,
    profile: MappingProfile | None = None,
    is_dry_run: bool = True,
    is_strict: bool = False,
    created_by: Any = None,
    preview_of: ImportJob | None = None,
) -> ImportJob:
    """Store the file and create a queued job for it. Does not read the file yet."""
    name = upload.name
    job = ImportJob(
        store=store,
        profile=profile,
        original_name=Path(name or "catalog").name[:255],
        is_dry_run=is_dry_run,
        is_strict=is_strict,
        created_by=created_by,
        preview_of=preview_of,
    )
    if isinstance(upload, Path):
        with upload.open("rb") as handle:
            job.file.save(job.original_name, File(handle), save=False)
    else:
        job.file.save(job.original_name, upload, save=False)
    job.full_clean(exclude=["file"])
    job.save()
    return job


class PreviewAlreadyApplied(ApplicationError):
    def __init__(self, job: ImportJob) -> None:
        super().__init__(f"This preview was already applied as import #{job.pk}.")
        self.job = job


def import_job_confirm(*, preview: ImportJob, user: Any = None) -> ImportJob:
    """Apply a previewed file: a new job on the same file, with the same profile and policy.

    Raises ApplicationError if the preview is not finished, PreviewAlreadyApplied if it was applied.
    """
    if preview.status != ImportStatus.PREVIEWED:
        raise ApplicationError("Only a finished preview can be applied.")
    existing = ImportJob.objects.filter(preview_of=preview).first()
    if existing is not None:
        raise PreviewAlreadyApplied(existing)
    job = ImportJob(
        store=preview.store,
        profile=preview.profile,
        original_name=preview.original_name,
        is_dry_run=False,
        is_strict=preview.is_strict,
        created_by=user,
        preview_of=preview,
    )
    job.file.name = preview.file.name
    try:
        with transaction.atomic():
            job.save()
    except IntegrityError:  # a concurrent click won the race
        raise PreviewAlreadyApplied(ImportJob.objects.get(preview_of=preview)) from None
    return job


IMPORT_TASK = "catalog.tasks.catalog_import_run_task"


def import_job_enqueue(*, job: ImportJob) -> None:
    """Run the job on a worker once the current transaction commits (a job the broker could not
    take stays queued, and the import sweeper fails it after JWO_IMPORT_STALE_MINUTES)."""
    task_enqueue_on_commit(IMPORT_TASK, job.pk, what=f"import {job.pk}")


def _set(job: ImportJob, **fields: Any) -> None:
    """Update the job row at once (outside any write transaction, so pages see progress); the
    ``updated_at`` heartbeat tells the sweeper the job is alive."""
    fields["updated_at"] = timezone.now()
    for name, value in fields.items():
        setattr(job, name, value)
    ImportJob.objects.filter(pk=job.pk).update(**fields)


def import_jobs_sweep(*, stale_after: timedelta | None = None) -> int:
    """Fail imports whose worker died mid-run (no heartbeat for ``stale_after``) and free their
    store. Their write was one transaction, so nothing of them was written. Returns how many."""
    if stale_after is None:  # (not "or": a zero timedelta is falsy, and means "now")
        stale_after = timedelta(minutes=settings.JWO_IMPORT_STALE_MINUTES)
    cutoff = timezone.now() - stale_after
    stuck = ImportJob.objects.filter(status__in=(ImportStatus.RUNNING, ImportStatus.WRITING), updated_at__lt=cutoff)
    return stuck.update(
        status=ImportStatus.FAILED,
        holds_store_lock=False,
        finished_at=timezone.now(),
        updated_at=timezone.now(),
        message="The worker running this import stopped before it finished; nothing was written. Upload again.",
    )


def import_job_run(*, job_id: int, on_progress: ProgressCallback | None = None) -> ImportJob:
    """Check the job's file and, unless it is a dry run, apply it. Safe to call twice: only a
    queued job is claimed; a second call returns the job as it is."""
    claimed = ImportJob.objects.filter(pk=job_id, status=ImportStatus.QUEUED).update(
        status=ImportStatus.RUNNING, started_at=timezone.now()
    )
    job = ImportJob.objects.select_related("store", "profile").get(pk=job_id)
    if not claimed:
        return job
    if not job.is_dry_run and not _lock_store(job):
        _finish(job, ImportStatus.REFUSED, "Another import is writing this store's catalog. Try again when it ends.")
        return job
    reader: TableReader | None = None
    result: CheckResult | None = None
    target = _WriteTarget.for_job(job)
    files = ExitStack()  # the worker's own copy of the upload (the storage may be S3), deleted at the end
    try:
        spec = ProfileSpec.from_model(job.profile) if job.profile else ProfileSpec.amazon()
        reader = open_table(files.enter_context(local_copy(job.file)), delimiter=spec.csv_delimiter)
        columns = ColumnMap(reader.headers, spec)
        _set(job, headers=list(reader.headers))
        result = _check(job, reader, columns, on_progress, target)
        _record_problems(job, result)
        if result.rows_total == 0:
            _finish(job, ImportStatus.REFUSED, "The file has a header but no product rows.", result)
        elif job.is_strict and result.rejected:
            _finish(
                job,
                ImportStatus.REFUSED,
                f"{result.rejected} rows were rejected; a strict import "
                "applies nothing unless every row is good. Fix them and upload again.",
                result,
            )
        elif job.is_dry_run:
            _finish(job, ImportStatus.PREVIEWED, "", result)
        else:
            _write(job, result, on_progress, target)
            _finish(job, ImportStatus.APPLIED, "", result)
    except FileRefused as refusal:
        _finish(job, ImportStatus.REFUSED, str(refusal), result)
    except Exception as error:
        logger.exception("import %s failed", job.pk)
        _finish(job, ImportStatus.FAILED, f"The import stopped on an unexpected error and wrote nothing: {error}")
    finally:
        target.close()  # rolls back whatever was not committed
        if reader is not None:
            reader.close()
        files.close()
        if result is not None:
            result.close()
        if job.holds_store_lock:
            _set(job, holds_store_lock=False)
    return job


def _lock_store(job: ImportJob) -> bool:
    try:
        with transaction.atomic():
            ImportJob.objects.filter(pk=job.pk).update(holds_store_lock=True)
    except IntegrityError:
        return False
    job.holds_store_lock = True
    return True


class _WriteTarget:
    """Where an applied import writes.

    On PostgreSQL, run by a worker or a command (no transaction open), new products stream in
    through a connection of their own while the file is still being checked; that connection's
    single transaction commits only when everything is written. Inside a caller's transaction
    (a request running tasks eagerly), everything is written at the end within that transaction.
    Other databases write through the ORM at the end, in one atomic block.
    """

    def __init__(self, conn: Any = None, stream: ProductStream | None = None, owns: bool = False) -> None:
        self.conn = conn
        self.stream = stream
        self.owns = owns

    @classmethod
    def for_job(cls, job: ImportJob) -> "_WriteTarget":
        if job.is_dry_run or not db.supports_copy():
            return cls()
        if connection.in_atomic_block:
            return cls(conn=db.connection_shared())
        conn = db.write_connection_open()
        return cls(
            conn=conn, stream=ProductStream(conn, store_id=job.store_id, job_id=job.pk, now=timezone.now()), owns=True
        )

    def commit(self) -> None:
        if self.owns:
            self.conn.commit()

    def close(self) -> None:
        if self.stream is not None:
            self.stream.abandon()
        if self.owns:
            self.conn.rollback()
            self.conn.close()


def _check(
    job: ImportJob,
    reader: TableReader,
    columns: ColumnMap,
    on_progress: ProgressCallback | None,
    target: _WriteTarget,
) -> CheckResult:
    store = job.store

    def progress(rows: int, fraction: float) -> None:
        percent = int(fraction * CHECK_SHARE)
        _set(job, rows_done=rows, progress_percent=percent)
        if on_progress is not None:
            on_progress("checking", rows, percent)

    checker = Checker(
        reader=reader,
        columns=columns,
        existing=existing_catalog(store=store),
        context=StoreContext(
            store_id=store.store_id,
            price_places=currency_places(store.currency),
            sync_fields=frozenset(settings.JWO_SYNC_FIELDS),
            send_clean_names=store.send_clean_names,
        ),
        on_progress=progress,
        max_rows=settings.JWO_IMPORT_MAX_ROWS,
        stream=target.stream,
        keep_rows=not job.is_dry_run,
        plain_pass=settings.JWO_IMPORT_PLAIN_PASS,
    )
    result = checker.run()
    _set(job, rows_total=result.rows_total, rows_done=result.rows_total, progress_percent=CHECK_SHARE)
    if on_progress is not None:
        on_progress("checking", result.rows_total, CHECK_SHARE)
    return result


def _write(job: ImportJob, result: CheckResult, on_progress: ProgressCallback | None, target: _WriteTarget) -> None:
    _set(job, status=ImportStatus.WRITING)
    to_write = max(result.new + result.changed, 1)
    streamed = target.stream.close() if target.stream is not None else 0
    target.stream = None

    def progress(done: int) -> None:
        percent = CHECK_SHARE + int((100 - CHECK_SHARE) * (streamed + done) / to_write)
        _set(job, progress_percent=min(percent, 99))
        if on_progress is not None:
            on_progress("writing", streamed + done, percent)

    if target.conn is None:
        with transaction.atomic():
            write_import(job=job, result=result, on_progress=progress)
    else:
        write_import(job=job, result=result, on_progress=progress, conn=target.conn)
        target.commit()
        if target.owns and result.new >= ANALYZE_AFTER_ROWS:
            tables_analyze(target.conn)


def _record_problems(job: ImportJob, result: CheckResult) -> None:
    ImportRowError.objects.filter(job=job).delete()
    batch: list[ImportRowError] = []
    for problem in result.problems:
        batch.append(
            ImportRowError(
                job=job,
                row_number=problem.row_number,
                sku=problem.sku[:255],
                field=problem.field[:64],
                message=problem.message[:500],
                is_warning=problem.is_warning,
                original_row=list(problem.original_row),
            )
        )
        if len(batch) >= 5000:
            ImportRowError.objects.bulk_create(batch)
            batch = []
    ImportRowError.objects.bulk_create(batch)


def _finish(job: ImportJob, status: str, message: str, result: CheckResult | None = None) -> None:
    fields: dict[str, Any] = {"status": status, "message": message, "finished_at": timezone.now()}
    if result is not None:
        fields.update(
            rows_total=result.rows_total,
            rows_done=result.rows_total,
            rows_new=result.new,
            rows_changed=result.changed,
            rows_unchanged=result.unchanged,
            rows_rejected=result.rejected,
            rows_warned=result.warned,
            problems_truncated=result.problems_truncated,
        )
    if status != ImportStatus.FAILED:
        fields["progress_percent"] = 100
    _set(job, **fields)
