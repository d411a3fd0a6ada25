"""Settings shared by every environment, read from the environment.

Defaults here are safe for a developer's machine only (the embedded default: SQLite, no broker
server, local-memory cache). ``production.py`` reads every secret without a default.
"""

import os
import sys
from pathlib import Path

import environ
from kombu import Queue

BASE_DIR = Path(__file__).resolve().parent.parent.parent
env = environ.Env()

if env.bool("DJANGO_READ_DOT_ENV_FILE", default=False):
    env.read_env(str(BASE_DIR / ".env"))

VAR_DIR = Path(env.str("JWO_VAR_DIR", default=str(BASE_DIR / "var")))

# --- Core ------------------------------------------------------------------------------------
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="local-only-insecure-key-do-not-use-in-production")
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI's files, served from our static files (no CDN)
    "django_htmx",
    "csp",
    "import_export",
    "jwo_admin.core",
    "catalog",
    "entry",
    "orders",
    "operations",
]

MIDDLEWARE = [
    "jwo_admin.core.request_id.RequestIdMiddleware",
    "jwo_admin.core.api.connector.ConnectorAnswersMiddleware",
    "operations.middleware.ConnectorMetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "jwo_admin.core.staff_sessions.StaffIdleTimeoutMiddleware",
    "jwo_admin.core.cache_control.NoStoreMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "jwo_admin.urls"
WSGI_APPLICATION = "jwo_admin.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "jwo_admin.core.context_processors.navigation",
                "orders.context_processors.payments",
            ],
        },
    },
]

# --- Database --------------------------------------------------------------------------------
# DATABASE_URL selects PostgreSQL (psycopg 3); without it the embedded default is SQLite.
# (Blank counts as unset: "DATABASE_URL=" copied from .env.example.)
DATABASES = {
    "default": env.db_url_config(env.str("DATABASE_URL", default="").strip() or f"sqlite:///{VAR_DIR / 'jwo.sqlite3'}")
}
DATABASES["default"]["ATOMIC_REQUESTS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DATABASE_CONN_MAX_AGE", default=60))
    DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)
elif DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Several processes (web, worker) share the file in the embedded default.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"}
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache -----------------------------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="").strip()
# Every Redis client (cache, limiter, broker) gives up after these: a Redis that hangs (stopped,
# a full network buffer) must cost a gate call a fraction of its 2 s, not all of it. The cache is
# a cache: on a failure, each process reads without it for JWO_CACHE_RETRY_SECONDS.
JWO_REDIS_CONNECT_TIMEOUT = env.float("JWO_REDIS_CONNECT_TIMEOUT", default=0.25)
JWO_REDIS_TIMEOUT = env.float("JWO_REDIS_TIMEOUT", default=0.25)
JWO_CACHE_RETRY_SECONDS = env.float("JWO_CACHE_RETRY_SECONDS", default=5.0)
REDIS_CLIENT_OPTIONS = {"socket_connect_timeout": JWO_REDIS_CONNECT_TIMEOUT, "socket_timeout": JWO_REDIS_TIMEOUT}
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "jwo_admin.core.cache.SharedRedisCache",  # Django's, one client per pool
            "LOCATION": REDIS_URL,
            "OPTIONS": REDIS_CLIENT_OPTIONS,
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "jwo-admin"}}

# --- Client addresses ---------------------------------------------------------------------------
# The load balancers / proxies in front (addresses or networks, comma-separated) whose
# X-Forwarded-For is believed; every throttle and sign-in lockout keys on the address they vouch
# for (jwo_admin.core.client_address). Blank: the socket's address, whatever the header says.
JWO_TRUSTED_PROXIES = env.list("JWO_TRUSTED_PROXIES", default=[])

# --- Auth ------------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Staff sign-in (jwo_admin.core.sign_in): this many failures within the window lock the account,
# or the client address, for the lock's minutes (admins clear locks on the settings page).
JWO_SIGN_IN_ACCOUNT_FAILURES = env.int("JWO_SIGN_IN_ACCOUNT_FAILURES", default=5)
JWO_SIGN_IN_ADDRESS_FAILURES = env.int("JWO_SIGN_IN_ADDRESS_FAILURES", default=20)
JWO_SIGN_IN_WINDOW_MINUTES = env.int("JWO_SIGN_IN_WINDOW_MINUTES", default=15)
JWO_SIGN_IN_LOCK_MINUTES = env.int("JWO_SIGN_IN_LOCK_MINUTES", default=15)
# A staff session ends after this many hours without activity (pages and actions; live polls do
# not count): jwo_admin.core.staff_sessions.
JWO_STAFF_IDLE_HOURS = env.float("JWO_STAFF_IDLE_HOURS", default=12.0)
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# --- Internationalisation --------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("DJANGO_TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

