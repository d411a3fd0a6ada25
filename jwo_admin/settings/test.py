"""Settings for the test suite: tasks run eagerly, passwords hash fast."""

from .base import *  # noqa: F403
from .base import env

DEBUG = False
CELERY_TASK_ALWAYS_EAGER = True
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
MEDIA_ROOT = env.str("DJANGO_MEDIA_ROOT", default="/tmp/jwo-test-media")  # noqa: S108
# Several test runs may share one PostgreSQL server; each can name its own test database.
if env.str("JWO_TEST_DB_NAME", default=""):
    DATABASES["default"]["TEST"] = {"NAME": env.str("JWO_TEST_DB_NAME")}  # noqa: F405
