"""A reader whose snapshot predates the history table's creation, while the catalog lookup
(to_regclass) already sees it: the table must read as absent, never as another tool's table
with "no columns". The fault campaign's readers hit this once at random (a reader's `audit`
exited 2 while a writer created the table); a REPEATABLE READ transaction holds the old
snapshot still, so the gap is reproduced every time."""

from __future__ import annotations

import psycopg

from dbtool.engines import capabilities
from dbtool.engines.history_postgres import history_columns
from dbtool.engines.pg_own_tables import read_table
from dbtool.engines.postgres import PostgresEngine
from dbtool.urls import parse_url


def _engine(pg_url: str) -> PostgresEngine:
    return PostgresEngine(parse_url(pg_url), capabilities("postgres"))


def _create_history_after_the_readers_snapshot(pg_url: str) -> psycopg.Connection:
    reader = psycopg.connect(pg_url)
    reader.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
    reader.execute("SELECT 1")  # the transaction's snapshot is taken here
    engine = _engine(pg_url)
    try:
        engine.history()  # nothing yet
        with engine.conn.transaction():
            engine._ensure_history(engine.conn)  # the writer creates the table and commits
    finally:
        engine.close()
    return reader


def test_a_table_committed_after_the_snapshot_reads_as_absent(pg_url: str) -> None:
    reader = _create_history_after_the_readers_snapshot(pg_url)
    try:
        assert history_columns(reader, '"dbtool"."dbtool_migrations"') is None
        found = read_table(reader, "dbtool", None, "dbtool_migrations",
                           lambda where, columns: (where, sorted(columns)), "missing")
        assert found == "missing"
    finally:
        reader.close()
    fresh = _engine(pg_url)
    try:  # a new snapshot sees the whole table, with dbtool's columns
        assert fresh.history() == []
        assert {"name", "checksum"} <= history_columns(fresh.conn, '"dbtool"."dbtool_migrations"')
    finally:
        fresh.close()