# --- Static and media ------------------------------------------------------------------------
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env.str("DJANGO_STATIC_ROOT", default=str(VAR_DIR / "staticfiles"))
MEDIA_URL = "media/"
MEDIA_ROOT = env.str("DJANGO_MEDIA_ROOT", default=str(VAR_DIR / "media"))
# django-import-export keeps an admin import's file between its preview and its confirmation in
# the default storage (S3 in production), not in one machine's /tmp: the confirmation may reach
# another web machine.
IMPORT_EXPORT_TMP_STORAGE_CLASS = "import_export.tmp_storages.MediaStorage"
# Uploaded imports and Amazon's raw reports are deleted this many days after they were made
# (their records stay); django-import-export's abandoned previews after a day.
JWO_FILES_KEEP_DAYS = env.int("JWO_FILES_KEEP_DAYS", default=90)
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

# --- Django REST framework -------------------------------------------------------------------
# Deny by default: partner views opt into their own authentication scheme.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.SessionAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["jwo_admin.core.api.parsers.StorableJSONParser"],  # every API speaks JSON only
    "EXCEPTION_HANDLER": "jwo_admin.core.api.exception_handler.api_exception_handler",
    "UNAUTHENTICATED_USER": None,
    "DEFAULT_THROTTLE_RATES": {"shopper_sign_in": env.str("JWO_SHOPPER_SIGN_IN_RATE", default="10/min")},
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}

# --- Content Security Policy (django-csp) -----------------------------------------------------
# Everything the pages load comes from this site: our templates carry no inline script or style
# (htmx's own indicator style is switched off in base.html), Chart.js draws on canvas, Swagger UI
# runs from the sidecar's files with its initialisation as a separate script.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# --- The published contract (drf-spectacular) --------------------------------------------------
SPECTACULAR_SETTINGS = {
    "TITLE": "jwo-admin: Amazon Just Walk Out connectors and the shopper app",
    "DESCRIPTION": (
        "The Identity Connector and the Ordering Connector that Amazon calls through the API gateway, "
        "and the API of the retailer's shopper app. Unknown attributes in a request are ignored."
    ),
    "VERSION": "1.0.0",
    "OAS_VERSION": "3.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],  # staff, signed in
    "SERVE_AUTHENTICATION": ["rest_framework.authentication.SessionAuthentication"],
    "PREPROCESSING_HOOKS": ["jwo_admin.core.api.schema.published_paths_only"],
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "catalog.api_schema.add_catalog_upload",
    ],
    "ENUM_GENERATE_CHOICE_DESCRIPTION": False,
    "ENUM_NAME_OVERRIDES": {"ScanKeyProblemCodeEnum": "entry.api_schema.SCAN_KEY_PROBLEM_CODES"},
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# --- Celery ----------------------------------------------------------------------------------
# REDIS_URL → Redis broker. Without it the embedded default uses kombu's filesystem broker,
# which needs no server: `make run` starts one worker beside the web process.
# (Blank counts as unset: "CELERY_BROKER_URL=" as .env.example has it means REDIS_URL.)
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="").strip() or REDIS_URL or "filesystem://"
if CELERY_BROKER_URL == "filesystem://":
    _celery_dir = VAR_DIR / "celery"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_celery_dir / "queue"),
        "data_folder_out": str(_celery_dir / "queue"),
        "processed_folder": str(_celery_dir / "processed"),
        "control_folder": str(_celery_dir / "control"),
        "store_processed": False,
        # A message waits at most this long for the worker (kombu polls the folder; 1 s by default).
        "polling_interval": 0.2,
    }
