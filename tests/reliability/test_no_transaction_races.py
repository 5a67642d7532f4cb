"""Eight `dbtool migrate` processes and one `-- dbtool:no-transaction` file (issue #15, item 6).

Such a file runs statement by statement, outside any transaction, so only the
run lock keeps a second process from running it again: before the fix each of
8 processes on SQLite ran it (8 inserts) and 7 then died on the history row
("UNIQUE constraint failed", an internal error). Now the already-applied check
and the statements happen under the run lock: the file runs exactly once, the
other processes see it applied and skip it, all exit 0.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.reliability.workload import dbtool_cmd, run
from tests.zygote import dbtool_popen

PROCESSES = 8
ROUNDS = 3
SLOW = "inside-file:sleep=0.05"  # widens the window between the check and the history row


def _files(folder: Path) -> None:
    folder.mkdir()
    (folder / "0001_hits.sql").write_text("CREATE TABLE hits (who TEXT NOT NULL);\n")
    (folder / "0002_once.sql").write_text(
        "-- dbtool:no-transaction\n"
        "INSERT INTO hits (who) VALUES ('first');\n"
        "INSERT INTO hits (who) VALUES ('second');\n"
        "INSERT INTO hits (who) VALUES ('third');\n")


def _count(url: str, dialect: str) -> tuple[int, list[str]]:
    from dbtool.engines import open_engine
    from dbtool.urls import parse_url

    engine = open_engine(parse_url(url), dialect)
    try:
        history = [row.name for row in engine.history()]
        if dialect == "postgres":
            rows = engine.conn.execute("SELECT count(*) FROM hits").fetchone()[0]
        else:
            import sqlite3

            with sqlite3.connect(engine.path) as conn:
                rows = conn.execute("SELECT count(*) FROM hits").fetchone()[0]
    finally:
        engine.close()
    return rows, history


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest, tmp_path: Path):
    if request.param == "postgres":
        return request.getfixturevalue("pg_url_factory"), "postgres"
    counter = iter(range(100))
    return (lambda: f"sqlite:///{tmp_path / f'app{next(counter)}.db'}"), "sqlite"


def test_eight_processes_run_a_no_transaction_file_once(tmp_path: Path, database) -> None:
    make_url, dialect = database
    folder = tmp_path / "migrations"
    _files(folder)
    for round_ in range(ROUNDS):
        url = make_url()
        base = run(dbtool_cmd("migrate", "--dir", str(folder), "--url", url, "--to", "0001_hits.sql"))
        assert base.returncode == 0, base.stderr
        cmd = dbtool_cmd("migrate", "--dir", str(folder), "--url", url, "--format", "json",
                         "--lock-timeout", "60")
        env = {**os.environ, "DBTOOL_FAULT": SLOW}
        procs = [dbtool_popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
                 for _ in range(PROCESSES)]
        outputs = [p.communicate(timeout=300) for p in procs]
        where = f"round {round_} on {dialect}"
        for proc, (_, err) in zip(procs, outputs, strict=True):
            assert proc.returncode == 0, f"{where}: exit {proc.returncode}: {err}"
            assert "internal error" not in err and "Traceback" not in err, err
        applied = [a["name"] for _, (out, _) in zip(procs, outputs, strict=True)
                   for a in json.loads(out)["services"][0]["applied"]]
        assert applied == ["0002_once.sql"], f"{where}: applied by {len(applied)} processes"
        assert _count(url, dialect) == (3, ["0001_hits.sql", "0002_once.sql"]), where
