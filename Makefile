# jwo-admin — `make run` brings the app up; `make test` checks everything.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: run test lint bench load fuzz audit clean-services install-dev install-local

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.local-installed: $(BIN)/python requirements.txt requirements-local.txt
	$(BIN)/pip install -q -r requirements-local.txt
	touch $@

$(VENV)/.dev-installed: $(VENV)/.local-installed requirements-dev.txt
	$(BIN)/pip install -q -r requirements-dev.txt
	touch $@

install-local: $(VENV)/.local-installed
install-dev: $(VENV)/.dev-installed

run: install-local
	$(BIN)/python scripts/run.py

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