# Publishing (a hold after an admission, a charge after a purchase) from a web request must not
# hang on a stopped Redis: a bounded wait, a few retries, then the caller's own fallback (the
# sweepers pick up what was not queued).
REDIS_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {
    "socket_connect_timeout": 1.0,
    "socket_timeout": 2.0,
    "max_retries": 2,
}
REDIS_PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.5}
if CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    CELERY_BROKER_TRANSPORT_OPTIONS = REDIS_BROKER_TRANSPORT_OPTIONS
    CELERY_TASK_PUBLISH_RETRY_POLICY = REDIS_PUBLISH_RETRY_POLICY
    CELERY_BROKER_CONNECTION_TIMEOUT = 1.0
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=30 * 60)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=35 * 60)
CELERY_TASK_IGNORE_RESULT = True
CELERY_WORKER_HIJACK_ROOT_LOGGER = False  # workers log through LOGGING: same format, same masking
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Celery's Django fixup closes the database connection before and after every task unless told to
# reuse it: a PostgreSQL backend started per hold or charge cost the worker more than the hold or
# charge itself (bench/celery_work.py). Kept instead; jwo_admin.celery closes it after a task as
# Django does after a request (past CONN_MAX_AGE, or left unusable by an error).
CELERY_DB_REUSE_MAX = 100_000
# Gate holds and charges have a queue of their own, so they never wait behind an import, a sync or
# a simulation: production runs a worker per queue (deploy/systemd/jwo-worker*.service); a worker
# started without -Q (make run, tests) takes both.
CELERY_TASK_DEFAULT_QUEUE = "celery"
CELERY_TASK_QUEUES = (Queue("celery"), Queue("payments"))
CELERY_TASK_ROUTES = {
    "orders.tasks.hold_place_task": {"queue": "payments"},
    "orders.tasks.holds_place_task": {"queue": "payments"},
    "orders.tasks.purchase_settle_task": {"queue": "payments"},
    "orders.tasks.refund_process_task": {"queue": "payments"},
}
# Every periodic task, in one place.
CELERY_BEAT_SCHEDULE = {
    "catalog-import-sweep": {"task": "catalog.tasks.catalog_import_sweep_task", "schedule": 60.0},
    "catalog-sync-dispatch": {"task": "catalog.tasks.sync_dispatch_task", "schedule": 2.0},
    "catalog-results-consume": {"task": "catalog.tasks.catalog_results_consume_task", "schedule": 60.0},
    "entry-scan-keys-purge": {"task": "entry.tasks.scan_keys_purge_task", "schedule": 3600.0},
    "entry-gate-events-spool-drain": {"task": "entry.tasks.gate_events_spool_drain_task", "schedule": 5.0},
    "orders-payments-sweep": {"task": "orders.tasks.payments_sweep_task", "schedule": 60.0},
    "catalog-files-sweep": {"task": "catalog.tasks.catalog_files_sweep_task", "schedule": 3600.0},
    "operations-sessions-clear": {"task": "operations.tasks.sessions_clear_task", "schedule": 24 * 3600.0},
    "operations-alerts-send": {"task": "operations.tasks.alerts_send_task", "schedule": 60.0},
    "orders-amazon-feed-poll": {"task": "orders.tasks.amazon_feed_poll_task", "schedule": 60.0},
    "orders-reconciliation-nightly": {"task": "orders.tasks.reconciliation_nightly_task", "schedule": 3600.0},
}

# --- Catalog ---------------------------------------------------------------------------------
# Which optional fields count as a change Amazon must receive (SPEC §7: SKU, barcode and
# description always do; price, brand, tax code and category depend on who owns them).
JWO_SYNC_FIELDS = env.list(
    "JWO_SYNC_FIELDS", default=["standard_price", "brand_name", "product_tax_code", "product_category"]
)
# Rows a single import may hold; larger files are refused before any work starts.
JWO_IMPORT_MAX_ROWS = env.int("JWO_IMPORT_MAX_ROWS", default=2_000_000)
JWO_IMPORT_MAX_BYTES = env.int("JWO_IMPORT_MAX_BYTES", default=512 * 1024 * 1024)
# An import with no progress for this long is taken as dead (its worker was killed) and failed.
JWO_IMPORT_STALE_MINUTES = env.int("JWO_IMPORT_STALE_MINUTES", default=15)
# New rows that need no explanation take a tight pass of their own (catalog/importing/checker.py);
# False sends every row through the full check (the same results, slower): a switch to rule the
# fast pass out when an import is in doubt.
JWO_IMPORT_PLAIN_PASS = env.bool("JWO_IMPORT_PLAIN_PASS", default=True)

