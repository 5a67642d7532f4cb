"""History management on PostgreSQL: every change in one transaction with its audit row.

`PostgresHistoryOps` is mixed into `PostgresEngine`. DDL is transactional in
Postgres, so a rollback file, the removal of its `dbtool_migrations` row and
the `dbtool_history_log` row commit together, and the log table itself is
created by the first change that needs it, inside that same transaction.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from dbtool import __version__
from dbtool.engines.base import ApplyOutcome
from dbtool.engines.pg_own_tables import (
    HISTORY_TABLE,
    ensure_schema,
    lock_down,
    own_objects,
    qualified,
    read_table,
)
from dbtool.migrations.audit import LOG_TABLE, HistoryEntry, LogEntry
from dbtool.migrations.files import LoadedMigration
from dbtool.migrations.foreign import ForeignRow, forget_postgres, read_postgres
from dbtool.quoting import quote_postgres as _ident

if TYPE_CHECKING:
    from dbtool.engines.pg_own_tables import OwnObject, PgConnection

# Columns added to dbtool_migrations after its first release (NULL for older rows).
ADDED_COLUMNS = ("body", "source")


def log_ddl(schema: str) -> str:
    return (
        f"CREATE TABLE IF NOT EXISTS {_ident(schema)}.{LOG_TABLE} (\n"
        "  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,\n"
        "  at timestamptz NOT NULL DEFAULT now(),\n"
        "  action text NOT NULL,\n"
        "  name text NOT NULL,\n"
        "  old_checksum text,\n"
        "  new_checksum text,\n"
        "  forced boolean NOT NULL DEFAULT false,\n"
        "  note text,\n"
        "  username text,\n"
        "  tool_version text,\n"
        "  batch text\n"
        ")"
    )


def history_columns(conn: PgConnection, table: str) -> frozenset[str] | None:
    """The history table's column names, None when it does not exist. One round trip
    answers both "create it?" and "upgrade it?", so an existing table costs no
    `CREATE ... IF NOT EXISTS` (two more round trips and a NOTICE)."""
    exists, names = conn.execute(  # existence in the statement's snapshot, as the columns
        "SELECT EXISTS (SELECT 1 FROM pg_class WHERE oid = to_regclass(%s)), ARRAY(SELECT "
        "attname::text FROM pg_attribute WHERE attrelid = to_regclass(%s) AND attnum > 0 "
        "AND NOT attisdropped)", (table, table)).fetchone()
    return frozenset(names) if exists else None


class PostgresHistoryOps:
    """History writes for `PostgresEngine` (uses its connection, table and runner)."""

    def _upgrade_history(self, conn: PgConnection, present: frozenset[str]) -> None:
        """ALTER an older history table. The caller read the columns first, so no lock is
        taken on a table that is already up to date (status readers must never wait).
        Nothing is remembered here: the ALTER is undone if the caller's transaction rolls
        back (the engine's per-run cache only trusts a committed table)."""
        for column in ADDED_COLUMNS:
            if column not in present:
                conn.execute(f"ALTER TABLE {self.table} ADD COLUMN IF NOT EXISTS {column} text")

    # -- reading ----------------------------------------------------------------------
    def foreign_history(self) -> list[ForeignRow]:
        """Supabase's and dbmate's histories, whichever this database has."""
        return read_postgres(self.conn)

    def history_log(self) -> list[dict[str, Any]]:
        def read(log: str, _columns: frozenset[str]) -> list[dict[str, Any]]:
            cur = self.conn.execute(f"SELECT id, at::text AS at, action, name, old_checksum, new_checksum, "
                                    f"forced, note, username, tool_version, batch FROM {log} ORDER BY id")
            names = [d.name for d in cur.description]
            return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]

        return read_table(self.conn, self.schema, self.legacy, LOG_TABLE, read, [])

    def history_bodies(self, names: Sequence[str]) -> dict[str, str]:
        def read(table: str, columns: frozenset[str]) -> dict[str, str]:
            if "body" not in columns:  # written by a dbtool before bodies were kept
                return {}
            return dict(self.conn.execute(f"SELECT name, body FROM {table} WHERE body IS NOT NULL "
                                          "AND name = ANY(%s)", (list(names),)).fetchall())

        return read_table(self.conn, self.schema, self.legacy, HISTORY_TABLE, read, {}) if names else {}

    def own_objects(self) -> list[OwnObject]:
        """dbtool's history schema and tables, with what PUBLIC and the API roles may do
        with them (for the security audit, SEC105). Never writes."""
        return own_objects(self.conn, self.schema, self.legacy)

    # -- writing ----------------------------------------------------------------------
    def record(self, entries: Sequence[HistoryEntry], log: Sequence[LogEntry]) -> None:
        """Mark files applied (adopt, baseline, mark), all rows or none."""
        with self.conn.transaction():
            conn = self._prepare()
            for e in entries:
                conn.execute(
                    f"INSERT INTO {self.table} (name, version, checksum, tool_version, body, source) "
                    "VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (name) DO UPDATE SET "
                    "checksum = EXCLUDED.checksum, body = EXCLUDED.body, source = EXCLUDED.source",
                    (e.name, e.version, e.checksum, __version__, e.body, e.source))
            self._log(conn, log)

    def set_checksums(self, entries: Sequence[HistoryEntry], log: Sequence[LogEntry]) -> None:
        """Record the current checksums (and texts) of applied files (repair)."""
        with self.conn.transaction():
            conn = self._prepare()
            for e in entries:
                conn.execute(f"UPDATE {self.table} SET checksum = %s, body = %s WHERE name = %s",
                             (e.checksum, e.body, e.name))
            self._log(conn, log)

    def unrecord(self, name: str, log: LogEntry) -> None:
        with self.conn.transaction():
            conn = self._prepare()
            conn.execute(f"DELETE FROM {self.table} WHERE name = %s", (name,))
            self._log(conn, [log])

    def rollback(self, migration: LoadedMigration, name: str, log: LogEntry,
                 foreign: Sequence[ForeignRow] = ()) -> ApplyOutcome:
        """Run a rollback file and delete `name`'s history row (and `foreign`) in one transaction."""
        started = time.perf_counter()
        if not migration.transactional:  # `-- dbtool:no-transaction`: statements, then the row
            if not self._is_recorded(self.conn, name):
                return ApplyOutcome(name, False, 0.0, 0)  # another run rolled it back first
            self._run_autocommit(self.conn, migration)
        with self.conn.transaction():
            conn = self._prepare()
            if not self._is_recorded(conn, name):
                return ApplyOutcome(name, False, 0.0, 0)  # another run rolled it back first
            if migration.transactional:
                self._run(conn, migration)
            conn.execute(f"DELETE FROM {self.table} WHERE name = %s", (name,))
            forget_postgres(conn, foreign)
            self._log(conn, [log])
        return ApplyOutcome(name, True, (time.perf_counter() - started) * 1000,
                            len(migration.statements))

    def _prepare(self) -> PgConnection:
        """The history and log tables, created or upgraded inside the caller's transaction.
        Every history write other than `apply` comes through here, so it also drops the
        engine's per-run cache of applied names (this write may change them)."""
        conn = self.conn
        self._drop_run_cache()
        self._ensure_history(conn)
        log = qualified(self.schema, LOG_TABLE)
        present = history_columns(conn, log)
        if present is None:
            ensure_schema(conn, self.schema)
            conn.execute(log_ddl(self.schema))
            lock_down(conn, [log])
        else:
            from dbtool.engines.history_shape import LOG_COLUMNS, check

            check(log, present, LOG_COLUMNS, where=self.url.display,
                  hint=f"dbtool keeps its audit trail in {LOG_TABLE}: rename or drop that table first")
        return conn

    def _log(self, conn: PgConnection, entries: Sequence[LogEntry]) -> None:
        for e in entries:
            conn.execute(
                f"INSERT INTO {_ident(self.schema)}.{LOG_TABLE} (action, name, old_checksum, "
                "new_checksum, forced, note, username, tool_version, batch) "
                "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
                (e.action, e.name, e.old_checksum, e.new_checksum, e.forced, e.note, e.user,
                 __version__, e.batch))
