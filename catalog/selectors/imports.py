"""Imports and column mappings as staff see them: the list, a job's problems, the saved mappings."""

from django.db.models import OuterRef, QuerySet, Subquery

from catalog.importing.mapping import AMAZON_COLUMNS, file_column_labels
from catalog.models import ImportJob, ImportRowError, MappingProfile, Product, Store


def import_list(*, store: Store | None = None, limit: int | None = None) -> QuerySet[ImportJob]:
    jobs = ImportJob.objects.select_related("store", "profile", "created_by").order_by("-created_at", "-id")
    if store is not None:
        jobs = jobs.filter(store=store)
    return jobs[:limit] if limit else jobs


def import_problems(
    *, job: ImportJob, warnings: bool | None = None, with_products: bool = False
) -> QuerySet[ImportRowError]:
    """The job's rejected rows and warnings; ``with_products``: each with ``product_pk``, the
    store's product of that SKU (None if there is none), for a link to its editor."""
    problems = job.row_errors.all()
    if warnings is not None:
        problems = problems.filter(is_warning=warnings)
    if with_products:
        products = Product.objects.filter(store_id=job.store_id, sku=OuterRef("sku")).values("pk")[:1]
        problems = problems.annotate(product_pk=Subquery(products))
    return problems.order_by("row_number", "id")


def import_field_labels(*, job: ImportJob) -> dict[str, str]:
    """Amazon field name → "the file's column (field)" for this job's problems (see ``file_column_labels``)."""
    columns = dict(job.profile.columns) if job.profile else dict(AMAZON_COLUMNS)
    return file_column_labels(columns=columns, headers=list(job.headers or []))


def mapping_profile_list() -> QuerySet[MappingProfile]:
    return MappingProfile.objects.order_by("-is_builtin", "name")
