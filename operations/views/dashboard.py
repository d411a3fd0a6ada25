"""The staff home page: the operations dashboard. htmx refreshes its live part every 10 s, so the
charts move while a simulation (or a real store) runs."""

from typing import Any

from django.contrib.auth.mixins import LoginRequiredMixin
from django.views.generic import TemplateView

from operations.selectors.alerts import alerts_now
from operations.selectors.dashboard import dashboard


class DashboardView(LoginRequiredMixin, TemplateView):
    def get_template_names(self) -> list[str]:
        if self.request.headers.get("HX-Request"):
            return ["operations/_dashboard_live.html"]
        return ["operations/dashboard.html"]

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["board"] = dashboard()
        context["alerts"] = alerts_now()
        return context