# --- Amazon Catalog API (SPEC §3.1) -----------------------------------------------------------
# Calls are SigV4-signed with credentials from STS AssumeRole on JWO_AMAZON_ROLE_ARN.
# AWS_ENDPOINT_URL sends every AWS call (STS, SQS, S3) to a local endpoint such as moto.
JWO_AMAZON_ENDPOINT = env.str("JWO_AMAZON_ENDPOINT", default="http://127.0.0.1:8899")
AWS_REGION = env.str("AWS_REGION", default="us-east-1")  # ours: STS, the results queue, the reports bucket
# The catalog API's own region, which SigV4 signs for: read from the endpoint's host
# (….execute-api.<region>.amazonaws.com) unless set; it may differ from AWS_REGION.
JWO_AMAZON_REGION = env.str("JWO_AMAZON_REGION", default="")
JWO_AMAZON_ROLE_ARN = env.str("JWO_AMAZON_ROLE_ARN", default="arn:aws:iam::123456789012:role/jwo-catalog-api")
AWS_ENDPOINT_URL = env.str("AWS_ENDPOINT_URL", default="")
JWO_AMAZON_CONNECT_TIMEOUT = env.float("JWO_AMAZON_CONNECT_TIMEOUT", default=3.05)
JWO_AMAZON_READ_TIMEOUT = env.float("JWO_AMAZON_READ_TIMEOUT", default=30.0)
JWO_AMAZON_RATE_LIMIT = env.int("JWO_AMAZON_RATE_LIMIT", default=10)  # requests/s across all workers
# The window is a little over a second so the jitter between taking a slot and the request
# reaching Amazon (scheduling, network) cannot put an eleventh request in Amazon's one second.
JWO_AMAZON_RATE_WINDOW = env.float("JWO_AMAZON_RATE_WINDOW", default=1.15)
JWO_SYNC_BATCH_SIZE = min(env.int("JWO_SYNC_BATCH_SIZE", default=10_000), 10_000)
JWO_SYNC_MAX_ATTEMPTS = env.int("JWO_SYNC_MAX_ATTEMPTS", default=8)
# A 5xx Amazon did not document (API Gateway's own "Internal server error") is tried this many times.
JWO_SYNC_SERVER_ERROR_ATTEMPTS = env.int("JWO_SYNC_SERVER_ERROR_ATTEMPTS", default=3)
# Items a batch gave up on (throttled, server errors, no result in time) are sent again by a
# follow-up sync, this long after the run ended, doubling per follow-up (at most 2 h), at most this often.
JWO_SYNC_FOLLOW_UP_SECONDS = env.int("JWO_SYNC_FOLLOW_UP_SECONDS", default=300)
JWO_SYNC_FOLLOW_UPS = env.int("JWO_SYNC_FOLLOW_UPS", default=5)
JWO_SYNC_BACKOFF_BASE = env.float("JWO_SYNC_BACKOFF_BASE", default=1.0)  # seconds; doubles per attempt
JWO_SYNC_BACKOFF_CAP = env.float("JWO_SYNC_BACKOFF_CAP", default=120.0)
JWO_SYNC_POLL_MAX_SECONDS = env.int("JWO_SYNC_POLL_MAX_SECONDS", default=2 * 3600)  # Amazon: up to an hour
JWO_SYNC_STALE_SECONDS = env.int("JWO_SYNC_STALE_SECONDS", default=300)  # a claimed batch with no answer
# The SQS queue Amazon's SNS topic feeds (SPEC §5.3); blank disables the consumer.
JWO_SQS_QUEUE_URL = env.str("JWO_SQS_QUEUE_URL", default="")
JWO_SQS_WAIT_SECONDS = env.int("JWO_SQS_WAIT_SECONDS", default=10)
# Hosts (host:port) besides https://sns.<region>.amazonaws.com whose SubscribeURL staff may confirm.
JWO_SNS_CONFIRM_HOSTS = env.list("JWO_SNS_CONFIRM_HOSTS", default=[])
JWO_SQS_RUN_SECONDS = env.int("JWO_SQS_RUN_SECONDS", default=50)
# Raw reports: in this S3 bucket when set (production), else under MEDIA_ROOT.
JWO_REPORTS_BUCKET = env.str("JWO_REPORTS_BUCKET", default="")

