"""SQLite engine: a real file, wrangler's `d1_migrations` table, and a side table.

Each file runs inside `BEGIN IMMEDIATE` together with its history rows, so a
file and its row commit together or not at all. The immediate write lock also
serialises concurrent runs: inside it the history is re-read, and a file that
another process applied meanwhile is recognised by name and skipped.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

from dbtool import __version__
from dbtool.engines.base import ApplyOutcome, Capabilities
from dbtool.engines.history_shape import check_sqlite
from dbtool.engines.history_sqlite import (
    SqliteHistoryOps,
    applied_from_row,
    history_sql,
    upgrade_side_table,
)
from dbtool.errors import (
    ConnectionFailed,
    LockTimeout,
    MigrationFailed,
    SourceLocation,
    UrlError,
    UsageError,
)
from dbtool.faults import fault
from dbtool.migrations.audit import LOG_TABLE, current_user, limited
from dbtool.migrations.files import LoadedMigration
from dbtool.migrations.history import AppliedMigration
from dbtool.quoting import quote_sqlite as _quote_ident
from dbtool.urls import DatabaseUrl

if TYPE_CHECKING:
    from dbtool.engines.pg_own_tables import OwnObject
    from dbtool.migrations.splitter import Statement
    from dbtool.model import Schema

SIDE_TABLE = "dbtool_migrations"
# SQLITE_READONLY_ROLLBACK / SQLITE_READONLY_RECOVERY: a read-only connection met a
# crashed writer's hot journal or an unrecovered WAL index.
_NEEDS_RECOVERY = frozenset({776, 264})


def wrangler_history_ddl(table: str) -> str:
    """Byte-for-byte the DDL wrangler 4 issues, so both tools see one table."""
    return (
        f"CREATE TABLE IF NOT EXISTS {table}(\n"
        "\t\tid         INTEGER PRIMARY KEY AUTOINCREMENT,\n"
        "\t\tname       TEXT UNIQUE,\n"
        "\t\tapplied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL\n"
        ");"
    )


SIDE_DDL = (
    f"CREATE TABLE IF NOT EXISTS {SIDE_TABLE} (\n"
    "  name TEXT PRIMARY KEY,\n"
    "  checksum TEXT NOT NULL,\n"
    "  duration_ms REAL,\n"
    "  applied_by TEXT,\n"
    "  tool_version TEXT,\n"
    "  applied_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP,\n"
    "  body TEXT,\n"  # the applied text, for repair's line diff (NULL: not known)
    "  source TEXT\n"  # how the row got here: dbtool, wrangler, supabase, baseline ...
    ")"
)


class SqliteEngine(SqliteHistoryOps):
    def __init__(self, url: DatabaseUrl, capabilities: Capabilities, *,
                 history_table: str = "d1_migrations", history_schema: str = "main",
                 lock_timeout: float = 30.0) -> None:
        self.url = url
        self.capabilities = capabilities
        self.path: Path = url.sqlite_path
        self.table = history_table
        self.lock_timeout = lock_timeout
        self._conn: sqlite3.Connection | None = None
        self._history_ready = False
        self._wal_eligible = False  # inside lock(), until the first commit
        self._restore_mode: str | None = None  # the journal mode to restore after the run
        self.notes: list[str] = []  # warnings for the run's report (e.g. journal mode left as WAL)

    # -- databases ----------------------------------------------------------
    @classmethod
    def create_database(cls, url: DatabaseUrl, *, admin: DatabaseUrl | None = None) -> None:
        """An empty SQLite file (its folder created); an existing file is an error."""
        path = url.sqlite_path
        if path.exists():
            raise UsageError(f"{path} already exists", hint="choose a path that does not exist yet")
        path.parent.mkdir(parents=True, exist_ok=True)
        sqlite3.connect(path).close()

    @classmethod
    def drop_database(cls, url: DatabaseUrl, *, admin: DatabaseUrl | None = None) -> None:
        """The file and what SQLite and dbtool keep beside it (journal, WAL, run lock)."""
        from dbtool.engines.run_lock import lock_path

        path = url.sqlite_path
        for leftover in (path, *(path.with_name(path.name + s) for s in ("-journal", "-wal", "-shm")),
                         lock_path(path)):
            leftover.unlink(missing_ok=True)

    def own_objects(self) -> list[OwnObject]:
        """SQLite has no roles: nothing of dbtool's can be granted to anyone."""
        return []

    # -- connection ---------------------------------------------------------
    def exists(self) -> bool:
        return self.path.is_file()

    def _connect(self, *, create: bool) -> sqlite3.Connection | None:
        if self._conn is not None:
            return self._conn
        if self.path.is_dir():
            raise UrlError(f"{self.path} is a folder, not a SQLite file",
                           hint="point the URL at a database file, e.g. sqlite:///app.db")
        if not create and not self.path.exists():
            return None
        if create:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            conn = self._open("rwc" if create else _reading_mode(self.path))
        except sqlite3.DatabaseError as exc:
            if create or getattr(exc, "sqlite_errorcode", None) not in _NEEDS_RECOVERY:
                raise self._open_error(exc) from exc
            # A writer died mid-transaction (a hot journal, or a WAL index to
            # rebuild). Only a read-write open can restore the last committed
            # state, which every SQLite client does on open; a reader that
            # refused would leave status and migrate locked out after a crash.
            try:
                conn = self._open("rw")
            except sqlite3.DatabaseError as again:
                raise self._open_error(again) from again
        if self.capabilities.foreign_keys:
            conn.execute("PRAGMA foreign_keys = ON")
        if create:
            self._conn = conn
        return conn

    def _open(self, mode: str) -> sqlite3.Connection:
        """Open the file in `mode` (ro | rw | rwc) and read the catalog once, so a bad
        file, a lock or a crashed writer's leftovers show up here."""
        uri = f"file:{quote(str(self.path.resolve()))}?mode={mode}"
        conn = sqlite3.connect(uri, uri=True, isolation_level=None,
                               timeout=self.lock_timeout, check_same_thread=False)
        try:
            conn.execute("SELECT count(*) FROM sqlite_schema").fetchone()
        except BaseException:
            conn.close()
            raise
        return conn

    def _open_error(self, exc: sqlite3.DatabaseError) -> Exception:
        text = str(exc)
        if "not a database" in text:
            return UrlError(f"{self.path} is not a SQLite database ({text})",
                            hint="point the URL at a SQLite file, or at a path that does not exist yet")
        if "locked" in text:
            return LockTimeout(f"SQLite file {self.path} is locked by another process",
                               hint="retry, or raise --lock-timeout")
        return ConnectionFailed(f"cannot open SQLite file {self.path}: {text}",
                                hint="check that the folder exists and is writable")

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    # -- history -------------------------------------------------------------
    def history(self) -> list[AppliedMigration]:
        conn = self._conn or self._connect(create=False)
        if conn is None:
            return []
        try:
            return self._read_history(conn)
        finally:
            if conn is not self._conn:
                conn.close()

    def _read_history(self, conn: sqlite3.Connection) -> list[AppliedMigration]:
        tables = self._history_tables(conn)
        if self.table not in tables:
            return []
        cur = conn.execute(history_sql(_quote_ident(self.table), tables.get(SIDE_TABLE)))
        names = [d[0] for d in cur.description]
        return [applied_from_row(dict(zip(names, row, strict=True))) for row in cur.fetchall()]

    def inspect(self, schemas: Sequence[str] = ()) -> Schema:
        """The schema model of the database (history tables left out); empty if absent."""
        from dbtool.inspect import inspect_sqlite
        from dbtool.inspect.sqlite_runner import SqliteRunner

        with self.read_view():
            if self._conn is None:
                from dbtool.model import Schema

                return Schema()
            return inspect_sqlite(SqliteRunner(self._conn), exclude={self.table, SIDE_TABLE})

    @contextmanager
    def read_view(self) -> Iterator[None]:
        """One read transaction (BEGIN + a first read takes the shared lock) for every
        read inside; a writer's COMMIT waits for it, so no read lands on both sides."""
        owned = self._conn is None
        conn = self._connect(create=False) if owned else self._conn
        if conn is None or conn.in_transaction:
            yield
            return
        conn.execute("BEGIN")
        try:
            conn.execute("SELECT count(*) FROM sqlite_schema").fetchone()
            self._conn = conn
            yield
        finally:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            if owned:
                self._conn = None
                conn.close()

    # -- locking and applying ---------------------------------------------------
    @contextmanager
    def lock(self, timeout: float) -> Iterator[None]:
        """The run lock: every dbtool command that writes holds it from the history read its
        decisions depend on to its last write (see `run_lock`), so concurrent runs take
        turns instead of deciding from the same history. Each file still commits under
        BEGIN IMMEDIATE, which keeps other writers (wrangler, the application) out while
        it runs. The database itself is opened (and created) by the first write, so a
        run that refuses under the lock leaves no file behind.

        For the run, a rollback-journal database is switched to WAL and back: with
        synchronous=FULL both are durable at every COMMIT, but WAL syncs one file
        once per commit where the rollback journal syncs four times (200 files:
        ~100 ms instead of ~260 ms of commits). The switch happens after the first
        file commits, so a run that changes nothing leaves the file byte for byte as
        it was. A run killed before the switch back leaves the file in WAL mode,
        which is just as safe."""
        from dbtool.engines import run_lock

        self.lock_timeout = timeout
        fault("before-lock")
        with run_lock.held(self.path, timeout):
            if self._conn is not None:
                self._conn.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
            self._wal_eligible = True
            try:
                yield
            finally:
                restore, self._wal_eligible, self._restore_mode = self._restore_mode, False, None
                if restore and self._conn is not None:
                    self.notes.extend(_leave_wal(self._conn, restore, self.path))

    def _begin(self, conn: sqlite3.Connection) -> None:
        started = time.monotonic()
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            if "locked" in str(exc) or "busy" in str(exc):
                waited = time.monotonic() - started
                raise LockTimeout(
                    f"{self.path} is locked by another writer (waited {waited:.1f}s)",
                    hint="another migrate may be running; retry or raise --lock-timeout",
                ) from exc
            raise
        fault("while-locked")

    def _faster_commits(self, conn: sqlite3.Connection) -> None:
        """Once per locked run, after its first commit: WAL for the files that follow."""
        if self._wal_eligible:
            self._wal_eligible = False
            self._restore_mode = _enter_wal(conn)

    def _history_tables(self, conn: sqlite3.Connection) -> dict[str, str | None]:
        """name -> DDL of the history tables that exist; a foreign one of those names stops here."""
        tables = dict(conn.execute(
            "SELECT name, sql FROM sqlite_schema WHERE type = 'table' AND name IN (?, ?, ?)",
            (self.table, SIDE_TABLE, LOG_TABLE)).fetchall())
        check_sqlite(tables, self.table, str(self.path))
        return tables

    def _ensure_history(self, conn: sqlite3.Connection) -> None:
        if not self._history_ready:
            self._history_tables(conn)
            conn.execute(wrangler_history_ddl(_quote_ident(self.table)))
            conn.execute(SIDE_DDL)
            upgrade_side_table(conn)

    def apply(self, migration: LoadedMigration, *, lock_timeout: float) -> ApplyOutcome:
        conn = self._connect(create=True)
        assert conn is not None
        name = migration.file.name
        started = time.perf_counter()
        if not migration.transactional:
            return self._apply_autocommit(conn, migration, started)
        fault("before-file")
        self._begin(conn)
        try:
            self._ensure_history(conn)
            if self._is_recorded(conn, name):
                conn.execute("ROLLBACK")
                return ApplyOutcome(name, False, 0.0, 0)
            self._run(conn, migration)
            fault("after-statements")
            self._record(conn, migration, started)
            fault("after-history")
            self._commit(conn)
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        fault("after-commit")
        self._history_ready = True
        self._faster_commits(conn)
        return ApplyOutcome(name, True, (time.perf_counter() - started) * 1000,
                            len(migration.statements))

    def _apply_autocommit(self, conn: sqlite3.Connection, migration: LoadedMigration,
                          started: float) -> ApplyOutcome:
        """`-- dbtool:no-transaction`: statements run one by one, recorded after success.
        Only the run lock keeps a second run from running them again meanwhile."""
        if self._is_recorded(conn, migration.file.name):
            return ApplyOutcome(migration.file.name, False, 0.0, 0)
        self._run_autocommit(conn, migration)
        self._begin(conn)
        try:
            self._ensure_history(conn)
            self._record(conn, migration, started)
            self._commit(conn)
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        self._history_ready = True
        return ApplyOutcome(migration.file.name, True, (time.perf_counter() - started) * 1000,
                            len(migration.statements))

    def _run_autocommit(self, conn: sqlite3.Connection, migration: LoadedMigration) -> None:
        """A no-transaction file's statements; a transaction it opened and left open is
        rolled back (and reported), never committed with dbtool's history row."""
        self._run(conn, migration, transactional=False)
        if conn.in_transaction:
            conn.execute("ROLLBACK")
            raise MigrationFailed(
                f"{migration.file.name} left a transaction open (BEGIN without COMMIT)",
                migration=migration.file.name, statement="", engine_message="",
                location=SourceLocation(migration.file.path),
                hint="dbtool rolled that transaction back; what ran before its BEGIN stays "
                     "applied and the file is not recorded — end the transaction in the file, "
                     "or drop the directive and let dbtool run the file in one transaction")

    def _is_recorded(self, conn: sqlite3.Connection, name: str) -> bool:
        try:
            row = conn.execute(f"SELECT 1 FROM {_quote_ident(self.table)} WHERE name = ?",
                               (name,)).fetchone()
        except sqlite3.OperationalError:
            return False  # no history table yet
        return row is not None

    def _run(self, conn: sqlite3.Connection, migration: LoadedMigration, *,
             transactional: bool = True) -> None:
        """The file's statements. In a transactional file each one must leave dbtool's
        transaction open: one that ended it is reported at once (lint's TX101 refuses
        such files before anything runs; this is the engine's own guard)."""
        for index, statement in enumerate(migration.statements):
            if index:
                fault("inside-file")
            try:
                conn.execute(statement.sql)
            except sqlite3.Error as exc:
                raise self._failure(conn, migration, index, exc, transactional) from exc
            if transactional and not conn.in_transaction:
                raise transaction_ended(migration, statement)

    def _failure(self, conn: sqlite3.Connection, migration: LoadedMigration, index: int,
                 exc: sqlite3.Error, transactional: bool) -> MigrationFailed:
        """The error, saying truthfully what state the failed file left."""
        statement = migration.statements[index]
        rolled_back = transactional
        if transactional:
            # dbtool's transaction was open before this statement; SQLite may have rolled
            # it back itself (ON CONFLICT ROLLBACK, RAISE(ROLLBACK), I/O errors)
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            tail = "the file was rolled back, earlier files stay applied"
        elif conn.in_transaction:
            conn.execute("ROLLBACK")
            tail = (f"no-transaction file: {index} of {len(migration.statements)} statements had run; "
                    "dbtool rolled back the transaction the file had opened, what ran outside it "
                    "stays applied; the file is not recorded")
        else:
            tail = (f"no-transaction file: {index} of {len(migration.statements)} statements had "
                    "run and stay applied; the file is not recorded")
        return MigrationFailed(
            f"{migration.file.name} failed: {exc}",
            migration=migration.file.name,
            statement=statement.sql,
            engine_message=str(exc),
            location=SourceLocation(migration.file.path, statement.line, statement.col),
            hint=f"statement: {statement.sql.strip().splitlines()[0][:80]}; {tail}",
            rolled_back=rolled_back,
        )

    def _record(self, conn: sqlite3.Connection, migration: LoadedMigration, started: float) -> None:
        name = migration.file.name
        conn.execute(f"INSERT INTO {_quote_ident(self.table)} (name) VALUES (?)", (name,))
        conn.execute(
            f"INSERT OR REPLACE INTO {SIDE_TABLE} (name, checksum, duration_ms, applied_by, tool_version,"
            " body, source) VALUES (?, ?, ?, ?, ?, ?, 'dbtool')",
            (name, migration.file.checksum, round((time.perf_counter() - started) * 1000, 3),
             current_user(), __version__, limited(migration.text)),
        )

    def run_script(self, statements: Sequence, *, source: str) -> None:
        conn = self._connect(create=True)
        assert conn is not None
        self._begin(conn)
        try:
            for statement in statements:
                conn.execute(statement.sql)
                if not conn.in_transaction:
                    raise MigrationFailed(
                        f"{source} ended the transaction dbtool runs it in", migration=source,
                        statement=statement.sql, engine_message="",
                        location=SourceLocation(source, statement.line, statement.col),
                        hint="remove the transaction control statement; what ran before it "
                             "may stay applied")
            self._commit(conn)
        except sqlite3.Error as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise MigrationFailed(f"{source} failed: {exc}", migration=source, statement="",
                                  engine_message=str(exc), location=SourceLocation(source),
                                  hint="the script was rolled back", rolled_back=True) from exc


