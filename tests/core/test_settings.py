"""Settings per environment, loaded in a fresh interpreter with exactly the environment we give it."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import PRODUCTION_OUTSIDE, missing_service

ROOT = Path(__file__).resolve().parents[2]

PRINT_SETTINGS = """
import json
from django.conf import settings
database = settings.DATABASES["default"]
print(json.dumps({
    "DEBUG": settings.DEBUG,
    "SECRET_KEY": settings.SECRET_KEY,
    "ALLOWED_HOSTS": settings.ALLOWED_HOSTS,
    "ENGINE": database["ENGINE"],
    "NAME": str(database["NAME"]),
    "HOST": database.get("HOST", ""),
    "PORT": database.get("PORT", ""),
    "USER": database.get("USER", ""),
    "ATOMIC_REQUESTS": database["ATOMIC_REQUESTS"],
    "CONN_MAX_AGE": database.get("CONN_MAX_AGE"),
    "CONN_HEALTH_CHECKS": database.get("CONN_HEALTH_CHECKS"),
    "OPTIONS": database.get("OPTIONS", {}),
    "CACHE": settings.CACHES["default"],
    "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
    "BROKER_OPTIONS": getattr(settings, "CELERY_BROKER_TRANSPORT_OPTIONS", None),
}))
"""

# Every Redis client gives up in time: the cache (web) in a quarter second, the broker in seconds.
REDIS_TIMEOUTS = {"socket_connect_timeout": 0.25, "socket_timeout": 0.25}
BROKER_TIMEOUTS = {"socket_connect_timeout": 1.0, "socket_timeout": 2.0, "max_retries": 2}
SQLITE_OPTIONS = {"timeout": 20, "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"}
LOCMEM = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "jwo-admin"}
PRODUCTION_ENV = {
    "DJANGO_SECRET_KEY": "prod-secret-for-tests",
    "DJANGO_ALLOWED_HOSTS": "admin.example.com,www.example.com",
    "DATABASE_URL": "postgres://jwo:pw@db.example.com:5433/jwo_prod",
    "REDIS_URL": "redis://cache.example.com:6379/1",
    "JWO_SCAN_KEY_SECRETS": "scan-key-secret-for-tests",
    **PRODUCTION_OUTSIDE,
}


def load_settings(module: str, **env: str) -> subprocess.CompletedProcess[str]:
    """Import ``module`` in a new interpreter whose environment holds only PATH and ``env``."""
    return subprocess.run(  # noqa: S603 - our own interpreter and a fixed script
        [sys.executable, "-c", PRINT_SETTINGS],
        cwd=ROOT,
        env={"PATH": os.environ.get("PATH", ""), "DJANGO_SETTINGS_MODULE": module, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def resolved(module: str, **env: str) -> dict[str, Any]:
    result = load_settings(module, **env)
    assert result.returncode == 0, result.stderr
    loaded: dict[str, Any] = json.loads(result.stdout)
    return loaded


# --- the embedded default ------------------------------------------------------------------------


def test_embedded_default_without_environment_is_sqlite_filesystem_broker_and_locmem(tmp_path: Path) -> None:
    var_dir = tmp_path / "var"

    loaded = resolved("jwo_admin.settings.local", JWO_VAR_DIR=str(var_dir))

    assert loaded == {
        "DEBUG": True,
        "SECRET_KEY": "local-only-insecure-key-do-not-use-in-production",
        "ALLOWED_HOSTS": ["localhost", "127.0.0.1", "[::1]"],
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(var_dir / "jwo.sqlite3"),
        "HOST": "",
        "PORT": "",
        "USER": "",
        "ATOMIC_REQUESTS": True,
        "CONN_MAX_AGE": None,
        "CONN_HEALTH_CHECKS": None,
        "OPTIONS": SQLITE_OPTIONS,
        "CACHE": LOCMEM,
        "CELERY_BROKER_URL": "filesystem://",
        "BROKER_OPTIONS": {
            "data_folder_in": str(var_dir / "celery" / "queue"),
            "data_folder_out": str(var_dir / "celery" / "queue"),
            "processed_folder": str(var_dir / "celery" / "processed"),
            "control_folder": str(var_dir / "celery" / "control"),
            "store_processed": False,
            "polling_interval": 0.2,
        },
    }
    assert var_dir.is_dir()


def test_base_settings_keep_data_under_the_project_var_directory() -> None:
    loaded = resolved("jwo_admin.settings.base")

    assert (loaded["ENGINE"], loaded["NAME"]) == ("django.db.backends.sqlite3", str(ROOT / "var" / "jwo.sqlite3"))
    assert loaded["DEBUG"] is False
    assert loaded["CELERY_BROKER_URL"] == "filesystem://"
    assert loaded["BROKER_OPTIONS"]["data_folder_in"] == str(ROOT / "var" / "celery" / "queue")
    assert loaded["CACHE"] == LOCMEM


# --- services chosen by URL ----------------------------------------------------------------------


def test_database_url_selects_postgresql(tmp_path: Path) -> None:
    loaded = resolved(
        "jwo_admin.settings.local",
        JWO_VAR_DIR=str(tmp_path / "var"),
        DATABASE_URL="postgres://jwo:pw@db.example.com:5433/jwo",
    )

    database = {key: loaded[key] for key in ("ENGINE", "NAME", "HOST", "PORT", "USER", "OPTIONS")}
    assert database == {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "jwo",
        "HOST": "db.example.com",
        "PORT": 5433,
        "USER": "jwo",
        "OPTIONS": {},
    }
    assert (loaded["ATOMIC_REQUESTS"], loaded["CONN_MAX_AGE"], loaded["CONN_HEALTH_CHECKS"]) == (True, 60, True)
    assert (loaded["CACHE"], loaded["CELERY_BROKER_URL"]) == (LOCMEM, "filesystem://")


def test_database_conn_max_age_is_read_from_the_environment(tmp_path: Path) -> None:
    loaded = resolved(
        "jwo_admin.settings.local",
        JWO_VAR_DIR=str(tmp_path / "var"),
        DATABASE_URL="postgres://jwo:pw@db.example.com:5432/jwo",
        DATABASE_CONN_MAX_AGE="0",
    )

    assert loaded["CONN_MAX_AGE"] == 0


def test_redis_url_selects_redis_for_broker_and_cache(tmp_path: Path) -> None:
    loaded = resolved(
        "jwo_admin.settings.local", JWO_VAR_DIR=str(tmp_path / "var"), REDIS_URL="redis://cache.example.com:6379/0"
    )

    assert loaded["CACHE"] == {
        "BACKEND": "jwo_admin.core.cache.SharedRedisCache",  # Django's RedisCache, one client per pool
        "LOCATION": "redis://cache.example.com:6379/0",
        "OPTIONS": REDIS_TIMEOUTS,
    }
    assert loaded["CELERY_BROKER_URL"] == "redis://cache.example.com:6379/0"
    assert loaded["BROKER_OPTIONS"] == BROKER_TIMEOUTS
    assert loaded["ENGINE"] == "django.db.backends.sqlite3"


def test_celery_broker_url_overrides_redis_for_the_broker_only(tmp_path: Path) -> None:
    loaded = resolved(
        "jwo_admin.settings.local",
        JWO_VAR_DIR=str(tmp_path / "var"),
        REDIS_URL="redis://cache.example.com:6379/0",
        CELERY_BROKER_URL="redis://broker.example.com:6379/2",
    )

    assert loaded["CELERY_BROKER_URL"] == "redis://broker.example.com:6379/2"
    assert loaded["CACHE"]["LOCATION"] == "redis://cache.example.com:6379/0"


# --- production ----------------------------------------------------------------------------------


def test_production_with_its_secrets_uses_them() -> None:
    loaded = resolved("jwo_admin.settings.production", **PRODUCTION_ENV)

    assert loaded == {
        "DEBUG": False,
        "SECRET_KEY": "prod-secret-for-tests",
        "ALLOWED_HOSTS": ["admin.example.com", "www.example.com"],
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "jwo_prod",
        "HOST": "db.example.com",
        "PORT": 5433,
        "USER": "jwo",
        "ATOMIC_REQUESTS": True,
        "CONN_MAX_AGE": 60,
        "CONN_HEALTH_CHECKS": True,
        "OPTIONS": {},
        "CACHE": {
            "BACKEND": "jwo_admin.core.cache.SharedRedisCache",
            "LOCATION": "redis://cache.example.com:6379/1",
            "OPTIONS": REDIS_TIMEOUTS,
        },
        "CELERY_BROKER_URL": "redis://cache.example.com:6379/1",
        "BROKER_OPTIONS": BROKER_TIMEOUTS,
    }


REQUIRED_IN_PRODUCTION = [
    "DJANGO_SECRET_KEY", "DJANGO_ALLOWED_HOSTS", "DATABASE_URL", "REDIS_URL", "JWO_SCAN_KEY_SECRETS",
    "JWO_AMAZON_ENDPOINT", "AWS_REGION", "JWO_AMAZON_ROLE_ARN", "JWO_PAYMENT_GATEWAY", "EMAIL_URL",
]  # fmt: skip


def refusal(name: str) -> str:
    return (
        f"django.core.exceptions.ImproperlyConfigured: Set the {name} environment variable "
        "(production has no default for it)."
    )


@pytest.mark.parametrize("missing", REQUIRED_IN_PRODUCTION)
def test_production_refuses_to_start_without_a_secret_or_an_outside_system_and_names_it(missing: str) -> None:
    env = {name: value for name, value in PRODUCTION_ENV.items() if name != missing}

    result = load_settings("jwo_admin.settings.production", **env)

    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.splitlines()[-1] == refusal(missing)


@pytest.mark.parametrize("blank", REQUIRED_IN_PRODUCTION)
def test_production_takes_a_blank_value_copied_from_env_example_for_no_value(blank: str) -> None:
    result = load_settings("jwo_admin.settings.production", **{**PRODUCTION_ENV, blank: "  "})

    assert (result.returncode, result.stdout, result.stderr.splitlines()[-1]) == (1, "", refusal(blank))


def test_production_keeps_files_in_s3_unless_told_one_machine_is_all(tmp_path: Path) -> None:
    script = "from django.conf import settings; print(settings.STORAGES['default']['BACKEND'])"
    env = {"PATH": os.environ.get("PATH", ""), "DJANGO_SETTINGS_MODULE": "jwo_admin.settings.production"}

    def load(**extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(  # noqa: S603 - our own interpreter and a fixed script
            [sys.executable, "-c", script], cwd=ROOT, env={**env, **PRODUCTION_ENV, **extra},
            capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip

    unnamed = load(JWO_MEDIA_STORAGE="s3")
    named = load(JWO_MEDIA_STORAGE="s3", JWO_MEDIA_BUCKET="jwo-media")
    local = load(JWO_MEDIA_STORAGE="local")
    wrong = load(JWO_MEDIA_STORAGE="nfs")

    assert (unnamed.returncode, unnamed.stderr.splitlines()[-1]) == (1, refusal("JWO_MEDIA_BUCKET"))
    assert (named.returncode, named.stdout.strip()) == (0, "storages.backends.s3.S3Storage")
    assert (local.returncode, local.stdout.strip()) == (0, "django.core.files.storage.FileSystemStorage")
    assert wrong.stderr.splitlines()[-1] == (
        "django.core.exceptions.ImproperlyConfigured: JWO_MEDIA_STORAGE is s3 or local, not 'nfs'"
    )


def test_production_refuses_a_role_arn_that_is_not_one() -> None:
    result = load_settings("jwo_admin.settings.production", **{**PRODUCTION_ENV, "JWO_AMAZON_ROLE_ARN": "jwo-role"})

    assert result.returncode == 1
    assert result.stderr.splitlines()[-1] == (
        "django.core.exceptions.ImproperlyConfigured: JWO_AMAZON_ROLE_ARN is not an ARN: 'jwo-role'"
    )


def test_production_refuses_to_start_with_no_environment_at_all() -> None:
    result = load_settings("jwo_admin.settings.production")

    assert result.returncode == 1
    assert result.stderr.splitlines()[-1] == refusal("DJANGO_SECRET_KEY")


PRINT_LOG_FORMAT = """
from django.conf import settings
print(settings.JWO_LOG_FORMAT, settings.LOGGING["handlers"]["console"]["formatter"])
"""


@pytest.mark.parametrize(
    ("module", "extra", "expected"),
    [
        ("jwo_admin.settings.production", {}, "json json"),
        ("jwo_admin.settings.production", {"JWO_LOG_FORMAT": "plain"}, "plain plain"),
        ("jwo_admin.settings.local", {}, "plain plain"),
        ("jwo_admin.settings.local", {"JWO_LOG_FORMAT": "json"}, "json json"),
    ],
)
def test_production_logs_json_and_people_get_plain(module: str, extra: dict[str, str], expected: str) -> None:
    env = {**(PRODUCTION_ENV if module.endswith("production") else {}), **extra}
    result = subprocess.run(  # noqa: S603 - our own interpreter and a fixed script
        [sys.executable, "-c", PRINT_LOG_FORMAT],
        cwd=ROOT,
        env={"PATH": os.environ.get("PATH", ""), "DJANGO_SETTINGS_MODULE": module, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == expected


def database_url() -> str:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        missing_service("PostgreSQL (set DATABASE_URL; `make test` starts one)")
    return url


def manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own interpreter and manage.py
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={"PATH": os.environ.get("PATH", ""), "DJANGO_READ_DOT_ENV_FILE": "false", **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_production_settings_pass_check_deploy_with_a_real_secret_key() -> None:
    """HTTPS redirect, HSTS, secure cookies, no debug, a long random secret: Django's own audit."""
    env = {**PRODUCTION_ENV, "DJANGO_SECRET_KEY": "Zq3" * 20 + "-random-enough-for-the-check"}
    result = manage(
        "check", "--deploy", "--fail-level", "WARNING", DJANGO_SETTINGS_MODULE="jwo_admin.settings.production", **env
    )
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout.strip() == "System check identified no issues (0 silenced)."


