# dbtool developer entry points. `make test` sets up everything from a fresh machine.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install test test-fast lint demo bench clean

# Byte code of the dependencies is written at install (pip's default, which a machine that sets
# PYTHONDONTWRITEBYTECODE turns off): otherwise the suite's first processes all compile
# SQLAlchemy, psycopg, typer … at once, on every fresh checkout.
$(STAMP): pyproject.toml
	test -d $(VENV) || $(PY) -m venv $(VENV)
	PYTHONDONTWRITEBYTECODE= $(BIN)/pip install -q --upgrade pip
	PYTHONDONTWRITEBYTECODE= $(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

SCRATCH ?= postgresql://postgres@127.0.0.1:5432/postgres

# Parallel pytest on every core; a module sharing a module-scoped fixture stays on one
# worker (tests/tiers.py), so its fixture is built once.
# The tests' files (SQLite databases, project folders, venvs, wrangler state) go to a
# tmpfs when the machine has one: real files, kept off the disk's file system (on this
# machine's unjournaled ext4 each file created soon after many were deleted scans past
# the freed inodes: the suite's churn slowed even the Postgres server's own file
# creation). TEST_TMP= keeps $$TMPDIR.
TEST_TMP ?= $(shell test -d /dev/shm -a -w /dev/shm && echo /dev/shm/dbtool-tests-$$(id -u))
# Byte code is written and compiled ahead: a machine that sets PYTHONDONTWRITEBYTECODE
# would otherwise compile every dbtool module again in each of the suite's ~1,000 dbtool
# processes (0.22 s of CPU for a no-op `migrate` instead of 0.12 s).
COMPILE := PYTHONDONTWRITEBYTECODE= $(BIN)/python -m compileall -q src tests bench > /dev/null
PYTEST := $(COMPILE) && $(if $(TEST_TMP),mkdir -p $(TEST_TMP) && TMPDIR=$(TEST_TMP)) \
	PYTHONDONTWRITEBYTECODE= $(BIN)/python -m pytest -q -n auto --dist loadgroup

# ruff, the whole pytest suite, and dbtool's own CI gate on the bundled services
# (a service that cannot be built, e.g. no Postgres, fails the check; outside CI
# --allow-skip lets a machine without Postgres pass with the skip reported). The gate
# mostly waits for Postgres, so it runs beside the suite; its report is printed after
# the suite's, and either failing fails `make test`.
CHECK := DBTOOL_SCRATCH_URL=$${DBTOOL_SCRATCH_URL:-$(SCRATCH)} $(BIN)/dbtool check \
	$$(test "$$CI" = true && echo --require-all || echo --allow-skip)
test: install
	$(BIN)/ruff check src tests
	@gate=$$(mktemp); ($(CHECK) > $$gate 2>&1; echo $$? > $$gate.rc) & \
	$(PYTEST); suite=$$?; wait; \
	echo "$(CHECK)"; cat $$gate; checked=$$(cat $$gate.rc); rm -f $$gate $$gate.rc; \
	test $$suite = 0 -a $$checked = 0

# The fast subset while working: no process fleets, wrangler, browser, wheel builds or
# generated campaigns (those are marked slow in tests/tiers.py; `make test` runs them).
test-fast: install
	$(PYTEST) -m "not slow"

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
