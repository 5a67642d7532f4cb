"""The introspection report: assembled once, rendered by every format.

`IntrospectionReport` holds everything a reader needs — the inspected schema
model, the snapshot's annotations, where the schema came from, and the
migration history with what each file does — so each renderer is a pure
function of it and the formats can never disagree with one another.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from dbtool.errors import UsageError
from dbtool.model import Schema, Table
from dbtool.report.contents import MigrationContents, summary
from dbtool.sql.dialects import DIALECTS

Path_ = tuple[str, ...]
MIGRATION_STATES = ("applied", "pending", "modified", "missing", "out-of-order")


@dataclass(frozen=True)
class Source:
    """Where the schema was read: `kind` is "scratch" (built from the migrations)
    or "target" (a live database, `url` already masked)."""

    kind: str
    label: str
    url: str | None = None
    migrations_dir: str | None = None

    def describe(self) -> str:
        if self.kind == "scratch":
            where = f" `{self.migrations_dir}`" if self.migrations_dir else ""
            return f"a scratch database built from the migrations{where}"
        return f"target {self.label} ({self.url})" if self.url else f"target {self.label}"


@dataclass(frozen=True)
class MigrationEntry:
    """One migration: its state on the source, and what its statements do.
    `contents` is None for a history row whose file is gone (state "missing")
    or a file that cannot be read (`problem` says why)."""

    name: str
    state: str
    applied_at: str | None = None
    checksum: str | None = None
    contents: MigrationContents | None = None
    problem: str | None = None

    @property
    def summary(self) -> str:
        if self.contents is not None:
            return summary(self.contents)
        return f"(unreadable: {self.problem})" if self.problem else "(file missing)"


@dataclass(frozen=True)
class IntrospectionReport:
    service: str
    dialect: str
    source: Source
    schema: Schema
    annotations: Mapping[Path_, Mapping[str, Any]] = field(default_factory=dict, hash=False)
    migrations: tuple[MigrationEntry, ...] = ()
    tables_filter: tuple[str, ...] = ()

    @property
    def dialect_label(self) -> str:
        known = DIALECTS.get(self.dialect)
        return known.label if known is not None else self.dialect

    # Sections a renderer shows because the schema holds such objects: every table of a
    # dialect with row-level security has a state (enabled or not) and grants; a dialect
    # with functions or publications can hold none, which the section then says. A schema
    # of another dialect shows them only if it does hold some.

    @property
    def has_security(self) -> bool:
        """Row-level security state, policies and grants of the tables."""
        known = DIALECTS.get(self.dialect)
        return (known is not None and known.row_level_security) or any(
            t.rls_enabled or t.policies or t.grants for t in self.schema.tables)

    @property
    def has_functions(self) -> bool:
        known = DIALECTS.get(self.dialect)
        return (known is not None and known.stored_functions) or bool(self.schema.functions)

    @property
    def has_publications(self) -> bool:
        known = DIALECTS.get(self.dialect)
        return (known is not None and known.publications) or bool(self.schema.publications)

    def note(self, *path: str) -> Mapping[str, Any]:
        """The annotations (purpose, registry, notes) of the object at `path`."""
        return self.annotations.get(tuple(path), {})

    def purpose(self, table: Table) -> str | None:
        """The annotated purpose, else the table's own comment."""
        return self.note("tables", table.key).get("purpose") or table.comment

    def registry(self, table: Table) -> str | None:
        value = self.note("tables", table.key).get("registry")
        return None if value is None else str(value)

    @property
    def has_registry(self) -> bool:
        return any(self.registry(t) is not None for t in self.schema.tables)

    def migration_counts(self) -> dict[str, int]:
        counts = dict.fromkeys(MIGRATION_STATES, 0)
        for entry in self.migrations:
            counts[entry.state] = counts.get(entry.state, 0) + 1
        return {"total": len(self.migrations), **counts}

    def summary(self) -> dict[str, int]:
        """The counts every format opens with."""
        s, tables = self.schema, self.schema.tables
        return {
            "tables": len(tables),
            "columns": sum(len(t.columns) for t in tables),
            "indexes": sum(len(t.indexes) for t in tables),
            "foreign_keys": sum(len(t.foreign_keys) for t in tables),
            "triggers": len(s.triggers),
            "policies": sum(len(t.policies) for t in tables),
            "views": len(s.views),
            "functions": len(s.functions),
            "enums": len(s.enums),
            "sequences": len(s.sequences),
            "extensions": len(s.extensions),
            "publications": len(s.publications),
        }


def restrict(report: IntrospectionReport, names: Sequence[str]) -> IntrospectionReport:
    """The report limited to `names` (table keys; case-insensitive): those tables,
    their triggers, the publications and migrations that touch them. An unknown
    name is a usage error, listing what exists."""
    if not names:
        return report
    by_key = {t.key.lower(): t for t in report.schema.tables}
    unknown = [n for n in names if n.lower() not in by_key]
    if unknown:
        known = ", ".join(t.key for t in report.schema.tables[:12])
        more = ", …" if len(report.schema.tables) > 12 else ""
        raise UsageError(f"no table {unknown[0]!r} in {report.service}",
                         hint=f"tables: {known}{more}" if known else "the schema has no tables")
    keep = {by_key[n.lower()].key for n in names}
    schema = replace(
        report.schema,
        tables=tuple(t for t in report.schema.tables if t.key in keep),
        triggers=tuple(t for t in report.schema.triggers if t.table in keep),
        publications=tuple(p for p in report.schema.publications if keep & set(p.tables)),
    )
    lowered = {k.lower() for k in keep}
    migrations = tuple(m for m in report.migrations
                       if m.contents is not None and lowered & m.contents.tables())
    return replace(report, schema=schema, migrations=migrations,
                   tables_filter=tuple(sorted(keep)))


__all__ = ["IntrospectionReport", "MigrationEntry", "Source", "restrict"]