# --- Amazon's store reports and event feed ([INFERRED] formats, SPEC §11.4) -----------------------
# Intra-day report files: read from this S3 bucket (under the prefix) and/or this local folder (an
# SFTP drop); blank disables each. The event feed: Amazon's SNS topic → this SQS queue; blank
# disables it. The formats are adapters in orders.amazon_formats, picked here by name.
JWO_AMAZON_REPORT_BUCKET = env.str("JWO_AMAZON_REPORT_BUCKET", default="")
JWO_AMAZON_REPORT_PREFIX = env.str("JWO_AMAZON_REPORT_PREFIX", default="store-reports/")
JWO_AMAZON_REPORT_DROP_DIR = env.str("JWO_AMAZON_REPORT_DROP_DIR", default="")
JWO_AMAZON_REPORT_FORMAT = env.str("JWO_AMAZON_REPORT_FORMAT", default="json_lines")  # json_lines | csv
JWO_AMAZON_EVENT_QUEUE_URL = env.str("JWO_AMAZON_EVENT_QUEUE_URL", default="")
JWO_AMAZON_EVENT_FORMAT = env.str("JWO_AMAZON_EVENT_FORMAT", default="json")
# A file or event that fails is tried again on each poll, this many times in all, then parked for staff.
JWO_AMAZON_FEED_MAX_ATTEMPTS = env.int("JWO_AMAZON_FEED_MAX_ATTEMPTS", default=3)
JWO_AMAZON_FEED_POLL_SECONDS = env.int("JWO_AMAZON_FEED_POLL_SECONDS", default=50)

# --- Entry: Scan Key Codes and the Identity Connector (SPEC §8, §9) --------------------------
# A code is PREFIX + version + issue time + recognition token + MAC, uppercase letters and digits
# only. The first secret signs; every listed secret verifies, so a secret can be rotated without
# turning away the codes on shoppers' screens. Locally the secret derives from SECRET_KEY.
JWO_SCAN_KEY_PREFIX = env.str("JWO_SCAN_KEY_PREFIX", default="JWOAPP")
JWO_SCAN_KEY_SECRETS = env.list("JWO_SCAN_KEY_SECRETS", default=[f"scan-key:{SECRET_KEY}"])
JWO_SCAN_KEY_TTL_SECONDS = env.int("JWO_SCAN_KEY_TTL_SECONDS", default=60)  # SPEC: 30–90 s
# Gates' and our clocks differ a little: a code issued up to this long "after" the event is fresh.
JWO_SCAN_KEY_CLOCK_SKEW_SECONDS = env.int("JWO_SCAN_KEY_CLOCK_SKEW_SECONDS", default=5)
JWO_SCAN_KEY_KEEP_DAYS = env.int("JWO_SCAN_KEY_KEEP_DAYS", default=7)  # expired codes are purged after
# SPEC §9.1 rule 5 refuses flagged accounts; some retailers let them in and review later.
JWO_ADMIT_FLAGGED_SHOPPERS = env.bool("JWO_ADMIT_FLAGGED_SHOPPERS", default=False)
# Amazon waits 2 s; we give the database this long, then answer 500 so the gate follows the
# store's default decision.
JWO_IDENTITY_BUDGET_MS = env.int("JWO_IDENTITY_BUDGET_MS", default=1200)
JWO_IDENTITY_DB_THREADS = env.int("JWO_IDENTITY_DB_THREADS", default=4)  # per web process
# Every connector call is timed from its arrival (jwo_admin/core/arrival.py): the proxy's request-start
# header ("" to trust none: no proxy in front sets it), else gunicorn's own stamp. A call that waited
# longer than these for a worker is answered at once without database work: the Identity Connector
# with its store-default 500 (Amazon waits 2 s; the answer must still reach the gate), Create
# Purchases with 503 and Retry-After (Amazon retries; the replay is priced then, once).
JWO_REQUEST_START_HEADER = env.str("JWO_REQUEST_START_HEADER", default="X-Request-Start")
JWO_IDENTITY_SHED_MS = env.int("JWO_IDENTITY_SHED_MS", default=1000)
JWO_PURCHASE_SHED_MS = env.int("JWO_PURCHASE_SHED_MS", default=2000)
# [INFERRED] A shed walk-out is asked back (Retry-After) after this many seconds, and a burst of
# them at this many a second per web process (jwo_admin/core/arrival.py, RetrySchedule).
JWO_PURCHASE_RETRY_AFTER_SECONDS = env.float("JWO_PURCHASE_RETRY_AFTER_SECONDS", default=1.0)
JWO_PURCHASE_RETRIES_PER_SECOND = env.float("JWO_PURCHASE_RETRIES_PER_SECOND", default=10.0)
# Each process keeps what it read from the shared cache (connector keys, stores) this long, so a
# gate call usually makes no cache round trip; a revoked key reaches other processes within it.
JWO_LOCAL_CACHE_SECONDS = env.float("JWO_LOCAL_CACHE_SECONDS", default=2.0)
# Connector keys (SPEC §3.2): the retailer's API gateway adds this header to Amazon's calls.
JWO_CONNECTOR_KEY_HEADER = env.str("JWO_CONNECTOR_KEY_HEADER", default="X-JWO-Connector-Key")
# [INFERRED] Amazon has published no size for its calls: a JSON body above this is refused as a 400
# in words (read no further); a cart of a thousand lines is a few hundred kilobytes.
JWO_CONNECTOR_MAX_BODY_BYTES = env.int("JWO_CONNECTOR_MAX_BODY_BYTES", default=2 * 1024 * 1024)
# Wrong connector keys from one address past this many a minute are answered 429 (valid keys never are).
JWO_CONNECTOR_KEY_FAILURES_PER_MINUTE = env.int("JWO_CONNECTOR_KEY_FAILURES_PER_MINUTE", default=30)
# Create Purchases: a cart line's quantity above this (or with more than 6 decimals, what is
# stored) is refused as a 400 naming the line, rather than priced into a total nobody meant.
JWO_MAX_LINE_QUANTITY = env.int("JWO_MAX_LINE_QUANTITY", default=10_000)
# [INFERRED] Amazon has not published its quantity.unit strings: more aliases on top of the built-in
# table (orders/pricing/units.py), as JSON {"alias": "unit"}, e.g. {"kilo gram": "kg", "bx": "each"}.
JWO_QUANTITY_UNIT_ALIASES = env.json("JWO_QUANTITY_UNIT_ALIASES", default={})

