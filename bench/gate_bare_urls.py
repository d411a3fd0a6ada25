"""URLs for bench/gate.py's reference server: the connector's path, answered by a bare Django view."""

import json

from django.http import HttpRequest, JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST


@csrf_exempt  # as DRF's APIView is: the connector is called without a session
@require_POST
def bare_identity(request: HttpRequest) -> JsonResponse:
    """Parse the body and answer like an admission, touching nothing else (no key, database, Redis)."""
    body = json.loads(request.body or b"{}")
    return JsonResponse({"visitorDetails": {"id": str(body.get("storeId", "")), "type": "SHOPPER"}})


urlpatterns = [path("v1/identity/identity-keys", bare_identity)]
