"""The daily settlement page and the sales report: a store (the user's own; the first of theirs by
default) and its days on its own clock, in real money or, asked for, one of the store's simulation
runs' figures instead (labelled as not real money)."""

from datetime import date, timedelta
from typing import Any

from django.http import Http404
from django.utils import timezone
from django.views.generic import TemplateView

from catalog.models import Store
from orders.forms import NO_SIMULATION_RUN, SalesFilterForm, SettlementFilterForm
from orders.selectors.sales import sales_report
from orders.selectors.settlement import (
    CHART_DAYS,
    SimulationRunDays,
    settlement_chart,
    settlement_day,
    simulation_run_days,
    store_today,
)
from orders.views.common import StoreScopedView

SALES_DEFAULT_DAYS = 7


class StoreDaysView(StoreScopedView, TemplateView):
    """Picks the store a settlement or sales screen is about: the one asked for (another store's
    answers 404 before this runs), else the first of the user's stores by name."""

    permission_required = "orders.view_purchase"

    def chosen_store(self, form: Any) -> Store | None:
        store = form.cleaned_data.get("store") if form.is_valid() else None
        if store is not None:
            return store
        return self.scoped(Store.objects.order_by("name"), field="pk").first()

    def chosen_run(self, form: Any, store: Store) -> SimulationRunDays | None:
        """The simulation run asked for, among the chosen store's (offered in the form's select);
        a run that is not the store's answers 404, as another store does."""
        runs = simulation_run_days(store=store)
        form.fields["simulation_run"].widget.choices = [
            ("", NO_SIMULATION_RUN),
            *((run.run_id, run.label) for run in runs),
        ]
        run_id = form.cleaned_data.get("simulation_run") if form.is_valid() else None
        if run_id is None:
            return None
        for run in runs:
            if run.run_id == run_id:
                return run
        raise Http404("No such simulation run at this store.")


class SettlementView(StoreDaysView):
    """A store day's settlement (``settlement_day``), links to the day before and after, the last
    30 days' chart and the exports of the day."""

    template_name = "orders/settlement.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        form = SettlementFilterForm(self.request.GET or None)
        store = self.chosen_store(form)
        context["form"] = form
        if store is None:
            return context
        run = self.chosen_run(form, store)
        run_id = run.run_id if run else None
        today = store_today(store=store, now=timezone.now())
        day: date = (form.cleaned_data.get("day") if form.is_valid() else None) or (run.first_day if run else today)
        context.update(
            store=store,
            today=today,
            run=run,
            settlement=settlement_day(store=store, day=day, simulation_run=run_id),
            previous_day=day - timedelta(days=1),
            next_day=day + timedelta(days=1),
            chart=settlement_chart(store=store, last_day=day, simulation_run=run_id),
            chart_days=CHART_DAYS,
        )
        return context


class SalesReportView(StoreDaysView):
    """Quantity and gross per product (top 50), per category and per hour of the store's clock."""

    template_name = "orders/sales_report.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        form = SalesFilterForm(self.request.GET or None)
        if self.request.GET and not form.is_valid() and form.non_field_errors():
            context["form"] = form
            return context
        store = self.chosen_store(form)
        context["form"] = form
        if store is None:
            return context
        run = self.chosen_run(form, store)
        today = store_today(store=store, now=timezone.now())
        cleaned = form.cleaned_data if form.is_valid() else {}
        date_to = cleaned.get("date_to") or (run.last_day if run else today)
        date_from = cleaned.get("date_from") or (
            run.first_day if run else date_to - timedelta(days=SALES_DEFAULT_DAYS - 1)
        )
        if date_from > date_to:
            raise Http404("No such range.")
        report = sales_report(
            store=store, date_from=date_from, date_to=date_to, simulation_run=run.run_id if run else None
        )
        context.update(
            store=store,
            run=run,
            report=report,
            products_chart=report.chart("products"),
            categories_chart=report.chart("categories"),
            hours_chart=report.chart("hours"),
        )
        return context
