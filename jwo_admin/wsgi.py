"""WSGI entry point for gunicorn."""

import os

from django.conf import settings
from django.core.wsgi import get_wsgi_application

from jwo_admin.core.arrival import ShedLateCalls
from jwo_admin.core.chunked import ChunkedBodies

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jwo_admin.settings.production")

# Calls that already waited too long for a worker are answered before Django (jwo_admin/core/arrival.py).
application = ShedLateCalls(ChunkedBodies(get_wsgi_application(), limit=lambda: settings.JWO_CONNECTOR_MAX_BODY_BYTES))
