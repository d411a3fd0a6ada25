"""Launch readiness: the checklist, ticking a step, and the CSV for the launch review."""

import csv
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.views import View
from django.views.generic import TemplateView

from catalog.views.staff_stores import StoreScopedView
from jwo_admin.core.exceptions import ApplicationError
from operations.selectors.readiness import readiness_items
from operations.services.readiness import readiness_mark


class ReadinessView(StoreScopedView, TemplateView):
    permission_required = "operations.view_readinessmark"
    template_name = "operations/readiness.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        items = readiness_items(store_ids=self.store_ids)
        context["items"] = items
        context["done"] = sum(item.ok for item in items)
        context["can_mark"] = self.request.user.has_perm("operations.change_readinessmark")
        return context


class ReadinessMarkView(StoreScopedView, View):
    permission_required = "operations.change_readinessmark"

    def post(self, request: HttpRequest) -> HttpResponse:
        try:
            readiness_mark(
                item=request.POST.get("item", ""),
                is_done=request.POST.get("is_done") == "on",
                note=request.POST.get("note", ""),
                user=request.user,  # type: ignore[arg-type]
            )
        except ApplicationError as error:
            return HttpResponse(str(error), status=400)
        messages.success(request, "Saved.")
        return HttpResponseRedirect(reverse("operations:readiness"))


class ReadinessCsvView(StoreScopedView, View):
    permission_required = "operations.view_readinessmark"

    def get(self, request: HttpRequest) -> HttpResponse:
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="launch-readiness-{timezone.localdate()}.csv"'
        writer = csv.writer(response)
        writer.writerow(["section", "item", "checked by", "state", "evidence or note", "ticked by", "ticked at"])
        for item in readiness_items(store_ids=self.store_ids):
            mark = item.mark
            writer.writerow(
                [
                    item.section,
                    item.title,
                    "app" if item.is_automatic else "staff",
                    "done" if item.ok else "open",
                    item.evidence,
                    mark.marked_by.get_username() if mark and mark.marked_by else "",
                    timezone.localtime(mark.marked_at).isoformat(timespec="seconds") if mark else "",
                ]
            )
        return response
