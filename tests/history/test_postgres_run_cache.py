"""The Postgres engine's per-run cache (issue #9): history checked once under the lock.

Under `lock()` a file costs BEGIN, its statements, the history INSERT and COMMIT,
sent in one pipeline (#18): one round trip; these tests pin that count and the cases where the cache must not be trusted:
a first file whose rollback also undid the history table, a run that read the
history before another run applied files, a history write by another path in the
same run, and calls made without the lock.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
from psycopg.pq import Trace

from dbtool.engines import capabilities
from dbtool.engines.postgres import PostgresEngine
from dbtool.errors import MigrationFailed
from dbtool.migrations.audit import LogEntry
from dbtool.migrations.files import LoadedMigration, discover, load
from dbtool.urls import parse_url

pytestmark = pytest.mark.postgres

BODIES = {
    "0001_a.sql": "CREATE TABLE a (id int PRIMARY KEY);\nCREATE INDEX a_id ON a (id);\n",
    "0002_b.sql": "CREATE TABLE b (id int PRIMARY KEY);\n",
    "0003_c.sql": "CREATE TABLE c (id int PRIMARY KEY);\n",
    "0004_d.sql": "-- dbtool:no-transaction\nCREATE INDEX CONCURRENTLY c_id ON c (id);\n",
}
BROKEN = "CREATE TABLE z (id int PRIMARY KEY);\nSELECT nope FROM missing_table;\n"


def _load(folder: Path, bodies: dict[str, str]) -> dict[str, LoadedMigration]:
    for name, body in bodies.items():
        (folder / name).write_text(body)
    files, _ = discover(folder)
    return {f.name: load(f, "postgres") for f in files if f.name in bodies}


@pytest.fixture
def files(tmp_path: Path) -> dict[str, LoadedMigration]:
    return _load(tmp_path, BODIES)


@pytest.fixture
def engine(pg_url: str) -> Iterator[PostgresEngine]:
    eng = PostgresEngine(parse_url(pg_url), capabilities("postgres"))
    try:
        yield eng
    finally:
        eng.close()


def _recorded(url: str) -> list[str]:
    with psycopg.connect(url) as conn:
        return [r[0] for r in conn.execute("SELECT name FROM dbtool.dbtool_migrations ORDER BY id")]


@contextmanager
def traced(conn: psycopg.Connection) -> Iterator[list[str]]:
    """libpq's protocol trace of `conn` inside the block, as lines once it ends."""
    lines: list[str] = []
    with tempfile.TemporaryFile("w+") as trace:
        conn.pgconn.trace(trace.fileno())
        conn.pgconn.set_trace_flags(Trace.SUPPRESS_TIMESTAMPS)
        try:
            yield lines
        finally:
            conn.pgconn.untrace()
            trace.seek(0)
            lines.extend(trace.read().splitlines())


def round_trips(lines: list[str]) -> int:
    """One round trip per ReadyForQuery the server sent."""
    return sum(1 for line in lines if line.startswith("B\t") and "\tReadyForQuery\t" in line)


def test_under_the_lock_a_file_costs_one_round_trip(
        engine: PostgresEngine, files: dict[str, LoadedMigration], pg_url: str) -> None:
    """BEGIN, the statements, the history INSERT and COMMIT go in one pipeline (#18)."""
    a, b, c, d = files.values()
    with engine.lock(5):
        engine.apply(a, lock_timeout=5)  # creates the table, reads the names
        with traced(engine.conn) as lines:
            engine.apply(b, lock_timeout=5)
            engine.apply(c, lock_timeout=5)
            engine.apply(d, lock_timeout=5)  # no-transaction: statement, BEGIN, INSERT, COMMIT
    assert round_trips(lines) == 1 + 1 + (1 + 3)
    assert not any("dbtool_migrations WHERE" in line or "to_regclass" in line for line in lines)
    assert _recorded(pg_url) == list(files)


def test_an_existing_table_is_not_created_again_with_or_without_the_lock(
        engine: PostgresEngine, files: dict[str, LoadedMigration]) -> None:
    a, b, c, _ = files.values()
    engine.apply(a, lock_timeout=5)  # no lock: today's per-file checks
    with traced(engine.conn) as lines:
        engine.apply(b, lock_timeout=5)
        with engine.lock(5):
            engine.apply(c, lock_timeout=5)
    assert not any("CREATE TABLE IF NOT EXISTS" in line or "CREATE SCHEMA" in line
                   for line in lines)
    assert not any("NoticeResponse" in line for line in lines)


def test_a_first_file_that_rolls_back_takes_the_new_history_table_with_it(
        engine: PostgresEngine, files: dict[str, LoadedMigration], tmp_path: Path,
        pg_url: str) -> None:
    broken = _load(tmp_path, {"0000_broken.sql": BROKEN})["0000_broken.sql"]
    with engine.lock(5):
        with pytest.raises(MigrationFailed) as failed:
            engine.apply(broken, lock_timeout=5)
        assert failed.value.location.line == 2  # the failing statement, not the file
        engine.apply(files["0001_a.sql"], lock_timeout=5)  # must create the table again
    assert _recorded(pg_url) == ["0001_a.sql"]


