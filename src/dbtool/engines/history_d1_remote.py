"""History management on remote D1: every change is ONE request, so ONE transaction.

A rollback request carries, in order: the history DDL (idempotent), a guard
that aborts the request when the history row is already gone (another run
rolled it back), the rollback file's statements, the removal of the history
rows and the audit row. D1 runs a request as one batch, so the file and its
history change commit together or not at all.

The other writes (adopt, baseline, mark, repair) start with one guard per
row they change: the row's recorded checksum must still be the one the plan
saw (none, for a row being recorded), and a row being changed or removed must
still exist. A row another run wrote or removed in between aborts the request
and the command stops with a conflict (exit 1) instead of writing over it.

Ambiguous failures (5xx, dropped connection) are retried only after asking
whether the request committed: its audit row (batch id + name) is the proof.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from dbtool.d1.remote import D1SqlError
from dbtool.engines.base import ApplyOutcome
from dbtool.engines.history_sqlite import (
    LOG_DDL,
    SIDE_TABLE,
    bodies_sql,
    checksum_sql,
    columns_in_ddl,
    ident,
    literal,
    log_rows,
    log_sql,
    record_sql,
    side_upgrades,
    unrecord_sql,
)
from dbtool.errors import HistoryConflict
from dbtool.migrations.audit import LOG_TABLE, HistoryEntry, LogEntry
from dbtool.migrations.files import LoadedMigration
from dbtool.migrations.foreign import ForeignRow, forget_sqlite, read_sqlite

# json() of a non-JSON text is an error: the one way a plain statement can abort a batch.
_GUARD_ERROR = "malformed JSON"


class D1RemoteHistoryOps:
    """History writes for `D1RemoteEngine` (uses its client, table and failure mapping)."""

    _side_upgrades: list[str] | None = None  # None: not known yet
    _seen_tables: set[str] | None = None  # history()'s look at the catalog, if it ran

    # -- reading ----------------------------------------------------------------------
    def foreign_history(self) -> list[ForeignRow]:
        """dbmate's `schema_migrations` when present (wrangler's rows come from history())."""
        tables = self._seen_tables if self._seen_tables is not None else self._table_names()
        return read_sqlite(self.client.rows, tables)

    def history_log(self) -> list[dict[str, Any]]:
        if LOG_TABLE not in self._table_names():
            return []
        return log_rows(self.client.rows(f"SELECT * FROM {LOG_TABLE} ORDER BY id"))

    def history_bodies(self, names: Sequence[str]) -> dict[str, str]:
        if not names or "body" not in columns_in_ddl(self._side_ddl()):
            return {}
        return {r["name"]: r["body"] for r in self.client.rows(bodies_sql(names))}

    def _table_names(self) -> set[str]:
        return {r["name"] for r in self.client.rows(
            "SELECT name FROM sqlite_master WHERE type = 'table'")}

    def _side_ddl(self) -> str | None:
        rows = self.client.rows("SELECT sql FROM sqlite_master WHERE name = ?", [SIDE_TABLE])
        return rows[0]["sql"] if rows else None

    def _upgrades(self) -> list[str]:
        """ALTERs an older side table needs before rows with texts and sources fit in it."""
        if self._side_upgrades is None:
            ddl = self._side_ddl()
            self._side_upgrades = [] if ddl is None else side_upgrades(columns_in_ddl(ddl))
        return self._side_upgrades

    # -- writing ----------------------------------------------------------------------
    def record(self, entries: Sequence[HistoryEntry], log: Sequence[LogEntry]) -> None:
        guards = [self._row_guard(e, exists=False) for e in log]
        self._send_guarded(guards + record_sql(self.table, entries) + log_sql(log), log[-1])

    def set_checksums(self, entries: Sequence[HistoryEntry], log: Sequence[LogEntry]) -> None:
        guards = [self._row_guard(e, exists=True) for e in log]
        self._send_guarded(guards + checksum_sql(entries) + log_sql(log), log[-1])

    def unrecord(self, name: str, log: LogEntry) -> None:
        guard = self._row_guard(log, exists=True)
        self._send_guarded([guard, *unrecord_sql(self.table, name), *log_sql([log])], log)

    def _row_guard(self, entry: LogEntry, *, exists: bool) -> str:
        """Aborts the request unless `entry`'s row is as the plan saw it: its dbtool checksum
        is still `old_checksum` (None: no dbtool row yet), and with `exists`, it is there."""
        name = literal(entry.name)
        cond = f"(SELECT checksum FROM {SIDE_TABLE} WHERE name = {name}) IS {literal(entry.old_checksum)}"
        if exists:
            cond += f" AND EXISTS (SELECT 1 FROM {ident(self.table)} WHERE name = {name})"
        return f"SELECT json(CASE WHEN {cond} THEN '1' ELSE 'history row changed meanwhile' END) AS guard"

    def _send_guarded(self, statements: list[str], last: LogEntry) -> None:
        """`_send` for requests of dbtool's own statements, whose only way to fail with a
        JSON error is a guard: a row changed by another run since the plan."""
        try:
            self._send(statements, last)
        except D1SqlError as exc:
            if _GUARD_ERROR not in exc.message:
                raise
            raise HistoryConflict(
                f"the history on D1 changed while `{last.action}` was writing ({last.name} or "
                "another row it changes was written or removed by another run); nothing was written",
                hint="look at `dbtool status` and run the command again") from None

    def rollback(self, migration: LoadedMigration, name: str, log: LogEntry,
                 foreign: Sequence[ForeignRow] = ()) -> ApplyOutcome:
        """The rollback file and its history change (and `foreign`) in one request (one D1 transaction)."""
        started = time.perf_counter()
        body = [self._guard(name)] + [f"{s.sql}\n" for s in migration.statements]
        try:
            self._send(body + unrecord_sql(self.table, name) + forget_sqlite(foreign, literal)
                       + log_sql([log]), log)
        except D1SqlError as exc:
            if _GUARD_ERROR in exc.message and not self._recorded(name):
                return ApplyOutcome(name, False, 0.0, 0)  # another run rolled it back first
            raise self._failure(migration, exc) from None
        return ApplyOutcome(name, True, (time.perf_counter() - started) * 1000,
                            len(migration.statements))

    def _guard(self, name: str) -> str:
        """A statement that fails (aborting the request) when `name` is no longer recorded."""
        return (f"SELECT json(CASE WHEN EXISTS (SELECT 1 FROM {ident(self.table)} WHERE name = "
                f"{literal(name)}) THEN '1' ELSE 'history row already removed' END) AS guard")

    def _send(self, statements: list[str], last: LogEntry) -> None:
        """Prefix the idempotent DDL and send everything as one request."""
        from dbtool.engines.sqlite import SIDE_DDL, wrangler_history_ddl

        prefix = [wrangler_history_ddl(ident(self.table)), SIDE_DDL, LOG_DDL, *self._upgrades()]
        sql = "\n".join(s.rstrip().rstrip(";") + "\n;" for s in prefix + statements)
        self.client.query(sql, committed=lambda: self._logged(last))
        self._side_upgrades = []
        self._history_ready = True

    def _logged(self, entry: LogEntry) -> bool:
        """Whether a request with this audit row committed (the retry check)."""
        try:
            rows = self.client.rows(f"SELECT 1 AS found FROM {LOG_TABLE} WHERE batch = ? AND name = ? "
                                    "AND action = ?", [entry.batch, entry.name, entry.action])
        except D1SqlError as exc:
            if "no such table" in exc.message:
                return False
            raise
        return bool(rows)
