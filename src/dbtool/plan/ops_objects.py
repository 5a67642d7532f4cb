"""Operations on schema objects other than tables and their columns: views, triggers,
functions, enums, sequences, publications, extensions, row-level security, policies,
comments and grants. Split from `ops` (which re-exports them) to keep each module
readable; see `ops` for what an operation is.
"""

from __future__ import annotations

from dataclasses import dataclass

from dbtool.model import Enum, Extension, Function, Policy, Publication, Sequence, Trigger, View
from dbtool.plan.ops import Op

# --- other objects --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CreateView(Op):
    view: View

    def describe(self) -> str:
        return f"create {'materialized ' if self.view.materialized else ''}view {self.view.key}"


@dataclass(frozen=True, slots=True)
class DropView(Op):
    view: View

    def describe(self) -> str:
        return f"drop view {self.view.key}"


@dataclass(frozen=True, slots=True)
class CreateTrigger(Op):
    trigger: Trigger

    def describe(self) -> str:
        return f"create trigger {self.trigger.name} on {self.trigger.table}"


@dataclass(frozen=True, slots=True)
class DropTrigger(Op):
    trigger: Trigger

    def describe(self) -> str:
        return f"drop trigger {self.trigger.name} on {self.trigger.table}"


@dataclass(frozen=True, slots=True)
class CreateFunction(Op):
    function: Function
    replace: bool = False

    def describe(self) -> str:
        return f"{'replace' if self.replace else 'create'} {self.function.kind} {self.function.key}"


@dataclass(frozen=True, slots=True)
class DropFunction(Op):
    function: Function

    def describe(self) -> str:
        return f"drop {self.function.kind} {self.function.key}"


@dataclass(frozen=True, slots=True)
class CreateEnum(Op):
    enum: Enum

    def describe(self) -> str:
        return f"create enum {self.enum.key}"


@dataclass(frozen=True, slots=True)
class AddEnumValue(Op):
    enum: Enum
    value: str
    after: str | None = None
    before: str | None = None

    def describe(self) -> str:
        return f"add value {self.value!r} to enum {self.enum.key}"


@dataclass(frozen=True, slots=True)
class DropEnum(Op):
    enum: Enum

    def describe(self) -> str:
        return f"drop enum {self.enum.key}"


@dataclass(frozen=True, slots=True)
class CreateSequence(Op):
    sequence: Sequence

    def describe(self) -> str:
        return f"create sequence {self.sequence.key}"


@dataclass(frozen=True, slots=True)
class DropSequence(Op):
    sequence: Sequence

    def describe(self) -> str:
        return f"drop sequence {self.sequence.key}"


@dataclass(frozen=True, slots=True)
class CreatePublication(Op):
    publication: Publication

    def describe(self) -> str:
        return f"create publication {self.publication.name}"


@dataclass(frozen=True, slots=True)
class DropPublication(Op):
    publication: Publication

    def describe(self) -> str:
        return f"drop publication {self.publication.name}"


@dataclass(frozen=True, slots=True)
class CreateExtension(Op):
    extension: Extension

    def describe(self) -> str:
        return f"create extension {self.extension.name}"


@dataclass(frozen=True, slots=True)
class DropExtension(Op):
    extension: Extension

    def describe(self) -> str:
        return f"drop extension {self.extension.name}"


@dataclass(frozen=True, slots=True)
class SetRowLevelSecurity(Op):
    """`enabled`/`forced` None: leave that flag alone."""

    table: str
    enabled: bool | None = None
    forced: bool | None = None

    def describe(self) -> str:
        parts = []
        if self.enabled is not None:
            parts.append("enable" if self.enabled else "disable")
        if self.forced is not None:
            parts.append("force" if self.forced else "no force")
        return f"{' and '.join(parts)} row level security on {self.table}"


@dataclass(frozen=True, slots=True)
class CreatePolicy(Op):
    table: str
    policy: Policy

    def describe(self) -> str:
        return f"create policy {self.policy.name!r} on {self.table}"


@dataclass(frozen=True, slots=True)
class DropPolicy(Op):
    table: str
    policy: Policy

    def describe(self) -> str:
        return f"drop policy {self.policy.name!r} on {self.table}"


@dataclass(frozen=True, slots=True)
class SetComment(Op):
    """`target` is table, column, view or function; `comment` None removes it."""

    target: str
    key: str
    comment: str | None
    column: str | None = None

    def describe(self) -> str:
        where = f"{self.key}.{self.column}" if self.column else self.key
        return f"{'set' if self.comment is not None else 'remove'} comment on {self.target} {where}"


@dataclass(frozen=True, slots=True)
class PublishTable(Op):
    """Add (`published`) or remove a table from a publication."""

    publication: str
    table: str
    published: bool = True

    def describe(self) -> str:
        verb = "add" if self.published else "remove"
        return f"{verb} table {self.table} {'to' if self.published else 'from'} publication {self.publication}"


@dataclass(frozen=True, slots=True)
class RecreateEnum(Op):
    """Postgres cannot remove or reorder enum values: the type is renamed aside, created
    anew, every column of it converted through text (a row holding a removed value fails
    the file), and the old type dropped. `columns` are (table key, column, default)."""

    old: Enum
    new: Enum
    columns: tuple[tuple[str, str, str | None], ...] = ()

    def describe(self) -> str:
        return f"recreate enum {self.new.key} ({', '.join(self.new.values)})"


@dataclass(frozen=True, slots=True)
class AlterSequence(Op):
    old: Sequence
    new: Sequence

    def describe(self) -> str:
        return f"alter sequence {self.new.key}"


@dataclass(frozen=True, slots=True)
class AlterPublication(Op):
    """The operations a publication publishes (insert, update, delete, truncate)."""

    publication: Publication

    def describe(self) -> str:
        return f"publish {', '.join(self.publication.operations)} on publication {self.publication.name}"


@dataclass(frozen=True, slots=True)
class GrantPrivileges(Op):
    """GRANT on a table, view, sequence or function (`target`); privileges as the model
    spells them (`… WITH GRANT OPTION` included)."""

    target: str
    key: str
    role: str
    privileges: tuple[str, ...]

    def describe(self) -> str:
        return f"grant {', '.join(self.privileges)} on {self.target} {self.key} to {self.role}"


@dataclass(frozen=True, slots=True)
class RevokePrivileges(Op):
    target: str
    key: str
    role: str

    def describe(self) -> str:
        return f"revoke all on {self.target} {self.key} from {self.role}"
