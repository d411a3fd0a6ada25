"""The embedded default for a developer's machine: `make run`."""

from urllib.parse import urlsplit

from .base import *  # noqa: F403
from .base import JWO_AMAZON_ENDPOINT, VAR_DIR, env

DEBUG = env.bool("DJANGO_DEBUG", default=True)
# Mail (the demo's receipts among it) is written to files under VAR_DIR/mail, one per email: on the
# console it buried `make run`'s sign-in lines under thousands of lines of receipts.
EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
EMAIL_FILE_PATH = VAR_DIR / "mail"
# The local fake Amazon serves its own SNS SubscribeURL.
JWO_SNS_CONFIRM_HOSTS = env.list("JWO_SNS_CONFIRM_HOSTS", default=[urlsplit(JWO_AMAZON_ENDPOINT).netloc])

# SQLite, the filesystem broker and mail live under VAR_DIR; create their folders on first use.
for _folder in (
    VAR_DIR,
    EMAIL_FILE_PATH,
    VAR_DIR / "celery" / "queue",
    VAR_DIR / "celery" / "processed",
    VAR_DIR / "celery" / "control",
):
    _folder.mkdir(parents=True, exist_ok=True)
