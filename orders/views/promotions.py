"""Promotions: the list (in the order the engine applies them), create, edit and deactivate."""

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.views import View
from django.views.generic import FormView, TemplateView

from orders.forms import WEEKDAYS, PromotionFilterForm, PromotionForm
from orders.models import Promotion
from orders.pricing.types import PROMOTION_KIND_FIELDS, PromotionKind
from orders.selectors import reports
from orders.services.promotions import promotion_deactivate, promotion_save
from orders.views.common import StoreScopedView, quantity_text

CENT = Decimal("0.01")
DAY_NAMES = dict(WEEKDAYS)


def amount_text(amount: Decimal) -> str:
    """An amount of any store's currency: two decimals unless it has more (5.000 → 5.00, 1.995 → 1.995)."""
    return str(amount.quantize(CENT)) if amount == amount.quantize(CENT) else quantity_text(amount)


def benefit_text(promotion: Promotion) -> str:
    """What the promotion gives, in a few words: "10 % off", "3 for 5.00", "buy 2, get 1 free"."""
    percent = quantity_text(promotion.percent) if promotion.percent is not None else ""
    amount = amount_text(promotion.amount) if promotion.amount is not None else ""
    kind = promotion.kind
    if kind == PromotionKind.PERCENT_OFF:
        return f"{percent} % off"
    if kind == PromotionKind.AMOUNT_OFF:
        return f"{amount} off each"
    if kind == PromotionKind.FIXED_PRICE:
        return f"each at {amount}"
    if kind == PromotionKind.MULTI_BUY:
        return f"{promotion.buy_quantity} for {amount}"
    if kind == PromotionKind.BUY_X_GET_Y:
        free = f"{percent} % off" if percent else "free"
        return f"buy {promotion.buy_quantity}, get {promotion.get_quantity} {free}"
    minimum = amount_text(promotion.minimum_spend) if promotion.minimum_spend is not None else "0.00"
    return f"spend {minimum}, save {amount or percent + ' %'}"


def targets_text(promotion: Promotion) -> str:
    parts = [
        f"{label} {', '.join(values)}"
        for label, values in (("SKU", promotion.skus), ("category", promotion.categories), ("brand", promotion.brands))
        if values
    ]
    return " · ".join(parts) or "every product"


def window_text(promotion: Promotion) -> str:
    parts = []
    # Wall-clock times on each store's clock (orders.pricing.types): shown as stored, never converted.
    if promotion.starts_at is not None:
        parts.append(f"from {promotion.starts_at:%Y-%m-%d %H:%M}")
    if promotion.ends_at is not None:
        parts.append(f"until {promotion.ends_at:%Y-%m-%d %H:%M}")
    if promotion.days_of_week:
        parts.append(", ".join(DAY_NAMES[day] for day in sorted(promotion.days_of_week)))
    if promotion.time_from is not None and promotion.time_to is not None:
        parts.append(f"{promotion.time_from:%H:%M}–{promotion.time_to:%H:%M}")
    return " · ".join(parts) or "always"


@dataclass(frozen=True)
class PromotionRow:
    promotion: Promotion
    kind: str
    benefit: str
    targets: str
    stores: str
    window: str


def promotion_row(promotion: Promotion) -> PromotionRow:
    store_ids = [store.store_id for store in promotion.stores.all()]
    return PromotionRow(
        promotion=promotion,
        kind=(
            PROMOTION_KIND_FIELDS[PromotionKind(promotion.kind)].label
            if promotion.kind in PROMOTION_KIND_FIELDS
            else promotion.kind
        ),
        benefit=benefit_text(promotion),
        targets=targets_text(promotion),
        stores=", ".join(store_ids) or "every store",
        window=window_text(promotion),
    )


class PromotionListView(StoreScopedView, TemplateView):
    permission_required = "orders.view_promotion"
    template_name = "orders/promotion_list.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        form = PromotionFilterForm(self.request.GET or None)
        context.update(
            form=form,
            rows=[
                promotion_row(p) for p in reports.promotion_list(is_active=form.is_active(), store_ids=self.store_ids)
            ],
        )
        return context


class PromotionFormView(StoreScopedView, FormView):
    """Create (no ``pk``) or edit a promotion; the service saves it (and refuses what the engine would)."""

    template_name = "orders/promotion_form.html"
    form_class = PromotionForm

    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs = super().get_form_kwargs()
        if "pk" in self.kwargs:
            kwargs["instance"] = get_object_or_404(
                reports.promotions_of_stores(store_ids=self.store_ids), pk=self.kwargs["pk"]
            )
        return kwargs

    def form_valid(self, form: PromotionForm) -> HttpResponse:
        promotion = form.save(commit=False)
        if self.store_ids is not None and not form.cleaned_data["stores"]:
            form.add_error("stores", "Choose your stores: a promotion for every store needs access to every store.")
            return self.form_invalid(form)
        try:
            promotion_save(promotion=promotion, stores=form.cleaned_data["stores"])
        except ValidationError as error:
            form.add_error(None, error)
            return self.form_invalid(form)
        messages.success(self.request, f"Promotion “{promotion.name}” saved: {benefit_text(promotion)}.")
        return redirect("orders:promotion_list")


class PromotionCreateView(PromotionFormView):
    permission_required = "orders.add_promotion"


class PromotionUpdateView(PromotionFormView):
    permission_required = "orders.change_promotion"


class PromotionDeactivateView(StoreScopedView, View):
    permission_required = "orders.change_promotion"

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        promotion = get_object_or_404(reports.promotions_of_stores(store_ids=self.store_ids), pk=pk)
        promotion_deactivate(promotion=promotion)
        messages.success(request, f"Promotion “{promotion.name}” deactivated: new carts no longer get it.")
        return redirect("orders:promotion_list")
