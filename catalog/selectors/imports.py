"""Imports and column mappings as staff see them: the list, a job's problems, the saved mappings."""

from django.db.models import QuerySet

from catalog.importing.mapping import AMAZON_COLUMNS, file_column_labels
from catalog.models import ImportJob, ImportRowError, MappingProfile, Store


def import_list(*, store: Store | None = None, limit: int | None = None) -> QuerySet[ImportJob]:
    jobs = ImportJob.objects.select_related("store", "profile", "created_by").order_by("-created_at", "-id")
    if store is not None:
        jobs = jobs.filter(store=store)
    return jobs[:limit] if limit else jobs


def import_problems(*, job: ImportJob, warnings: bool | None = None) -> QuerySet[ImportRowError]:
    problems = job.row_errors.all()
    if warnings is not None:
        problems = problems.filter(is_warning=warnings)
    return problems.order_by("row_number", "id")


def import_field_labels(*, job: ImportJob) -> dict[str, str]:
    """Amazon field name → "the file's column (field)" for this job's problems (see ``file_column_labels``)."""
    columns = dict(job.profile.columns) if job.profile else dict(AMAZON_COLUMNS)
    return file_column_labels(columns=columns, headers=list(job.headers or []))


def mapping_profile_list() -> QuerySet[MappingProfile]:
    return MappingProfile.objects.order_by("-is_builtin", "name")
