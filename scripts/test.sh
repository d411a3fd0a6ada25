#!/usr/bin/env bash
# `make test`: lint, type checks, migrations check and every test, against real PostgreSQL, Redis
# and Chromium. With CI=true a missing service fails the run instead of skipping tests.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}

eval "$(bash scripts/services.sh start)"
export DJANGO_SETTINGS_MODULE=jwo_admin.settings.test

echo "== ruff"
"$VENV/bin/ruff" check .
"$VENV/bin/ruff" format --check .
echo "== djlint"
"$VENV/bin/djlint" templates --lint --quiet
echo "== mypy"
"$VENV/bin/mypy" .
echo "== dependency audit"
VENV="$VENV" bash scripts/audit.sh
echo "== migrations"
"$VENV/bin/python" manage.py makemigrations --check --dry-run
echo "== pytest (PostgreSQL, Redis, Chromium)"
"$VENV/bin/pytest" "$@"
echo "== pytest (embedded default: SQLite) — the database-specific paths"
env -u DATABASE_URL -u REDIS_URL "$VENV/bin/pytest" -q -p no:cacheprovider tests/catalog/test_imports.py tests/catalog/test_views.py tests/core/test_schema_matches_models.py
