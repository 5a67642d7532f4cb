"""The engine interface: a small Protocol every database driver implements.

Dialect differences live in `Capabilities` (data), never in `if dialect ==`
chains in the core. Engines plug in by URL scheme (see `dbtool.engines`).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from dbtool.migrations.audit import HistoryEntry, LogEntry
from dbtool.migrations.files import LoadedMigration
from dbtool.migrations.foreign import ForeignRow
from dbtool.migrations.history import AppliedMigration
from dbtool.quoting import QUOTERS
from dbtool.sql.dialects import DIALECTS, Dialect

if TYPE_CHECKING:
    from dbtool.engines.pg_own_tables import OwnObject
    from dbtool.migrations.splitter import Statement
    from dbtool.model import Schema
    from dbtool.urls import DatabaseUrl


@dataclass(frozen=True)
class Capabilities:
    """How dbtool *runs* a dialect; the core asks, it never checks names.

    What the dialect's SQL *means* (foreign keys always enforced, D1's rules, the
    splitter's lexis) is the dialect's data in `dbtool.sql.dialects`; the properties
    below read it from there, so each fact has one home.
    """

    dialect: str  # sqlite | d1 | postgres
    no_transaction: bool  # honours `-- dbtool:no-transaction`
    history_table: str  # where history is kept, for messages
    # a service with no target uses an embedded SQLite file (.dbtool/local/<service>.db);
    # without one it needs a URL and is skipped until it has one
    embedded: bool = False
    # scratch databases are created on a server (`$DBTOOL_SCRATCH_URL`), not as temporary files
    scratch_server: bool = False
    # roles, grants and row-level security exist: the security audit (SEC1xx) applies, and
    # dbtool's own tables have grants worth checking
    roles: bool = False
    # the history table is wrangler's `d1_migrations` (adopt --from wrangler applies)
    wrangler_history: bool = False
    # a database holds schemas: `?schema=NAME` in a URL makes that schema a tenant target
    tenant_schemas: bool = False
    title: str = ""  # the engine's name in messages: SQLite, D1, Postgres

    @property
    def sql(self) -> Dialect:
        """The dialect's SQL facts (dbtool.sql.dialects)."""
        return DIALECTS[self.dialect]

    @property
    def splitter(self) -> str:
        """The SQL family: the statement splitter's and quoter's lexis (sqlite | postgres)."""
        return self.sql.syntax.value

    @property
    def family(self) -> str:
        """sqlite (SQLite and D1 share files, SQL and snapshots) or postgres."""
        return self.splitter

    @property
    def foreign_keys(self) -> bool:
        """Foreign keys are enforced on every connection, whatever PRAGMA says."""
        return self.sql.enforces_foreign_keys

    @property
    def d1_rules(self) -> bool:
        """D1's statement rules apply before anything runs."""
        return self.sql.d1_rules

    def quote(self, name: str) -> str:
        """`name` as an identifier of this dialect (see dbtool.quoting)."""
        return QUOTERS[self.splitter](name)


CAPABILITIES: dict[str, Capabilities] = {
    "sqlite": Capabilities("sqlite", True, "d1_migrations", embedded=True,
                           wrangler_history=True, title="SQLite"),
    "d1": Capabilities("d1", False, "d1_migrations", embedded=True, wrangler_history=True,
                       title="D1"),
    "postgres": Capabilities("postgres", True, "dbtool_migrations", scratch_server=True,
                             roles=True, tenant_schemas=True, title="Postgres"),
}


@dataclass(frozen=True)
class ApplyOutcome:
    name: str
    applied: bool  # False: another process applied it first (recognised by name)
    duration_ms: float
    statements: int


class Engine(Protocol):
    """One open database. Engines are created by `dbtool.engines.open_engine` from a URL."""

    capabilities: Capabilities
    # warnings about the run that are not errors (a SQLite file left in WAL mode because a
    # reader held it); `migrate` adds them to the service's report
    notes: list[str]

    @classmethod
    def create_database(cls, url: DatabaseUrl, *, admin: DatabaseUrl | None = None) -> None:
        """Create the empty database `url` names (scratch builds). `admin`: where to connect
        to create it (a server's maintenance database); engines of files ignore it."""

    @classmethod
    def drop_database(cls, url: DatabaseUrl, *, admin: DatabaseUrl | None = None) -> None:
        """Remove the database `url` names, even while sessions are still connected to it."""

    def exists(self) -> bool:
        """Whether the database exists yet (status must not create it)."""

    def history(self) -> list[AppliedMigration]:
        """History rows in apply order; empty when no history table exists. Never writes."""

    def inspect(self, schemas: Sequence[str]) -> Schema:
        """The database's schema model, history tables excluded."""

    def own_objects(self) -> list[OwnObject]:
        """dbtool's own schema and tables with what the API roles may do with them (for the
        security audit, SEC105); empty where the dialect has no roles. Never writes."""

    def lock(self, timeout: float) -> AbstractContextManager[None]:
        """The run lock: a command that writes holds it from the history read its decisions
        depend on to its last write, so concurrent runs take turns; raise LockTimeout after
        `timeout` seconds. (Remote D1 has none: its requests guard themselves.)"""

    def apply(self, migration: LoadedMigration, *, lock_timeout: float) -> ApplyOutcome:
        """Run one file and record its history row atomically (or neither)."""

    def run_script(self, statements: Sequence[Statement], *, source: str) -> None:
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

    def rollback(self, migration: LoadedMigration, name: str, log: LogEntry,
                 foreign: Sequence[ForeignRow] = ()) -> ApplyOutcome:
        """Run a rollback file and delete `name`'s history row atomically (or neither).

        `foreign`: the Supabase/dbmate rows that stand for the same file, deleted in
        the same transaction (left behind, they would say the undone file is applied
        and `adopt` would record it again). `applied` is False when another run
        removed the row first (nothing ran).
        """


def iter_rows(cursor) -> Iterator[tuple]:  # small helper for DB-API cursors
    yield from cursor.fetchall()
