"""History management on plain SQLite files, through the real CLI."""

from __future__ import annotations

import os
import sqlite3
import sys
from pathlib import Path

from tests.helpers import REPO
from tests.history.support import (
    SQLITE_DOWN,
    SQLITE_UP,
    as_json,
    dbtool,
    drift_from_scratch,
    file_bytes,
    ok,
    sqlite_rows,
    states,
    write_set,
)
from tests.zygote import dbtool_run

NAMES = list(SQLITE_UP)


def migrated(folder: Path, tmp_path: Path) -> tuple[Path, tuple[str, ...]]:
    write_set(folder, SQLITE_UP, SQLITE_DOWN)
    db = tmp_path / "app.db"
    args = ("--dir", str(folder), "--url", f"sqlite:///{db}")
    ok("migrate", *args)
    return db, args


def log(db: Path) -> list[tuple]:
    return sqlite_rows(db, "SELECT action, name, old_checksum, new_checksum, forced, note "
                           "FROM dbtool_history_log ORDER BY id")


def test_rollback_three_steps_returns_schema_and_history_to_that_point(folder: Path, tmp_path: Path) -> None:
    db, args = migrated(folder, tmp_path)
    sqlite_rows(db, "SELECT 1")  # the file exists and is readable
    result = as_json("rollback", *args, "--steps", "3")
    assert [i["name"] for i in result["items"]] == NAMES[:1:-1]  # newest first
    assert result["written"] is True
    assert drift_from_scratch(folder, "sqlite", f"sqlite:///{db}", to=NAMES[1]) == []
    assert [r[0] for r in sqlite_rows(db, "SELECT name FROM d1_migrations ORDER BY id")] == NAMES[:2]
    assert [r[0] for r in sqlite_rows(db, "SELECT name FROM dbtool_migrations ORDER BY name")] == NAMES[:2]
    assert [(a, n) for a, n, *_ in log(db)] == [("rollback", n) for n in NAMES[:1:-1]]
    assert {s["state"] for n, s in states(*args).items() if n in NAMES[2:]} == {"pending"}
    ok("migrate", *args)  # the undone files apply again
    assert drift_from_scratch(folder, "sqlite", f"sqlite:///{db}", to=NAMES[-1]) == []


def test_rollback_refuses_up_front_when_a_rollback_file_is_missing(folder: Path, tmp_path: Path) -> None:
    db, args = migrated(folder, tmp_path)
    (folder / "down" / "0004_view.sql").unlink()
    before = file_bytes(db)
    proc = dbtool("rollback", *args, "--steps", "3")
    assert proc.returncode == 2, proc.stderr
    assert "down/0004_view.sql" in proc.stderr and "nothing was changed" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    assert file_bytes(db) == before, "a refused rollback must not touch the database"


def test_rollback_lint_errors_refuse_and_dry_run_writes_nothing(folder: Path, tmp_path: Path) -> None:
    db, args = migrated(folder, tmp_path)
    before = file_bytes(db)
    plan = as_json("rollback", *args, "--to", NAMES[2], "--dry-run")
    assert [i["name"] for i in plan["items"]] == [NAMES[4], NAMES[3]]
    assert plan["written"] is False and any("DL101" in w for w in plan["warnings"])
    assert file_bytes(db) == before

    (folder / "down" / "0005_audit.sql").write_text("DROP TRIGGER posts_audit;\nDROP TABLEE audit;\n")
    proc = dbtool("rollback", *args)
    assert proc.returncode == 1, proc.stderr
    assert "down/0005_audit.sql:2:1" in proc.stderr and "nothing was rolled back" in proc.stderr
    assert file_bytes(db) == before


def test_rollback_failure_keeps_the_file_and_its_row(folder: Path, tmp_path: Path) -> None:
    db, args = migrated(folder, tmp_path)
    (folder / "down" / "0004_view.sql").write_text("DROP VIEW post_titles;\nDROP VIEW no_such_view;\n")
    proc = dbtool("rollback", *args, "--steps", "2")
    assert proc.returncode == 1
    assert "down/0004_view.sql:2:1" in proc.stderr and "1 newer migration(s) were already rolled back" in proc.stderr
    assert [r[0] for r in sqlite_rows(db, "SELECT name FROM d1_migrations ORDER BY id")] == NAMES[:4]
    assert sqlite_rows(db, "SELECT name FROM sqlite_schema WHERE name = 'post_titles'") == [("post_titles",)]


