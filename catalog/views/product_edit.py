"""Staff screens that change products (Catalog manager, Admin): create, edit, archive and
reactivate, barcodes, the suggested name, "send this product now", and the catalog list's bulk
actions. Forms validate input; the catalog services apply the import's rules and record history."""

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.views import View
from django.views.generic import FormView
from tablib import Dataset

from catalog.amazon_items import currency_places, price_text
from catalog.forms import (
    BarcodeAddForm,
    BarcodeRetypeForm,
    ProductBulkForm,
    ProductCreateForm,
    ProductFilterForm,
    ProductForm,
)
from catalog.models import Barcode, Product, ProductStatus
from catalog.resources import ProductResource
from catalog.selectors import products as product_selectors
from catalog.services import product_bulk
from catalog.services import products as product_services
from catalog.services.sync_plan import SyncAlreadyRunning, product_send_request
from catalog.views.staff_stores import StoreScopedView
from jwo_admin.core.exceptions import ApplicationError


def form_errors_add(form: Form, error: ValidationError) -> None:
    """A service's ValidationError on the form: on the field it names when the form has it,
    above the form otherwise."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for field, errors in error.error_dict.items():
        form.add_error(field if field in form.fields else None, errors)


class ProductEditView(StoreScopedView):
    """An editing screen or action on one product of the user's stores (another store's: 404)."""

    def product_get(self, pk: int) -> Product:
        try:
            product = product_selectors.product_detail(product_id=pk)
        except Product.DoesNotExist:
            raise Http404("No such product") from None
        self.store_or_404(product.store_id)
        return product


def _to_product(pk: int) -> HttpResponse:
    return redirect("catalog:product_detail", pk=pk)


class ProductCreateView(ProductEditView, FormView):
    permission_required = "catalog.add_product"
    template_name = "catalog/product_form.html"
    form_class = ProductCreateForm

    def form_valid(self, form: ProductCreateForm) -> HttpResponse:
        data = form.cleaned_data
        try:
            product = product_services.product_create(
                store=data["store"],
                sku=data["sku"],
                barcodes=[(data["barcode"], data["barcode_type"] or None)],
                created_by=self.request.user,
                **form.product_fields(),
            )
        except ValidationError as error:
            form_errors_add(form, error)
            return self.form_invalid(form)
        messages.success(self.request, f"Created {product.sku}.")
        return _to_product(product.pk)


class ProductUpdateView(ProductEditView, FormView):
    permission_required = "catalog.change_product"
    template_name = "catalog/product_form.html"
    form_class = ProductForm

    def setup(self, request: HttpRequest, *args: Any, **kwargs: Any) -> None:
        super().setup(request, *args, **kwargs)
        self.product: Product | None = None

    def get_product(self) -> Product:
        if self.product is None:
            self.product = self.product_get(self.kwargs["pk"])
        return self.product

    def get_initial(self) -> dict[str, Any]:
        product = self.get_product()
        initial = {name: getattr(product, name) for name in ProductForm.FIELDS}
        initial["price"] = price_text(product.price, currency_places(product.store.currency))
        return initial

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_context_data(product=self.get_product(), **kwargs)

    def form_valid(self, form: ProductForm) -> HttpResponse:
        product = self.get_product()
        try:
            product_services.product_update(
                product_id=product.pk, changed_by=self.request.user, **form.product_fields()
            )
        except ValidationError as error:
            form_errors_add(form, error)
            return self.form_invalid(form)
        messages.success(
            self.request,
            f"Saved {product.sku}. Amazon gets the change with the next sync, or at once with “Send this product now”.",
        )
        return _to_product(product.pk)


class ProductStatusView(ProductEditView, View):
    """Archive (the next sync asks Amazon to archive it) or reactivate one product."""

    permission_required = "catalog.change_product"
    status: str = ProductStatus.ARCHIVED

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        product = self.product_get(pk)
        try:
            product_services.product_update(product_id=product.pk, changed_by=request.user, status=self.status)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            done = "Archived" if self.status == ProductStatus.ARCHIVED else "Reactivated"
            messages.success(request, f"{done} {product.sku}.")
        return _to_product(product.pk)


class ProductSuggestedNameView(ProductEditView, View):
    permission_required = "catalog.change_product"

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        product = self.product_get(pk)
        try:
            updated = product_services.product_name_use_suggested(product_id=product.pk, changed_by=request.user)
        except ApplicationError as error:
            messages.error(request, error.message)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, f"Renamed to {updated.name}.")
        return _to_product(product.pk)


class BarcodeAddView(ProductEditView, View):
    permission_required = "catalog.change_product"

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        product = self.product_get(pk)
        form = BarcodeAddForm(request.POST)
        if not form.is_valid():
            messages.error(request, "Type the barcode to add.")
            return _to_product(product.pk)
        try:
            product_services.barcode_add(
                product_id=product.pk,
                value=form.cleaned_data["value"],
                kind=form.cleaned_data["kind"] or None,
                changed_by=request.user,
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, f"Added barcode {form.cleaned_data['value'].strip()}.")
        return _to_product(product.pk)


class BarcodeRemoveView(ProductEditView, View):
    permission_required = "catalog.change_product"

    def post(self, request: HttpRequest, pk: int, barcode_pk: int) -> HttpResponse:
        product = self.product_get(pk)
        try:
            product_services.barcode_remove(product_id=product.pk, barcode_id=barcode_pk, changed_by=request.user)
        except Barcode.DoesNotExist:
            raise Http404("No such barcode on this product") from None
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, "Barcode removed.")
        return _to_product(product.pk)


class BarcodeRetypeView(ProductEditView, View):
    permission_required = "catalog.change_product"

    def post(self, request: HttpRequest, pk: int, barcode_pk: int) -> HttpResponse:
        product = self.product_get(pk)
        form = BarcodeRetypeForm(request.POST)
        if not form.is_valid():
            messages.error(request, "Choose the barcode's type.")
            return _to_product(product.pk)
        try:
            product_services.barcode_retype(
                product_id=product.pk, barcode_id=barcode_pk, kind=form.cleaned_data["kind"], changed_by=request.user
            )
        except Barcode.DoesNotExist:
            raise Http404("No such barcode on this product") from None
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, "Barcode type changed.")
        return _to_product(product.pk)


class ProductSendView(ProductEditView, View):
    """ "Send this product now": a sync of this one product, followed on the sync's page."""

    permission_required = "catalog.sync_catalog"

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        product = self.product_get(pk)
        try:
            run = product_send_request(product=product, requested_by=request.user)
        except SyncAlreadyRunning as error:
            messages.error(request, error.message)
            return _to_product(product.pk)
        return redirect("catalog:sync_detail", pk=run.pk)


