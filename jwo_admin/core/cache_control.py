"""``Cache-Control: no-store`` on every answer the app renders itself.

Staff pages carry shoppers' names and purchases, ``/shop/`` carries a live Scan Key Code, the app
API hands out tokens and receipts sit behind a token in the URL: none of it may stay in a shared
proxy's cache or a browser's history cache on a till. Static files never reach this middleware
(whitenoise answers them first, with a year's caching); a view that set its own Cache-Control
keeps it.
"""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse


class NoStoreMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not response.has_header("Cache-Control"):
            response["Cache-Control"] = "no-store"
        return response
