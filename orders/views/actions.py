"""What staff do to a purchase from its page: resolve a bad cart (map a line, reprice, charge,
write off), settle a payment or a debt (retry the charge, charge the newest card, paid at the
counter), refund, dismiss an issue.

Each action is a POST that calls one service and comes back to the purchase's page with a
message; a refused action (``ApplicationError``) changes nothing and says why."""

from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views import View

from catalog.models import Product, Store
from jwo_admin.core.exceptions import ApplicationError
from jwo_admin.core.money import quantize_money
from orders.forms import RefundAmountForm
from orders.models import PaymentIssue, Purchase, RefundReason
from orders.purchase_request import CartItem
from orders.selectors import reports
from orders.selectors.pricing import cart_products
from orders.services import bad_carts
from orders.services.payments.issues import issue_dismiss
from orders.services.payments.refunds import refund_create
from orders.services.receipts import receipt_resend
from orders.views.common import StoreScopedView
from orders.views.purchases import PurchaseDetailView, payment_live_context, purchase_actions


def product_find(*, store: Store, text: str) -> Product | None:
    """The store's product for what staff typed, resolved as Create Purchases resolves a cart item
    (SKU, remembered alias, then barcode in any padding)."""
    text = text.strip()
    if not text:
        return None
    item = CartItem(
        id=text, type="SKU", quantity=Decimal(1), unit="unit", external_identifiers=((text, "GTIN"),), line_item_id=""
    )
    return cart_products(store=store, items=(item,))[0]


class PurchaseActionView(StoreScopedView, View):
    """POST only; subclasses name the permission and do the work."""

    permission_required = "orders.change_purchase"
    done_message = ""

    def act(self, request: HttpRequest, purchase: Purchase) -> str:
        raise NotImplementedError

    def post(self, request: HttpRequest, pk: int, **kwargs: Any) -> HttpResponse:
        purchase = self.scoped_get(Purchase, pk=pk)
        self.kwargs = kwargs
        try:
            messages.success(request, self.act(request, purchase))
        except ApplicationError as error:
            messages.error(request, error.message)
        return HttpResponseRedirect(reverse("orders:purchase_detail", args=[pk]))


def _user_pk(request: HttpRequest) -> int | None:
    return request.user.pk if request.user.is_authenticated else None


class LineMapView(PurchaseActionView):
    def act(self, request: HttpRequest, purchase: Purchase) -> str:
        text = request.POST.get("product", "")
        product = product_find(store=purchase.store, text=text)
        if product is None:
            raise ApplicationError(f"No product with SKU or barcode “{text.strip()}” in {purchase.store.name}.")
        line = bad_carts.bad_cart_line_map(
            purchase_pk=purchase.pk,
            line_pk=self.kwargs["line_pk"],
            product_pk=product.pk,
            remember=request.POST.get("remember") == "on",
            user_pk=_user_pk(request),
        )
        return f"Line {line.position + 1} is now {product.sku} {product.name}."


class LineQuantityView(PurchaseActionView):
    """A line whose unit could not be priced: staff give its quantity in the product's own unit."""

    def act(self, request: HttpRequest, purchase: Purchase) -> str:
        text = request.POST.get("quantity", "").strip()
        try:
            quantity = Decimal(text)
        except InvalidOperation as error:
            raise ApplicationError(f"“{text}” is not a quantity.") from error
        line = bad_carts.bad_cart_line_quantity_set(
            purchase_pk=purchase.pk, line_pk=self.kwargs["line_pk"], quantity=quantity, user_pk=_user_pk(request)
        )
        return f"Line {line.position + 1} is now priced on {line.priced_quantity_text}; reprice to see the total."


class ShopperAssignView(PurchaseActionView):
    def act(self, request: HttpRequest, purchase: Purchase) -> str:
        purchase = bad_carts.purchase_shopper_assign(
            purchase_pk=purchase.pk, shopper_text=request.POST.get("shopper", ""), user_pk=_user_pk(request)
        )
        assert purchase.shopper is not None  # noqa: S101 - the service assigned one or raised
        shopper = purchase.shopper
        return f"{purchase.purchase_id} is now {shopper.name}'s ({shopper.external_id}); charge it when ready."


class ReceiptResendView(PurchaseActionView):
    def act(self, request: HttpRequest, purchase: Purchase) -> str:
        purchase = receipt_resend(purchase_pk=purchase.pk, user_pk=_user_pk(request))
        email = purchase.shopper.email if purchase.shopper else ""
        return f"The receipt of {purchase.purchase_id} is on its way to {email}."


class RepriceView(PurchaseActionView):
    def act(self, request: HttpRequest, purchase: Purchase) -> str:
        priced = bad_carts.bad_cart_reprice(purchase_pk=purchase.pk, user_pk=_user_pk(request))
        total = quantize_money(priced.total, priced.currency)
        return f"Repriced: {total} {priced.currency}. Check the figures, then charge."


class ChargeView(PurchaseActionView):
    """Charge (again). From the page's htmx button the answer is the live payment fragment, which
    polls until the gateway has answered: staff see the outcome without reloading."""

    def act(self, request: HttpRequest, purchase: Purchase) -> str:
        charged = bad_carts.purchase_charge(purchase_pk=purchase.pk, user_pk=_user_pk(request))
        return f"Payment: {charged.get_payment_status_display()}."

    def post(self, request: HttpRequest, pk: int, **kwargs: Any) -> HttpResponse:
        if not request.headers.get("HX-Request"):
            return super().post(request, pk, **kwargs)
        purchase = self.scoped_get(Purchase, pk=pk)
        refused = ""
        try:
            self.act(request, purchase)
        except ApplicationError as error:
            refused = error.message
        purchase = Purchase.objects.select_related("store", "shopper").get(pk=pk)
        return render(
            request, "orders/_payment_live.html", payment_live_context(request.user, purchase, refused=refused)
        )


