"""The bad-input corpus, one test per malformed input (see cases_files.py, cases_setup.py).

Every case runs in-process (tests.helpers.run_dbtool) and a seeded sample of them
again as real processes (DBTOOL_CORPUS_SEED reruns a sample). Each: exactly one `dbtool: error: … — …` line on stderr naming the problem and
the fix, the documented exit code (README "Exit codes"), no traceback, and the
databases unchanged byte for byte (SQLite) or catalog for catalog (Postgres).
"""

from __future__ import annotations

import json
import os
import random
from collections.abc import Iterator
from pathlib import Path

import pytest

import tests.reliability.cases_files
import tests.reliability.cases_setup  # noqa: F401 - importing registers the cases
from tests.reliability.corpus import (
    CASES,
    Case,
    Verdict,
    fresh_sandbox,
    make_base,
    process_sample,
    run_cases,
)
from tests.reliability.workload import dbtool_cmd, run


@pytest.fixture(scope="module")
def base_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_base(tmp_path_factory.mktemp("corpus") / "base")


@pytest.fixture(scope="module")
def shared_pg(base_project: Path) -> Iterator[str]:
    """One Postgres database for every Postgres case: none of them may change it."""
    from dbtool.core.migrate import MigrateOptions, migrate
    from dbtool.core.targets import TargetSpec
    from tests.conftest import create_pg_database, drop_pg_database, require_postgres

    require_postgres()
    url = create_pg_database("dbtool_corpus")
    migrate(TargetSpec(dir=base_project / "migrations" / "pg", url=url), MigrateOptions())
    yield url
    drop_pg_database(url)


def _params() -> Iterator[object]:
    for item in CASES:
        marks = [pytest.mark.postgres] if item.needs else []
        yield pytest.param(item, id=item.id, marks=marks)


@pytest.fixture(scope="module")
def verdicts(base_project: Path, tmp_path_factory: pytest.TempPathFactory,
             request: pytest.FixtureRequest) -> dict[str, Verdict]:
    """Every case, run in parallel before the per-case tests read their verdicts."""
    from tests.conftest import _pg_unavailable_reason

    pg = password = None
    if _pg_unavailable_reason() is None:
        pg = request.getfixturevalue("shared_pg")
        try:
            password = request.getfixturevalue("password_pg")
        except (pytest.skip.Exception, pytest.fail.Exception):  # no initdb: only that case says so
            password = None
    seed = int(os.environ.get("DBTOOL_CORPUS_SEED") or random.SystemRandom().randrange(2**32))
    sample = process_sample(CASES, PROCESS_SAMPLE, seed)
    verdicts = run_cases(CASES, base_project, tmp_path_factory.mktemp("cases"), pg=pg,
                         password_pg=password, in_processes=sample)
    for case_id, (stdout, problem) in verdicts.items():  # a failure names the seed that chose it
        if problem and problem.startswith("as a real process"):
            verdicts[case_id] = (stdout, f"{problem} (process sample seed {seed}: DBTOOL_CORPUS_SEED={seed})")
    return verdicts


# cases run a second time as real processes, a different seeded sample each run (every case
# runs in-process: the same CLI, stdout, stderr, environment and exit code, 0.2 s of CPU less)
PROCESS_SAMPLE = 16


def test_the_corpus_has_at_least_sixty_inputs():
    assert len(CASES) >= 60


@pytest.mark.parametrize("item", list(_params()))
def test_bad_input_is_rejected_cleanly(item: Case, verdicts: dict[str, Verdict],
                                       request: pytest.FixtureRequest):
    if item.needs:
        from tests.conftest import require_postgres

        require_postgres()
    if item.id not in verdicts:  # its server is missing: skip locally, fail under CI=true
        request.getfixturevalue("password_pg" if item.needs == "password_pg" else "shared_pg")
        pytest.fail(f"{item.id} did not run")
    stdout, problem = verdicts[item.id]
    assert problem is None, f"{problem}\nstdout: {stdout}"


def test_a_ten_megabyte_statement_is_valid_sqlite(base_project: Path, tmp_path: Path):
    """What D1 refuses (a statement over 100 KB) is plain SQLite: it applies, once."""
    sandbox = fresh_sandbox(base_project, tmp_path / "project")
    sandbox.add("app", "0002_big.sql", "INSERT INTO a VALUES ('" + "x" * 10_000_000 + "');\n")
    proc = run(dbtool_cmd("migrate", "--dir", str(sandbox.root / "migrations" / "app"), "--url",
                          f"sqlite:///{sandbox.root / '.dbtool' / 'local' / 'app.db'}", "--format", "json"))
    assert proc.returncode == 0, proc.stderr
    assert [a["name"] for a in json.loads(proc.stdout)["services"][0]["applied"]] == ["0002_big.sql"]