def test_baseline_refuses_a_difference_accepts_identical_and_force_is_recorded(folder: Path,
                                                                                tmp_path: Path) -> None:
    write_set(folder, SQLITE_UP, SQLITE_DOWN)
    by_hand = tmp_path / "by_hand.db"
    with sqlite3.connect(by_hand) as conn:  # built without dbtool, one column short
        conn.executescript(SQLITE_UP[NAMES[0]] + SQLITE_UP[NAMES[1]])
    args = ("--dir", str(folder), "--url", f"sqlite:///{by_hand}")
    before = file_bytes(by_hand)
    refused = as_json("baseline", *args, "--to", NAMES[2], code=1)
    assert refused["refused"] and not refused["written"]
    assert [c["message"] for c in refused["changes"]] == ["column users.name: missing"]
    assert file_bytes(by_hand) == before

    planned = as_json("baseline", *args, "--to", NAMES[1], "--dry-run")
    assert [i["name"] for i in planned["items"]] == NAMES[:2] and not planned["written"]
    assert file_bytes(by_hand) == before, "--dry-run writes nothing"
    accepted = as_json("baseline", *args, "--to", NAMES[1])
    assert [i["name"] for i in accepted["items"]] == NAMES[:2] and accepted["forced"] is False
    assert {n: s["source"] for n, s in states(*args).items() if s["state"] == "applied"} == {
        NAMES[0]: "baseline", NAMES[1]: "baseline"}

    forced = as_json("baseline", *args, "--to", NAMES[2], "--force")
    assert forced["forced"] is True and [i["name"] for i in forced["items"]] == [NAMES[2]]
    assert states(*args)[NAMES[2]]["source"] == "baseline-forced"
    assert [(a, n, f) for a, n, _o, _n, f, _note in log(by_hand)] == [
        ("baseline", NAMES[0], 0), ("baseline", NAMES[1], 0), ("baseline", NAMES[2], 1)]
    assert "forced over 1 difference" in log(by_hand)[-1][5]
    assert "baseline (forced)" in ok("status", *args, env={"COLUMNS": "200"})


def test_mark_applied_and_pending_with_audit_trail(folder: Path, tmp_path: Path) -> None:
    db, args = migrated(folder, tmp_path)
    before = file_bytes(db)
    proc = dbtool("mark", *args, NAMES[4], "--pending")  # no terminal, no --yes
    assert proc.returncode == 2 and "--yes" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    assert file_bytes(db) == before

    assert as_json("mark", *args, NAMES[4], "--pending", "--dry-run")["items"][0]["action"] == "unrecord"
    assert file_bytes(db) == before, "--dry-run writes nothing (and needs no confirmation)"
    as_json("mark", *args, NAMES[4], "--pending", "--yes")
    assert states(*args)[NAMES[4]]["state"] == "pending"
    assert sqlite_rows(db, "SELECT count(*) FROM audit")  # nothing was undone
    as_json("mark", *args, NAMES[4], "--applied", "--yes")
    row = states(*args)[NAMES[4]]
    assert row["state"] == "applied" and row["source"] == "mark" and row["verified"]
    entries = log(db)
    assert [(a, n, note) for a, n, _o, _n, _f, note in entries] == [
        ("mark", NAMES[4], "marked pending"), ("mark", NAMES[4], "marked applied")]
    assert entries[0][2] == entries[1][3] and entries[0][3] is None  # old -> none -> new
    assert as_json("mark", *args, NAMES[4], "--applied", "--yes")["message"].endswith("already recorded as applied")
    assert dbtool("mark", *args, "0009_nothing.sql", "--applied", "--yes").returncode == 2


