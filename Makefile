# jwo-admin — `make run` brings the app up; `make test` checks everything.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: run test lint bench load fuzz audit clean-services install-dev install-local lock

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Installs come from the lock files (every version pinned, every file's hash checked); the
# requirements*.txt files are what we ask for, and `make lock` turns them into the locks.
$(VENV)/.local-installed: $(BIN)/python requirements-local.lock
	$(BIN)/pip install -q --require-hashes -r requirements-local.lock
	touch $@

$(VENV)/.dev-installed: $(VENV)/.local-installed requirements-dev.lock
	$(BIN)/pip install -q --require-hashes -r requirements-dev.lock
	touch $@

install-local: $(VENV)/.local-installed
install-dev: $(VENV)/.dev-installed

# `exec`: the shell becomes the script, so a Ctrl-C stops it quietly, without make's
# "*** [run] Interrupt" after the script's own "Stopping…".
run: install-local
	@exec $(BIN)/python scripts/run.py

test: install-dev
	VENV=$(VENV) bash scripts/test.sh

lint: install-dev
	$(BIN)/ruff check . && $(BIN)/ruff format --check . && $(BIN)/djlint templates --lint --quiet && $(BIN)/mypy .

bench: install-dev
	VENV=$(VENV) bash scripts/bench.sh

load: install-dev
	VENV=$(VENV) bash scripts/load.sh

audit: install-dev
	VENV=$(VENV) bash scripts/audit.sh

# The fuzz tests of make test, longer: FUZZ_EXAMPLES per endpoint and mode (make test runs 300).
FUZZ_EXAMPLES ?= 5000
fuzz: install-dev
	VENV=$(VENV) JWO_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) bash scripts/fuzz.sh

clean-services:
	bash scripts/services.sh stop

# Re-lock after changing a requirements*.txt (tests/deploy/test_requirements_lock.py fails until then).
LOCKS := requirements requirements-local requirements-dev requirements-load
lock: install-dev
	for name in $(LOCKS); do \
	  $(BIN)/pip-compile -q --generate-hashes --allow-unsafe --strip-extras --no-emit-index-url \
	    --no-emit-find-links --output-file $$name.lock $$name.txt || exit 1; \
	done
