"""The reliability fixtures: every engine's fault campaign, run once per session.

The crash and race tests only read the reports (see campaign.py): the engines'
campaigns run side by side in threads, each against its own real database.
Without a Postgres server the Postgres campaign is left out; its tests then
skip locally and fail under CI=true (tests.conftest.require_postgres).
"""

from __future__ import annotations

import pytest

from tests.reliability.campaign import EngineReport, Sizes, run_all

ENGINES = ["sqlite", "d1-local", pytest.param("postgres", marks=pytest.mark.postgres)]

# Rows in the bulk files: enough for SQLite's page cache to spill (so a kill leaves
# a hot journal); small elsewhere, where size only costs time. Local D1 is beyond
# the "SQLite and Postgres", so it gets a lighter share.
CI_SIZES = {
    "sqlite": Sizes(rows=60_000, kills=14, writer_rounds=2, reader_rounds=1, inline_rerun=True),
    "postgres": Sizes(rows=20_000, kills=14, writer_rounds=2, reader_rounds=1, inline_rerun=True),
    "d1-local": Sizes(rows=5_000, kills=6, writer_rounds=1, reader_rounds=1, inline_rerun=True),
}


@pytest.fixture(scope="session")
def reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, EngineReport]:
    from tests.conftest import _pg_unavailable_reason

    engines = ["sqlite", "d1-local"] + (["postgres"] if _pg_unavailable_reason() is None else [])
    return run_all(engines, CI_SIZES, jobs=3, workdir=tmp_path_factory.mktemp("faults"))


@pytest.fixture(params=ENGINES)
def report(request: pytest.FixtureRequest, reports: dict[str, EngineReport]) -> EngineReport:
    if request.param == "postgres":
        from tests.conftest import require_postgres

        require_postgres()
    return reports[request.param]