class NewCardChargeView(PurchaseActionView):
    """Settle a debt on the shopper's newest card (the one they added after the decline)."""

    def act(self, request: HttpRequest, purchase: Purchase) -> str:
        charged = bad_carts.purchase_charge_newest_card(purchase_pk=purchase.pk, user_pk=_user_pk(request))
        return f"Charging the newest card. Payment: {charged.get_payment_status_display()}."


class WriteOffView(PurchaseActionView):
    def act(self, request: HttpRequest, purchase: Purchase) -> str:
        bad_carts.purchase_write_off(
            purchase_pk=purchase.pk, user_pk=_user_pk(request), reason=request.POST.get("reason", "")
        )
        return "Written off: nothing will be collected."


class PaidAtCounterView(PurchaseActionView):
    def act(self, request: HttpRequest, purchase: Purchase) -> str:
        bad_carts.purchase_paid_at_counter(
            purchase_pk=purchase.pk, user_pk=_user_pk(request), note=request.POST.get("note", "")
        )
        return "Recorded as paid at the counter."


def _refund_lines(request: HttpRequest, purchase: Purchase) -> dict[int, Decimal] | None:
    """``{line pk: quantity}`` from the form's ``line-<pk>`` fields; None to refund everything left."""
    if request.POST.get("everything") == "on":
        return None
    lines: dict[int, Decimal] = {}
    for line_pk in purchase.lines.values_list("pk", flat=True):
        text = request.POST.get(f"line-{line_pk}", "").strip()
        if not text:
            continue
        try:
            quantity = Decimal(text)
        except InvalidOperation as error:
            raise ApplicationError(f"“{text}” is not a quantity.") from error
        if not quantity.is_finite() or quantity < 0:
            raise ApplicationError(f"“{text}” is not a quantity.")
        lines[line_pk] = quantity
    if not lines:
        raise ApplicationError("Enter a quantity on at least one line, or tick “everything left”.")
    return lines


class RefundView(PurchaseActionView):
    permission_required = "orders.add_refund"

    def act(self, request: HttpRequest, purchase: Purchase) -> str:
        refund = refund_create(
            purchase_pk=purchase.pk,
            reason=request.POST.get("reason", ""),
            reason_code=request.POST.get("reason_code", RefundReason.OTHER),
            user_pk=_user_pk(request),
            lines=_refund_lines(request, purchase),
        )
        refund.refresh_from_db()
        amount = quantize_money(refund.amount, purchase.currency)
        return f"Refund of {amount} {purchase.currency}: {refund.get_status_display()}."


class RefundAmountView(PurchaseDetailView):
    """POST only: an amount of the purchase given back. A refused amount (zero, negative, more than
    is left, finer than the currency's minor unit) shows the purchase's page again with the error
    on the field, and nothing is stored."""

    permission_required = "orders.add_refund"
    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        purchase = self.scoped_get(Purchase, pk=pk)
        actions = purchase_actions(request.user, purchase)
        form = RefundAmountForm(
            request.POST, currency=purchase.currency, remaining=quantize_money(actions["refundable"], purchase.currency)
        )
        refused = ""
        if form.is_valid() or not actions["can_refund"]:
            try:
                refund = refund_create(
                    purchase_pk=purchase.pk,
                    reason=form.cleaned_data.get("reason", ""),
                    reason_code=form.cleaned_data.get("reason_code", RefundReason.OTHER),
                    user_pk=_user_pk(request),
                    amount=form.cleaned_data.get("amount", Decimal(0)),
                    request_key=form.cleaned_data.get("request_key", ""),
                )
            except ApplicationError as error:
                refused = error.message
            else:
                refund.refresh_from_db()
                amount = quantize_money(refund.amount, purchase.currency)
                messages.success(request, f"Refund of {amount} {purchase.currency}: {refund.get_status_display()}.")
                return HttpResponseRedirect(reverse("orders:purchase_detail", args=[pk]))
        if not actions["can_refund"]:  # no form on the page to show the error on
            messages.error(request, refused)
            return HttpResponseRedirect(reverse("orders:purchase_detail", args=[pk]))
        if refused:
            form.add_error("amount", refused)
        return self.render_to_response(self.get_context_data(pk=pk, refund_amount_form=form))


class IssueDismissView(StoreScopedView, View):
    permission_required = "orders.change_paymentissue"

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        issue = get_object_or_404(
            reports.payment_issues_of_stores(PaymentIssue.objects.all(), store_ids=self.store_ids), pk=pk
        )
        try:
            issue_dismiss(issue_pk=issue.pk, user_pk=_user_pk(request), note=request.POST.get("note", ""))
            messages.success(request, "Issue dismissed.")
        except ApplicationError as error:
            messages.error(request, error.message)
        target = (
            reverse("orders:purchase_detail", args=[issue.purchase_id])
            if issue.purchase_id
            else reverse("orders:issue_list")
        )
        return HttpResponseRedirect(target)
