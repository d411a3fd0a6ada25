"""A shopper's purchases and spend: a fragment the shopper's page (entry) loads with htmx, and a
page of its own for a browser without it."""

from typing import Any

from django.http import Http404
from django.views.generic import TemplateView

from entry.models import Shopper
from orders.selectors.shoppers import shopper_purchase_list
from orders.views.common import StoreScopedView


class ShopperPurchasesView(StoreScopedView, TemplateView):
    permission_required = "orders.view_purchase"

    def get_template_names(self) -> list[str]:
        if self.request.headers.get("HX-Request") == "true":
            return ["orders/_shopper_purchases.html"]
        return ["orders/shopper_purchases.html"]

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        try:
            context["summary"] = shopper_purchase_list(shopper_pk=kwargs["pk"], store_ids=self.store_ids)
        except Shopper.DoesNotExist as error:
            raise Http404("No such shopper.") from error
        return context
