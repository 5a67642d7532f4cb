"""History management for the SQLite family: SQLite files, wrangler's local D1, remote D1.

The statements are built as plain SQL with inlined literals because remote D1
binds parameters only to the last statement of a request, and one request is
the only transaction D1 offers: a rollback file, the removal of its history
rows and the audit row must travel together. SQLite runs the same statements
inside `BEGIN IMMEDIATE`, so all three engines write identical rows.

`SqliteHistoryOps` is mixed into `SqliteEngine` (and so into `D1LocalEngine`);
`D1RemoteEngine` uses the builders with its own request code.
"""

from __future__ import annotations

import re
import sqlite3
import time
from collections.abc import Iterable, Sequence
from typing import Any

from dbtool import __version__
from dbtool.engines.base import ApplyOutcome
from dbtool.errors import LockTimeout
from dbtool.migrations.audit import LOG_TABLE, HistoryEntry, LogEntry, current_user
from dbtool.migrations.files import LoadedMigration
from dbtool.migrations.foreign import ForeignRow, forget_sqlite, read_sqlite
from dbtool.migrations.history import AppliedMigration
from dbtool.quoting import quote_sqlite as ident

# = dbtool.engines.sqlite.SIDE_TABLE; repeated here because sqlite.py imports this module.
SIDE_TABLE = "dbtool_migrations"
# Columns added to the side table after its first release; older tables get them
# with ALTER TABLE the first time dbtool writes (NULL = not known for old rows).
ADDED_COLUMNS = ("body", "source")

LOG_DDL = (
    f"CREATE TABLE IF NOT EXISTS {LOG_TABLE} (\n"
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,\n"
    "  at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP,\n"
    "  action TEXT NOT NULL,\n"
    "  name TEXT NOT NULL,\n"
    "  old_checksum TEXT,\n"
    "  new_checksum TEXT,\n"
    "  forced INTEGER NOT NULL DEFAULT 0,\n"
    "  note TEXT,\n"
    "  username TEXT,\n"
    "  tool_version TEXT,\n"
    "  batch TEXT\n"
    ")"
)


def literal(value: object) -> str:
    """An SQL literal (strings quoted, None as NULL, bools as 0/1)."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int | float):
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"


def _values(*values: object) -> str:
    return "(" + ", ".join(literal(v) for v in values) + ")"


def side_upgrades(columns: Iterable[str]) -> list[str]:
    """ALTER statements that bring an older side table up to date."""
    present = {c.lower() for c in columns}
    return [f"ALTER TABLE {SIDE_TABLE} ADD COLUMN {c} TEXT" for c in ADDED_COLUMNS if c not in present]


def columns_in_ddl(sql: str | None) -> set[str]:
    """Which of the added columns a stored CREATE TABLE text has (ALTER appends them)."""
    return {c for c in ADDED_COLUMNS if sql and re.search(rf"\b{c}\b", sql, re.IGNORECASE)}


def upgrade_side_table(conn: sqlite3.Connection) -> None:
    """Add the columns a side table created by an older dbtool lacks."""
    columns = [row[1] for row in conn.execute(f"PRAGMA table_info({SIDE_TABLE})")]
    for statement in side_upgrades(columns):
        conn.execute(statement)


def side_row_sql(entry: HistoryEntry, *, keep_source: bool) -> str:
    """Upsert dbtool's side row; `keep_source` leaves how the row got there unchanged."""
    updates = "checksum = excluded.checksum, body = excluded.body"
    if not keep_source:
        updates += ", source = excluded.source"
    return (f"INSERT INTO {SIDE_TABLE} (name, checksum, duration_ms, applied_by, tool_version, "
            f"body, source) VALUES "
            f"{_values(entry.name, entry.checksum, None, current_user(), __version__, entry.body, entry.source)}"
            f" ON CONFLICT(name) DO UPDATE SET {updates}")