def test_check_deploy_catches_a_weak_production_setting() -> None:
    """The audit above can fail: turn HSTS off and it does."""
    env = {**PRODUCTION_ENV, "DJANGO_SECRET_KEY": "Zq3" * 20 + "-random", "DJANGO_SECURE_HSTS_SECONDS": "0"}
    result = manage(
        "check", "--deploy", "--fail-level", "WARNING", DJANGO_SETTINGS_MODULE="jwo_admin.settings.production", **env
    )
    assert result.returncode == 1
    assert "security.W004" in result.stderr


@pytest.mark.parametrize("module", ["jwo_admin.settings.production", "jwo_admin.settings.local"])
def test_every_page_is_sent_with_a_content_security_policy_from_this_site_only(
    module: str, redis_url: str, collected_static: str
) -> None:
    host = "admin.example.com" if module.endswith("production") else "localhost"
    script = (
        "import django; django.setup()\n"
        "from django.test import Client\n"
        f"response = Client(HTTP_X_FORWARDED_PROTO='https').get('/accounts/login/', SERVER_NAME='{host}')\n"
        "print(response.status_code); print(response.headers['Content-Security-Policy'])\n"
    )
    env = {}
    if module.endswith("production"):  # a request opens a transaction: the real throwaway servers
        env = {
            **PRODUCTION_ENV,
            "DATABASE_URL": database_url(),
            "REDIS_URL": redis_url,
            "DJANGO_STATIC_ROOT": collected_static,
        }
    result = subprocess.run(  # noqa: S603 - our own interpreter and a fixed script
        [sys.executable, "-c", script],
        cwd=ROOT,
        env={
            "PATH": os.environ.get("PATH", ""),
            "DJANGO_SETTINGS_MODULE": module,
            "DJANGO_READ_DOT_ENV_FILE": "false",
            **env,
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    status, policy = result.stdout.splitlines()
    assert status == "200", result.stderr
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";") if part.strip())
    assert directives == {
        "default-src": "'self'",
        "script-src": "'self'",
        "style-src": "'self'",
        "img-src": "'self' data:",
        "font-src": "'self'",
        "connect-src": "'self'",
        "object-src": "'none'",
        "base-uri": "'self'",
        "form-action": "'self'",
        "frame-ancestors": "'none'",
    }


