"""The embedded default for a developer's machine: `make run`."""

from urllib.parse import urlsplit

from .base import *  # noqa: F403
from .base import JWO_AMAZON_ENDPOINT, VAR_DIR, env

DEBUG = env.bool("DJANGO_DEBUG", default=True)
EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
# The local fake Amazon serves its own SNS SubscribeURL.
JWO_SNS_CONFIRM_HOSTS = env.list("JWO_SNS_CONFIRM_HOSTS", default=[urlsplit(JWO_AMAZON_ENDPOINT).netloc])

# SQLite and the filesystem broker live under VAR_DIR; create their folders on first use.
for _folder in (
    VAR_DIR,
    VAR_DIR / "celery" / "queue",
    VAR_DIR / "celery" / "processed",
    VAR_DIR / "celery" / "control",
):
    _folder.mkdir(parents=True, exist_ok=True)
