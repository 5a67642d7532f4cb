"""The engine interface: a small Protocol every database driver implements.

Dialect differences live in `Capabilities` (data), never in `if dialect ==`
chains in the core. Engines plug in by URL scheme (see `dbtool.engines`).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Protocol

from dbtool.migrations.audit import HistoryEntry, LogEntry
from dbtool.migrations.files import LoadedMigration
from dbtool.migrations.foreign import ForeignRow
from dbtool.migrations.history import AppliedMigration


@dataclass(frozen=True)
class Capabilities:
    """What a dialect can do; the core asks, it never checks names."""

    dialect: str  # sqlite | d1 | postgres
    splitter: str  # the statement splitter's dialect: sqlite | postgres
    no_transaction: bool  # honours `-- dbtool:no-transaction`
    foreign_keys: bool  # foreign keys enforced on every connection
    d1_rules: bool  # D1's statement rules apply before anything runs
    history_table: str  # where history is kept, for messages


CAPABILITIES: dict[str, Capabilities] = {
    "sqlite": Capabilities("sqlite", "sqlite", True, False, False, "d1_migrations"),
    "d1": Capabilities("d1", "sqlite", False, True, True, "d1_migrations"),
    "postgres": Capabilities("postgres", "postgres", True, False, False, "dbtool_migrations"),
}


@dataclass(frozen=True)
class ApplyOutcome:
    name: str
    applied: bool  # False: another process applied it first (recognised by name)
    duration_ms: float
    statements: int


class Engine(Protocol):
    capabilities: Capabilities

    def exists(self) -> bool:
        """Whether the database exists yet (status must not create it)."""

    def history(self) -> list[AppliedMigration]:
        """History rows in apply order; empty when no history table exists. Never writes."""

    def inspect(self, schemas: Sequence[str]) -> Any:
        """The database's schema model (dbtool.model.Schema), history tables excluded."""

    def lock(self, timeout: float) -> AbstractContextManager[None]:
        """The run lock: a command that writes holds it from the history read its decisions
        depend on to its last write, so concurrent runs take turns; raise LockTimeout after
        `timeout` seconds. (Remote D1 has none: its requests guard themselves.)"""

    def apply(self, migration: LoadedMigration, *, lock_timeout: float) -> ApplyOutcome:
        """Run one file and record its history row atomically (or neither)."""

    def run_script(self, statements: Sequence, *, source: str) -> None:
        """Run statements in one transaction without recording history (preludes)."""

    def close(self) -> None: ...

    def read_view(self) -> AbstractContextManager[None]:
        """Make the reads inside one snapshot, so a reader (status, audit, introspect)
        never sees the schema before another run's COMMIT and the history after it."""

    # -- history management (adopt, baseline, mark, repair, rollback) ----------------------
    # Each write is one transaction (on remote D1: one request) together with its
    # audit rows in `dbtool_history_log`, which the first write creates.

    def foreign_history(self) -> list[ForeignRow]:
        """Rows of other tools' histories (Supabase, dbmate) this database holds. Never writes."""

    def history_bodies(self, names: Sequence[str]) -> dict[str, str]:
        """The texts recorded when these rows were written (rows without one left out)."""

    def history_log(self) -> list[dict[str, Any]]:
        """The audit trail, oldest first; empty when the log table does not exist."""

    def record(self, entries: Sequence[HistoryEntry], log: Sequence[LogEntry]) -> None:
        """Insert (or complete) history rows without running the files, all or nothing."""

    def set_checksums(self, entries: Sequence[HistoryEntry], log: Sequence[LogEntry]) -> None:
        """Record new checksums and texts for rows that exist (a wrangler row gains its side row)."""

    def unrecord(self, name: str, log: LogEntry) -> None:
        """Delete one history row."""

    def rollback(self, migration: LoadedMigration, name: str, log: LogEntry) -> ApplyOutcome:
        """Run a rollback file and delete `name`'s history row atomically (or neither).

        `applied` is False when another run removed the row first (nothing ran).
        """


def iter_rows(cursor) -> Iterator[tuple]:  # small helper for DB-API cursors
    yield from cursor.fetchall()