def transaction_ended(migration: LoadedMigration, statement: Statement) -> MigrationFailed:
    """A statement of a transactional file ended dbtool's transaction (COMMIT, ROLLBACK ...)."""
    return MigrationFailed(
        f"{migration.file.name}: this statement ended the transaction dbtool runs the file in",
        migration=migration.file.name, statement=statement.sql, engine_message="",
        location=SourceLocation(migration.file.path, statement.line, statement.col),
        hint=f"statement: {statement.sql.strip().splitlines()[0][:80]}; what ran before it can "
             "no longer be rolled back and is not recorded (check `dbtool status` and `dbtool "
             "audit`) — remove transaction control from the file (TX101)",
    )


def _reading_mode(path: Path) -> str:
    """How a reader (status, audit …) opens the file. A WAL database needs its -wal and
    -shm files even to read, and a read-only connection can create them but never
    remove them; a read-write one that writes nothing removes them again when it
    closes, as the last connection of any SQLite client does. So: `rw` for WAL files
    (bytes 18-19 of the header are 2), `ro` for the rest."""
    try:
        with path.open("rb") as handle:
            header = handle.read(20)
    except OSError:
        return "ro"
    return "rw" if len(header) == 20 and header[18] == 2 else "ro"


_ROLLBACK_MODES = frozenset({"delete", "truncate", "persist"})


def _enter_wal(conn: sqlite3.Connection) -> str | None:
    """Switch a rollback-journal database to WAL; return the mode to restore, or None
    (already WAL, in memory, or another connection prevents the switch: the run then
    simply uses the rollback journal)."""
    mode = str(conn.execute("PRAGMA journal_mode").fetchone()[0]).lower()
    if mode not in _ROLLBACK_MODES:
        return None
    try:
        switched = str(conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]).lower()
    except sqlite3.OperationalError:
        return None
    return mode if switched == "wal" else None


def _leave_wal(conn: sqlite3.Connection, mode: str, path: Path) -> list[str]:
    """Back to the journal mode the run found; a reader holding the file open can
    prevent that, which is reported, never fatal (WAL is as durable)."""
    try:
        conn.execute(f"PRAGMA journal_mode = {mode.upper()}").fetchone()
    except sqlite3.OperationalError as exc:
        return [f"{path} was left in WAL journal mode ({exc}); run "
                f"`sqlite3 {path} 'PRAGMA journal_mode={mode.upper()}'` when no one has it open"]
    return []
