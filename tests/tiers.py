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
    "tests/history/test_keyword_names.py::test_remote_d1_history_table_named_like_a_keyword":
        "the miniflare-backed REST server",
    "tests/report/test_html_browser.py": "headless Chromium",
    "tests/inspect/test_model_features.py": "generated Postgres feature combinations",
    "tests/services/test_studio.py": "the Supabase-flavoured service, built per test",
    "tests/inspect/test_postgres_inspect.py::test_query_count_does_not_grow_with_tables":
        "builds 50- and 500-table schemas",
    "tests/history/test_postgres_own_tables.py::test_the_move_is_atomic_under_concurrent_writers":
        "generated schedules of concurrent writers",
    "tests/history/test_postgres_baseline_model.py": "a Postgres schema per model feature, built twice",
    "tests/history/test_postgres.py": "studio and dbmate histories built and adopted on Postgres",
    "tests/history/test_d1_remote_guards.py": "the miniflare-backed REST server",
    "tests/diff/test_scenarios_": "every bundled service rebuilt with rows, per scenario",
    "tests/cli/test_bundled_services.py": "all seven services built, checked and audited twice",
    "tests/cli/test_parked_files.py::test_seed_004_folder_shape_works_with_every_command":
        "every command over seed 004's folder",
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
