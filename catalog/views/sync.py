"""Staff screens for the sync with Amazon: what is pending, start, follow, inspect, retry."""

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views import View
from django.views.generic import TemplateView

from catalog.models import InboundMessage, ItemResult, Store, SyncRun, UploadBatch
from catalog.selectors import stores
from catalog.selectors import sync as sync_selectors
from catalog.services.connectivity import connectivity_check
from catalog.services.notifications import subscription_confirm
from catalog.services.sync_plan import SyncAlreadyRunning, sync_request, sync_retry_failed
from catalog.services.sync_results import report_raw_read
from catalog.views.staff_stores import StoreScopedView
from jwo_admin.core.exceptions import ApplicationError
from jwo_admin.core.views.staff import query_without_page


class SyncOverviewView(StoreScopedView, TemplateView):
    """Per store: what Amazon does not have yet (by reason, with a sample), and the sync history."""

    permission_required = "catalog.view_product"
    template_name = "catalog/sync_overview.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["previews"] = [
            sync_selectors.sync_preview(store=store, sample_size=5)
            for store in self.scoped(stores.store_list(), field="pk")
        ]
        context["runs"] = sync_selectors.sync_run_list(limit=20, store_ids=self.store_ids)
        context["is_syncing"] = not all(run.is_finished for run in context["runs"])
        context["chart"] = sync_selectors.sync_results_by_day(store_ids=self.store_ids)
        context["connectivity_call"] = sync_selectors.last_connectivity_call()
        context["notifications"] = sync_selectors.recent_notifications(limit=10)
        context["subscriptions"] = sync_selectors.subscriptions_to_confirm()
        return context


class SyncStartView(StoreScopedView, View):
    permission_required = "catalog.sync_catalog"

    def post(self, request: HttpRequest) -> HttpResponse:
        store_pk = request.POST.get("store", "")
        if not store_pk.isdigit():
            raise Http404("No such store")
        store = self.scoped_get(Store, field="pk", pk=int(store_pk))
        try:
            run = sync_request(store=store, is_full=request.POST.get("full") == "1", requested_by=request.user)
        except SyncAlreadyRunning as error:
            messages.error(request, error.message)
            return redirect("catalog:sync_overview")
        return redirect("catalog:sync_detail", pk=run.pk)


class SyncDetailView(StoreScopedView, TemplateView):
    permission_required = "catalog.view_product"
    template_name = "catalog/sync_detail.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        run = self.scoped_get(SyncRun.objects.select_related("store", "requested_by", "retry_of"), pk=kwargs["pk"])
        result = self.request.GET.get("result", "")
        result = result if result in ItemResult.values else ""
        search = self.request.GET.get("q", "")[:255]
        page = Paginator(sync_selectors.sync_run_items(run=run, result=result, search=search), 100).get_page(
            self.request.GET.get("page")
        )
        context.update(
            run=run,
            batches=sync_selectors.sync_run_batches(run=run),
            follow_ups=sync_selectors.sync_run_follow_ups(run=run),
            calls=sync_selectors.sync_run_calls(run=run)[:200],
            page=page,
            items=page.object_list,
            query=query_without_page(self.request),
            result=result,
            search=search,
            results=ItemResult.choices,
            done_percent=(
                int(100 * (run.items_total - run.items_pending) / run.items_total)
                if run.items_total
                else (0 if run.status == "planning" else 100)
            ),
        )
        return context


class SyncProgressView(SyncDetailView):
    """The live part of the detail page, polled by htmx while the sync runs."""

    template_name = "catalog/_sync_progress.html"

    def render_to_response(self, context: dict[str, Any], **kwargs: Any) -> HttpResponse:
        response = super().render_to_response(context, **kwargs)
        if context["run"].status == "done":
            response["HX-Refresh"] = "true"
        return response


class SyncReportView(StoreScopedView, View):
    """Amazon's report for one batch exactly as it was received (kept whatever its shape)."""

    permission_required = "catalog.view_product"

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        batch = self.scoped_get(UploadBatch.objects.defer("body"), field="sync_run__store", pk=pk)
        if not batch.report_file:
            raise Http404("No report kept for this batch")
        response = HttpResponse(report_raw_read(batch=batch), content_type="text/plain; charset=utf-8")
        response["Content-Disposition"] = f'inline; filename="report-{batch.ingestion_id}.json"'
        response["X-Content-Type-Options"] = "nosniff"
        return response


class SubscriptionConfirmView(StoreScopedView, View):
    """Confirm the SNS subscription Amazon's topic asks for (until then it delivers no results)."""

    permission_required = "catalog.sync_catalog"

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        message = get_object_or_404(InboundMessage, pk=pk)
        try:
            confirmed = subscription_confirm(message=message, confirmed_by=request.user)
        except ApplicationError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, f"Subscription to {confirmed.topic_arn} confirmed.")
        return redirect("catalog:sync_overview")


class SyncRetryView(StoreScopedView, View):
    permission_required = "catalog.sync_catalog"

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        run = self.scoped_get(SyncRun, pk=pk)
        try:
            retry = sync_retry_failed(
                run=run,
                requested_by=request.user,
                background=True,
                include_rejected=request.POST.get("include_rejected") == "1",
            )
        except ApplicationError as error:
            messages.error(request, error.message)
            return redirect("catalog:sync_detail", pk=pk)
        return redirect("catalog:sync_detail", pk=retry.pk)


class ConnectivityView(StoreScopedView, View):
    """Test the signed call to Amazon and the results queue now; answers the status partial. A
    call to Amazon under its rate limit, recorded: for those who run the sync."""

    permission_required = "catalog.sync_catalog"

    def post(self, request: HttpRequest) -> HttpResponse:
        return render(request, "catalog/_connectivity.html", {"report": connectivity_check()})
