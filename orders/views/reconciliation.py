"""The reconciliation queue: trips our own records do not account for, per store day, each
resolved by staff with a note (who and when are kept and shown), and "Reconcile this day".

Everyone may look; resolving and running need the right to change purchases (Store manager,
Admin). A refused or invalid POST changes nothing and says why."""

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.views import View
from django.views.generic import TemplateView

from jwo_admin.core.exceptions import ApplicationError
from orders.forms import ReconciliationFilterForm, ReconciliationResolveForm, ReconciliationRunForm
from orders.models import ReconciliationItem
from orders.selectors.reconciliation import reconciliation_days, reconciliation_items
from orders.services.reconciliation import reconciliation_item_resolve, reconciliation_run
from orders.views.common import StoreScopedView

SHOWN = 200  # the oldest this many items; filters narrow the rest


class ReconciliationQueueView(StoreScopedView, TemplateView):
    permission_required = "orders.view_purchase"
    template_name = "orders/reconciliation.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        form = ReconciliationFilterForm(self.request.GET or None)
        self.stores_limit(form)
        items = reconciliation_items(store_ids=self.store_ids, filters=form.filters())
        run_form = ReconciliationRunForm(initial={"day": self.request.GET.get("day", "")})
        self.stores_limit(run_form)
        return {
            **super().get_context_data(**kwargs),
            "form": form,
            "run_form": run_form,
            "items": items[:SHOWN],
            "item_count": items.count(),
            "days": reconciliation_days(store_ids=self.store_ids),
        }


def _back(request: HttpRequest) -> HttpResponseRedirect:
    return HttpResponseRedirect(reverse("orders:reconciliation"))


class ReconciliationResolveView(StoreScopedView, View):
    permission_required = "orders.change_purchase"

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        item = self.scoped_get(ReconciliationItem, pk=pk)
        form = ReconciliationResolveForm(request.POST)
        if not form.is_valid():
            messages.error(request, "Say what was decided: a note is required.")
            return _back(request)
        try:
            reconciliation_item_resolve(item_pk=item.pk, user_pk=request.user.pk, note=form.cleaned_data["note"])
            messages.success(request, f"Resolved: {item.get_kind_display()} of {item.trip_id}.")
        except ApplicationError as error:
            messages.error(request, error.message)
        return _back(request)


class ReconciliationRunView(StoreScopedView, View):
    permission_required = "orders.change_purchase"

    def post(self, request: HttpRequest) -> HttpResponse:
        form = ReconciliationRunForm(request.POST)
        self.stores_limit(form)
        if not form.is_valid():
            messages.error(request, "Choose a store and a day to reconcile.")
            return _back(request)
        store, day = form.cleaned_data["store"], form.cleaned_data["day"]
        result = reconciliation_run(store=store, day=day)
        messages.success(
            request,
            f"{store.name} {day}: {result.admissions} admissions, {result.purchases_checked} priced purchases; "
            f"{result.opened} new, {result.cleared} cleared, {result.open_count} open"
            + (" — day closed." if not result.open_count else "."),
        )
        return HttpResponseRedirect(f"{reverse('orders:reconciliation')}?store={store.pk}&day={day.isoformat()}")
