"""The staff home page: the operations dashboard. htmx refreshes its live part every 10 s, so the
charts move while a simulation (or a real store) runs."""

from typing import Any

from django.views.generic import TemplateView

from catalog.views.staff_stores import StoreScopedView
from operations.selectors.alerts import alerts_now
from operations.selectors.dashboard import dashboard


class DashboardView(StoreScopedView, TemplateView):
    permission_required: tuple[str, ...] = ()  # every signed-in staff user; figures of their stores only

    def get_template_names(self) -> list[str]:
        if self.request.headers.get("HX-Request"):
            return ["operations/_dashboard_live.html"]
        return ["operations/dashboard.html"]

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["board"] = dashboard(store_ids=self.store_ids)
        # The alerts count across every store: for those who look after all of them.
        context["alerts"] = alerts_now() if self.store_ids is None else []
        context["alerts_for_every_store_only"] = self.store_ids is not None
        return context