# --- Payments (the retailer's own; see orders/payments) ----------------------------------------
# A dotted class path: the sandbox's test cards, or a real provider's class (README, "Payments").
JWO_PAYMENT_GATEWAY = env.str("JWO_PAYMENT_GATEWAY", default="jwo_admin.integrations.payments.sandbox.SandboxGateway")
# A gateway that does not answer is asked again this many times, backing off from 5 s to 5 min.
JWO_PAYMENT_RETRIES = env.int("JWO_PAYMENT_RETRIES", default=6)
JWO_REFUND_DAYS = env.int("JWO_REFUND_DAYS", default=30)
# A hold with no purchase this long after entry is released by the sweeper.
JWO_HOLD_RELEASE_HOURS = env.int("JWO_HOLD_RELEASE_HOURS", default=6)
# A hold older than this when its cart is priced has expired at the card's bank: the store's policy
# says whether it is authorised afresh or becomes debt (README, "Bad debt").
JWO_HOLD_VALID_HOURS = env.int("JWO_HOLD_VALID_HOURS", default=168)
# Admissions announced within this many seconds (up to JWO_HOLD_BATCH_SIZE) go to the worker as one
# task: one hand-off and one read of the holds per batch, not per admission (README, "Payments").
JWO_HOLD_BATCH_SECONDS = env.float("JWO_HOLD_BATCH_SECONDS", default=0.2)
JWO_HOLD_BATCH_SIZE = env.int("JWO_HOLD_BATCH_SIZE", default=100)
# A shopper with this many debts recorded within this many days is blocked (README, "Bad debt").
JWO_REPEAT_OFFENDER_DEBTS = env.int("JWO_REPEAT_OFFENDER_DEBTS", default=2)
JWO_REPEAT_OFFENDER_DAYS = env.int("JWO_REPEAT_OFFENDER_DAYS", default=30)
# A receipt the mail server refuses or cannot take is tried again this many times (1 min doubling to 1 h).
JWO_RECEIPT_RETRIES = env.int("JWO_RECEIPT_RETRIES", default=8)
# Where the shopper's receipt links point (the site as shoppers reach it).
JWO_PUBLIC_BASE_URL = env.str("JWO_PUBLIC_BASE_URL", default="http://127.0.0.1:8000")

# --- Reconciliation ---------------------------------------------------------------------------
# An admitted shopper with no purchase this long after the store's last gate event of the day is a
# missing cart (its hold is kept for staff to decide). Each store's previous day is reconciled
# nightly, once this long has passed after its midnight.
JWO_MISSING_CART_HOURS = env.float("JWO_MISSING_CART_HOURS", default=2.0)

