"""Staff screens for the catalog: thin views over selectors, forms and services."""

import csv
import json
from collections.abc import Iterator
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.views import View
from django.views.generic import DetailView, FormView, ListView, TemplateView, UpdateView

from catalog.forms import ImportForm, MappingProfileForm, ProductFilterForm
from catalog.models import ImportJob, MappingProfile, Product, Store
from catalog.selectors import catalog as selectors
from catalog.services import imports, stores
from jwo_admin.core.exceptions import ApplicationError
from jwo_admin.core.views.staff import StaffView, query_without_page


class ProductListView(StaffView, TemplateView):
    permission_required = "catalog.view_product"
    template_name = "catalog/product_list.html"
    paginate_by = 50

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        form = ProductFilterForm(self.request.GET or None, categories=selectors.category_list())
        filters = selectors.ProductFilters()
        if form.is_valid():
            data = form.cleaned_data
            filters = selectors.ProductFilters(
                store=data["store"],
                search=data["q"],
                category=data["category"],
                status=data["status"],
                sync_state=data["sync"],
            )
        paginator = Paginator(selectors.product_list(filters=filters).prefetch_related("barcodes"), self.paginate_by)
        page = paginator.get_page(self.request.GET.get("page"))
        context.update(form=form, page=page, products=page.object_list, query=query_without_page(self.request))
        return context


class ProductDetailView(StaffView, TemplateView):
    permission_required = "catalog.view_product"
    template_name = "catalog/product_detail.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        try:
            product = selectors.product_detail(product_id=kwargs["pk"])
        except Product.DoesNotExist:
            raise Http404("No such product") from None
        context["product"] = product
        return context


class ImportListView(StaffView, ListView):
    permission_required = "catalog.view_importjob"
    template_name = "catalog/import_list.html"
    context_object_name = "jobs"
    paginate_by = 25

    def get_queryset(self) -> QuerySet[ImportJob]:
        return selectors.import_list()


class ImportCreateView(StaffView, FormView):
    permission_required = "catalog.import_catalog"
    template_name = "catalog/import_create.html"
    form_class = ImportForm

    def get_initial(self) -> dict[str, Any]:
        first_store = selectors.store_list().first()
        first_profile = selectors.mapping_profile_list().first()
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


class ImportDetailView(StaffView, DetailView):
    permission_required = "catalog.view_importjob"
    template_name = "catalog/import_detail.html"
    context_object_name = "job"

    def get_queryset(self) -> QuerySet[ImportJob]:
        return selectors.import_list()

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        job = self.object
        context["rejections"] = selectors.import_problems(job=job, warnings=False)[:200]
        context["warnings"] = selectors.import_problems(job=job, warnings=True)[:200]
        context["applied_as"] = ImportJob.objects.filter(preview_of=job).order_by("-id").first()
        return context


class ImportProgressView(ImportDetailView):
    """The progress partial that htmx polls while a job runs."""

    template_name = "catalog/_import_progress.html"

    def render_to_response(self, context: dict[str, Any], **kwargs: Any) -> HttpResponse:
        response = super().render_to_response(context, **kwargs)
        if self.object.is_finished:
            response["HX-Refresh"] = "true"  # reload the whole page: counts, tables, buttons
        return response


class ImportConfirmView(StaffView, View):
    permission_required = "catalog.import_catalog"

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        preview = get_object_or_404(ImportJob, pk=pk)
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


class ImportProblemsCsvView(StaffView, View):
    """Every rejected row and warning of an import, as CSV, to fix in the ERP."""

    permission_required = "catalog.view_importjob"

    def get(self, request: HttpRequest, pk: int) -> StreamingHttpResponse:
        job = get_object_or_404(ImportJob, pk=pk)
        writer = csv.writer(_Echo())

        def rows() -> Iterator[str]:
            yield writer.writerow(["row", "sku", "field", "kind", "message"])
            for problem in selectors.import_problems(job=job).iterator(chunk_size=5000):
                kind = "warning" if problem.is_warning else "rejected"
                yield writer.writerow(
                    [problem.row_number, _safe_cell(problem.sku), problem.field, kind, _safe_cell(problem.message)]
                )

        response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="import-{job.pk}-problems.csv"'
        return response


def _safe_cell(value: str) -> str:
    """Keep spreadsheet programs from running a cell as a formula (CSV injection)."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


class MappingProfileListView(StaffView, ListView):
    permission_required = "catalog.view_mappingprofile"
    template_name = "catalog/mapping_list.html"
    context_object_name = "profiles"

    def get_queryset(self) -> QuerySet[MappingProfile]:
        return selectors.mapping_profile_list()


class MappingProfileCreateView(StaffView, FormView):
    permission_required = "catalog.add_mappingprofile"
    template_name = "catalog/mapping_form.html"
    form_class = MappingProfileForm

    def form_valid(self, form: MappingProfileForm) -> HttpResponse:
        profile = stores.mapping_profile_save(profile=form.save(commit=False))
        messages.success(self.request, f"Mapping profile “{profile.name}” saved.")
        return redirect("catalog:mapping_list")


class MappingProfileUpdateView(StaffView, UpdateView):
    permission_required = "catalog.change_mappingprofile"
    template_name = "catalog/mapping_form.html"
    form_class = MappingProfileForm
    model = MappingProfile

    def form_valid(self, form: Any) -> HttpResponse:
        profile = stores.mapping_profile_save(profile=form.save(commit=False))
        messages.success(self.request, f"Mapping profile “{profile.name}” saved.")
        return redirect("catalog:mapping_list")


class AmazonCatalogExportView(StaffView, View):
    """The store's active catalog exactly as Upload Catalog would receive it ({"catalogItems": [...]})."""

    permission_required = "catalog.view_product"

    def get(self, request: HttpRequest, pk: int) -> StreamingHttpResponse:
        store = get_object_or_404(Store, pk=pk)

        def body() -> Iterator[str]:
            yield '{"catalogItems": ['
            for index, item in enumerate(selectors.amazon_catalog_items(store=store)):
                yield ("," if index else "") + "\n" + json.dumps(item, ensure_ascii=False)
            yield "\n]}\n"

        response = StreamingHttpResponse(body(), content_type="application/json")
        response["Content-Disposition"] = f'attachment; filename="amazon-catalog-{store.store_id}.json"'
        return response
