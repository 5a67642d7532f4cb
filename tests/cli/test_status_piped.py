"""`status` when stdout is not a terminal (CI, pipes): rows without an applied time —
Supabase rows not adopted yet, Supabase versions without a file, dbmate rows — are
plain rows with an empty time cell, never a crash (issue #15, item 7)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import psycopg
import pytest

from tests.helpers import run_dbtool


def _files(folder: Path, names: list[str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        (folder / name).write_text(f"CREATE TABLE t_{name.split('_')[0]} (id int);\n")
    return folder


def _rows(stdout: str) -> dict[str, list[str]]:
    """name -> state and source cells of the plain aligned table (split on runs of 2+ spaces);
    the time cell is empty for these rows, so the source follows the state."""
    import re

    lines = stdout.splitlines()
    header = next(i for i, text in enumerate(lines) if text.startswith("migration"))
    return {cells[0]: cells[1:3] for text in lines[header + 1:]
            if (cells := re.split(r"\s{2,}", text.strip()))}


@pytest.mark.postgres
def test_supabase_history_piped(tmp_path: Path, pg_url: str):
    folder = _files(tmp_path / "supabase" / "migrations",
                    ["20240101000000_a.sql", "20240102000000_b.sql"])
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("CREATE SCHEMA supabase_migrations; CREATE TABLE supabase_migrations.schema_migrations"
                     " (version text PRIMARY KEY, statements text[], name text)")
        conn.execute("INSERT INTO supabase_migrations.schema_migrations VALUES "
                     "('20240101000000', NULL, 'a'), ('20230101000000', NULL, 'dashboard_change')")
    proc = run_dbtool("status", "--dir", str(folder), "--url", pg_url)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    rows = _rows(proc.stdout)
    assert rows["20240101000000_a.sql"] == ["applied", "supabase (not adopted)"]
    assert rows["20240102000000_b.sql"] == ["pending"]
    missing = [cells for name, cells in rows.items() if "dashboard_change" in name]
    assert missing == [["missing", "supabase (not adopted)"]]


@pytest.mark.postgres
def test_dbmate_history_on_postgres_piped(tmp_path: Path, pg_url: str):
    folder = _files(tmp_path / "db" / "migrations", ["20240101000000_a.sql", "20240102000000_b.sql"])
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("CREATE TABLE schema_migrations (version varchar(128) PRIMARY KEY)")
        conn.execute("INSERT INTO schema_migrations VALUES ('20240101000000')")
    proc = run_dbtool("status", "--dir", str(folder), "--url", pg_url)
    assert proc.returncode == 0, proc.stderr
    assert _rows(proc.stdout)["20240101000000_a.sql"] == ["applied", "dbmate (not adopted)"]


def test_dbmate_history_on_sqlite_piped(tmp_path: Path):
    folder = _files(tmp_path / "db" / "migrations", ["0001_a.sql", "0002_b.sql"])
    db = tmp_path / "app.db"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE schema_migrations (version varchar(128) PRIMARY KEY)")
        conn.execute("INSERT INTO schema_migrations VALUES ('0001'), ('0009')")
    conn.close()
    proc = run_dbtool("status", "--dir", str(folder), "--url", f"sqlite:///{db}")
    assert proc.returncode == 0, proc.stderr
    rows = _rows(proc.stdout)
    assert rows["0001_a.sql"] == ["applied", "dbmate (not adopted)"]
    assert rows["0002_b.sql"] == ["pending"]
    assert [cells for name, cells in rows.items() if "0009" in name] == [["missing", "dbmate (not adopted)"]]
