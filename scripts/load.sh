#!/usr/bin/env bash
# make load: locust (requirements-load.txt), the throwaway PostgreSQL and Redis, then bench/load.py.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
"$VENV/bin/pip" install -q --require-hashes -r requirements-load.lock
eval "$(bash scripts/services.sh start)"
"$VENV/bin/python" bench/load.py "$@"