def _example_variables() -> dict[str, str]:
    """.env.example as {variable: its example line}."""
    lines = (ROOT / ".env.example").read_text().splitlines()
    # "# NAME=value": documented, set elsewhere (a systemd unit sets PROMETHEUS_MULTIPROC_DIR itself).
    return {match.group(1): line for line in lines if (match := re.match(r"^(?:# )?([A-Z][A-Z0-9_]*)=", line))}


def test_every_variable_the_settings_read_is_in_env_example_and_the_readme_table() -> None:
    read = set()
    for module in ("base", "local", "production"):
        source = (ROOT / "jwo_admin" / "settings" / f"{module}.py").read_text()
        read |= set(re.findall(r'(?:env(?:\.\w+)?|required)\(\s*"([A-Z][A-Z0-9_]*)"', source))
    example = _example_variables()
    table = set(re.findall(r"^\| `([A-Z][A-Z0-9_]*)` \|", (ROOT / "README.md").read_text(), re.MULTILINE))

    assert sorted(read - set(example)) == []  # read but not in .env.example
    assert sorted(set(example) - table) == []  # in .env.example but not in the README's table
    assert sorted(table - set(example)) == []  # documented but nowhere to set


PRINT_METRICS_DIR = """
import os
import django
django.setup()
from jwo_admin.core.metrics import gate_decisions
gate_decisions.labels(decision="SHOPPER", reason="ok").inc()
print(os.environ.get("PROMETHEUS_MULTIPROC_DIR", "<unset>"))
"""


def _count_with_metrics_dir(directory: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own interpreter and a fixed script
        [sys.executable, "-c", PRINT_METRICS_DIR],
        cwd=ROOT,
        env={
            "PATH": os.environ.get("PATH", ""),
            "DJANGO_SETTINGS_MODULE": "jwo_admin.settings.local",
            "PROMETHEUS_MULTIPROC_DIR": directory,
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_a_missing_metrics_directory_is_created_and_counts_land_in_it(tmp_path: Path) -> None:
    directory = tmp_path / "run" / "jwo-web" / "metrics"

    result = _count_with_metrics_dir(str(directory))

    assert (result.returncode, result.stdout.strip()) == (0, str(directory)), result.stderr
    assert [path.name.split("_")[0] for path in directory.iterdir()] == ["counter"]


def test_a_metrics_directory_that_cannot_be_made_leaves_each_process_counting_alone() -> None:
    result = _count_with_metrics_dir("/proc/jwo-metrics")  # nobody can create a directory in /proc

    assert (result.returncode, result.stdout.strip()) == (0, "<unset>"), result.stderr
    assert "PROMETHEUS_MULTIPROC_DIR=/proc/jwo-metrics cannot be created" in result.stderr
