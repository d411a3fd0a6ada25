"""Staff screens for entry: gate overview and defaults, the live gate log, shoppers and their actions."""

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Page, Paginator
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect
from django.views import View
from django.views.generic import TemplateView

from catalog.models import Store
from catalog.views.staff_stores import StoreScopedView
from entry.forms import (
    ChartFilterForm,
    GateDefaultForm,
    GateLogFilterForm,
    ShopperFilterForm,
    ShopperStatusForm,
    ShopperTypeForm,
)
from entry.models import Shopper, ShopperStatus
from entry.selectors import gate, shoppers
from entry.services.shoppers import scan_keys_revoke, shopper_set_status, shopper_set_type
from entry.services.store_gates import store_gate_default_set
from jwo_admin.core.exceptions import ApplicationError
from jwo_admin.core.views.staff import query_without_page

GATE_LOG_PAGE_SIZE = 50
SHOPPER_PAGE_SIZE = 50


class EntryOverviewView(StoreScopedView, TemplateView):
    """Per store: the gate default (changeable with catalog.change_store) and today's answers;
    the last 24 hours of gate traffic and latency as charts."""

    permission_required = "entry.view_gateevent"
    template_name = "entry/overview.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        form = ChartFilterForm(self.request.GET or None)
        charts = gate.gate_charts(store=form.chosen_store(), store_ids=self.store_ids)
        context.update(
            summaries=[
                (summary, GateDefaultForm(initial={"default_gate_decision": summary.default_decision}))
                for summary in gate.store_gate_summaries(store_ids=self.store_ids)
            ],
            form=form,
            traffic_chart=charts.traffic,
            latency_chart=charts.latency,
            charts_zone=charts.zone,
        )
        return context


class GateDefaultUpdateView(StoreScopedView, View):
    """Set what a store's gate does when the connector answers 500."""

    permission_required = "catalog.change_store"

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        store = self.scoped_get(Store, field="pk", pk=pk)
        form = GateDefaultForm(request.POST)
        if not form.is_valid():
            messages.error(request, f"Choose Open or Closed for {store}.")
            return redirect("entry:overview")
        try:
            store_gate = store_gate_default_set(store=store, decision=form.cleaned_data["default_gate_decision"])
        except ValidationError as error:
            messages.error(request, f"{store} was not saved: {' '.join(error.messages)}")
            return redirect("entry:overview")
        messages.success(
            request, f"{store}: when the connector answers 500, {store_gate.get_default_decision_display()}."
        )
        return redirect("entry:overview")


class GateLogView(StoreScopedView, TemplateView):
    """Every call of the identity connector, newest first, filtered; page 1 refreshes itself."""

    permission_required = "entry.view_gateevent"
    template_name = "entry/gate_log.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        form = GateLogFilterForm(self.request.GET or None)
        page: Page[Any] = Paginator(
            self.scoped(gate.gate_event_list(filters=form.filters())), GATE_LOG_PAGE_SIZE
        ).get_page(self.request.GET.get("page"))
        context.update(
            form=form,
            page=page,
            events=page.object_list,
            is_live=page.number == 1,
            query=query_without_page(self.request),
        )
        return context


class GateLogRowsView(StoreScopedView, TemplateView):
    """The first page of the log's table body, same filters, polled by htmx every 2 s.

    It never counts the matching calls: that would scan the table again on every poll.
    """

    permission_required = "entry.view_gateevent"
    template_name = "entry/_gate_log_rows.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        form = GateLogFilterForm(self.request.GET or None)
        context.update(
            events=self.scoped(gate.gate_event_list(filters=form.filters()))[:GATE_LOG_PAGE_SIZE],
            is_live=True,
            query=query_without_page(self.request),
        )
        return context

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        # Signed out (or the permission was taken away) while polling: reload the whole page, which
        # then shows the sign-in form or the refusal, rather than swapping either into the table.
        if request.headers.get("HX-Request") == "true" and not self.has_permission():
            return HttpResponse(headers={"HX-Refresh": "true"})
        return super().dispatch(request, *args, **kwargs)


class ShopperListView(StoreScopedView, TemplateView):
    permission_required = "entry.view_shopper"
    template_name = "entry/shopper_list.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        form = ShopperFilterForm(self.request.GET or None)
        page: Page[Any] = Paginator(
            shoppers.shopper_list(filters=form.filters(), store_ids=self.store_ids), SHOPPER_PAGE_SIZE
        ).get_page(self.request.GET.get("page"))
        context.update(form=form, page=page, shoppers=page.object_list, query=query_without_page(self.request))
        return context


class ShopperDetailView(StoreScopedView, TemplateView):
    permission_required = "entry.view_shopper"
    template_name = "entry/shopper_detail.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        shopper = get_object_or_404(shoppers.shoppers_of_stores(store_ids=self.store_ids), pk=kwargs["pk"])
        context.update(
            shopper=shopper,
            cards=shoppers.shopper_cards(shopper=shopper),
            events=shoppers.shopper_gate_events(shopper=shopper, limit=20, store_ids=self.store_ids),
            active_codes=shoppers.shopper_active_code_count(shopper=shopper),
            status_changes=shoppers.shopper_status_changes(shopper=shopper),
            statuses=ShopperStatus,
            type_form=ShopperTypeForm(initial={"visitor_type": shopper.visitor_type}),
        )
        return context


class ShopperActionView(StoreScopedView, View):
    """A POST-only action on one shopper; answers with a message and back to the detail page."""

    permission_required = "entry.change_shopper"

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        shopper = get_object_or_404(shoppers.shoppers_of_stores(store_ids=self.store_ids), pk=pk)
        try:
            self.act(request, shopper)
        except ApplicationError as error:
            messages.error(request, error.message)
        return redirect("entry:shopper_detail", pk=shopper.pk)

    def act(self, request: HttpRequest, shopper: Shopper) -> None:
        raise NotImplementedError


STATUS_DONE = {
    ShopperStatus.ACTIVE: "{name} reinstated.",
    ShopperStatus.FLAGGED: "{name} flagged: {reason}.",
    ShopperStatus.BLOCKED: "{name} blocked: {reason}. Their codes no longer open the gate.",
}


class ShopperStatusView(ShopperActionView):
    def act(self, request: HttpRequest, shopper: Shopper) -> None:
        form = ShopperStatusForm(request.POST)
        if not form.is_valid():
            messages.error(request, " ".join(str(error) for errors in form.errors.values() for error in errors))
            return
        status, reason = form.cleaned_data["status"], form.cleaned_data["reason"]
        shopper_set_status(shopper=shopper, status=status, reason=reason, user_pk=request.user.pk)
        messages.success(request, STATUS_DONE[ShopperStatus(status)].format(name=shopper.name, reason=reason))


class ShopperRevokeCodesView(ShopperActionView):
    def act(self, request: HttpRequest, shopper: Shopper) -> None:
        revoked = scan_keys_revoke(shopper=shopper)
        messages.success(request, f"{revoked} code{'s' if revoked != 1 else ''} of {shopper.name} revoked.")


class ShopperTypeView(ShopperActionView):
    def act(self, request: HttpRequest, shopper: Shopper) -> None:
        form = ShopperTypeForm(request.POST)
        if not form.is_valid():
            messages.error(request, "Choose a visitor type.")
            return
        shopper_set_type(shopper=shopper, visitor_type=form.cleaned_data["visitor_type"])
        messages.success(request, f"{shopper.name} is now {shopper.get_visitor_type_display().lower()}.")
