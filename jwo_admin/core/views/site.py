"""The liveness probe and the favicon (the staff home is operations' dashboard, the settings page
operations' too)."""

from django.http import HttpRequest, HttpResponseRedirect, JsonResponse
from django.templatetags.static import static
from django.views.decorators.http import require_GET


@require_GET
def favicon(request: HttpRequest) -> HttpResponseRedirect:
    """Browsers ask for /favicon.ico on pages that name no icon (Django admin, the API's JSON): send
    them to the static copy, which whitenoise serves with long caching."""
    return HttpResponseRedirect(static("favicon.ico"))


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness: the process answers. Touches nothing else on purpose."""
    return JsonResponse({"status": "ok"})
