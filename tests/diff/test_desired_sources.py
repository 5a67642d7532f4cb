"""`diff --to live` and `--to sql:DIR` on SQLite (api), their bad input, and kinds the model
does not hold (Postgres domains): reported as not compared, never as equal.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import psycopg
import pytest

from tests.conftest import require_postgres
from tests.diff.support import dbtool, make_project

HAND_MADE = ["ALTER TABLE users ADD COLUMN nickname TEXT",
             "CREATE INDEX idx_users_nickname ON users (nickname)",
             "CREATE VIEW admins AS SELECT id, email FROM users WHERE role = 'admin'"]


def _files(project: Path) -> list[str]:
    return sorted(p.name for p in (project / "migrations" / "api").glob("*.sql"))


def test_live_capture_on_sqlite(tmp_path: Path) -> None:
    project = make_project(tmp_path, "api")
    db = tmp_path / "live.db"
    url = f"sqlite:///{db}"
    assert dbtool(project, "migrate", "api", "--url", url).returncode == 0
    conn = sqlite3.connect(db)
    for statement in HAND_MADE:
        conn.execute(statement)
    conn.commit()
    conn.close()
    proc = dbtool(project, "diff", "api", "hand made", "--to", "live", "--url", url, "--mark-applied")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "recorded" in proc.stdout and "as applied" in proc.stdout
    new = _files(project)[-1]
    text = (project / "migrations" / "api" / new).read_text()
    assert "ADD COLUMN nickname" in text and "CREATE VIEW admins" in text
    status = json.loads(dbtool(project, "status", "api", "--url", url, "--format", "json").stdout)
    assert {m["name"]: m["state"] for m in status["services"][0]["migrations"]}[new] == "applied"
    fresh = tmp_path / "fresh.db"
    assert dbtool(project, "migrate", "api", "--url", f"sqlite:///{fresh}").returncode == 0
    again = dbtool(project, "diff", "api", "again", "--to", "live", "--url", url, "--format", "json")
    assert json.loads(again.stdout)["status"] == "nothing", again.stdout
    assert dbtool(project, "snapshot", "api").returncode == 0
    assert dbtool(project, "audit", "api", "--url", url).returncode == 0
    assert dbtool(project, "audit", "api", "--url", f"sqlite:///{fresh}").returncode == 0


def test_sql_folder_on_sqlite_names_the_failing_file(tmp_path: Path) -> None:
    project = make_project(tmp_path, "api")
    folder = project / "schema"
    folder.mkdir()
    for path in sorted((project / "migrations" / "api").glob("*.sql")):
        (folder / path.name).write_bytes(path.read_bytes())
    (folder / "9999_broken.sql").write_text("CREATE TABLE ok (id INTEGER PRIMARY KEY);\nCREATE TABLEX nope;\n")
    before = _files(project)
    proc = dbtool(project, "diff", "api", "broken", "--to", "sql:schema")
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "9999_broken.sql" in proc.stderr and "dbtool-prelude-" not in proc.stderr
    assert "Traceback" not in proc.stderr and _files(project) == before
    (folder / "9999_broken.sql").write_text("CREATE TABLE tags (id TEXT PRIMARY KEY, label TEXT NOT NULL);\n")
    ok = dbtool(project, "diff", "api", "tags", "--to", "sql:schema", "--format", "json")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert any("CREATE TABLE tags" in s for f in json.loads(ok.stdout)["files"] for s in f["statements"])


@pytest.mark.parametrize(("args", "message"), [
    (("--to", "bogus"), "is not `live` or `sql:DIR`"),
    (("--mark-applied",), "--mark-applied goes with --to live"),
    (("--url", "sqlite:///x.db"), "--target and --url name the live database of --to live"),
    (("--to", "sql:nowhere"), "is not a folder of SQL files"),
    (("--to", "live", "--target", "nope"), "nope"),
])
def test_bad_desired_source_is_one_line_and_exit_2(tmp_path: Path, args: tuple[str, ...], message: str) -> None:
    project = make_project(tmp_path, "api")
    before = _files(project)
    proc = dbtool(project, "diff", "api", "x", *args)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert message in proc.stderr and "Traceback" not in proc.stderr
    assert _files(project) == before


@pytest.mark.postgres
def test_a_kind_the_model_does_not_hold_is_never_called_equal(tmp_path: Path, pg_url: str) -> None:
    require_postgres()
    project = make_project(tmp_path, "scenes")
    assert dbtool(project, "migrate", "scenes", "--url", pg_url).returncode == 0
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("CREATE DOMAIN public.positive AS integer CHECK (VALUE > 0)")
    proc = dbtool(project, "diff", "scenes", "capture", "--to", "live", "--url", pg_url, "--format", "json", pg=True)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    result = json.loads(proc.stdout)
    assert result["refusals"][0]["code"] == "uncompared"
    assert "domains" in result["refusals"][0]["message"]
    text = dbtool(project, "diff", "scenes", "capture", "--to", "live", "--url", pg_url, pg=True)
    assert "does not hold" in text.stdout and "nothing was written" in text.stdout

    (project / "migrations" / "scenes" / "9999_domain.sql").write_text(
        "CREATE DOMAIN public.positive AS integer CHECK (VALUE > 0);\n")
    noted = dbtool(project, "diff", "scenes", "after", "--format", "json", pg=True)
    assert json.loads(noted.stdout)["not_compared"] == [{"kind": "domains", "count": 1}], noted.stdout
    plain = dbtool(project, "diff", "scenes", "after", pg=True)
    assert "not compared (the schema model does not hold them): 1 domains" in plain.stdout
