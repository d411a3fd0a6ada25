"""``/readyz`` for load balancers and ``/metrics`` for Prometheus.

Both are for machines, so they take a bearer token (``JWO_METRICS_TOKEN``) instead of a session;
signed-in admins may look too. Anyone may ask ``/readyz`` whether the process is ready, but only
those see the figures and error messages behind the answer.
"""

import hmac
import os

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector

from jwo_admin.core.roles import ADMIN
from operations.metrics import DatabaseCollector
from operations.selectors.health import readiness


def _bearer_ok(request: HttpRequest) -> bool:
    token = settings.JWO_METRICS_TOKEN
    sent = request.headers.get("Authorization", "")
    return bool(token) and hmac.compare_digest(sent.encode(), f"Bearer {token}".encode())


def _is_admin(request: HttpRequest) -> bool:
    user = request.user
    return user.is_authenticated and (user.is_superuser or user.groups.filter(name=ADMIN).exists())


@never_cache
@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    checks = readiness()
    ready = all(check.ok for check in checks)
    detailed = _bearer_ok(request) or _is_admin(request)
    body = {
        "status": "ready" if ready else "not ready",
        "checks": {
            check.name: ({"ok": check.ok, "detail": check.detail, **check.figures} if detailed else {"ok": check.ok})
            for check in checks
        },
    }
    return JsonResponse(body, status=200 if ready else 503)


@never_cache
@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    if not (_bearer_ok(request) or _is_admin(request)):
        status = 403 if request.user.is_authenticated else 401
        response = HttpResponse("Metrics need a bearer token or an admin's session.\n", status=status)
        if status == 401:
            response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        counted = CollectorRegistry()
        MultiProcessCollector(counted)  # every process's files, summed
    else:
        counted = REGISTRY
    read_now = CollectorRegistry()
    read_now.register(DatabaseCollector())
    return HttpResponse(generate_latest(counted) + generate_latest(read_now), content_type=CONTENT_TYPE_LATEST)
