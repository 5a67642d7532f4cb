"""Remote D1 over the REST API (`d1://ACCOUNT_ID/DATABASE_ID`).

A migration travels as ONE request: the file's statements, then
`INSERT INTO d1_migrations (name) VALUES (…)` and the row of dbtool's side
table. D1 runs a request as one batch, i.e. one transaction, so the file and
its history commit together or not at all — the same guarantee wrangler's
remote apply relies on.

D1 has no lock a client could hold, so every request re-checks, inside the
request, the rows its decision depended on:

* the history guard: after the history DDL, the request's first statement
  aborts it (D1 rolls the whole batch back) unless the history still has the
  number of rows and the newest row this run last saw (`history()`, plus the
  files it applied since). When it aborts, the history is read again: if
  another migrate applied this very file (and nothing else changed), the file
  is skipped as applied by the other run; any other change (a rollback, a
  `mark`) stops the run with a conflict (exit 1) — nothing planned from a
  history that no longer exists is written over it;
* the name check: before re-sending a request whose outcome is unknown (5xx,
  dropped connection), the client asks whether the file's history row exists,
  so a file that did commit is never sent twice;
* the UNIQUE `name` column of `d1_migrations`: a duplicate history insert fails
  the whole request, file included. Nothing is ever applied twice.

History writes (adopt, baseline, mark, repair, rollback) carry their own row
guards (see dbtool.engines.history_d1_remote).
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING

from dbtool import __version__
from dbtool.d1.locate import clean_message, locate
from dbtool.d1.remote import D1Client, D1SqlError
from dbtool.engines.base import ApplyOutcome, Capabilities
from dbtool.engines.history_d1_remote import D1RemoteHistoryOps
from dbtool.engines.history_shape import check_sqlite
from dbtool.engines.history_sqlite import (
    applied_from_row,
    columns_in_ddl,
    history_sql,
    side_upgrades,
)
from dbtool.engines.sqlite import SIDE_DDL, SIDE_TABLE, wrangler_history_ddl
from dbtool.errors import (
    ConnectionFailed,
    HistoryConflict,
    MigrationFailed,
    SourceLocation,
    UsageError,
)
from dbtool.faults import fault
from dbtool.migrations.audit import LOG_TABLE, current_user, limited
from dbtool.migrations.files import LoadedMigration
from dbtool.migrations.foreign import DBMATE_TABLE
from dbtool.migrations.history import AppliedMigration
from dbtool.quoting import quote_sqlite as _ident

if TYPE_CHECKING:
    from dbtool.engines.pg_own_tables import OwnObject
    from dbtool.model import Schema
from dbtool.urls import DatabaseUrl


def _literal(value: object) -> str:
    """An SQL literal: D1 binds parameters only to the last statement of a request."""
    if value is None:
        return "NULL"
    if isinstance(value, int | float):
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"


class D1RemoteEngine(D1RemoteHistoryOps):
    """The Engine protocol over D1's REST API."""

    def __init__(self, url: DatabaseUrl, capabilities: Capabilities, *,
                 history_table: str = "d1_migrations", history_schema: str = "main",
                 lock_timeout: float = 30.0, client: D1Client | None = None) -> None:
        self.url = url
        self.capabilities = capabilities
        self.table = history_table
        self.lock_timeout = lock_timeout
        self.client = client or D1Client(url.host or "", url.database or "")
        self._history_ready = False
        self._seen: list[str] | None = None  # history names as this run last saw them
        self.notes: list[str] = []

    # -- databases --------------------------------------------------------------------
    @classmethod
    def create_database(cls, url: DatabaseUrl, *, admin: DatabaseUrl | None = None) -> None:
        raise UsageError("dbtool does not create D1 databases",
                         hint="create it with `wrangler d1 create NAME`, then use its id in the URL")

    @classmethod
    def drop_database(cls, url: DatabaseUrl, *, admin: DatabaseUrl | None = None) -> None:
        raise UsageError("dbtool does not delete D1 databases",
                         hint="delete it with `wrangler d1 delete NAME`")

    def own_objects(self) -> list[OwnObject]:
        """D1 has no roles: nothing of dbtool's can be granted to anyone."""
        return []

    # -- reading ------------------------------------------------------------------------
    def exists(self) -> bool:
        """A D1 database exists once created in Cloudflare; a wrong id fails with 404."""
        return True

    def close(self) -> None:
        """Nothing to release: every request is its own connection."""

    def history(self) -> list[AppliedMigration]:
        tables = {r["name"]: r["sql"] for r in self.client.rows(
            "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name IN (?, ?, ?, ?)",
            [self.table, SIDE_TABLE, DBMATE_TABLE, LOG_TABLE])}
        check_sqlite(tables, self.table, self.url.display)
        self._seen_tables = set(tables)  # spares foreign_history() a round trip
        side = tables.get(SIDE_TABLE)
        self._side_upgrades = [] if side is None else side_upgrades(columns_in_ddl(side))
        if self.table not in tables:
            self._seen = []
            return []
        self._history_ready = side is not None
        rows = [applied_from_row(row) for row in self.client.rows(history_sql(_ident(self.table), side))]
        self._seen = [row.name for row in rows]
        return rows

    def inspect(self, schemas: Sequence[str] = ()) -> Schema:
        """The schema model read over the API with the SQLite inspector's catalog queries."""
        from dbtool.inspect import inspect_sqlite

        return inspect_sqlite(self.client, exclude={self.table, SIDE_TABLE})

    def query_runner(self) -> D1Client:
        """The REST QueryRunner (`rows(sql, params)`) for inspection and reports."""
        return self.client

    @contextmanager
    def read_view(self) -> Iterator[None]:
        """D1 offers no read transaction across requests: each read is its own snapshot."""
        yield

    # -- writing ------------------------------------------------------------------------
    @contextmanager
    def lock(self, timeout: float) -> Iterator[None]:
        """No lock exists on D1; see the module docstring for what protects a remote run."""
        fault("before-lock")
        yield

    def apply(self, migration: LoadedMigration, *, lock_timeout: float) -> ApplyOutcome:
        name = migration.file.name
        started = time.perf_counter()
        seen = self._seen
        try:
            # returns None when a retry found that an earlier attempt had committed
            self.client.query(self._request(migration, seen), committed=lambda: self._recorded(name))
        except D1SqlError as exc:
            if self._applied_meanwhile(name, seen):  # another run applied it first; ours rolled back
                return ApplyOutcome(name, False, 0.0, 0)
            raise self._failure(migration, exc) from None
        if seen is not None:
            self._seen = [*seen, name]
        self._history_ready = True
        self._side_upgrades = []
        return ApplyOutcome(name, True, (time.perf_counter() - started) * 1000,
                            len(migration.statements))

    def run_script(self, statements: Sequence, *, source: str) -> None:
        sql = "\n".join(f"{s.sql}\n;" for s in statements)
        try:
            self.client.query(sql)
        except D1SqlError as exc:
            raise MigrationFailed(f"{source} failed: {exc.message}", migration=str(source),
                                  statement="", engine_message=exc.message,
                                  location=SourceLocation(source),
                                  hint="D1 rolled the whole script back", rolled_back=True) from None

    # -- helpers ------------------------------------------------------------------------
    def _request(self, migration: LoadedMigration, seen: list[str] | None = None) -> str:
        """DDL (first time), the history guard, the file's statements, then both history
        rows; one batch.

        Each statement ends with a newline before its `;`, so a trailing `--`
        comment cannot swallow the separator.
        """
        parts = [] if self._history_ready else [wrangler_history_ddl(_ident(self.table)), SIDE_DDL + ";"]
        parts += [f"{statement};" for statement in self._upgrades()]  # an older side table
        if seen is not None:
            parts.append(self._history_guard(seen) + ";")
        parts += [f"{s.sql}\n;" for s in migration.statements]
        file = migration.file
        parts.append(f"INSERT INTO {_ident(self.table)} (name) VALUES ({_literal(file.name)});")
        row = (file.name, file.checksum, None, current_user(), __version__, limited(migration.text), "dbtool")
        parts.append(f"INSERT OR REPLACE INTO {SIDE_TABLE} "
                     f"(name, checksum, duration_ms, applied_by, tool_version, body, source) "
                     f"VALUES ({', '.join(_literal(v) for v in row)});")
        return "\n".join(parts)

    def _history_guard(self, seen: list[str]) -> str:
        """A statement that aborts the request unless the history is still as `seen`:
        the same number of rows and the same newest row (ids only grow, so a row added
        or removed anywhere changes one of the two)."""
        table = _ident(self.table)
        newest = _literal(seen[-1]) if seen else "''"
        return (f"SELECT json(CASE WHEN (SELECT count(*) FROM {table}) = {len(seen)} AND "
                f"coalesce((SELECT name FROM {table} ORDER BY id DESC LIMIT 1), '') = {newest} "
                "THEN '1' ELSE 'history changed meanwhile' END) AS guard")

    def _applied_meanwhile(self, name: str, seen: list[str] | None) -> bool:
        """After D1 rolled our request back: True when another run applied this file (and
        only went further along the same files); a conflict when the history changed in
        any other way; False when it did not change (the file itself failed)."""
        if seen is None:  # no history read before (a library caller): the name decides
            return self._recorded(name)
        now = [row.name for row in self.history()]
        if now == seen:
            return False
        if now[:len(seen)] == seen and name in now[len(seen):]:
            return True
        raise HistoryConflict(
            f"the history on D1 changed while this run was applying {name} (rows were added or "
            "removed by another run); nothing of this file was applied",
            hint="look at `dbtool status` and run `dbtool migrate` again")

    def _recorded(self, name: str) -> bool:
        """Whether `name` has a history row (False while the table does not exist)."""
        try:
            rows = self.client.rows(f"SELECT 1 AS found FROM {_ident(self.table)} WHERE name = ?", [name])
        except D1SqlError as exc:
            if "no such table" in exc.message:
                return False
            raise ConnectionFailed(f"cannot tell whether {name} was applied: {exc.message}",
                                   hint="run `dbtool status` before retrying") from None
        return bool(rows)

    def _failure(self, migration: LoadedMigration, exc: D1SqlError) -> MigrationFailed:
        message = clean_message(exc.message)
        found = locate(exc.message, migration.statements)
        if found is None:
            location, statement = SourceLocation(migration.file.path), ""
            first = "D1 does not say which statement failed"
        else:
            statement_obj, line, col = found
            location = SourceLocation(migration.file.path, line, col)
            statement = statement_obj.sql
            first = "statement: " + statement.strip().splitlines()[0][:80]
        return MigrationFailed(
            f"{migration.file.name} failed on D1: {message}",
            migration=migration.file.name, statement=statement, engine_message=exc.message,
            location=location,
            hint=f"{first}; D1 rolled the file back, earlier files stay applied",
            rolled_back=True,  # one request is one transaction: D1 applied all of it or none
        )