def test_repair_shows_the_line_diff_and_records_the_new_checksum(folder: Path, tmp_path: Path) -> None:
    db, args = migrated(folder, tmp_path)
    (folder / NAMES[2]).write_text("-- a comment added after the fact\n" + SQLITE_UP[NAMES[2]])
    assert states(*args)[NAMES[2]]["state"] == "modified"
    assert dbtool("migrate", *args).returncode == 1  # modified history is refused

    plan = as_json("repair", *args, "--dry-run")
    (item,) = plan["items"]
    assert item["name"] == NAMES[2] and "+-- a comment added after the fact" in item["diff"]
    assert states(*args)[NAMES[2]]["state"] == "modified"
    text = ok("repair", *args, "--yes")
    assert "+-- a comment added after the fact" in text
    assert states(*args)[NAMES[2]]["state"] == "applied"
    assert log(db)[0][:2] == ("repair", NAMES[2]) and log(db)[0][2] == item["old_checksum"]
    assert as_json("repair", *args, "--yes")["message"].startswith("every applied file matches")


def test_wrangler_rows_are_adopted_or_reported(folder: Path, tmp_path: Path) -> None:
    write_set(folder, SQLITE_UP)
    db = tmp_path / "wrangler.db"
    with sqlite3.connect(db) as conn:  # what wrangler leaves: its table, no checksums
        conn.executescript("CREATE TABLE d1_migrations (id INTEGER PRIMARY KEY AUTOINCREMENT, "
                           "name TEXT UNIQUE, applied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL);"
                           + SQLITE_UP[NAMES[0]] + SQLITE_UP[NAMES[1]])
        conn.executemany("INSERT INTO d1_migrations (name) VALUES (?)",
                         [(NAMES[0],), (NAMES[1],), ("0000_removed.sql",)])
    args = ("--dir", str(folder), "--url", f"sqlite:///{db}")
    assert states(*args)[NAMES[0]]["source"] == "wrangler" and not states(*args)[NAMES[0]]["verified"]
    plan = as_json("adopt", *args, "--from", "wrangler", code=1)
    assert [i["name"] for i in plan["items"]] == NAMES[:2] and not plan["written"]
    assert plan["problems"] == ["0000_removed.sql: no migration file of that name; left as it is "
                                "(wrangler history is never turned into rows without a file)"]
    as_json("adopt", *args, "--from", "wrangler", "--apply", code=1)
    rows = states(*args)
    assert [(rows[n]["verified"], rows[n]["source"]) for n in NAMES[:2]] == [(True, "wrangler")] * 2
    assert rows["0000_removed.sql"]["state"] == "missing" and not rows["0000_removed.sql"]["verified"]
    assert "wrangler (adopted)" in ok("status", *args, env={"COLUMNS": "200"})


def test_dbmate_history_on_sqlite(folder: Path, tmp_path: Path) -> None:
    write_set(folder, SQLITE_UP)
    db = tmp_path / "dbmate.db"
    with sqlite3.connect(db) as conn:
        conn.executescript("CREATE TABLE schema_migrations (version varchar(128) PRIMARY KEY);"
                           + SQLITE_UP[NAMES[0]] + SQLITE_UP[NAMES[1]])
        conn.executemany("INSERT INTO schema_migrations VALUES (?)", [("0001",), ("0002",)])
    args = ("--dir", str(folder), "--url", f"sqlite:///{db}")
    before = file_bytes(db)
    assert states(*args)[NAMES[0]]["source"] == "dbmate"
    proc = dbtool("migrate", *args)
    assert proc.returncode == 1 and "dbtool adopt" in proc.stderr and "--from dbmate" in proc.stderr
    assert file_bytes(db) == before
    adopted = as_json("adopt", *args, "--from", "dbmate", "--apply")
    assert [i["name"] for i in adopted["items"]] == NAMES[:2]
    applied = as_json("migrate", *args)["services"][0]["applied"]
    assert [a["name"] for a in applied] == NAMES[2:]
    assert drift_from_scratch(folder, "sqlite", f"sqlite:///{db}", to=NAMES[-1]) == [
        "table schema_migrations: extra"]


