"""migrate runs a rollback-journal database in WAL mode and hands it back as it found it."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from tests.helpers import run_dbtool


def _folder(tmp_path: Path, count: int) -> Path:
    folder = tmp_path / "m"
    folder.mkdir()
    for n in range(1, count + 1):
        (folder / f"{n:04d}_t{n}.sql").write_text(f"CREATE TABLE t{n} (id INTEGER PRIMARY KEY);\n")
    return folder


def _mode(db: Path) -> str:
    with sqlite3.connect(db) as conn:
        return conn.execute("PRAGMA journal_mode").fetchone()[0]


# WAL is the only journal mode stored in the file; truncate/persist are per connection.
@pytest.mark.parametrize("mode", ["delete", "wal"])
def test_journal_mode_is_unchanged_after_migrate(tmp_path: Path, mode: str):
    db = tmp_path / "app.db"
    with sqlite3.connect(db) as conn:
        assert conn.execute(f"PRAGMA journal_mode = {mode}").fetchone()[0] == mode
    proc = run_dbtool("migrate", "--dir", str(_folder(tmp_path, 5)), "--url", f"sqlite:///{db}",
                      "--format", "json")
    assert proc.returncode == 0, proc.stderr
    run = json.loads(proc.stdout)["services"][0]
    assert len(run["applied"]) == 5 and run["warnings"] == []
    assert _mode(db) == mode
    if mode != "wal":
        assert not Path(f"{db}-wal").exists()


def test_a_new_database_is_left_in_rollback_journal_mode(tmp_path: Path):
    db = tmp_path / "new.db"
    proc = run_dbtool("migrate", "--dir", str(_folder(tmp_path, 3)), "--url", f"sqlite:///{db}")
    assert proc.returncode == 0, proc.stderr
    assert _mode(db) == "delete"
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM d1_migrations").fetchone()[0] == 3


def test_an_open_reader_keeps_the_rollback_journal_and_the_run_still_applies(tmp_path: Path):
    db = tmp_path / "busy.db"
    sqlite3.connect(db).execute("CREATE TABLE keep (x)").connection.commit()
    reader = sqlite3.connect(db, isolation_level=None)
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM keep").fetchone()  # holds a SHARED lock
    try:
        proc = run_dbtool("migrate", "--dir", str(_folder(tmp_path, 2)), "--url", f"sqlite:///{db}",
                          "--lock-timeout", "1")
    finally:
        reader.execute("ROLLBACK")
        reader.close()
    # the reader blocks the commit (rollback journal): a lock timeout, nothing changed ...
    assert proc.returncode == 3, proc.stderr
    assert "held open by a reader" in proc.stderr and proc.stderr.count("\n") == 1
    assert _mode(db) == "delete"
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM sqlite_schema WHERE name = 't1'").fetchone()[0] == 0
    proc = run_dbtool("migrate", "--dir", str(tmp_path / "m"), "--url", f"sqlite:///{db}")
    # ... and once it is gone the next run applies both files
    assert proc.returncode == 0, proc.stderr
    assert _mode(db) == "delete"
