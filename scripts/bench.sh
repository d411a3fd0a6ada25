#!/usr/bin/env bash
# `make bench`: every benchmark in bench/, on the throwaway PostgreSQL and Redis.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
eval "$(bash scripts/services.sh start)"
export DJANGO_SETTINGS_MODULE=jwo_admin.settings.test
# bench/gate.py loads its servers with Debian's wrk (installed here, as services.sh does its packages).
if ! command -v wrk >/dev/null; then
  if [ "$(id -u)" = 0 ]; then
    echo "bench: installing wrk" >&2
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends wrk >&2
  else
    echo "bench: wrk is missing and cannot be installed without root (apt-get install wrk)" >&2
  fi
fi
shopt -s nullglob
for bench in bench/*.py; do
  case "$(basename "$bench")" in
    __init__.py | gate_*.py | purchases_*.py) continue ;;  # not benchmarks: helper modules of gate.py, purchases.py
    load.py | locustfile.py | amazon_calls.py) continue ;;  # the load test and its generators: `make load`
  esac
  echo "== $bench"
  "$VENV/bin/python" "$bench" "$@"
done
