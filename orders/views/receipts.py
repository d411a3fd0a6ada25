"""The shopper's receipt page: public by design, reachable only through its unguessable link."""

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from entry.views.shopper import ShopperRequiredMixin
from orders.selectors.receipts import receipt_get, shopper_receipts


@require_GET
def receipt_view(request: HttpRequest, token: str) -> HttpResponse:
    receipt = receipt_get(token=token)
    if receipt is None:
        raise Http404("No such receipt.")
    response = render(request, "orders/receipts/page.html", {"receipt": receipt})
    response["Cache-Control"] = "private, no-store"
    response["Referrer-Policy"] = "no-referrer"
    return response


class ShopperReceiptListView(ShopperRequiredMixin):
    """The signed-in shopper's last receipts, linked from their Scan Key screen."""

    def get(self, request: HttpRequest) -> HttpResponse:
        return render(
            request,
            "orders/receipts/list.html",
            {"shopper": self.shopper, "receipts": shopper_receipts(shopper=self.shopper)},
        )
