"""The two queues a person must work through: bad carts (unknown items) and payment issues.

Both leave a store simulation's rows out unless staff tick "Show simulated" (``?simulated=on``).
"""

from typing import Any

from django.views.generic import TemplateView

from orders.forms import SimulatedFilterForm
from orders.selectors import reports
from orders.views.common import StoreScopedView


class BadCartQueueView(StoreScopedView, TemplateView):
    """Carts with items we could not resolve, oldest first; each is resolved on its purchase page."""

    permission_required = "orders.view_purchase"
    template_name = "orders/bad_cart_queue.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        form = SimulatedFilterForm(self.request.GET or None)
        purchases = reports.bad_cart_queue(show_simulated=form.show_simulated(), store_ids=self.store_ids)
        return {**super().get_context_data(**kwargs), "form": form, "purchases": purchases}


class PaymentIssueQueueView(StoreScopedView, TemplateView):
    """Open payment issues, oldest first; their shoppers are refused at the gate until settled."""

    permission_required = "orders.view_paymentissue"
    template_name = "orders/issue_list.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        form = SimulatedFilterForm(self.request.GET or None)
        issues = reports.payment_issue_queue(show_simulated=form.show_simulated(), store_ids=self.store_ids)
        return {**super().get_context_data(**kwargs), "form": form, "issues": issues}
