"""Try a cart: price a typed cart as Create Purchases would, and the curl command that sends it."""

import json
import shlex
from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.views.generic import TemplateView

from orders.forms import TryCartForm
from orders.selectors import reports
from orders.views.common import StoreScopedView, quantity_text


def curl_command(*, url: str, body: dict[str, Any]) -> str:
    """A shell command that POSTs ``body`` to ``url`` with the connector key from ``$JWO_CONNECTOR_KEY``."""
    header = settings.JWO_CONNECTOR_KEY_HEADER
    payload = shlex.quote(json.dumps(body, ensure_ascii=False))
    return f'curl -sS -X POST {url} -H "Content-Type: application/json" -H "{header}: $JWO_CONNECTOR_KEY" -d {payload}'


class TryCartView(StoreScopedView, TemplateView):
    """Reads only: nothing is stored until someone runs the curl command."""

    permission_required = "orders.view_promotion"
    template_name = "orders/try_cart.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        form = TryCartForm(self.request.GET or None)
        context["form"] = form
        if form.is_valid():
            data = form.cleaned_data
            tried = reports.cart_try(store=data["store"], lines=data["lines"], at=data["moment"] or timezone.now())
            # A fresh trip on every preview: sending this one twice still gives one purchase.
            body = reports.cart_try_request(tried=tried, shopper_ref=data["shopper"])
            context.update(
                tried=tried,
                lines=[(line, quantity_text(line.quantity)) for line in tried.lines],
                body=body,
                curl=curl_command(
                    url=self.request.build_absolute_uri(reverse("orders_api:create_purchases")), body=body
                ),
                connector_header=settings.JWO_CONNECTOR_KEY_HEADER,
            )
        return context
