"""Production: every secret comes from the environment, with no default, so a bad deploy fails at boot."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import MIDDLEWARE, env


def required(name: str) -> str:
    """A variable production cannot guess: unset or blank (``KEY=`` copied from .env.example), the
    process refuses to start and says which."""
    value = env.str(name, default="").strip()
    if not value:
        raise ImproperlyConfigured(f"Set the {name} environment variable (production has no default for it).")
    return value


DEBUG = False
SECRET_KEY = required("DJANGO_SECRET_KEY")
ALLOWED_HOSTS = [host.strip() for host in required("DJANGO_ALLOWED_HOSTS").split(",") if host.strip()]
DATABASES = {"default": env.db_url_config(required("DATABASE_URL"))}
DATABASES["default"]["ATOMIC_REQUESTS"] = True
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# Required here; base builds the cache and the broker from it (with their timeouts).
REDIS_URL = required("REDIS_URL")
CELERY_TASK_ALWAYS_EAGER = False
# Codes signed with a secret derived from nothing but SECRET_KEY would be forgeable by anyone who
# learns it; production names its own.
JWO_SCAN_KEY_SECRETS = [secret.strip() for secret in required("JWO_SCAN_KEY_SECRETS").split(",") if secret.strip()]

# --- Outside systems: named, never guessed --------------------------------------------------------
# Without these a production process would talk to the local fake Amazon, charge through the
# sandbox and mail receipts to localhost:25, all without a word. It refuses to start instead.
JWO_AMAZON_ENDPOINT = required("JWO_AMAZON_ENDPOINT")
AWS_REGION = required("AWS_REGION")
JWO_AMAZON_ROLE_ARN = required("JWO_AMAZON_ROLE_ARN")
if not JWO_AMAZON_ROLE_ARN.startswith("arn:"):
    raise ImproperlyConfigured(f"JWO_AMAZON_ROLE_ARN is not an ARN: {JWO_AMAZON_ROLE_ARN!r}")
# The sandbox only when named here (jwo_admin.integrations.payments.sandbox.SandboxGateway); staff pages then say so.
JWO_PAYMENT_GATEWAY = required("JWO_PAYMENT_GATEWAY")
# A simulation creates shoppers, gate events and purchases: in production only on a test store.
JWO_SIMULATOR_TEST_STORES_ONLY = True

# --- Static files: whitenoise ---------------------------------------------------------------
# `manage.py collectstatic` (the release step, on every web host) writes hashed, compressed copies
# under STATIC_ROOT; gunicorn serves them itself with a year's caching (a new release has new
# names), so no web server has to know where they are.
MIDDLEWARE = [
    *MIDDLEWARE[: MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1],
    "whitenoise.middleware.WhiteNoiseMiddleware",
    *MIDDLEWARE[MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1 :],
]
STORAGES: dict[str, dict[str, object]] = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# --- Files every machine reads: S3 (django-storages) ------------------------------------------
# An upload taken by one web machine is imported by a worker on another; a report kept by one
# worker is served by any web machine. So uploads, reports and django-import-export's previews
# live in a bucket. "local" keeps them under DJANGO_MEDIA_ROOT: one machine only, said explicitly.
JWO_MEDIA_STORAGE = env.str("JWO_MEDIA_STORAGE", default="s3")
if JWO_MEDIA_STORAGE == "s3":
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": required("JWO_MEDIA_BUCKET"),
            "region_name": AWS_REGION,  # required above
            "endpoint_url": env.str("AWS_ENDPOINT_URL", default="") or None,  # moto in tests
            "file_overwrite": False,
            "default_acl": None,  # the bucket's own policy (private)
            "querystring_auth": True,  # links, when any, are presigned and expire
            "querystring_expire": 300,
        },
    }
elif JWO_MEDIA_STORAGE != "local":
    raise ImproperlyConfigured(f"JWO_MEDIA_STORAGE is s3 or local, not {JWO_MEDIA_STORAGE!r}")

# --- Security --------------------------------------------------------------------------------
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
# TLS for Amazon's calls ends at the API gateway, which calls us over its own link: a redirect
# would be a refusal at the gate (SPEC §8.2), so the connectors are never redirected; nor are the
# probes a load balancer calls on each host directly (they carry nothing secret), nor /metrics,
# which Prometheus scrapes on each host inside the network (behind its bearer token).
SECURE_REDIRECT_EXEMPT = [r"^v1/", r"^healthz$", r"^readyz$", r"^metrics$"]  # Prometheus scrapes each host
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD", default=True)
SECURE_CONTENT_TYPE_NOSNIFF = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"

# --- Email: receipts ------------------------------------------------------------------------
# EMAIL_URL names the mail server (django-environ): smtp+tls://user:password@smtp.example.com:587
# (STARTTLS), smtp+ssl://…:465, smtp://host:25 (plain), consolemail:// or memorymail:// (tests).
_email = env.email_url_config(required("EMAIL_URL"))
EMAIL_BACKEND = _email["EMAIL_BACKEND"]
EMAIL_HOST = _email["EMAIL_HOST"] or "localhost"
EMAIL_PORT = _email["EMAIL_PORT"] or 25
EMAIL_HOST_USER = _email["EMAIL_HOST_USER"] or ""
EMAIL_HOST_PASSWORD = _email["EMAIL_HOST_PASSWORD"] or ""
EMAIL_USE_TLS = bool(_email.get("EMAIL_USE_TLS"))
EMAIL_USE_SSL = bool(_email.get("EMAIL_USE_SSL"))
EMAIL_TIMEOUT = env.int("DJANGO_EMAIL_TIMEOUT", default=10)  # a mail server that hangs is tried again later
DEFAULT_FROM_EMAIL = env.str("DJANGO_DEFAULT_FROM_EMAIL", default="receipts@example.com")

# --- Logs: one JSON object per line with the request id, secrets masked (jwo_admin.core.logging) --
JWO_LOG_FORMAT = env.str("JWO_LOG_FORMAT", default="json")
LOGGING["handlers"]["console"]["formatter"] = "json" if JWO_LOG_FORMAT == "json" else "plain"  # type: ignore[index]  # noqa: F405
