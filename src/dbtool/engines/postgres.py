"""PostgreSQL engine (psycopg 3): transactional DDL, an advisory lock, and
a `dbtool_migrations` history table written in the same transaction as the file.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING

from dbtool import __version__, secrets
from dbtool.engines.base import ApplyOutcome, Capabilities
from dbtool.engines.history_postgres import PostgresHistoryOps, history_columns
from dbtool.engines.history_shape import POSTGRES_COLUMNS
from dbtool.engines.pg_own_tables import (
    DEFAULT_SCHEMA,
    HISTORY_TABLE,
    LOCK_KEY,
    ensure_schema,
    legacy_schema,
    lock_down,
    probe_legacy,
    qualified,
    read_table,
    relocate,
)
from dbtool.engines.pg_pipeline import apply_pipelined, pipelinable
from dbtool.errors import (
    ConnectionFailed,
    DbtoolError,
    LockTimeout,
    MigrationFailed,
    SourceLocation,
    UrlError,
)
from dbtool.faults import fault
from dbtool.migrations.audit import LOG_TABLE, limited
from dbtool.migrations.files import LoadedMigration
from dbtool.migrations.history import AppliedMigration
from dbtool.quoting import quote_postgres as _ident
from dbtool.urls import DatabaseUrl, with_database

if TYPE_CHECKING:
    import psycopg

    from dbtool.engines.pg_own_tables import PgConnection
    from dbtool.migrations.splitter import Statement
    from dbtool.model import Schema

__all__ = ["HISTORY_TABLE", "PostgresEngine", "connect", "connection_error", "history_ddl"]


def history_ddl(schema: str) -> list[str]:
    """The history table (its schema is created, closed to the API roles, by `ensure_schema`)."""
    table = f"{_ident(schema)}.{HISTORY_TABLE}"
    return [
        f"CREATE TABLE IF NOT EXISTS {table} (\n"
        "  id bigint GENERATED ALWAYS AS IDENTITY,\n"
        "  name text PRIMARY KEY,\n"
        "  version text NOT NULL,\n"
        "  checksum text NOT NULL,\n"
        "  applied_at timestamptz NOT NULL DEFAULT now(),\n"
        "  duration_ms double precision,\n"
        "  applied_by text NOT NULL DEFAULT current_user,\n"
        "  tool_version text,\n"
        "  body text,\n"  # the applied text, for repair's line diff (NULL: not known)
        "  source text\n"  # how the row got here: dbtool, supabase, dbmate, baseline ...
        ")",
    ]


def tenant_lock_key(schema: str) -> int:
    return int.from_bytes(hashlib.sha256(f"dbtool:tenant:{schema}".encode()).digest()[:8], "big",
                          signed=True)


def connect(url: DatabaseUrl, *, autocommit: bool = True, timeout: int = 10) -> PgConnection:
    """Open a psycopg connection, turning driver failures into one-line errors."""
    import psycopg

    raw = libpq_url(url)
    try:
        return psycopg.connect(raw, autocommit=autocommit, connect_timeout=timeout)
    except (psycopg.Error, ValueError) as exc:  # ValueError: a URL part that is not UTF-8 …
        error = connection_error(url, exc)
    # raised outside the handler: no __context__ keeps the driver's text, which may quote
    # a piece of a malformed URL's password
    raise error


TENANT_PARAM = "schema"  # postgresql://host/db?schema=tenant_1: one tenant's schema


def tenant_schema(url: DatabaseUrl) -> str | None:
    """The tenant schema a URL names (`?schema=NAME`): the run's history lives there and
    the search path is set to it alone, so the files create their objects in it."""
    return url.param(TENANT_PARAM) or None


def libpq_url(url: DatabaseUrl) -> str:
    """The URL libpq reads: dbtool's own `schema` parameter becomes the session's
    search_path (libpq rejects query parameters it does not know)."""
    raw = url.raw.replace("postgresql+psycopg://", "postgresql://", 1)
    schema = tenant_schema(url)
    if schema is None:
        return raw
    from urllib.parse import quote, urlencode

    base = raw.partition("?")[0]
    params = [(k, v) for k, v in url.query if k != TENANT_PARAM]
    path = _ident(schema).replace("\\", "\\\\").replace(" ", "\\ ")
    options = " ".join(v for k, v in params if k == "options")
    params = [(k, v) for k, v in params if k != "options"]
    params.append(("options", f"{options} -c search_path={path}".strip()))
    return f"{base}?{urlencode(params, quote_via=quote)}"


_BAD_OPTION = re.compile(r"invalid (URI query parameter|connection option|\w+ value)|"
                         r"invalid value for parameter")
# libpq's complaints about the URL's own syntax (a password with `@`, `&`, `%` or blanks)
_BAD_SYNTAX = re.compile(r"key/value separator|percent-encoded|unexpected spaces|unexpected character|"
                         r"in URI|in connection info string|invalid port number|invalid integer value")


def connection_error(url: DatabaseUrl, exc: BaseException) -> DbtoolError:
    """One line for a failed connect: exit 3 when the server cannot be reached or
    refuses us, exit 2 when the URL itself is wrong (an option libpq rejects)."""
    text = secrets.mask(" ".join(str(exc).split()))
    where = f"{url.host or 'localhost'}:{url.port or 5432}"
    if isinstance(exc, ValueError):  # psycopg could not read the URL (percent-decoded non-UTF-8)
        return UrlError(f"the URL {url.display} cannot be read: {text}",
                        hint="percent-encode each character's UTF-8 bytes (é is %C3%A9)")
    if _BAD_OPTION.search(text):
        return UrlError(f"the URL {url.display} has an option PostgreSQL rejects: "
                        f"{text.removeprefix('connection is bad: ')}",
                        hint="fix or remove that query parameter (see libpq's connection parameters)")
    if _BAD_SYNTAX.search(text):
        return UrlError(f"PostgreSQL cannot read the URL {url.display}: "
                        f"{text.removeprefix('connection is bad: ')}",
                        hint="percent-encode special characters in the user and password "
                             "(@ is %40, : is %3A, / is %2F, & is %26, a blank is %20)")
    if "password authentication failed" in text or "no password supplied" in text:
        return ConnectionFailed(f"authentication failed for user {url.username!r} at {where}",
                                hint="check the user and password in the URL")
    if "does not exist" in text and "database" in text:
        return ConnectionFailed(f"database {url.database!r} does not exist on {where}",
                                hint=f"create it (createdb {url.database}) or fix the URL")
    if "role" in text and "does not exist" in text:
        return ConnectionFailed(f"role {url.username!r} does not exist on {where}",
                                hint="fix the user name in the URL")
    return ConnectionFailed(f"cannot connect to PostgreSQL at {where}: {text}",
                            hint="check that the server is running and the host/port are right")


def _status(conn: PgConnection) -> str:
    """The session's transaction status: IDLE, INTRANS, INERROR, ACTIVE or UNKNOWN."""
    return conn.info.transaction_status.name