class ProductBulkView(ProductEditView, View):
    """The catalog list's bulk actions on the ticked rows or on every product the filter matches."""

    permission_required = "catalog.change_product"

    def post(self, request: HttpRequest) -> HttpResponse:
        filter_form = ProductFilterForm(request.POST, categories=product_selectors.category_list())
        form = ProductBulkForm(request.POST)
        back = reverse("catalog:product_list") + _filter_query(filter_form)
        if not filter_form.is_valid() or not form.is_valid():
            problems = " ".join(str(error) for error in form.non_field_errors())
            messages.error(request, problems or "Choose an action for the selection.")
            return redirect(back)
        selection = self.scoped(
            product_selectors.product_selection(filters=filter_form.filters(), product_ids=form.product_ids())
        )
        action = form.cleaned_data["action"]
        if action in ("export_csv", "export_xlsx"):
            return _export(selection, file_format=action.removeprefix("export_"))
        if action == "archive":
            count = product_bulk.products_archive(products=selection, changed_by=request.user)
            messages.success(request, f"Archived {count} product{'s' if count != 1 else ''}.")
            return redirect(back)
        try:
            count = product_bulk.products_category_set(
                products=selection, category=form.cleaned_data["new_category"], changed_by=request.user
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, f"Moved {count} product{'s' if count != 1 else ''} to the new category.")
        return redirect(back)


def _filter_query(filter_form: ProductFilterForm) -> str:
    """Back to the list as it was: its filters, from the POST that carried them."""
    query = filter_form.data.copy()  # type: ignore[attr-defined]
    for name in list(query):
        if name not in ("q", "store", "category", "status", "sync", "sort"):
            query.pop(name)
    return f"?{query.urlencode()}" if query else ""


def _export(selection: Any, *, file_format: str) -> HttpResponse:
    """The selection through the admin's own resource (formula-like cells neutralised there)."""
    dataset: Dataset = ProductResource().export(queryset=selection.prefetch_related("barcodes"))
    name = f"products-{timezone.localdate().isoformat()}"
    if file_format == "xlsx":
        response = HttpResponse(
            dataset.export("xlsx"), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
        response["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
        return response
    response = HttpResponse(dataset.export("csv"), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    return response