def record_sql(table: str, entries: Sequence[HistoryEntry]) -> list[str]:
    """Rows in wrangler's table (kept if present) and dbtool's side table, in file order."""
    out = []
    for entry in entries:
        out.append(f"INSERT OR IGNORE INTO {ident(table)} (name) VALUES ({literal(entry.name)})")
        out.append(side_row_sql(entry, keep_source=False))
    return out


def checksum_sql(entries: Sequence[HistoryEntry]) -> list[str]:
    """New checksums (and texts) for rows that exist; a wrangler row gains its side row."""
    return [side_row_sql(entry, keep_source=True) for entry in entries]


def unrecord_sql(table: str, name: str) -> list[str]:
    return [f"DELETE FROM {ident(table)} WHERE name = {literal(name)}",
            f"DELETE FROM {SIDE_TABLE} WHERE name = {literal(name)}"]


def log_sql(entries: Sequence[LogEntry]) -> list[str]:
    return [f"INSERT INTO {LOG_TABLE} (action, name, old_checksum, new_checksum, forced, note, "
            f"username, tool_version, batch) VALUES "
            f"{_values(e.action, e.name, e.old_checksum, e.new_checksum, e.forced, e.note, e.user, __version__, e.batch)}"
            for e in entries]


def log_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Audit rows as plain dicts; `forced` as a bool on every engine."""
    return [{**row, "forced": bool(row.get("forced"))} for row in rows]


class SqliteHistoryOps:
    """History writes for `SqliteEngine` (uses its connection, lock and runner)."""

    # -- reading ------------------------------------------------------------------
    def foreign_history(self) -> list[ForeignRow]:
        """dbmate's `schema_migrations`, if the database has one (wrangler rows come from history())."""
        return self._read(read_sqlite, [])

    def history_log(self) -> list[dict[str, Any]]:
        """The audit trail, oldest first; empty when nothing was ever changed by hand."""
        def read(rows: Any, tables: set[str]) -> list[dict[str, Any]]:
            return log_rows(rows(f"SELECT * FROM {LOG_TABLE} ORDER BY id", [])) if LOG_TABLE in tables else []
        return self._read(read, [])

    def history_bodies(self, names: Sequence[str]) -> dict[str, str]:
        """The texts recorded with these history rows (rows without one are left out)."""
        def read(rows: Any, tables: set[str]) -> dict[str, str]:
            if not names or SIDE_TABLE not in tables:
                return {}
            ddl = rows("SELECT sql FROM sqlite_schema WHERE name = ?", [SIDE_TABLE])[0]["sql"]
            if "body" not in columns_in_ddl(ddl):
                return {}
            return {r["name"]: r["body"] for r in rows(bodies_sql(names), [])}
        return self._read(read, {})

    def _read(self, reader: Any, empty: Any) -> Any:
        from dbtool.inspect.sqlite_runner import SqliteRunner

        conn = self._conn or self._connect(create=False)
        if conn is None:
            return empty
        try:
            runner = SqliteRunner(conn)
            tables = {r["name"] for r in runner.rows("SELECT name FROM sqlite_schema WHERE type = 'table'")}
            return reader(runner.rows, tables)
        finally:
            if conn is not self._conn:
                conn.close()

    # -- writing: each call is one transaction -------------------------------------------
    def record(self, entries: Sequence[HistoryEntry], log: Sequence[LogEntry]) -> None:
        """Mark files applied (adopt, baseline, mark) with their audit rows, all or nothing."""
        self._write(record_sql(self.table, entries) + log_sql(log))

    def set_checksums(self, entries: Sequence[HistoryEntry], log: Sequence[LogEntry]) -> None:
        """Record current checksums of applied files (repair), all or nothing."""
        self._write(checksum_sql(entries) + log_sql(log))

    def unrecord(self, name: str, log: LogEntry) -> None:
        """Remove one history row (mark --pending) with its audit row."""
        self._write(unrecord_sql(self.table, name) + log_sql([log]))

    def rollback(self, migration: LoadedMigration, name: str, log: LogEntry,
                 foreign: Sequence[ForeignRow] = ()) -> ApplyOutcome:
        """Run a rollback file and remove `name`'s history rows (and `foreign`) atomically (or neither)."""
        started = time.perf_counter()
        tail = unrecord_sql(self.table, name) + forget_sqlite(foreign, literal) + log_sql([log])
        if migration.transactional:
            done = self._write(tail, migration, name)
        else:  # `-- dbtool:no-transaction`: statements one by one, then the history change
            conn = self._connect(create=True)
            if not self._is_recorded(conn, name):
                return ApplyOutcome(name, False, 0.0, 0)  # another run rolled it back first
            self._run_autocommit(conn, migration)
            done = self._write(tail, None, name)
        return ApplyOutcome(name, done, (time.perf_counter() - started) * 1000,
                            len(migration.statements) if done else 0)

    def _write(self, statements: list[str], migration: LoadedMigration | None = None,
               expect: str | None = None) -> bool:
        """Run `statements` (after `migration`'s) in one immediate transaction.

        With `expect`, the row must still exist inside the transaction: a row
        another run removed meanwhile is left alone and False is returned.
        """
        conn = self._connect(create=True)
        self._begin(conn)
        try:
            self._ensure_history(conn)
            conn.execute(LOG_DDL)
            if expect is not None and not self._is_recorded(conn, expect):
                conn.execute("ROLLBACK")
                return False
            if migration is not None:
                self._run(conn, migration)
            for statement in statements:
                conn.execute(statement)
            self._after_write(conn)
            self._commit(conn)
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        return True

    def _commit(self, conn: sqlite3.Connection) -> None:
        """In rollback-journal mode COMMIT waits (busy_timeout) for readers to let go;
        past that the transaction is rolled back and reported as a lock timeout."""
        try:
            conn.execute("COMMIT")
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) and "busy" not in str(exc):
                raise
            conn.execute("ROLLBACK")
            raise LockTimeout(
                f"{self.path} is held open by a reader that did not let go within "
                f"{self.lock_timeout:g}s, so the commit could not finish; nothing was changed",
                hint="retry when the reader is done, or raise --lock-timeout") from exc

    def _after_write(self, conn: sqlite3.Connection) -> None:
        """Hook for engines that must note every write (wrangler's local bookmark)."""


