"""The site's 404 and 500 answers: the connectors' one JSON shape under ``/v1/``, the staff pages
(with the navigation) elsewhere.

Django renders these outside every view, and a page that fails to render here has no one left to
catch it: the caller would get the web server's bare error page. So a connector path never
renders a template, and the 500 page falls back to plain text if its own template fails.
"""

import logging

from django.http import HttpRequest, HttpResponse, HttpResponseServerError, JsonResponse
from django.views import defaults

from jwo_admin.core.api.connector import CONNECTOR_PREFIX, status_message

logger = logging.getLogger(__name__)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if request.path.startswith(CONNECTOR_PREFIX):
        return JsonResponse({"message": status_message(404)}, status=404)
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    if request.path.startswith(CONNECTOR_PREFIX):
        return JsonResponse({"message": status_message(500)}, status=500)
    try:
        return defaults.server_error(request)
    except Exception:  # the error page itself failed (a template, a static file): still answer
        logger.exception("the 500 page could not be rendered")
        return HttpResponseServerError("Server error (500). The team has been told.", content_type="text/plain")
