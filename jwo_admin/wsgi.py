"""WSGI entry point for gunicorn."""

import os

from django.conf import settings
from django.core.wsgi import get_wsgi_application

from jwo_admin.core.chunked import ChunkedBodies

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jwo_admin.settings.production")

application = ChunkedBodies(get_wsgi_application(), limit=lambda: settings.JWO_CONNECTOR_MAX_BODY_BYTES)
