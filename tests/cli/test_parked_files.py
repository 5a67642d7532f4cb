"""Parked migration files (issue #15, item 9): the seed-004 folder shape — timestamped
files beside `_applied_…sql` and `_hold_…sql` files — works with every command. A
name starting with `_` (and a service's `ignore` globs) parks a file: it is listed by
`status` as ignored and never applied, linted, built, counted as pending or missing.

The parked files hold SQL that would fail (or create a table nobody wants), so any
command that read or ran them would show it.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import psycopg
import pytest

from tests.conftest import PG_ADMIN_URL
from tests.helpers import run_dbtool

FILES = {
    "20240101000000_create_items.sql": "CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL);\n",
    "20240102000000_index_items.sql": "CREATE INDEX items_name ON items (name);\n",
    "20240103000000_create_notes.sql": "CREATE TABLE notes (id int PRIMARY KEY, body text);\n",
}
PARKED = {
    # applied by hand long ago, kept for the record (seed 004's `_applied_…` files)
    "_applied_20231201000000_initial_schema.sql": "CREATE TABLE parked_applied (id int);\n",
    # work on hold (seed 004's `_hold_…` files): not even valid SQL
    "_hold_20240201000000_rework_items.sql": "ALTER TABLE items RENAME TO;\nnot sql at all\n",
    # a parked name that no naming scheme accepts (a space, a quote)
    "_hold it's a draft.sql": "DROP TABLE items;\n",
    # parked by the service's `ignore` glob
    "20240301000000_sketch.draft.sql": "CREATE TABLE parked_draft (id int);\n",
}
CONFIG = """
[services.studio]
dialect = "postgres"
migrations = "supabase/migrations"
naming = "timestamp"
url_env = "STUDIO_TEST_URL"
ignore = ["*.draft.sql"]