def test_an_older_table_upgrade_rolled_back_with_the_first_file_is_redone(
        engine: PostgresEngine, files: dict[str, LoadedMigration], tmp_path: Path,
        pg_url: str) -> None:
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("CREATE TABLE dbtool_migrations (id bigint GENERATED ALWAYS AS IDENTITY, "
                     "name text PRIMARY KEY, version text NOT NULL, checksum text NOT NULL, "
                     "applied_at timestamptz NOT NULL DEFAULT now(), duration_ms double precision, "
                     "applied_by text NOT NULL DEFAULT current_user, tool_version text)")
    broken = _load(tmp_path, {"0000_broken.sql": BROKEN})["0000_broken.sql"]
    with engine.lock(5):
        with pytest.raises(MigrationFailed):
            engine.apply(broken, lock_timeout=5)
        engine.apply(files["0001_a.sql"], lock_timeout=5)
    with psycopg.connect(pg_url) as conn:
        row = conn.execute("SELECT source, body IS NOT NULL FROM dbtool.dbtool_migrations").fetchone()
    assert row == ("dbtool", True)


def test_names_are_read_after_the_lock_so_files_applied_meanwhile_are_skipped(
        pg_url: str, engine: PostgresEngine, files: dict[str, LoadedMigration]) -> None:
    assert engine.history() == []  # read before the lock, as migrate does
    other = PostgresEngine(parse_url(pg_url), capabilities("postgres"))
    try:
        with other.lock(5):
            other.apply(files["0001_a.sql"], lock_timeout=5)
    finally:
        other.close()
    with engine.lock(5):
        outcomes = [engine.apply(m, lock_timeout=5) for m in list(files.values())[:2]]
    assert [o.applied for o in outcomes] == [False, True]
    assert _recorded(pg_url) == ["0001_a.sql", "0002_b.sql"]


def test_without_the_lock_every_file_is_checked_on_the_server(
        pg_url: str, engine: PostgresEngine, files: dict[str, LoadedMigration]) -> None:
    engine.apply(files["0001_a.sql"], lock_timeout=5)
    with psycopg.connect(pg_url, autocommit=True) as conn:  # another writer, between two files
        conn.execute("INSERT INTO dbtool.dbtool_migrations (name, version, checksum) "
                     "VALUES ('0002_b.sql', '0002', 'x')")
    assert not engine.apply(files["0002_b.sql"], lock_timeout=5).applied


def test_the_cache_ends_with_the_lock(
        pg_url: str, engine: PostgresEngine, files: dict[str, LoadedMigration]) -> None:
    with engine.lock(5):
        engine.apply(files["0001_a.sql"], lock_timeout=5)
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("INSERT INTO dbtool.dbtool_migrations (name, version, checksum) "
                     "VALUES ('0002_b.sql', '0002', 'x')")
    with engine.lock(5):
        assert not engine.apply(files["0002_b.sql"], lock_timeout=5).applied
        assert engine.apply(files["0003_c.sql"], lock_timeout=5).applied


def test_a_history_write_by_another_path_drops_the_cache(
        pg_url: str, engine: PostgresEngine, files: dict[str, LoadedMigration]) -> None:
    a = files["0001_a.sql"]
    with engine.lock(5):
        engine.apply(a, lock_timeout=5)
        engine.unrecord(a.file.name, LogEntry("mark", a.file.name, note="test"))
        with engine.conn.transaction():
            engine.conn.execute("DROP TABLE a")
        assert engine.apply(a, lock_timeout=5).applied  # not skipped from a stale cache
    assert _recorded(pg_url) == ["0001_a.sql"]


def test_a_pipelined_file_that_fails_is_reported_exactly_and_leaves_nothing(
        engine: PostgresEngine, tmp_path: Path, pg_url: str) -> None:
    """The second file of a run goes in one pipeline; when it fails, it is rolled back and
    run again statement by statement, so the error names its file, line and column."""
    loaded = _load(tmp_path, {"0001_a.sql": BODIES["0001_a.sql"], "0002_z.sql": BROKEN})
    a, z = loaded.values()
    with engine.lock(5):
        engine.apply(a, lock_timeout=5)
        with pytest.raises(MigrationFailed) as caught:
            engine.apply(z, lock_timeout=5)
    assert "0002_z.sql:2:" in caught.value.one_line() and "missing_table" in caught.value.one_line()
    assert _recorded(pg_url) == ["0001_a.sql"]
    with psycopg.connect(pg_url) as conn:
        assert conn.execute("SELECT to_regclass('public.z')").fetchone()[0] is None
        durations = conn.execute("SELECT duration_ms FROM dbtool.dbtool_migrations").fetchall()
    assert all(d is not None and d >= 0 for (d,) in durations)


def test_a_file_that_may_control_the_transaction_is_not_pipelined(tmp_path: Path) -> None:
    from dbtool.engines.pg_pipeline import pipelinable

    loaded = _load(tmp_path, {
        "0001_plain.sql": "-- a comment\nCREATE TABLE p (id int);\n",
        "0002_commit.sql": "CREATE TABLE q (id int);\n/* then */ COMMIT;\n",
        "0003_savepoint.sql": "savepoint s1;\nCREATE TABLE r (id int);\n"})
    assert [pipelinable(m) for m in loaded.values()] == [True, False, False]
