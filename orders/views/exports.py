"""Finance exports as CSV (streamed) or XLSX (written to a temporary file, then streamed): the
purchase list's filters, limited to the user's stores."""

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from django.http import FileResponse, Http404, HttpRequest, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.utils import timezone
from django.views import View

from catalog.models import Store
from orders import resources
from orders.forms import PurchaseFilterForm, SalesFilterForm
from orders.selectors.exports import EXPORT_KINDS, export_queryset
from orders.selectors.settlement import settlement_days, store_today
from orders.views.common import StoreScopedView

FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
RESOURCES: dict[str, type[resources.resources.Resource]] = {
    "purchases": resources.PurchaseResource,
    "lines": resources.PurchaseLineResource,
    "payments": resources.PaymentOperationResource,
    "refunds": resources.RefundResource,
}


def export_response(
    *, header: list[str], lines: Any, fmt: str, name: str, text_times: Sequence[int] = ()
) -> HttpResponseBase:
    filename = f"{name}-{timezone.now():%Y%m%d-%H%M%S}.{fmt}"
    if fmt == "csv":
        response: HttpResponseBase = StreamingHttpResponse(
            resources.csv_chunks(header, lines, text_times=text_times), content_type=FORMATS[fmt]
        )
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response
    file = resources.xlsx_file(header, lines, title=name)
    return FileResponse(file, as_attachment=True, filename=filename, content_type=FORMATS[fmt])


class ExportView(StoreScopedView, View):
    """``/orders/exports/<kind>.<csv|xlsx>``: purchases, lines, payments or refunds of the
    purchases the list's filters find (an invalid filter exports nothing rather than everything)."""

    permission_required = "orders.view_purchase"

    def get(self, request: HttpRequest, kind: str, fmt: str) -> HttpResponseBase:
        if kind not in EXPORT_KINDS or fmt not in FORMATS:
            raise Http404("No such export.")
        form = PurchaseFilterForm(request.GET or None)
        if request.GET and not form.is_valid():
            raise Http404("Those filters are not valid.")
        resource = RESOURCES[kind]()
        queryset = export_queryset(kind=kind, filters=form.filters(), store_ids=self.store_ids)
        as_csv = fmt == "csv"
        return export_response(
            header=resources.headers(resource),
            lines=resources.rows(resource, queryset, times_as_text=as_csv),
            fmt=fmt,
            name=kind,
            text_times=resources.time_columns(resource, queryset.model) if as_csv else (),
        )


class SettlementExportView(StoreScopedView, View):
    """``/orders/exports/settlement-days.<csv|xlsx>``: one row per store day and currency, for a
    store (the user's first by default) and a range of its days (default: its today)."""

    permission_required = "orders.view_purchase"

    def get(self, request: HttpRequest, fmt: str) -> HttpResponseBase:
        if fmt not in FORMATS:
            raise Http404("No such export.")
        form = SalesFilterForm(request.GET or None)
        if request.GET and not form.is_valid():
            raise Http404("Those filters are not valid.")
        cleaned = form.cleaned_data if form.is_valid() else {}
        store = cleaned.get("store") or self.scoped(Store.objects.order_by("name"), field="pk").first()
        if store is None:
            raise Http404("No store.")
        date_to = cleaned.get("date_to") or store_today(store=store, now=timezone.now())
        date_from = cleaned.get("date_from") or date_to
        if date_from > date_to or date_to - date_from >= timedelta(days=SalesFilterForm.MAX_DAYS):
            raise Http404("No such range.")
        resource = resources.SettlementDayResource()
        days = settlement_days(store=store, date_from=date_from, date_to=date_to)
        lines = resources.resource_rows(resource, resources.settlement_rows(days))
        return export_response(header=resources.headers(resource), lines=lines, fmt=fmt, name="settlement-days")
