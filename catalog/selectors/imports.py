"""Imports and column mappings as staff see them: the list, a job's problems, the saved mappings."""

from django.db.models import QuerySet

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


def mapping_profile_list() -> QuerySet[MappingProfile]:
    return MappingProfile.objects.order_by("-is_builtin", "name")