class PostgresEngine(PostgresHistoryOps):
    """One database. While `lock()` holds the advisory lock, no other dbtool run can
    write this history, so `apply` checks the history table once and keeps the
    applied names in memory (the run cache) instead of asking the server per file."""

    def __init__(self, url: DatabaseUrl, capabilities: Capabilities, *,
                 history_table: str = HISTORY_TABLE, history_schema: str = DEFAULT_SCHEMA,
                 lock_timeout: float = 30.0) -> None:
        self.url = url
        self.capabilities = capabilities
        tenant = tenant_schema(url)
        history_schema = tenant or history_schema  # a tenant keeps its history in its schema
        self.schema = history_schema
        self.legacy = legacy_schema(history_schema)  # where an earlier dbtool kept the tables
        self.table = f"{_ident(history_schema)}.{HISTORY_TABLE}"
        self.lock_timeout = lock_timeout
        self._conn: PgConnection = None
        self._locked_conn: PgConnection = None  # the connection holding the advisory lock, if any
        self._history_ready = False  # run cache: the history table is committed and up to date
        self._applied: set[str] | None = None  # run cache: names recorded, read under the lock
        # one key per database: the same before and after the move; one per tenant schema,
        # so tenants of one database migrate side by side
        self._lock_key = tenant_lock_key(tenant) if tenant else LOCK_KEY
        self.notes: list[str] = []

    # -- databases --------------------------------------------------------------------
    @classmethod
    def create_database(cls, url: DatabaseUrl, *, admin: DatabaseUrl | None = None) -> None:
        """CREATE DATABASE over a connection to `admin` (default: the server's `postgres`
        database), as dbmate's CreateDatabase does. PostgreSQL puts a new database in its
        template's tablespace whatever `default_tablespace` says; a scratch database goes where
        the connection would put a new table instead, so a server's fast tablespace (a RAM disk
        for throwaway builds) is named once, in the URL (`?options=-c default_tablespace=ram`)
        or PGOPTIONS."""
        admin = admin or with_database(url, "postgres")
        conn = connect(admin)
        place = ""
        try:
            place = conn.execute("SELECT current_setting('default_tablespace')").fetchone()[0]
            where = f" TABLESPACE {_ident(place)}" if place else ""
            conn.execute(f"CREATE DATABASE {_ident(url.database or '')}{where}")
        except Exception as exc:
            also = f" and CREATE on tablespace {place!r} (its default_tablespace)" if place else ""
            raise ConnectionFailed(f"cannot create database {url.database!r} on {admin.display}: "
                                   f"{secrets.mask(str(exc).strip())}",
                                   hint=f"the user in the URL needs the CREATEDB privilege{also}") from exc
        finally:
            conn.close()

    @classmethod
    def drop_database(cls, url: DatabaseUrl, *, admin: DatabaseUrl | None = None) -> None:
        """DROP DATABASE … WITH (FORCE): sessions still connected to it are ended."""
        admin = admin or with_database(url, "postgres")
        conn = connect(admin)
        try:
            conn.execute(f"DROP DATABASE IF EXISTS {_ident(url.database or '')} WITH (FORCE)")
        finally:
            conn.close()

    @property
    def conn(self) -> PgConnection:
        if self._conn is None:
            self._conn = connect(self.url)
        return self._conn

    def exists(self) -> bool:
        return True

    def close(self) -> None:
        self._locked_conn = None  # the server drops a session lock with its connection
        self._drop_run_cache()
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def history(self) -> list[AppliedMigration]:
        """The rows where the table is (not moved out of `public` yet: read there)."""
        def read(table: str, columns: frozenset[str]) -> list[AppliedMigration]:
            found_in = table.rsplit(".", 1)[0].strip('"') if "." in table else "public"
            if found_in == self.schema:
                self._check_shape(qualified(found_in, HISTORY_TABLE), columns)
            else:  # where an earlier dbtool kept it (not moved yet)
                self._check_legacy_table(qualified(found_in, HISTORY_TABLE), columns, POSTGRES_COLUMNS)
            # `source` arrived after the first release: an older table reads it as NULL
            source = "source" if "source" in columns else "NULL"
            rows = self.conn.execute(f"SELECT name, applied_at::text, checksum, duration_ms, applied_by, "
                                     f"{source} FROM {table} ORDER BY id").fetchall()
            return [AppliedMigration(n, a, c, None if d is None else round(d), b, s or "dbtool")
                    for n, a, c, d, b, s in rows]

        return read_table(self.conn, self.schema, self.legacy, HISTORY_TABLE, read, [])

    def inspect(self, schemas: Sequence[str] = ("public",)) -> Schema:
        """The schema model of the service's schemas, dbtool's history table left out."""
        from dbtool.inspect import inspect_postgres

        with self.read_view():
            return inspect_postgres(self.conn, tuple(schemas), exclude={HISTORY_TABLE})

    @contextmanager
    def read_view(self) -> Iterator[None]:
        """One REPEATABLE READ, read-only snapshot for every read inside: the catalog
        queries (and history) see one moment, never both sides of a concurrent COMMIT."""
        from psycopg.pq import TransactionStatus

        conn = self.conn
        if conn.info.transaction_status != TransactionStatus.IDLE:
            yield  # already inside a transaction: its snapshot rules
            return
        conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        try:
            yield
        finally:
            if not conn.closed and conn.info.transaction_status != TransactionStatus.IDLE:
                conn.execute("ROLLBACK")

    @contextmanager
    def lock(self, timeout: float) -> Iterator[None]:
        """A session advisory lock held for the whole run; released even on failure.
        Every dbtool command that writes holds it from the history read its decisions
        depend on to its last write."""
        fault("before-lock")
        deadline = time.monotonic() + timeout
        delay = 0.02
        while not self.conn.execute("SELECT pg_try_advisory_lock(%s)", (self._lock_key,)).fetchone()[0]:
            if time.monotonic() >= deadline:
                raise LockTimeout(
                    f"another dbtool run holds the migration lock on {self.url.display} "
                    f"(waited {timeout:g}s)",
                    hint="wait for it to finish, or raise --lock-timeout",
                )
            time.sleep(delay)
            delay = min(delay * 2, 0.25)
        self._locked_conn = self._conn
        try:
            self._move_legacy_history()
            fault("while-locked")
            yield
        finally:
            self._locked_conn = None
            self._drop_run_cache()
            if self._conn is not None and not self._conn.closed:
                self._conn.execute("SELECT pg_advisory_unlock(%s)", (self._lock_key,))

    def apply(self, migration: LoadedMigration, *, lock_timeout: float) -> ApplyOutcome:
        """One file and its history row in one transaction. Under the run's lock that is
        BEGIN, the statements, the INSERT and COMMIT; the first file adds the history
        check and the read of the applied names."""
        name = migration.file.name
        started = time.perf_counter()
        conn = self.conn
        if not migration.transactional:
            return self._apply_autocommit(migration, started)
        fault("before-file")
        if self._known(conn) and pipelinable(migration):  # one round trip for the whole file
            if name in (self._applied or ()):
                return ApplyOutcome(name, False, 0.0, 0)
            if apply_pipelined(conn, migration, self.table):
                self._committed(conn, name)
                fault("after-commit")
                return ApplyOutcome(name, True, (time.perf_counter() - started) * 1000,
                                    len(migration.statements))
            # it failed and was rolled back: run it statement by statement for the exact error
        with conn.transaction():
            skip = self._already_applied(conn, name)
            if not skip:
                self._run(conn, migration)
                fault("after-statements")
                self._record(conn, migration, started)
                fault("after-history")
        self._committed(conn, None if skip else name)
        if skip:
            return ApplyOutcome(name, False, 0.0, 0)
        fault("after-commit")
        return ApplyOutcome(name, True, (time.perf_counter() - started) * 1000, len(migration.statements))

    def _apply_autocommit(self, migration: LoadedMigration, started: float) -> ApplyOutcome:
        """A `no-transaction` file: the history check commits first, then the statements
        run one by one, then the row is written in its own transaction."""
        conn = self.conn
        name = migration.file.name
        known = self._applied if self._known(conn) else None
        if known is not None:
            skip = name in known
        else:
            with conn.transaction():
                skip = self._already_applied(conn, name)
            self._committed(conn, None)
        if skip:
            return ApplyOutcome(name, False, 0.0, 0)
        self._run_autocommit(conn, migration)
        with conn.transaction():
            self._record(conn, migration, started)
        self._committed(conn, name)
        return ApplyOutcome(name, True, (time.perf_counter() - started) * 1000,
                            len(migration.statements))

    def _run_autocommit(self, conn: PgConnection, migration: LoadedMigration) -> None:
        """A no-transaction file's statements; a transaction it opened and left open is
        rolled back (and reported), never committed together with dbtool's history row."""
        self._run(conn, migration, transactional=False)
        if _status(conn) != "IDLE":
            conn.execute("ROLLBACK")
            raise MigrationFailed(
                f"{migration.file.name} left a transaction open (BEGIN without COMMIT)",
                migration=migration.file.name, statement="", engine_message="",
                location=SourceLocation(migration.file.path),
                hint="dbtool rolled that transaction back; what ran before its BEGIN stays "
                     "applied and the file is not recorded — end the transaction in the file, "
                     "or drop the directive and let dbtool run the file in one transaction")

    # -- the history check: per file without the lock, once per run with it ----------
    def _cached(self, conn: PgConnection) -> bool:
        """True when `conn` holds the advisory lock: other dbtool runs wait for it, so
        what this run reads of the history stays true until it writes."""
        return self._locked_conn is not None and self._locked_conn is conn and not conn.closed

    def _known(self, conn: PgConnection) -> bool:
        """The run cache can answer "already applied?" without a round trip."""
        return self._cached(conn) and self._history_ready and self._applied is not None

    def _already_applied(self, conn: PgConnection, name: str) -> bool:
        """Inside the file's transaction: create or upgrade the history table if needed,
        then ask whether `name` is recorded. Without the lock another run may record
        it at any moment, so that path asks the server every time."""
        if not self._cached(conn):
            self._ensure_history(conn)
            return self._is_recorded(conn, name)
        if not self._history_ready:
            self._ensure_history(conn)
        if self._applied is None:
            self._applied = {r[0] for r in conn.execute(f"SELECT name FROM {self.table}")}
        return name in self._applied

    def _committed(self, conn: PgConnection, name: str | None) -> None:
        """After a COMMIT: the history table is durable, and `name` (if any) recorded.
        Never called after a rollback, which also undid a CREATE or ALTER of the table."""
        if self._cached(conn):
            self._history_ready = True
            if name is not None and self._applied is not None:
                self._applied.add(name)

    def _drop_run_cache(self) -> None:
        """Forget the run cache: the lock was released, or history is written by another path."""
        self._history_ready = False
        self._applied = None

    def _ensure_history(self, conn: PgConnection) -> None:
        """Create the history table (closed to the API roles), move it from where an earlier
        dbtool kept it, or add the columns an older dbtool lacked."""
        present = history_columns(conn, self.table)
        self._check_shape(self.table, present)
        if present is None:
            self._check_legacy(conn)
        if present is None and relocate(conn, self.schema, self.legacy):
            present = history_columns(conn, self.table)
        if present is None:
            ensure_schema(conn, self.schema)
            for ddl in history_ddl(self.schema):
                conn.execute(ddl)
            lock_down(conn, [self.table])
        else:
            self._upgrade_history(conn, present)

    def _check_shape(self, table: str, present: frozenset[str] | None) -> None:
        """A `dbtool_migrations` of another shape (another tool's) stops the run untouched."""
        from dbtool.engines.history_shape import check

        check(table, present, POSTGRES_COLUMNS, where=self.url.display,
              hint=f"rename that table (or keep dbtool's history elsewhere: history_schema = \"NAME\" "
                   f"for the service in dbtool.toml); dbtool never writes into another tool's {HISTORY_TABLE}")

    def _check_legacy(self, conn: PgConnection) -> None:
        """Tables where an earlier dbtool kept its history are moved into the history schema;
        one of another shape there is not dbtool's, and is never moved."""
        from dbtool.engines.history_shape import LOG_COLUMNS

        if self.legacy is None:
            return
        for table, required in ((HISTORY_TABLE, POSTGRES_COLUMNS), (LOG_TABLE, LOG_COLUMNS)):
            name = qualified(self.legacy, table)
            self._check_legacy_table(name, history_columns(conn, name), required)

    def _check_legacy_table(self, name: str, present: frozenset[str] | None, required: Sequence[str]) -> None:
        from dbtool.engines.history_shape import check

        check(name, present, required, where=self.url.display,
              hint=f"rename that table: dbtool would take it for the history an earlier dbtool "
                   f"kept in {self.legacy} and move it into {self.schema}")

    def _move_legacy_history(self) -> None:
        """Under the run's lock: move the tables an earlier dbtool left in `public` (one
        round trip when there are none), so no writing run leaves them reachable."""
        if probe_legacy(self.conn, self.legacy):
            self._check_legacy(self.conn)
            with self.conn.transaction():
                relocate(self.conn, self.schema, self.legacy)

    def _is_recorded(self, conn: PgConnection, name: str) -> bool:
        """Whether `name` has a row; the caller has ensured the table exists."""
        return conn.execute(f"SELECT 1 FROM {self.table} WHERE name = %s", (name,)).fetchone() is not None

    def _run(self, conn: PgConnection, migration: LoadedMigration, *, transactional: bool = True) -> None:
        """The file's statements. In a transactional file each one must leave dbtool's
        transaction open: one that ended it (COMMIT, ROLLBACK, PREPARE TRANSACTION ...)
        is reported at once (lint's TX101 refuses such files before anything runs;
        this is the engine's own guard)."""
        import psycopg

        from dbtool.engines.sqlite import transaction_ended

        for index, statement in enumerate(migration.statements):
            if index:
                fault("inside-file")
            try:
                conn.execute(statement.sql, prepare=False)
            except psycopg.Error as exc:
                raise self._failure(migration, statement, exc, index, transactional) from exc
            if transactional and _status(conn) != "INTRANS":
                raise transaction_ended(migration, statement)

    def _failure(self, migration: LoadedMigration, statement: Statement, exc: psycopg.Error, index: int,
                 transactional: bool) -> MigrationFailed:
        message = secrets.mask((exc.diag.message_primary or str(exc)).strip())
        line, col = statement.line, statement.col
        position = getattr(exc.diag, "statement_position", None)
        if position:
            before = statement.sql[: int(position) - 1]
            extra_lines = before.count("\n")
            line += extra_lines
            col = (len(before) - before.rfind("\n")) if extra_lines else col + len(before)
        first = statement.sql.strip().splitlines()[0][:80]
        if transactional:
            # dbtool's transaction was open before this statement (checked after each one):
            # it is aborted now, and the caller's transaction block rolls it back
            tail = "the file was rolled back, earlier files stay applied"
        elif _status(self.conn) != "IDLE":  # the file had opened a transaction of its own
            self.conn.execute("ROLLBACK")
            tail = (f"no-transaction file: {index} of {len(migration.statements)} statements had run; "
                    "dbtool rolled back the transaction the file had opened, what ran outside it "
                    "stays applied; the file is not recorded")
        else:
            tail = (f"no-transaction file: {index} of {len(migration.statements)} statements had "
                    "run and stay applied; the file is not recorded")
        return MigrationFailed(
            f"{migration.file.name} failed: {message}",
            migration=migration.file.name, statement=statement.sql, engine_message=message,
            location=SourceLocation(migration.file.path, line, col),
            hint=f"statement: {first}; {tail}", rolled_back=transactional,
        )

    def _record(self, conn: PgConnection, migration: LoadedMigration, started: float) -> None:
        conn.execute(
            f"INSERT INTO {self.table} (name, version, checksum, duration_ms, tool_version, body, "
            "source) VALUES (%s, %s, %s, %s, %s, %s, 'dbtool')",
            (migration.file.name, migration.file.version_text, migration.file.checksum,
             round((time.perf_counter() - started) * 1000, 3), __version__, limited(migration.text)),
        )

    def run_script(self, statements: Sequence, *, source: str) -> None:
        """A prelude: arbitrary SQL that may touch the history, so the run cache goes."""
        import psycopg

        self._drop_run_cache()
        with self.conn.transaction():
            for statement in statements:
                try:
                    self.conn.execute(statement.sql, prepare=False)
                except psycopg.Error as exc:
                    message = secrets.mask(str(exc).strip().splitlines()[0])
                    raise MigrationFailed(
                        f"prelude {source} failed: {message}", migration=str(source),
                        statement=statement.sql, engine_message=message,
                        location=SourceLocation(source, statement.line, statement.col),
                        hint="fix the prelude; nothing was applied",
                    ) from exc

