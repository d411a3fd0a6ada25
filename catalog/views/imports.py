"""Staff screens for imports: upload a file, follow its progress, confirm it, download its problems;
and the saved column mappings."""

import csv
from collections.abc import Iterator
from typing import Any

from django.contrib import messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect
from django.views import View
from django.views.generic import DetailView, FormView, ListView, UpdateView

from catalog.forms import ImportForm, MappingProfileForm
from catalog.importing.mapping import file_column_label
from catalog.models import ImportJob, MappingProfile
from catalog.selectors import imports as import_selectors
from catalog.selectors import stores as store_selectors
from catalog.services import imports, stores
from catalog.views.staff_stores import StoreScopedView
from jwo_admin.core.csv_safe import csv_safe_cell
from jwo_admin.core.exceptions import ApplicationError


class ImportListView(StoreScopedView, ListView):
    permission_required = "catalog.view_importjob"
    template_name = "catalog/import_list.html"
    context_object_name = "jobs"
    paginate_by = 25

    def get_queryset(self) -> QuerySet[ImportJob]:
        return self.scoped(import_selectors.import_list())


class ImportCreateView(StoreScopedView, FormView):
    permission_required = "catalog.import_catalog"
    template_name = "catalog/import_create.html"
    form_class = ImportForm

    def get_initial(self) -> dict[str, Any]:
        first_store = self.scoped(store_selectors.store_list(), field="pk").first()
        first_profile = import_selectors.mapping_profile_list().first()
        return {"store": first_store, "profile": first_profile}

    def form_valid(self, form: ImportForm) -> HttpResponse:
        job = imports.import_job_create(
            store=form.cleaned_data["store"],
            upload=form.cleaned_data["file"],
            profile=form.cleaned_data["profile"],
            is_dry_run=True,
            is_strict=form.cleaned_data["is_strict"],
            created_by=self.request.user,
        )
        imports.import_job_enqueue(job=job)
        return redirect("catalog:import_detail", pk=job.pk)


class ImportDetailView(StoreScopedView, DetailView):
    permission_required = "catalog.view_importjob"
    template_name = "catalog/import_detail.html"
    context_object_name = "job"

    def get_queryset(self) -> QuerySet[ImportJob]:
        return self.scoped(import_selectors.import_list())

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        job = self.object
        context["rejections"] = import_selectors.import_problems(job=job, warnings=False, with_products=True)[:200]
        context["warnings"] = import_selectors.import_problems(job=job, warnings=True, with_products=True)[:200]
        context["applied_as"] = ImportJob.objects.filter(preview_of=job).order_by("-id").first()
        context["field_labels"] = import_selectors.import_field_labels(job=job)
        return context


class ImportProgressView(ImportDetailView):
    """The progress partial that htmx polls while a job runs."""

    template_name = "catalog/_import_progress.html"

    def render_to_response(self, context: dict[str, Any], **kwargs: Any) -> HttpResponse:
        response = super().render_to_response(context, **kwargs)
        if self.object.is_finished:
            response["HX-Refresh"] = "true"  # reload the whole page: counts, tables, buttons
        return response


class ImportConfirmView(StoreScopedView, View):
    permission_required = "catalog.import_catalog"

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        preview = self.scoped_get(ImportJob, pk=pk)
        try:
            job = imports.import_job_confirm(preview=preview, user=request.user)
        except imports.PreviewAlreadyApplied as already:
            messages.warning(request, already.message)
            return redirect("catalog:import_detail", pk=already.job.pk)
        except ApplicationError as error:
            messages.error(request, error.message)
            return redirect("catalog:import_detail", pk=pk)
        imports.import_job_enqueue(job=job)
        return redirect("catalog:import_detail", pk=job.pk)


class _Echo:
    def write(self, value: str) -> str:
        return value


class ImportProblemsCsvView(StoreScopedView, View):
    """Every rejected row and warning of an import, as CSV, to fix in the ERP: the row number and
    the problem, then the row itself under the file's own column names, as it was read."""

    permission_required = "catalog.view_importjob"

    def get(self, request: HttpRequest, pk: int) -> StreamingHttpResponse:
        job = self.scoped_get(ImportJob, pk=pk)
        writer = csv.writer(_Echo())
        headers = [str(header) for header in job.headers or []]
        labels = import_selectors.import_field_labels(job=job)

        def rows() -> Iterator[str]:
            yield writer.writerow(["row", "sku", "field", "kind", "message", *map(csv_safe_cell, headers)])
            for problem in import_selectors.import_problems(job=job).iterator(chunk_size=5000):
                kind = "warning" if problem.is_warning else "rejected"
                yield writer.writerow(
                    [
                        problem.row_number,
                        csv_safe_cell(problem.sku),
                        file_column_label(problem.field, labels),
                        kind,
                        csv_safe_cell(problem.message),
                        *map(csv_safe_cell, problem.original_row or []),
                    ]
                )

        response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="import-{job.pk}-problems.csv"'
        return response


class MappingProfileListView(StoreScopedView, ListView):
    permission_required = "catalog.view_mappingprofile"
    template_name = "catalog/mapping_list.html"
    context_object_name = "profiles"

    def get_queryset(self) -> QuerySet[MappingProfile]:
        return import_selectors.mapping_profile_list()


class MappingProfileCreateView(StoreScopedView, FormView):
    permission_required = "catalog.add_mappingprofile"
    template_name = "catalog/mapping_form.html"
    form_class = MappingProfileForm

    def form_valid(self, form: MappingProfileForm) -> HttpResponse:
        profile = stores.mapping_profile_save(profile=form.save(commit=False))
        messages.success(self.request, f"Mapping profile “{profile.name}” saved.")
        return redirect("catalog:mapping_list")


class MappingProfileUpdateView(StoreScopedView, UpdateView):
    permission_required = "catalog.change_mappingprofile"
    template_name = "catalog/mapping_form.html"
    form_class = MappingProfileForm
    model = MappingProfile

    def form_valid(self, form: Any) -> HttpResponse:
        profile = stores.mapping_profile_save(profile=form.save(commit=False))
        messages.success(self.request, f"Mapping profile “{profile.name}” saved.")
        return redirect("catalog:mapping_list")