# -- reading history rows (shared with the remote D1 engine) --------------------------------
def history_sql(table: str, side_ddl: str | None) -> str:
    """wrangler's rows in apply order, joined with dbtool's side rows.

    `side_ddl` is the side table's stored CREATE text (None: no side table); a
    table written by an older dbtool lacks `source`, which then reads as NULL.
    Bodies are not read here: status must stay cheap (they can be 60 KB each).
    """
    if side_ddl is None:
        return f"SELECT name AS migration, applied_at AS migration_at FROM {table} ORDER BY id"
    source = "x.source" if "source" in columns_in_ddl(side_ddl) else "NULL AS source"
    return (f"SELECT m.name AS migration, m.applied_at AS migration_at, x.checksum, "
            f"x.duration_ms, x.applied_by, {source} FROM {table} AS m "
            f"LEFT JOIN {SIDE_TABLE} AS x ON x.name = m.name ORDER BY m.id")


def bodies_sql(names: Sequence[str]) -> str:
    return (f"SELECT name, body FROM {SIDE_TABLE} WHERE body IS NOT NULL AND name IN "
            f"({', '.join(literal(n) for n in names)})")


def applied_from_row(row: dict[str, Any]) -> AppliedMigration:
    """One history row; without a dbtool checksum it is wrangler's (unverified)."""
    checksum = row.get("checksum")
    at, duration = row.get("migration_at"), row.get("duration_ms")
    source = row.get("source") or ("dbtool" if checksum is not None else "wrangler")
    return AppliedMigration(str(row["migration"]), None if at is None else str(at), checksum,
                            None if duration is None else round(duration), row.get("applied_by"),
                            source)
