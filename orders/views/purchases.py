"""The purchase list and a purchase's page."""

import json
from datetime import timedelta
from typing import Any

from django.core.paginator import Page, Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.utils import timezone
from django.views.generic import TemplateView

from jwo_admin.core.money import quantize_money
from orders.forms import PurchaseFilterForm, RefundAmountForm
from orders.models import PaymentStatus, Purchase, PurchaseStatus, RefundReason
from orders.selectors import reports
from orders.selectors.receipts import RECEIPT_PAYMENT_STATUSES
from orders.selectors.store_payments import store_refund_days
from orders.views.common import PAGE_SIZE, StoreScopedView, percent_text, quantity_text, query_without_page

EXPORT_LABELS = (("purchases", "Purchases"), ("lines", "Lines"), ("payments", "Payments"), ("refunds", "Refunds"))


class PurchaseListView(StoreScopedView, TemplateView):
    """Every purchase, newest first, 50 a page, filtered by store, status, payment status, days and
    an exact purchase, trip or shopper id."""

    permission_required = "orders.view_purchase"
    template_name = "orders/purchase_list.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        form = PurchaseFilterForm(self.request.GET or None)
        page: Page[Any] = Paginator(self.scoped(reports.purchase_list(filters=form.filters())), PAGE_SIZE).get_page(
            self.request.GET.get("page")
        )
        context.update(
            form=form,
            page=page,
            purchases=page.object_list,
            query=query_without_page(self.request),
            export_kinds=EXPORT_LABELS,
        )
        return context


class PurchaseDetailView(StoreScopedView, TemplateView):
    """A purchase's lines, totals, hold, payment events, refunds, issues, audit trail and request."""

    permission_required = "orders.view_purchase"
    template_name = "orders/purchase_detail.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        try:
            detail = reports.purchase_detail(pk=kwargs["pk"])
        except Purchase.DoesNotExist as error:
            raise Http404("No such purchase.") from error
        purchase = detail.purchase
        self.store_or_404(purchase.store_id)
        context.update(
            purchase=purchase,
            lines=[(line, quantity_text(line.quantity), percent_text(line.tax_rate)) for line in detail.lines],
            operations=detail.operations,
            refunds=detail.refunds,
            issues=detail.issues,
            audits=detail.audits,
            request_json=json.dumps(purchase.request_body, indent=2, ensure_ascii=False, sort_keys=False),
            **purchase_actions(self.request.user, purchase),
        )
        if purchase.payment_status == PaymentStatus.FAILED:
            context["payment_problem"] = reports.purchase_payment_problem(purchase=purchase)
        if context["can_refund"] and "refund_amount_form" not in context:
            context["refund_amount_form"] = RefundAmountForm(
                currency=purchase.currency, remaining=quantize_money(context["refundable"], purchase.currency)
            )
        return context


class PaymentStatusView(StoreScopedView, TemplateView):
    """Where the purchase's money stands, as a fragment the purchase page polls while a charge
    waits for the gateway (``orders/_payment_live.html`` stops polling once it has settled)."""

    permission_required = "orders.view_purchase"
    template_name = "orders/_payment_live.html"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        # Signed out (or the permission was taken away) while polling: reload the whole page, which
        # then shows the sign-in form or the refusal, rather than swapping either into the purchase.
        if request.headers.get("HX-Request") == "true" and not self.has_permission():
            return HttpResponse(headers={"HX-Refresh": "true"})
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        purchase = self.scoped_get(Purchase.objects.select_related("store", "shopper"), pk=kwargs["pk"])
        context.update(payment_live_context(self.request.user, purchase))
        return context


def payment_live_context(user: Any, purchase: Purchase, *, refused: str = "") -> dict[str, Any]:
    """What the live payment fragment shows, served on its own (``is_fragment``: it also updates the
    page's payment badge): the status, why a charge failed, and the charge button while one may."""
    return {
        "purchase": purchase,
        "payment_problem": reports.purchase_payment_problem(purchase=purchase)
        if purchase.payment_status == PaymentStatus.FAILED
        else None,
        "refused": refused,
        "is_fragment": True,
        **purchase_actions(user, purchase),
    }


def purchase_actions(user: Any, purchase: Purchase) -> dict[str, Any]:
    """Which actions the purchase's state allows and the user may take (the services check again)."""
    change = user.has_perm("orders.change_purchase")
    status, payment = purchase.status, purchase.payment_status
    refundable = purchase.captured_total if payment == PaymentStatus.CAPTURED else purchase.total
    within = timezone.now() - purchase.created_at <= timedelta(days=store_refund_days(store=purchase.store))
    return {
        "can_resolve": change and status == PurchaseStatus.BAD_CART and payment == PaymentStatus.ON_HOLD,
        "can_assign": change and payment in (PaymentStatus.FAILED, PaymentStatus.ON_HOLD),
        "can_resend_receipt": change
        and status == PurchaseStatus.PRICED
        and payment in RECEIPT_PAYMENT_STATUSES
        and bool(purchase.shopper and purchase.shopper.email),
        "can_charge": change
        and status == PurchaseStatus.PRICED
        and payment in (PaymentStatus.ON_HOLD, PaymentStatus.FAILED),
        "can_counter": change
        and status == PurchaseStatus.PRICED
        and payment in (PaymentStatus.AT_COUNTER, PaymentStatus.FAILED),
        "can_refund": user.has_perm("orders.add_refund")
        and payment in (PaymentStatus.CAPTURED, PaymentStatus.PAID_AT_COUNTER)
        and within
        and refundable > purchase.refunded_total,
        "refundable": refundable - purchase.refunded_total,
        "refund_reasons": RefundReason.choices,
    }
