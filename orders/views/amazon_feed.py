"""Amazon's store reporting as staff see it: the report files and events received, with their
errors and a retry button for the failed ones, and the day's differences between Amazon's trips
and our purchases.

Report files are not a store's (one file may list several stores): only users of every store see
them and retry them. Events and differences are limited to the user's stores.
"""

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.views import View
from django.views.generic import TemplateView

from jwo_admin.core.exceptions import ApplicationError
from orders.forms import AmazonFeedFilterForm
from orders.models import AmazonFeedEvent, AmazonReportFile, FeedStatus
from orders.selectors.amazon_feed import amazon_trip_differences, feed_counts, feed_event_list, report_file_list
from orders.services.amazon_feed import feed_event_retry, report_file_retry
from orders.views.common import StoreScopedView


class AmazonFeedView(StoreScopedView, TemplateView):
    permission_required = "orders.view_purchase"
    template_name = "orders/amazon_feed.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        form = AmazonFeedFilterForm(self.request.GET or None)
        self.stores_limit(form)
        valid = form.is_valid()
        store = form.cleaned_data.get("store") if valid else None
        day = (form.cleaned_data.get("day") if valid else None) or (
            timezone.localdate(timezone=store.zone) if store else None
        )
        events = self.scoped(AmazonFeedEvent.objects.all())
        return {
            **super().get_context_data(**kwargs),
            "form": form,
            "store": store,
            "day": day,
            "differences": amazon_trip_differences(store=store, day=day) if store and day else None,
            "files": report_file_list() if self.store_ids is None else None,
            "events": feed_event_list(events=events, problems_only=valid and form.cleaned_data["problems"]),
            "counts": feed_counts(events=events),
            "retryable": (FeedStatus.FAILED, FeedStatus.PARKED),
        }


class FeedRetryView(StoreScopedView, View):
    """POST only: read a failed or parked file or event again now."""

    permission_required = "orders.change_purchase"

    def retry(self, pk: int) -> str:
        raise NotImplementedError

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        try:
            messages.success(request, self.retry(pk))
        except ApplicationError as error:
            messages.error(request, error.message)
        return HttpResponseRedirect(reverse("orders:amazon_feed"))


class ReportFileRetryView(FeedRetryView):
    def retry(self, pk: int) -> str:
        if self.store_ids is not None:
            raise Http404("Report files are for users of every store.")
        report = report_file_retry(report=get_object_or_404(AmazonReportFile, pk=pk))
        return f"{report.key}: {report.get_status_display()}." + (f" {report.error}" if report.error else "")


class FeedEventRetryView(FeedRetryView):
    def retry(self, pk: int) -> str:
        event = feed_event_retry(event=self.scoped_get(AmazonFeedEvent, pk=pk))
        return f"Event {event.event_id}: {event.get_status_display()}." + (f" {event.error}" if event.error else "")
