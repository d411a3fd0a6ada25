#!/usr/bin/env bash
# `make fuzz`: the fuzz tests of `make test` (marker `fuzz`) with more examples, on the throwaway
# PostgreSQL and Redis. JWO_FUZZ_EXAMPLES sets schemathesis's examples per endpoint and mode and
# scales the import-file fuzz.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
eval "$(bash scripts/services.sh start)"
export DJANGO_SETTINGS_MODULE=jwo_admin.settings.test
"$VENV/bin/pytest" -m fuzz -p no:cacheprovider "$@"
