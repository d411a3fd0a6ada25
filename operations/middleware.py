"""Times every call to Amazon's connectors and the shopper app's API, for ``/metrics``.

By resolved URL name, so the views stay as they are; staff pages are not timed here. From the
call's arrival (the proxy's request-start header, else gunicorn's stamp: jwo_admin/core/arrival.py),
so the time it queued for a worker is in the figure, as the caller lived it.
"""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from jwo_admin.core.arrival import request_arrived_at, request_waited
from jwo_admin.core.metrics import connector_latency

CONNECTORS = {
    "entry_api:identity_keys": "identity",
    "orders_api:create_purchases": "purchases",
    "entry_api:app_token": "app",
    "entry_api:app_scan_keys": "app",
}


class ConnectorMetricsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_arrived_at(request.META)  # read before the call's own work: the views time from it too
        response = self.get_response(request)
        match = request.resolver_match
        connector = CONNECTORS.get(match.view_name) if match is not None else None
        if connector is not None:
            connector_latency.labels(connector=connector, outcome=str(response.status_code)).observe(
                request_waited(request.META)
            )
        return response