[services.studio.targets.other]
url_env = "STUDIO_OTHER_URL"
"""


def _project(root: Path) -> Path:
    folder = root / "supabase" / "migrations"
    (folder / "down").mkdir(parents=True)
    for name, sql in {**FILES, **PARKED}.items():
        (folder / name).write_text(sql)
    (folder / "down" / "20240103000000_create_notes.sql").write_text("DROP TABLE notes;\n")
    (root / "dbtool.toml").write_text(CONFIG)
    return folder


def _tables(url: str) -> set[str]:
    with psycopg.connect(url) as conn:
        return {r[0] for r in conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')")}


def _ok(proc, *codes: int) -> None:
    assert proc.returncode in (codes or (0,)), [*proc.args[3:], proc.stdout[-1500:], proc.stderr]
    assert "Traceback" not in proc.stderr and "internal error" not in proc.stderr


@pytest.mark.postgres
def test_seed_004_folder_shape_works_with_every_command(tmp_path: Path, pg_url_factory):
    root = tmp_path / "project"
    folder = _project(root)
    live, other = pg_url_factory("parked_live"), pg_url_factory("parked_other")
    env = {"STUDIO_TEST_URL": live, "STUDIO_OTHER_URL": other, "DBTOOL_SCRATCH_URL": PG_ADMIN_URL}

    def dbtool(*args: str, codes: tuple[int, ...] = (0,)):
        proc = run_dbtool(*args, cwd=root, env=env, timeout=300)
        _ok(proc, *codes)
        return proc

    # status before anything: three pending, four ignored, in text and JSON
    text = dbtool("status", "studio").stdout
    for name in PARKED:
        assert any(line.startswith(name) and line[len(name):].split()[:1] == ["ignored"]
                   for line in text.splitlines()), text
    doc = json.loads(dbtool("status", "studio", "--format", "json").stdout)["services"][0]
    states = {m["name"]: m["state"] for m in doc["migrations"]}
    assert states == {**dict.fromkeys(FILES, "pending"), **dict.fromkeys(PARKED, "ignored")}
    assert doc["counts"]["ignored"] == 4 and doc["counts"]["pending"] == 3

    # migrate applies the three files, never a parked one; status is then clean
    run = json.loads(dbtool("migrate", "studio", "--format", "json").stdout)["services"][0]
    assert [a["name"] for a in run["applied"]] == list(FILES)
    assert not {"parked_applied", "parked_draft"} & _tables(live)
    dbtool("status", "studio", "--exit-code")
    doc = json.loads(dbtool("status", "studio", "--format", "json").stdout)["services"][0]
    assert doc["counts"] == {**doc["counts"], "applied": 3, "ignored": 4, "pending": 0, "missing": 0}

    # new: the next timestamp after the files (parked ones do not count), never parked itself
    made = json.loads(dbtool("new", "studio", "add tags", "--format", "json").stdout)["name"]
    assert made.endswith("_add_tags.sql") and made > "20240103000000" and not made.startswith("_")
    (folder / made).unlink()

    # snapshot, audit (scratch and live), check, lint, introspect: parked files play no part
    dbtool("snapshot", "studio")
    snapshot = (root / "schemas" / "studio.yaml").read_text()
    assert "items:" in snapshot and "parked_" not in snapshot
    dbtool("audit", "studio")
    dbtool("audit", "studio", "--target", "default")
    dbtool("check", "--require-all")
    dbtool("lint", "studio")
    dbtool("lint", str(folder), "--dialect", "postgres")
    report = json.loads(dbtool("introspect", "studio", "--format", "json").stdout)
    assert [m["name"] for m in report["migrations"]] == list(FILES)
    live_report = json.loads(dbtool("introspect", "studio", "--target", "default", "--format", "json").stdout)
    assert {m["name"] for m in live_report["migrations"]} == set(FILES)

    # history commands: mark, repair, rollback
    last = "20240103000000_create_notes.sql"
    dbtool("mark", "studio", last, "--pending", "--yes")
    dbtool("mark", "studio", last, "--applied", "--yes")
    (folder / last).write_text(FILES[last] + "-- reviewed\n")
    dbtool("repair", "studio", "--yes")
    dbtool("rollback", "studio")
    assert "notes" not in _tables(live)
    parked_mark = run_dbtool("mark", "studio", "_applied_20231201000000_initial_schema.sql", "--applied",
                             "--yes", cwd=root, env=env)
    assert parked_mark.returncode == 2 and "parked" in parked_mark.stderr, parked_mark.stderr

    # baseline: a database built by hand, then adopt: Supabase's history (the `other` target)
    with psycopg.connect(other, autocommit=True) as conn:
        conn.execute(FILES["20240101000000_create_items.sql"] + FILES["20240102000000_index_items.sql"])
    dbtool("baseline", "studio", "--target", "other", "--to", "20240102000000_index_items.sql")
    with psycopg.connect(other, autocommit=True) as conn:
        conn.execute("DELETE FROM dbtool.dbtool_migrations")  # (dbtool's own schema)
        conn.execute("CREATE SCHEMA supabase_migrations; CREATE TABLE supabase_migrations.schema_migrations "
                     "(version text PRIMARY KEY, statements text[], name text)")
        conn.execute("INSERT INTO supabase_migrations.schema_migrations VALUES "
                     "('20240101000000', NULL, 'create_items'), ('20240102000000', NULL, 'index_items')")
    dbtool("adopt", "studio", "--target", "other", "--from", "supabase", "--apply")
    doc = json.loads(dbtool("status", "studio", "--target", "other", "--format", "json").stdout)["services"][0]
    assert doc["counts"]["applied"] == 2 and doc["counts"]["ignored"] == 4 and doc["counts"]["missing"] == 0
    dbtool("migrate", "studio", "--target", "other")
    assert "notes" in _tables(other) and not {"parked_applied", "parked_draft"} & _tables(other)


def test_parked_files_ad_hoc_on_sqlite(tmp_path: Path):
    """Ad hoc (no dbtool.toml) the `_` rule alone parks files; other odd names stay errors."""
    folder = tmp_path / "migrations"
    folder.mkdir()
    (folder / "0001_a.sql").write_text("CREATE TABLE a (id TEXT);\n")
    (folder / "_0002_hold.sql").write_text("CREATE TABLE parked (id TEXT);\n")
    (folder / "0003_b.draft.sql").write_text("CREATE TABLE b (id TEXT);\n")  # no ignore globs ad hoc
    db = tmp_path / "app.db"
    args = ("--dir", str(folder), "--url", f"sqlite:///{db}")
    _ok(migrate := run_dbtool("migrate", *args, "--format", "json"))
    assert [a["name"] for a in json.loads(migrate.stdout)["services"][0]["applied"]] == [
        "0001_a.sql", "0003_b.draft.sql"]
    with sqlite3.connect(db) as conn:
        assert not conn.execute("SELECT 1 FROM sqlite_schema WHERE name = 'parked'").fetchall()
    conn.close()
    status = json.loads(run_dbtool("status", *args, "--format", "json").stdout)["services"][0]
    assert {m["name"]: m["state"] for m in status["migrations"]}["_0002_hold.sql"] == "ignored"
    (folder / "x0004_bad.sql").write_text("SELECT 1;\n")
    bad = run_dbtool("status", *args)
    assert bad.returncode == 2 and "x0004_bad.sql" in bad.stderr and "no leading version" in bad.stderr
