"""Which tests are slow, and which must share a worker: decided here, in one place.

`make test-fast` runs `-m "not slow"` (every test that needs no real subprocess
fleet, wrangler, browser, wheel build or generated campaign); `make test` runs
everything in parallel with pytest-xdist (`--dist loadgroup`). A module whose
tests share a module-scoped fixture (a service built once, a corpus run once)
is kept on one worker, so that fixture is built once, not once per worker.
"""

from __future__ import annotations

import pytest

# path prefix (relative to the repository) -> why it is slow
SLOW: dict[str, str] = {
    "tests/reliability/": "real dbtool processes: kills, races, the bad-input corpus, secrets",
    "tests/interop/": "the real wrangler and miniflare",
    "tests/packaging/": "wheel builds, the real pre-commit, the CI workflow's steps",
    "tests/bench/": "the benchmark harness",
    "tests/fleet/test_fleet_sqlite.py": "real dbtool processes over fleets of SQLite files",
    "tests/fleet/test_fleet_postgres.py": "real dbtool processes over fleets of Postgres databases",
    "tests/diff/test_properties.py": "hundreds of generated plans per dialect",
    "tests/diff/test_object_properties.py": "400 generated object plans (Postgres and SQLite)",
    "tests/diff/test_objects_postgres.py": "ten studio steps on one database, each diffed, migrated and audited",
    "tests/history/test_d1_local.py": "the real wrangler",
    "tests/history/test_d1_remote.py": "the miniflare-backed REST server",
    "tests/report/test_html_browser.py": "headless Chromium",
    "tests/inspect/test_model_features.py": "generated Postgres feature combinations",
    "tests/services/test_studio.py": "the Supabase-flavoured service, built per test",
    "tests/inspect/test_postgres_inspect.py::test_query_count_does_not_grow_with_tables":
        "builds 50- and 500-table schemas",
    "tests/history/test_postgres_baseline_model.py": "a Postgres schema per model feature, built twice",
    "tests/history/test_postgres.py": "studio and dbmate histories built and adopted on Postgres",
    "tests/history/test_d1_remote_guards.py": "the miniflare-backed REST server",
    "tests/diff/test_scenarios_": "every bundled service rebuilt with rows, per scenario",
    "tests/cli/test_bundled_services.py": "all seven services built, checked and audited twice",
    "tests/cli/test_parked_files.py::test_seed_004_folder_shape_works_with_every_command":
        "every command over seed 004's folder",
    # end-to-end command runs over real databases, a second or more each (make test runs them)
    "tests/cli/test_drift.py": "snapshot, audit and check end to end on SQLite and Postgres",
    "tests/cli/test_migrate_postgres.py": "migrate end to end on Postgres: locks, races, failures",
    "tests/cli/test_migrate_sqlite.py": "migrate end to end on SQLite: locks, waits, journals",
    "tests/cli/test_init.py": "init on three project layouts, then status and check on each",
    "tests/cli/test_clear_errors.py": "every command against broken setups",
    "tests/diff/test_cli.py": "diff end to end: scratch builds, proofs, rows kept",
    "tests/diff/test_capture.py": "studio captured from a live Postgres database and from SQL",
    "tests/diff/test_desired_sources.py": "live and SQL-declared desired states, built twice",
    "tests/diff/test_objects_sqlite.py": "views and triggers over rebuilt tables, with rows",
    "tests/report/test_cli.py": "introspect end to end on live and scratch databases",
    "tests/history/test_postgres_own_tables.py": "dbtool's own tables moved and guarded on Postgres",
    "tests/history/test_sqlite.py": "history commands end to end on SQLite",
    "tests/history/test_keyword_names.py": "histories named like keywords on every engine",
}


# session-scoped fixtures too costly to build once per worker -> the worker group that owns
# them (xdist builds a session fixture once per worker that needs it: a campaign used by
# two modules on two workers ran twice)
SHARED: dict[str, str] = {
    "reports": "campaigns",  # the kill, race and reader campaigns of every engine
    "built": "wheel",  # one wheel from a clean clone
    "installed": "wheel",  # a fresh venv with that wheel installed
}


def _slow(nodeid: str) -> bool:
    return any(nodeid.startswith(prefix) for prefix in SLOW)


def _module_scoped(item: pytest.Item) -> bool:
    """Whether the test uses a module-scoped fixture (built once per module and worker)."""
    info = getattr(item, "_fixtureinfo", None)
    if info is None:
        return False
    return any(defs and defs[-1].scope == "module" for defs in info.name2fixturedefs.values())


def _shared_group(item: pytest.Item) -> str | None:
    """The group of the costly session fixture the test uses (directly or through another)."""
    info = getattr(item, "_fixtureinfo", None)
    names = info.names_closure if info is not None else ()
    return next((SHARED[name] for name in names if name in SHARED), None)


def classify(items: list[pytest.Item]) -> None:
    for item in items:
        if _slow(item.nodeid):
            item.add_marker(pytest.mark.slow)
        group = _shared_group(item)
        if group is None and _module_scoped(item):
            group = item.nodeid.split("::", 1)[0]
        if group is not None:
            item.add_marker(pytest.mark.xdist_group(group))
