"""Orders overview: today's figures per store and the sales and purchases charts."""

from typing import Any

from django.views.generic import TemplateView

from orders.forms import ChartFilterForm
from orders.selectors import reports
from orders.views.common import StoreScopedView


class OrdersOverviewView(StoreScopedView, TemplateView):
    """Per store: today's purchases and revenue, open bad carts and payment issues; revenue per day
    (14 days) and purchases per hour by status (24 hours), all stores or one."""

    permission_required = "orders.view_purchase"
    template_name = "orders/overview.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        form = ChartFilterForm(self.request.GET or None)
        charts = reports.order_charts(store=form.chosen_store(), store_ids=self.store_ids)
        context.update(
            summaries=reports.store_order_summaries(store_ids=self.store_ids),
            form=form,
            sales_chart=charts.sales,
            purchases_chart=charts.purchases,
            charts_zone=charts.zone,
        )
        return context