def test_rollback_of_an_adopted_dbmate_file_forgets_its_dbmate_row_on_sqlite(folder: Path, tmp_path: Path) -> None:
    """As on Postgres (writer races, DBTOOL_RACE_SEED=349153587): a stale dbmate row made
    `adopt` record the undone file again."""
    write_set(folder, SQLITE_UP, SQLITE_DOWN)
    db = tmp_path / "dbmate.db"
    with sqlite3.connect(db) as conn:
        conn.executescript("CREATE TABLE schema_migrations (version varchar(128) PRIMARY KEY);"
                           + SQLITE_UP[NAMES[0]] + SQLITE_UP[NAMES[1]])
        conn.executemany("INSERT INTO schema_migrations VALUES (?)", [("0001",), ("0002",)])
    conn.close()
    args = ("--dir", str(folder), "--url", f"sqlite:///{db}")
    ok("adopt", *args, "--from", "dbmate", "--apply")
    ok("rollback", *args, "--steps", "1")
    with sqlite3.connect(db) as conn:
        assert [v for (v,) in conn.execute("SELECT version FROM schema_migrations")] == ["0001"]
    conn.close()
    assert states(*args)[NAMES[1]]["state"] == "pending"
    again = as_json("adopt", *args, "--from", "dbmate", "--apply")
    assert [i["action"] for i in again["items"]] == ["skip"] and not again["written"]


def test_side_table_of_an_older_dbtool_is_upgraded(folder: Path, tmp_path: Path) -> None:
    write_set(folder, {n: SQLITE_UP[n] for n in NAMES[:2]})
    db = tmp_path / "old.db"
    with sqlite3.connect(db) as conn:  # the tables as dbtool 0.1 created them
        conn.executescript(
            "CREATE TABLE d1_migrations (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT UNIQUE, "
            "applied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL);"
            "CREATE TABLE dbtool_migrations (name TEXT PRIMARY KEY, checksum TEXT NOT NULL, "
            "duration_ms REAL, applied_by TEXT, tool_version TEXT, "
            "applied_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP);" + SQLITE_UP[NAMES[0]])
        from dbtool.migrations.files import checksum

        conn.execute("INSERT INTO d1_migrations (name) VALUES (?)", (NAMES[0],))
        conn.execute("INSERT INTO dbtool_migrations (name, checksum) VALUES (?, ?)",
                     (NAMES[0], checksum(SQLITE_UP[NAMES[0]].encode())))
    args = ("--dir", str(folder), "--url", f"sqlite:///{db}")
    assert states(*args)[NAMES[0]]["source"] == "dbtool"
    ok("migrate", *args)
    columns = [r[1] for r in sqlite_rows(db, "PRAGMA table_info(dbtool_migrations)")]
    assert columns[-2:] == ["body", "source"]
    assert sqlite_rows(db, "SELECT name, body IS NOT NULL, source FROM dbtool_migrations ORDER BY name") == [
        (NAMES[0], 0, None), (NAMES[1], 1, "dbtool")]


def test_service_mode_and_new_with_down(tmp_path: Path) -> None:
    (tmp_path / "dbtool.toml").write_text('[services.blog]\ndialect = "d1"\nurl_env = "BLOG_URL"\n')
    folder = write_set(tmp_path / "migrations" / "blog", SQLITE_UP, SQLITE_DOWN)
    env = {"BLOG_URL": f"sqlite:///{tmp_path / 'blog.db'}"}
    created = as_json("new", "blog", "add tags", "--with-down", cwd=tmp_path)
    assert Path(created["down"]) == folder / "down" / "0006_add_tags.sql"
    (folder / "0006_add_tags.sql").write_text("CREATE TABLE tags (id TEXT PRIMARY KEY);\n")
    Path(created["down"]).write_text(Path(created["down"]).read_text() + "DROP TABLE tags;\n")
    ok("migrate", "blog", cwd=tmp_path, env=env)
    result = as_json("rollback", "blog", "--steps", "2", cwd=tmp_path, env=env)
    assert [i["name"] for i in result["items"]] == ["0006_add_tags.sql", NAMES[4]]
    assert "tags" not in {r[0] for r in sqlite_rows(tmp_path / "blog.db", "SELECT name FROM sqlite_schema")}


def test_help_of_every_history_command() -> None:
    for command in ("adopt", "baseline", "mark", "repair", "rollback"):
        proc = dbtool_run([sys.executable, "-m", "dbtool", command, "--help"], capture_output=True,
                          text=True, cwd=REPO, env={**os.environ, "COLUMNS": "120"}, timeout=60)
        assert proc.returncode == 0 and "Examples:" in proc.stdout and "Exit codes" in proc.stdout
