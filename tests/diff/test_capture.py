"""Capturing dashboard changes (`diff --to live --mark-applied`) and SQL-declared schemas
(`--to sql:DIR`, `declared = "DIR"`), on studio with its Supabase prelude (issue #17).

Live capture: studio is built by its migrations on a "live" database, then changed the
way a dashboard or psql changes it (a column, an index, a policy, a function). `diff
--to live --mark-applied` writes the file and records it there; the file applied to a
fresh database (with the migrations) gives the live schema; `status` on the live target
shows it applied, `audit` is clean, and a second `diff --to live` finds nothing.

SQL-declared: a folder in Supabase's `supabase/schemas/` layout declaring studio plus a
change yields the same migration as the equivalent snapshot edit.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import psycopg
import pytest

from dbtool.diff import diff
from dbtool.model import Schema
from tests.conftest import require_postgres
from tests.diff.support import dbtool, edit_snapshot, make_project

DASHBOARD = [
    "ALTER TABLE public.projects ADD COLUMN archived_at timestamptz",
    "CREATE INDEX idx_projects_archived_at ON public.projects (archived_at)",
    """CREATE POLICY "Owners can delete projects" ON public.projects FOR DELETE TO authenticated
       USING (auth.uid() = user_id)""",
    """CREATE OR REPLACE FUNCTION public.set_updated_at() RETURNS trigger LANGUAGE plpgsql
       SET search_path = public AS $$
BEGIN
  NEW.updated_at := clock_timestamp();
  RETURN NEW;
END;
$$""",
]


def _inspect(project: Path, url: str) -> Schema:
    from dbtool.config import load_project
    from dbtool.core.schema_ops import inspect_url
    from dbtool.urls import parse_url

    service = next(s for s in load_project(project / "dbtool.toml").services if s.name == "studio")
    return inspect_url(service, parse_url(url))


@pytest.mark.postgres
def test_live_changes_are_captured_and_recorded(tmp_path: Path, pg_url_factory) -> None:
    require_postgres()
    project = make_project(tmp_path, "studio")
    live = pg_url_factory("dbtool_live")
    assert dbtool(project, "migrate", "studio", "--url", live, "--prelude").returncode == 0
    with psycopg.connect(live, autocommit=True) as conn:
        for statement in DASHBOARD:
            conn.execute(statement)

    proc = dbtool(project, "diff", "studio", "dashboard changes", "--to", "live", "--url", live,
                  "--mark-applied", "--format", "json", pg=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    result = json.loads(proc.stdout)
    assert result["status"] == "written" and result["marked_applied"] == [f["name"] for f in result["files"]]
    sql = "\n".join(s for f in result["files"] for s in f["statements"])
    for fragment in ("ADD COLUMN archived_at", "idx_projects_archived_at", "Owners can delete projects",
                     "clock_timestamp()"):
        assert fragment in sql, sql
    assert "auth." not in "\n".join(s for s in sql.splitlines() if s.startswith("CREATE TABLE"))

    fresh = pg_url_factory("dbtool_fresh")
    assert dbtool(project, "migrate", "studio", "--url", fresh, "--prelude").returncode == 0
    assert diff(_inspect(project, live), _inspect(project, fresh)) == []

    status = dbtool(project, "status", "studio", "--url", live, "--format", "json")
    assert status.returncode == 0, status.stdout + status.stderr
    states = {m["name"]: m["state"] for m in json.loads(status.stdout)["services"][0]["migrations"]}
    assert all(state == "applied" for state in states.values()), states
    assert states[result["files"][-1]["name"]] == "applied"

    assert dbtool(project, "snapshot", "studio", pg=True).returncode == 0
    audit = dbtool(project, "audit", "studio", "--url", live)
    assert audit.returncode == 0, audit.stdout + audit.stderr
    again = dbtool(project, "diff", "studio", "again", "--to", "live", "--url", live, "--format", "json", pg=True)
    assert json.loads(again.stdout)["status"] == "nothing", again.stdout


@pytest.mark.postgres
def test_mark_applied_refuses_when_the_live_database_lags(tmp_path: Path, pg_url: str) -> None:
    require_postgres()
    project = make_project(tmp_path, "studio")
    files = sorted((project / "migrations" / "studio").glob("*.sql"))
    assert dbtool(project, "migrate", "studio", "--url", pg_url, "--prelude", "--to", files[-2].name).returncode == 0
    before = sorted(p.name for p in (project / "migrations" / "studio").iterdir())
    proc = dbtool(project, "diff", "studio", "capture", "--to", "live", "--url", pg_url, "--mark-applied", pg=True)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert files[-1].name in proc.stderr and "dbtool migrate studio" in proc.stderr
    assert sorted(p.name for p in (project / "migrations" / "studio").iterdir()) == before


def _declared_folder(project: Path, url: str) -> Path:
    """studio's schema as Supabase's declarative layout holds it: one SQL file per area,
    written here from the migrations themselves (their statements, in order)."""
    folder = project / "supabase" / "schemas"
    folder.mkdir(parents=True)
    for n, path in enumerate(sorted((project / "migrations" / "studio").glob("*.sql")), 1):
        shutil.copy(path, folder / f"{n:03d}_{path.name.split('_', 1)[1]}")
    return folder


CHANGE_SQL = """CREATE INDEX idx_generations_name ON public.generations (name);
ALTER TABLE public.tasks ADD COLUMN note text;
"""


def _snapshot_change(doc: dict) -> None:
    doc["tables"]["generations"]["indexes"]["idx_generations_name"] = {"columns": ["name"]}
    doc["tables"]["tasks"]["columns"]["note"] = {"type": "text", "nullable": True}


@pytest.mark.postgres
def test_sql_declared_schema_gives_the_snapshot_edit_migration(tmp_path: Path, pg_url: str) -> None:
    require_postgres()
    project = make_project(tmp_path, "studio")
    folder = _declared_folder(project, pg_url)
    (folder / "900_change.sql").write_text(CHANGE_SQL)

    by_sql = dbtool(project, "diff", "studio", "change", "--to", "sql:supabase/schemas", "--dry-run",
                    "--format", "json", pg=True)
    assert by_sql.returncode == 0, by_sql.stdout + by_sql.stderr
    edit_snapshot(project, "studio", _snapshot_change)
    by_snapshot = dbtool(project, "diff", "studio", "change", "--dry-run", "--format", "json", pg=True)
    assert by_snapshot.returncode == 0, by_snapshot.stdout
    statements = [[s for s in f["statements"]] for f in json.loads(by_sql.stdout)["files"]]
    assert statements == [f["statements"] for f in json.loads(by_snapshot.stdout)["files"]]
    assert any("idx_generations_name" in s for f in statements for s in f)

    # declared = "supabase/schemas": `diff` uses it, `check` holds the migrations to it
    toml = project / "dbtool.toml"
    toml.write_text(toml.read_text().replace('[services.studio]\n', '[services.studio]\ndeclared = "supabase/schemas"\n'))
    check = dbtool(project, "check", "studio", pg=True)
    assert check.returncode == 1 and "supabase/schemas" in check.stdout, check.stdout + check.stderr
    written = dbtool(project, "diff", "studio", "change", "--format", "json", pg=True)
    assert written.returncode == 0, written.stdout
    assert dbtool(project, "snapshot", "studio", pg=True).returncode == 0
    check = dbtool(project, "check", "studio", pg=True)
    assert check.returncode == 0, check.stdout + check.stderr
