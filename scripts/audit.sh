#!/usr/bin/env bash
# Dependency audit (pip-audit) of every pinned requirement. pip-audit asks PyPI's per-release JSON
# API (https://pypi.org/pypi/<name>/<version>/json) for known vulnerabilities; where that API does
# not answer (a machine that reaches PyPI only through a mirror of its package index), nothing could
# be audited, and this says so instead of printing a clean result it did not get.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
if "$VENV/bin/python" - <<'PY'
import sys, urllib.request
try:
    with urllib.request.urlopen("https://pypi.org/pypi/django/5.2.19/json", timeout=10) as response:
        sys.exit(0 if b'"vulnerabilities"' in response.read() else 1)
except OSError:
    sys.exit(1)
PY
then
  "$VENV/bin/pip-audit" --strict --progress-spinner off -r requirements.txt -r requirements-dev.txt -r requirements-load.txt
else
  echo "dependency audit: cannot run here: PyPI's vulnerability API (pypi.org/pypi/<name>/<version>/json) does not answer from this machine; run \`make audit\` where it does"
fi
