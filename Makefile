# dbtool developer entry points. `make test` sets up everything from a fresh machine.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install test lint demo clean

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

test: install
	$(BIN)/ruff check src tests
	$(BIN)/python -m pytest -q

lint: install
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests || true

# The main job on the bundled services: build every SQLite/D1 service into .dbtool/local/.
demo: install
	$(BIN)/dbtool migrate --all
	$(BIN)/dbtool status --all

clean:
	rm -rf $(VENV) .dbtool .pytest_cache
