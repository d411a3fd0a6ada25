"""The Celery application; configuration comes from Django settings (``CELERY_*``)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jwo_admin.settings.local")

app = Celery("jwo_admin")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
