"""`dbtool migrate` / `status` on real SQLite files, through the real CLI."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.helpers import run_dbtool
from tests.zygote import dbtool_popen

WRANGLER_DDL = (
    "CREATE TABLE d1_migrations(\n"
    "\t\tid         INTEGER PRIMARY KEY AUTOINCREMENT,\n"
    "\t\tname       TEXT UNIQUE,\n"
    "\t\tapplied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL\n"
    ")"
)
FILES = {
    "0001_users.sql": "CREATE TABLE users (id TEXT PRIMARY KEY, email TEXT UNIQUE);\n",
    "0002_posts.sql": (
        "-- posts belong to users\n"
        "CREATE TABLE posts (id TEXT PRIMARY KEY, user_id TEXT REFERENCES users(id));\n"
        "CREATE INDEX idx_posts_user ON posts(user_id);\n"
        "CREATE TRIGGER trg_posts AFTER INSERT ON posts BEGIN\n"
        "  UPDATE users SET email = lower(email) WHERE id = NEW.user_id;\n"
        "END;\n"
    ),
    "0003_tags.sql": "CREATE TABLE tags (name TEXT PRIMARY KEY);\nINSERT INTO tags VALUES ('a');\n",
}


@pytest.fixture
def project(tmp_path: Path) -> tuple[Path, str, Path]:
    folder = tmp_path / "migrations"
    folder.mkdir()
    for name, body in FILES.items():
        (folder / name).write_text(body)
    db = tmp_path / "app.db"
    return folder, f"sqlite:///{db}", db


def migrate(folder: Path, url: str, *extra: str):
    return run_dbtool("migrate", "--dir", str(folder), "--url", url, *extra)


def status_json(folder: Path, url: str) -> dict:
    proc = run_dbtool("status", "--dir", str(folder), "--url", url, "--format", "json")
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)["services"][0]


def tables(db: Path) -> set[str]:
    with sqlite3.connect(db) as conn:
        return {r[0] for r in conn.execute("SELECT name FROM sqlite_schema WHERE type='table'")}


def test_applies_in_order_with_wrangler_history(project):
    folder, url, db = project
    proc = migrate(folder, url, "--format", "json")
    assert proc.returncode == 0, proc.stderr
    applied = [a["name"] for a in json.loads(proc.stdout)["services"][0]["applied"]]
    assert applied == list(FILES)
    with sqlite3.connect(db) as conn:
        ddl = conn.execute("SELECT sql FROM sqlite_schema WHERE name='d1_migrations'").fetchone()[0]
        rows = [r[0] for r in conn.execute("SELECT name FROM d1_migrations ORDER BY id")]
        side = dict(conn.execute("SELECT name, checksum FROM dbtool_migrations"))
    assert ddl == WRANGLER_DDL
    assert rows == list(FILES)
    assert set(side) == set(FILES) and all(len(c) == 64 for c in side.values())
    assert {"users", "posts", "tags"} <= tables(db)
    again = migrate(folder, url)
    assert again.returncode == 0 and "up to date" in again.stdout


def test_failing_statement_leaves_no_trace_and_names_file_line_col(project):
    folder, url, db = project
    (folder / "0004_broken.sql").write_text(
        "CREATE TABLE half (id TEXT);\n\n  INSERT INTO nowhere VALUES (1);\n")
    proc = migrate(folder, url)
    assert proc.returncode == 1
    err = proc.stderr.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert "0004_broken.sql:3:3" in err and "no such table: nowhere" in err
    assert "INSERT INTO nowhere" in err
    assert "half" not in tables(db)  # the failing file left nothing
    names = [m["name"] for m in status_json(folder, url)["migrations"] if m["state"] == "applied"]
    assert names == list(FILES)  # earlier files stay applied


def test_dry_run_changes_nothing(project):
    folder, url, db = project
    migrate(folder, url, "--to", "0001_users.sql")
    before = db.read_bytes()
    proc = migrate(folder, url, "--dry-run", "--sql")
    assert proc.returncode == 0, proc.stderr
    assert "would apply 0002_posts.sql" in proc.stdout and "CREATE INDEX idx_posts_user" in proc.stdout
    assert db.read_bytes() == before


def test_dry_run_does_not_create_the_database(project):
    folder, url, db = project
    assert migrate(folder, url, "--dry-run").returncode == 0
    assert not db.exists()
    assert run_dbtool("status", "--dir", str(folder), "--url", url).returncode == 0
    assert not db.exists()


def test_to_stops_after_the_named_file(project):
    folder, url, _ = project
    assert migrate(folder, url, "--to", "0002_posts.sql").returncode == 0
    states = {m["name"]: m["state"] for m in status_json(folder, url)["migrations"]}
    assert states == {"0001_users.sql": "applied", "0002_posts.sql": "applied",
                      "0003_tags.sql": "pending"}
    bad = migrate(folder, url, "--to", "0009_nope.sql")
    assert bad.returncode == 2 and "--to '0009_nope.sql'" in bad.stderr


def test_out_of_order_is_refused_unless_allowed(project):
    folder, url, db = project
    assert migrate(folder, url).returncode == 0
    (folder / "0002_1_late.sql").write_text("CREATE TABLE late (id TEXT);\n")
    states = {m["name"]: m["state"] for m in status_json(folder, url)["migrations"]}
    assert states["0002_1_late.sql"] == "out-of-order"
    refused = migrate(folder, url)
    assert refused.returncode == 1 and "0002_1_late.sql" in refused.stderr
    assert "late" not in tables(db)
    assert migrate(folder, url, "--allow-out-of-order").returncode == 0
    assert "late" in tables(db)


def test_modified_file_is_refused_but_crlf_is_not_an_edit(project):
    folder, url, db = project
    assert migrate(folder, url).returncode == 0
    path = folder / "0001_users.sql"
    path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
    (folder / "0004_more.sql").write_text("CREATE TABLE more (id TEXT);\n")
    assert migrate(folder, url, "--to", "0004_more.sql").returncode == 0
    path.write_text(FILES["0001_users.sql"].replace("email TEXT", "email TEXT NOT NULL"))
    (folder / "0005_even_more.sql").write_text("CREATE TABLE even_more (id TEXT);\n")
    states = {m["name"]: m["state"] for m in status_json(folder, url)["migrations"]}
    assert states["0001_users.sql"] == "modified"
    refused = migrate(folder, url)
    assert refused.returncode == 1 and "0001_users.sql" in refused.stderr
    assert "even_more" not in tables(db)
    assert migrate(folder, url, "--allow-modified").returncode == 0


def test_status_reports_missing_duplicates_and_exit_code(project):
    folder, url, _ = project
    assert migrate(folder, url).returncode == 0
    (folder / "0003_tags.sql").rename(folder / "0003_tags_renamed.sql")
    (folder / "0004_a.sql").write_text("SELECT 1;\n")
    (folder / "0004_b.sql").write_text("SELECT 2;\n")
    service = status_json(folder, url)
    states = {m["name"]: (m["state"], m["duplicate_version"]) for m in service["migrations"]}
    assert states["0003_tags.sql"] == ("missing", False)
    assert states["0003_tags_renamed.sql"] == ("pending", False)  # a rename is a new file
    assert states["0004_a.sql"] == ("pending", True)
    text = run_dbtool("status", "--dir", str(folder), "--url", url, "--exit-code")
    assert text.returncode == 1 and "duplicate version" in text.stdout and "missing" in text.stdout


def test_second_writer_waits_then_exits_3(project):
    folder, url, db = project
    assert migrate(folder, url, "--to", "0001_users.sql").returncode == 0
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        started = time.monotonic()
        proc = migrate(folder, url, "--lock-timeout", "1")
        waited = time.monotonic() - started
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert proc.returncode == 3, proc.stderr
    assert "locked" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    assert waited >= 1.0
    assert migrate(folder, url).returncode == 0


def test_concurrent_runs_apply_each_file_exactly_once(tmp_path: Path):
    folder = tmp_path / "m"
    folder.mkdir()
    for i in range(1, 31):
        (folder / f"{i:04d}_t{i}.sql").write_text(
            f"CREATE TABLE t{i} (id INTEGER);\nINSERT INTO t{i} VALUES ({i});\n")
    url = f"sqlite:///{tmp_path / 'race.db'}"
    cmd = [sys.executable, "-m", "dbtool", "migrate", "--dir", str(folder), "--url", url,
           "--format", "json", "--lock-timeout", "60"]
    procs = [dbtool_popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(6)]
    outputs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0] * 6, [o[1] for o in outputs]
    applied = [a["name"] for out, _ in outputs for a in json.loads(out)["services"][0]["applied"]]
    assert sorted(applied) == sorted(p.name for p in folder.iterdir())  # each exactly once
    with sqlite3.connect(tmp_path / "race.db") as conn:
        assert conn.execute("SELECT count(*), count(DISTINCT name) FROM d1_migrations").fetchone() == (30, 30)
        assert all(conn.execute(f"SELECT count(*) FROM t{i}").fetchone()[0] == 1 for i in range(1, 31))


def test_empty_file_and_bad_sql_file_are_rejected_before_anything_runs(project):
    folder, url, db = project
    (folder / "0004_empty.sql").write_text("-- nothing here yet\n")
    proc = migrate(folder, url)
    assert proc.returncode == 2 and "0004_empty.sql contains no SQL statements" in proc.stderr
    assert not db.exists()
    (folder / "0004_empty.sql").write_text("SELECT 'unterminated;\n")
    proc = migrate(folder, url)
    assert proc.returncode == 2 and "0004_empty.sql:1:8" in proc.stderr
    assert not db.exists()


def test_adhoc_mode_on_a_wrangler_project_folder(tmp_path: Path):
    folder = tmp_path / "migrations"
    folder.mkdir()
    (folder / "0000_init.sql").write_text("CREATE TABLE a (id TEXT PRIMARY KEY);\n")
    (folder / "0001_more.sql").write_text("CREATE TABLE b (id TEXT PRIMARY KEY);\n")
    (folder / "list.json").write_text("[]")
    (tmp_path / "wrangler.toml").write_text("name = 'x'\n")
    url = f"sqlite:///{tmp_path / 'w.db'}"
    proc = migrate(folder, url, "--format", "json")
    assert proc.returncode == 0, proc.stderr
    assert [a["name"] for a in json.loads(proc.stdout)["services"][0]["applied"]] == [
        "0000_init.sql", "0001_more.sql"]
