"""Operations: the typed steps of a migration plan, before any SQL exists.

A planner turns typed changes (`dbtool.diff.Change`) into these; a renderer
turns each one into statements for a dialect. Every operation is a frozen
dataclass holding model objects (`dbtool.model`), so a plan prints as JSON
without any SQL, and two plans compare by value. The `describe()` line is
what the generated file's header and the text report show.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from dbtool.model import (
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    PrimaryKey,
    Table,
    UniqueConstraint,
    to_plain,
)

Constraint = PrimaryKey | UniqueConstraint | CheckConstraint | ForeignKey


def constraint_kind(constraint: Constraint) -> str:
    return {PrimaryKey: "primary key", UniqueConstraint: "unique", CheckConstraint: "check",
            ForeignKey: "foreign key"}[type(constraint)]


def constraint_label(constraint: Constraint) -> str:
    if constraint.name:
        return constraint.name
    if isinstance(constraint, CheckConstraint):
        return f"({constraint.expression})"
    return "(" + ", ".join(constraint.columns) + ")"


@dataclass(frozen=True, slots=True)
class Op:
    """Base of every operation: a stable `kind` and plain-data output."""

    @property
    def kind(self) -> str:
        return _snake(type(self).__name__)

    def describe(self) -> str:  # pragma: no cover - every subclass overrides it
        return self.kind

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"op": self.kind, "description": self.describe()}
        for f in fields(self):
            data[f.name] = _plain(getattr(self, f.name))
        return data


def _plain(value: Any) -> Any:
    if isinstance(value, Op):
        return value.to_dict()
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    if hasattr(value, "__dataclass_fields__"):
        if isinstance(value, ColumnCopy | RebuiltTable):
            return {f.name: _plain(getattr(value, f.name)) for f in fields(value)}
        return to_plain(value)
    return value


def _snake(name: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name).lstrip("_")


# --- tables and columns -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CreateTable(Op):
    """A new table with its columns and constraints; `deferred_fks` are added after
    every table of the plan exists (foreign-key cycles)."""

    table: Table
    deferred_fks: tuple[ForeignKey, ...] = ()

    def describe(self) -> str:
        return f"create table {self.table.key}"


@dataclass(frozen=True, slots=True)
class DropTable(Op):
    table: Table

    def describe(self) -> str:
        return f"drop table {self.table.key}"


@dataclass(frozen=True, slots=True)
class RenameTable(Op):
    old: str
    new: str

    def describe(self) -> str:
        return f"rename table {self.old} to {self.new}"


@dataclass(frozen=True, slots=True)
class AddColumn(Op):
    table: str
    column: Column

    def describe(self) -> str:
        return f"add column {self.table}.{self.column.name} {self.column.type}"


@dataclass(frozen=True, slots=True)
class DropColumn(Op):
    table: str
    column: Column

    def describe(self) -> str:
        return f"drop column {self.table}.{self.column.name}"


@dataclass(frozen=True, slots=True)
class RenameColumn(Op):
    table: str
    old: str
    new: str

    def describe(self) -> str:
        return f"rename column {self.table}.{self.old} to {self.new}"


@dataclass(frozen=True, slots=True)
class AlterColumnType(Op):
    table: str
    column: str
    old_type: str
    new_type: str
    using: str | None = None

    def describe(self) -> str:
        return f"change type of {self.table}.{self.column} from {self.old_type} to {self.new_type}"


@dataclass(frozen=True, slots=True)
class SetColumnDefault(Op):
    """`default` None drops the default."""

    table: str
    column: str
    default: str | None

    def describe(self) -> str:
        if self.default is None:
            return f"drop default of {self.table}.{self.column}"
        return f"set default of {self.table}.{self.column} to {self.default}"


@dataclass(frozen=True, slots=True)
class SetNullable(Op):
    """`via_check`: SET NOT NULL after a validated CHECK (col IS NOT NULL), so no scan."""

    table: str
    column: str
    nullable: bool
    via_check: bool = False

    def describe(self) -> str:
        verb = "drop NOT NULL" if self.nullable else "set NOT NULL"
        return f"{verb} on {self.table}.{self.column}"


@dataclass(frozen=True, slots=True)
class FillColumn(Op):
    """Give existing rows a value where the column is NULL (`--fill`)."""

    table: str
    column: str
    value: str

    def describe(self) -> str:
        return f"fill {self.table}.{self.column} = {self.value} where it is NULL"


@dataclass(frozen=True, slots=True)
class ColumnCopy:
    """One column of a rebuilt table and the expression over the old row that fills it."""

    column: str
    source: str


@dataclass(frozen=True, slots=True)
class RebuiltTable:
    old: Table
    new: Table
    mapping: tuple[ColumnCopy, ...]


@dataclass(frozen=True, slots=True)
class RebuildTables(Op):
    """SQLite/D1: recreate tables whose change ALTER TABLE cannot make, together with
    every table that would cascade from them, so that no row is deleted or nulled.

    `via` is "rename" (old tables renamed aside, rows copied once) when nothing
    outside the group references it, else "copy" (rows copied aside into plain
    holding tables, so the NO ACTION references from outside keep pointing at
    the table name; deferred foreign keys balance when the rows come back)."""

    tables: tuple[RebuiltTable, ...]
    via: str = "rename"

    def describe(self) -> str:
        names = ", ".join(t.new.key for t in self.tables)
        return f"rebuild {names} (rows copied, nothing cascades)"


# --- constraints and indexes ----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AddConstraint(Op):
    """`not_valid`: Postgres checks new rows only until ValidateConstraint; `using_index`:
    a unique/primary key adopted from an index built concurrently."""

    table: str
    constraint: Constraint
    not_valid: bool = False
    using_index: str | None = None

    def describe(self) -> str:
        text = f"add {constraint_kind(self.constraint)} {constraint_label(self.constraint)} on {self.table}"
        if self.not_valid:
            text += " NOT VALID"
        if self.using_index:
            text += f" using index {self.using_index}"
        return text


@dataclass(frozen=True, slots=True)
class ValidateConstraint(Op):
    table: str
    name: str

    def describe(self) -> str:
        return f"validate constraint {self.name} on {self.table}"


@dataclass(frozen=True, slots=True)
class DropConstraint(Op):
    table: str
    constraint: Constraint

    def describe(self) -> str:
        return f"drop {constraint_kind(self.constraint)} {constraint_label(self.constraint)} on {self.table}"


@dataclass(frozen=True, slots=True)
class CreateIndex(Op):
    table: str
    index: Index
    concurrently: bool = False

    def describe(self) -> str:
        how = " concurrently" if self.concurrently else ""
        return f"create {'unique ' if self.index.unique else ''}index {self.index.name} on {self.table}{how}"


@dataclass(frozen=True, slots=True)
class DropIndex(Op):
    table: str
    index: Index
    concurrently: bool = False

    def describe(self) -> str:
        return f"drop index {self.index.name} on {self.table}" + (" concurrently" if self.concurrently else "")


# --- session settings -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SetSetting(Op):
    """A Postgres session setting; `value` None resets it, `local` scopes it to the file's
    transaction (lock_timeout first, so no statement waits behind a long lock)."""

    name: str
    value: str | None
    local: bool = False

    def describe(self) -> str:
        return f"set {self.name} = {self.value}" if self.value is not None else f"reset {self.name}"


@dataclass(frozen=True, slots=True)
class DeferForeignKeys(Op):
    """SQLite/D1: check foreign keys at the end of the file's transaction."""

    def describe(self) -> str:
        return "defer foreign key checks to the end of the file"


# Operations on schema objects other than tables live in `ops_objects` (one namespace here).
from dbtool.plan.ops_objects import *  # noqa: E402,F403
