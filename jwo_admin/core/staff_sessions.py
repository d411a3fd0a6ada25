"""Staff sessions end after ``JWO_STAFF_IDLE_HOURS`` without activity (12 h by default).

A till left signed in overnight should not open the morning's first shopper's refunds. Activity is
what a person does: a page, a form, an htmx action. The live parts of pages (htmx GETs that poll
the gate log, progress, the dashboard) are not, or an open tab would keep a session alive for
ever. The last activity is written at most once a minute, so polling costs no session write.
"""

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse

LAST_ACTIVITY = "jwo_last_activity"
WRITE_EVERY_SECONDS = 60


def _is_activity(request: HttpRequest) -> bool:
    return not (request.headers.get("HX-Request") == "true" and request.method == "GET")


class StaffIdleTimeoutMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = time.time()
            last = request.session.get(LAST_ACTIVITY)
            idle = settings.JWO_STAFF_IDLE_HOURS * 3600
            if isinstance(last, int | float) and now - last > idle:
                logout(request)
                messages.info(
                    request, f"You were signed out after {settings.JWO_STAFF_IDLE_HOURS:g} hours without activity."
                )
            elif not isinstance(last, int | float) or (_is_activity(request) and now - last >= WRITE_EVERY_SECONDS):
                request.session[LAST_ACTIVITY] = now
        return self.get_response(request)
