"""Times every call to Amazon's connectors and the shopper app's API, for ``/metrics``.

By resolved URL name, so the views stay as they are; staff pages are not timed here.
"""

import time
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

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
        started = time.perf_counter()
        response = self.get_response(request)
        match = request.resolver_match
        connector = CONNECTORS.get(match.view_name) if match is not None else None
        if connector is not None:
            connector_latency.labels(connector=connector, outcome=str(response.status_code)).observe(
                time.perf_counter() - started
            )
        return response
