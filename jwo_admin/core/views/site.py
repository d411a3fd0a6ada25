"""Settings pages and the liveness probe (the staff home is operations' dashboard)."""

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponseRedirect, JsonResponse
from django.templatetags.static import static
from django.views.decorators.http import require_GET
from django.views.generic import TemplateView

from catalog.selectors import catalog as catalog_selectors
from entry.scan_keys import qr_pattern
from jwo_admin.core import selectors
from jwo_admin.core.connector_keys import connector_key_list
from jwo_admin.core.sign_in import sign_in_locks
from jwo_admin.core.views.staff import StaffView


@require_GET
def favicon(request: HttpRequest) -> HttpResponseRedirect:
    """Browsers ask for /favicon.ico on pages that name no icon (Django admin, the API's JSON): send
    them to the static copy, which whitenoise serves with long caching."""
    return HttpResponseRedirect(static("favicon.ico"))


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness: the process answers. Touches nothing else on purpose."""
    return JsonResponse({"status": "ok"})


class SettingsView(StaffView, TemplateView):
    permission_required = "catalog.view_store"
    template_name = "core/settings.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["stores"] = catalog_selectors.store_list()
        context["staff"] = selectors.staff_list()
        context["connector_keys"] = connector_key_list()
        context["connector_header"] = settings.JWO_CONNECTOR_KEY_HEADER
        context["qr_pattern"] = qr_pattern(settings.JWO_SCAN_KEY_PREFIX)
        context["scan_key_ttl"] = settings.JWO_SCAN_KEY_TTL_SECONDS
        if self.request.user.has_perm("core.clear_signinlock"):
            context["sign_in_locks"] = sign_in_locks()
            context["sign_in_limits"] = {
                "account": settings.JWO_SIGN_IN_ACCOUNT_FAILURES,
                "address": settings.JWO_SIGN_IN_ADDRESS_FAILURES,
                "window": settings.JWO_SIGN_IN_WINDOW_MINUTES,
                "lock": settings.JWO_SIGN_IN_LOCK_MINUTES,
            }
        return context
