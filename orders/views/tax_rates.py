"""Tax rates: per store, create, edit and delete."""

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views import View
from django.views.generic import FormView, TemplateView

from orders.forms import TaxRateFilterForm, TaxRateForm
from orders.models import TaxRate
from orders.selectors import reports
from orders.services.promotions import tax_rate_delete, tax_rate_save
from orders.views.common import StoreScopedView, percent_text


class TaxRateListView(StoreScopedView, TemplateView):
    permission_required = "orders.view_taxrate"
    template_name = "orders/tax_rate_list.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        form = TaxRateFilterForm(self.request.GET or None)
        rates = self.scoped(reports.tax_rate_list(store=form.chosen_store()))
        context.update(form=form, rates=[(rate, percent_text(rate.rate)) for rate in rates])
        return context


class TaxRateFormView(StoreScopedView, FormView):
    """Create (no ``pk``) or edit a tax rate; a broken rule is a form error, never a 500."""

    template_name = "orders/tax_rate_form.html"
    form_class = TaxRateForm

    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs = super().get_form_kwargs()
        if "pk" in self.kwargs:
            kwargs["instance"] = self.scoped_get(TaxRate, pk=self.kwargs["pk"])
        return kwargs

    def form_valid(self, form: TaxRateForm) -> HttpResponse:
        tax_rate = form.save(commit=False)
        try:
            tax_rate_save(tax_rate=tax_rate)
        except ValidationError as error:
            form.add_error(None, error)
            return self.form_invalid(form)
        messages.success(self.request, f"{tax_rate.store}: tax code {tax_rate.tax_code} saved.")
        return redirect("orders:tax_rate_list")


class TaxRateCreateView(TaxRateFormView):
    permission_required = "orders.add_taxrate"


class TaxRateUpdateView(TaxRateFormView):
    permission_required = "orders.change_taxrate"


class TaxRateDeleteView(StoreScopedView, View):
    permission_required = "orders.delete_taxrate"

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        tax_rate = self.scoped_get(TaxRate.objects.select_related("store"), pk=pk)
        tax_rate_delete(tax_rate=tax_rate)
        messages.success(request, f"{tax_rate.store}: tax code {tax_rate.tax_code} deleted.")
        return redirect("orders:tax_rate_list")
