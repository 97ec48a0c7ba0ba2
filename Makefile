# СОКО — one command to set up and run the demo, one to run every test.
#   make demo   installs everything (system packages, Python environment) and serves the demo
#   make test   installs everything and runs ruff, mypy and the test suite on SQLite and PostgreSQL
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PG_URL ?= postgresql://postgres@127.0.0.1:5432/test
SYSTEM_PACKAGES := chromium libharfbuzz-subset0 poppler-utils fonts-dejavu-core libreoffice-writer-nogui libreoffice-calc-nogui
SETUP_STAMP := $(VENV)/.setup-$(shell cat pyproject.toml requirements.lock 2>/dev/null | sha1sum | cut -c1-12)

.PHONY: setup demo serve test test-sqlite test-postgres lint bench clean

setup: $(SETUP_STAMP)

$(SETUP_STAMP):
	@./scripts/install-system-packages $(SYSTEM_PACKAGES)
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c requirements.lock -e '.[dev]'
	@rm -f $(VENV)/.setup-* && touch $@

demo: setup
	$(BIN)/soko demo

serve: setup
	$(BIN)/soko serve

lint: setup
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/mypy src

test: setup lint test-sqlite test-postgres

test-sqlite: setup
	env -u SOKO_DATABASE_URL -u SOKO_WAREHOUSE $(BIN)/pytest -n 2 --dist loadfile -q --durations=15

test-postgres: setup
	@if ./scripts/pg-available "$(PG_URL)"; then \
		SOKO_DATABASE_URL="$(PG_URL)" $(BIN)/pytest -n 2 --dist loadfile -q --durations=15 -m "not browser and not core"; \
	else echo "PostgreSQL at $(PG_URL) does not answer: the PostgreSQL run is skipped."; fi

bench: setup
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
