#!/usr/bin/env bash
# `make bench`: every benchmark in bench/, on the throwaway PostgreSQL and Redis.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
eval "$(bash scripts/services.sh start)"
export DJANGO_SETTINGS_MODULE=jwo_admin.settings.test
shopt -s nullglob
for bench in bench/*.py; do
  [ "$(basename "$bench")" = "__init__.py" ] && continue
  echo "== $bench"
  "$VENV/bin/python" "$bench" "$@"
done