# --- Logging ---------------------------------------------------------------------------------
# "plain" for people, "json" (one object per line, request id, secrets masked) for machines.
JWO_LOG_FORMAT = env.str("JWO_LOG_FORMAT", default="plain")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_id": {"()": "jwo_admin.core.request_id.RequestIdFilter"},
        "redact": {"()": "jwo_admin.core.logging.RedactFilter"},
        "client_error": {"()": "jwo_admin.core.logging.ClientErrorFilter"},
    },
    "formatters": {
        "plain": {"()": "jwo_admin.core.logging.PlainFormatter"},
        "json": {"()": "jwo_admin.core.logging.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json" if JWO_LOG_FORMAT == "json" else "plain",
            "filters": ["request_id", "redact"],
        }
    },
    "root": {"handlers": ["console"], "level": env.str("DJANGO_LOG_LEVEL", default="INFO")},
    "loggers": {
        # Django's own handlers on "django" (a console one under DEBUG, mail to ADMINS, which is
        # empty) printed every line a second time, traceback included: its lines go to the root's.
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        "django.request": {"filters": ["client_error"]},
    },
}

# --- Operations: probes, metrics, logs, alerts, launch checklist ----------------------------------
# /metrics answers a scraper that sends "Authorization: Bearer <this>" (and signed-in admins);
# blank: only signed-in admins. Set PROMETHEUS_MULTIPROC_DIR (an empty directory per machine) when
# several processes (gunicorn workers, Celery) must report as one.
JWO_METRICS_TOKEN = env.str("JWO_METRICS_TOKEN", default="")
# prometheus-client writes every count to PROMETHEUS_MULTIPROC_DIR from its first import, and a
# directory that does not exist fails every counted call (each connector answer). Create it; where
# that is impossible, each process counts on its own, said once on standard error.
if _metrics_dir := os.environ.get("PROMETHEUS_MULTIPROC_DIR", ""):
    try:
        Path(_metrics_dir).mkdir(parents=True, exist_ok=True)
    except OSError as _error:
        del os.environ["PROMETHEUS_MULTIPROC_DIR"]
        sys.stderr.write(f"PROMETHEUS_MULTIPROC_DIR={_metrics_dir} cannot be created ({_error}); metrics per process\n")
# Dashboard alerts (never /readyz, which only asks the database): a Celery queue holding more
# messages than this, or an accepted upload whose results wait longer than this.
JWO_ALERT_QUEUE_DEPTH = env.int("JWO_ALERT_QUEUE_DEPTH", default=10_000)
JWO_ALERT_NOTIFICATION_AGE_SECONDS = env.int("JWO_ALERT_NOTIFICATION_AGE_SECONDS", default=900)
# Dashboard alerts.
JWO_ALERT_UNPRICED_MINUTES = env.int("JWO_ALERT_UNPRICED_MINUTES", default=5)  # a cart received, not priced
JWO_ALERT_UNCHARGED_MINUTES = env.int("JWO_ALERT_UNCHARGED_MINUTES", default=30)  # priced, not charged
# Identity refusals in the last hour above this many times their share over the past week (and at
# least JWO_ALERT_REFUSAL_MIN_CALLS calls in the hour, so three refusals at dawn do not page anyone).
JWO_ALERT_REFUSAL_FACTOR = env.float("JWO_ALERT_REFUSAL_FACTOR", default=2.0)
JWO_ALERT_REFUSAL_MIN_CALLS = env.int("JWO_ALERT_REFUSAL_MIN_CALLS", default=20)
JWO_ALERT_REPORT_EXPIRY_MINUTES = env.int("JWO_ALERT_REPORT_EXPIRY_MINUTES", default=15)  # of the 60
# Alerts sent to people (operations.services.alerts, every minute): each once until it clears, by
# email to these addresses and as {"text": ...} to a Slack-compatible webhook. Unset: not sent.
JWO_ALERT_EMAILS = env.list("JWO_ALERT_EMAILS", default=[])
JWO_ALERT_WEBHOOK_URL = env.str("JWO_ALERT_WEBHOOK_URL", default="")
# The launch checklist wants a simulator run that passed within this many days.
JWO_SIMULATION_FRESH_DAYS = env.int("JWO_SIMULATION_FRESH_DAYS", default=7)
# The store simulator only on stores flagged "test store" (production always; see production.py).
JWO_SIMULATOR_TEST_STORES_ONLY = env.bool("JWO_SIMULATOR_TEST_STORES_ONLY", default=False)
