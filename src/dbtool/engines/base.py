"""The engine interface: a small Protocol every database driver implements.

Dialect differences live in `Capabilities` (data), never in `if dialect ==`
chains in the core. Engines plug in by URL scheme (see `dbtool.engines`).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Protocol

from dbtool.migrations.files import LoadedMigration
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
        """Serialise concurrent runs; raise LockTimeout after `timeout` seconds."""

    def apply(self, migration: LoadedMigration, *, lock_timeout: float) -> ApplyOutcome:
        """Run one file and record its history row atomically (or neither)."""

    def run_script(self, statements: Sequence, *, source: str) -> None:
        """Run statements in one transaction without recording history (preludes)."""

    def close(self) -> None: ...


def iter_rows(cursor) -> Iterator[tuple]:  # small helper for DB-API cursors
    yield from cursor.fetchall()
