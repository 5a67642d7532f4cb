# dbtool developer entry points. `make test` sets up everything from a fresh machine.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install test lint demo bench clean

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

SCRATCH ?= postgresql://postgres@127.0.0.1:5432/postgres

# ruff, the whole pytest suite, then dbtool's own CI gate on the bundled services
# (a service that cannot be built, e.g. no Postgres, fails the check; outside CI
# --allow-skip lets a machine without Postgres pass with the skip reported).
test: install
	$(BIN)/ruff check src tests
	$(BIN)/python -m pytest -q
	DBTOOL_SCRATCH_URL=$${DBTOOL_SCRATCH_URL:-$(SCRATCH)} $(BIN)/dbtool check $$(test "$$CI" = true && echo --require-all || echo --allow-skip)

lint: install
	$(BIN)/ruff check src tests

# The main job on the bundled services: build every SQLite/D1 service into .dbtool/local/.
demo: install
	$(BIN)/dbtool migrate --all
	$(BIN)/dbtool status --all

# Benchmarks against real peers (installed on demand into bench/.peers/); writes bench/RESULTS.md.
bench: install
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .dbtool .pytest_cache
