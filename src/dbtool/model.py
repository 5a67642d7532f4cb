"""The schema model: one dialect-free description of a database schema.

Every inspector (SQLite, D1, Postgres) produces a `Schema`; the differ compares
two of them and the snapshot writer serialises one through `to_dict()`. The
model is therefore deliberately boring: frozen dataclasses, plain strings for
types and expressions (already in the engine's canonical form), no I/O and no
dialect branches. Collections are tuples sorted by key in `__post_init__`, so
two schemas that describe the same database are equal no matter in which
order an inspector built them. Columns are the one exception: they keep the
table's ordinal order, which is meaningful to readers and stable per engine.

Names: every object has a `name` and a `schema` that is `None` for the
inspected default schema (`public` on Postgres, `main` on SQLite); `key` is
the name qualified by its schema when it is not the default one.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, fields
from typing import Any


def qualify(name: str, schema: str | None) -> str:
    """Object key: the bare name in the default schema, else `schema.name`."""
    return name if schema is None else f"{schema}.{name}"


def _sorted(items: tuple[Any, ...] | list[Any], key: Any) -> tuple[Any, ...]:
    items = tuple(items)  # no copy of a tuple
    if len(items) < 2:  # most tables have zero or one of each kind: nothing to sort
        return items
    return tuple(sorted(items, key=key))


def _set(obj: Any, name: str, value: Any) -> None:
    object.__setattr__(obj, name, value)


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a schema is built in bulk.

    A 1,000-table schema is tens of thousands of objects (catalog rows, YAML
    nodes, model objects) allocated in one burst; the collector would walk
    them again every few hundred allocations (a tenth of an inspection, a third
    of a snapshot load) to find cycles they do not have. Reference counting
    frees them as usual, and any cycle waits for the next collection. Nothing
    happens when the collector is already off (the caller's choice is kept)."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


@dataclass(frozen=True, slots=True)
class Column:
    """A table column. `identity` says how the engine fills it by itself:
    ALWAYS / BY DEFAULT (identity), SERIAL (an owned sequence default, so the
    sequence's name never shows up as drift) or AUTOINCREMENT (SQLite)."""

    name: str
    type: str
    nullable: bool
    default: str | None = None
    generated: str | None = None
    generated_stored: bool = False
    identity: str | None = None
    collation: str | None = None
    comment: str | None = None


@dataclass(frozen=True, slots=True)
class PrimaryKey:
    columns: tuple[str, ...]
    name: str | None = None
    name_generated: bool = False


@dataclass(frozen=True, slots=True)
class UniqueConstraint:
    """`nulls_not_distinct` (PostgreSQL 15+): two NULLs count as equal, so at most one
    row may have NULL in the key."""

    columns: tuple[str, ...]
    name: str | None = None
    name_generated: bool = False
    nulls_not_distinct: bool = False


@dataclass(frozen=True, slots=True)
class CheckConstraint:
    """`not_valid`: added NOT VALID and never validated, so existing rows may break it;
    `no_inherit`: not inherited by child tables."""

    expression: str
    name: str | None = None
    name_generated: bool = False
    not_valid: bool = False
    no_inherit: bool = False


@dataclass(frozen=True, slots=True)
class ForeignKey:
    columns: tuple[str, ...]
    ref_table: str
    ref_columns: tuple[str, ...]
    ref_schema: str | None = None
    on_delete: str = "NO ACTION"
    on_update: str = "NO ACTION"
    deferrable: bool = False
    initially_deferred: bool = False
    name: str | None = None
    name_generated: bool = False
    not_valid: bool = False  # added NOT VALID and never validated

    @property
    def ref_key(self) -> str:
        return qualify(self.ref_table, self.ref_schema)


@dataclass(frozen=True, slots=True)
class IndexColumn:
    """One index term: a column name, or an expression when `expression` is set."""

    name: str
    expression: bool = False
    descending: bool = False
    nulls_first: bool | None = None  # None: the engine's default for the direction
    collation: str | None = None
    opclass: str | None = None  # None: the default operator class for the type

    def render(self) -> str:
        text = f"({self.name})" if self.expression else self.name
        if self.collation:
            text += f" COLLATE {self.collation}"
        if self.opclass:
            text += f" {self.opclass}"
        if self.descending:
            text += " DESC"
        if self.nulls_first is not None:
            text += " NULLS FIRST" if self.nulls_first else " NULLS LAST"
        return text


@dataclass(frozen=True, slots=True)
class Index:
    name: str
    columns: tuple[IndexColumn, ...]
    unique: bool = False
    where: str | None = None
    method: str | None = None  # None: the engine's default access method (btree)
    include: tuple[str, ...] = ()
    name_generated: bool = False
    nulls_not_distinct: bool = False  # a unique index where NULLs count as equal (PostgreSQL 15+)


# Privileges in the order GRANT lists them; ALL stands for every privilege GRANT ALL
# gives on the object's kind (the inspector abbreviates, the differ compares as given).
PRIVILEGE_ORDER = ("ALL", "SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES",
                   "TRIGGER", "MAINTAIN", "USAGE", "EXECUTE", "CREATE", "CONNECT", "TEMPORARY")
GRANT_OPTION = " WITH GRANT OPTION"


def _privilege_key(privilege: str) -> tuple[int, str]:
    base = privilege.removesuffix(GRANT_OPTION)
    rank = PRIVILEGE_ORDER.index(base) if base in PRIVILEGE_ORDER else len(PRIVILEGE_ORDER)
    return (rank, privilege)


@dataclass(frozen=True, slots=True)
class Grant:
    """What one role (or PUBLIC) may do with an object, beyond its owner's implicit
    rights: privilege names as GRANT spells them, `… WITH GRANT OPTION` when the role
    may pass it on. In a snapshot, an object's grants read `{role: [privileges]}`."""

    role: str
    privileges: tuple[str, ...]

    def __post_init__(self) -> None:
        _set(self, "privileges", tuple(sorted(set(self.privileges), key=_privilege_key)))

    def render(self) -> str:
        return f"{self.role}: {', '.join(self.privileges)}"


def _grants(items: tuple[Grant, ...]) -> tuple[Grant, ...]:
    return _sorted(items, lambda g: g.role)


# A function's rights when nobody changed them: PUBLIC may EXECUTE it.
DEFAULT_FUNCTION_GRANTS = (Grant("PUBLIC", ("EXECUTE",)),)


@dataclass(frozen=True, slots=True)
class Policy:
    """A row-level security policy; `command` is ALL, SELECT, INSERT, UPDATE or DELETE."""

    name: str
    command: str = "ALL"
    permissive: bool = True
    roles: tuple[str, ...] = ("public",)
    using: str | None = None
    with_check: str | None = None

    def __post_init__(self) -> None:
        _set(self, "roles", tuple(sorted(self.roles)))


def _constraint_key(item: Any) -> tuple[Any, ...]:
    return (item.name or "", getattr(item, "columns", ()), getattr(item, "expression", ""),
            getattr(item, "ref_table", ""))


def _sorted_constraints(items: tuple[Any, ...]) -> tuple[Any, ...]:
    """Sorted by name and content; `repr` breaks the (rare) remaining ties."""
    if len(items) < 2:
        return tuple(items)
    keys = [_constraint_key(i) for i in items]
    if len(set(keys)) == len(keys):
        return tuple(i for _, i in sorted(zip(keys, items, strict=True), key=lambda p: p[0]))
    return _sorted(items, lambda i: (_constraint_key(i), repr(i)))


@dataclass(frozen=True, slots=True)
class Table:
    name: str
    schema: str | None = None
    columns: tuple[Column, ...] = ()
    primary_key: PrimaryKey | None = None
    uniques: tuple[UniqueConstraint, ...] = ()
    checks: tuple[CheckConstraint, ...] = ()
    foreign_keys: tuple[ForeignKey, ...] = ()
    indexes: tuple[Index, ...] = ()
    options: tuple[str, ...] = ()  # e.g. STRICT, WITHOUT ROWID, UNLOGGED, PARTITION BY …
    comment: str | None = None
    rls_enabled: bool = False
    rls_forced: bool = False
    policies: tuple[Policy, ...] = ()
    grants: tuple[Grant, ...] = ()

    def __post_init__(self) -> None:
        for name in ("uniques", "checks", "foreign_keys"):
            _set(self, name, _sorted_constraints(getattr(self, name)))
        _set(self, "indexes", _sorted(self.indexes, lambda i: i.name))
        _set(self, "policies", _sorted(self.policies, lambda p: p.name))
        _set(self, "options", tuple(self.options))
        _set(self, "grants", _grants(self.grants))

    @property
    def key(self) -> str:
        return qualify(self.name, self.schema)

    def column(self, name: str) -> Column | None:
        return next((c for c in self.columns if c.name == name), None)


# Facts an inspector derives from another field (a view's definition names what it
# reads): never compared, never written to a snapshot, there for the audits.
DERIVED = {"derived": True}


@dataclass(frozen=True, slots=True)
class View:
    """A view. `security_invoker` (PostgreSQL 15+): the view checks permissions and
    row-level security as the querying role, not as its owner. `reads`: the keys of
    the relations its definition reads directly (derived, see DERIVED)."""

    name: str
    definition: str
    schema: str | None = None
    materialized: bool = False
    comment: str | None = None
    security_invoker: bool = False
    reads: tuple[str, ...] = field(default=(), compare=False, metadata=DERIVED)
    grants: tuple[Grant, ...] = ()

    def __post_init__(self) -> None:
        _set(self, "grants", _grants(self.grants))

    @property
    def key(self) -> str:
        return qualify(self.name, self.schema)


@dataclass(frozen=True, slots=True)
class Trigger:
    """A trigger on `table` (a table or view key). Postgres triggers call a
    `function`; SQLite triggers carry their statements in `body`."""

    name: str
    table: str
    timing: str  # BEFORE | AFTER | INSTEAD OF
    events: tuple[str, ...]  # INSERT, UPDATE, DELETE, TRUNCATE in that order
    for_each: str = "ROW"
    columns: tuple[str, ...] = ()  # UPDATE OF …
    condition: str | None = None  # WHEN (…)
    function: str | None = None
    body: str | None = None

    @property
    def key(self) -> tuple[str, str]:
        return (self.table, self.name)


@dataclass(frozen=True, slots=True)
class Function:
    name: str
    arguments: str
    returns: str
    language: str
    body: str
    schema: str | None = None
    kind: str = "function"  # function | procedure
    security_definer: bool = False
    volatility: str = "VOLATILE"
    strict: bool = False
    config: tuple[str, ...] = ()  # e.g. search_path=public
    comment: str | None = None
    grants: tuple[Grant, ...] = DEFAULT_FUNCTION_GRANTS  # EXECUTE, as on the catalog
    # The argument list as CREATE writes it, when it says more than `arguments` (the identity
    # list that names the function): parameter defaults, OUT parameters.
    signature: str | None = None

    def __post_init__(self) -> None:
        _set(self, "config", tuple(sorted(self.config)))
        _set(self, "grants", _grants(self.grants))

    @property
    def key(self) -> str:
        return f"{qualify(self.name, self.schema)}({self.arguments})"


@dataclass(frozen=True, slots=True)
class Enum:
    name: str
    values: tuple[str, ...]  # in declaration order, which is meaningful
    schema: str | None = None

    @property
    def key(self) -> str:
        return qualify(self.name, self.schema)


@dataclass(frozen=True, slots=True)
class Sequence:
    name: str
    data_type: str = "bigint"
    start: int = 1
    increment: int = 1
    min_value: int | None = None
    max_value: int | None = None
    cache: int = 1
    cycle: bool = False
    schema: str | None = None
    grants: tuple[Grant, ...] = ()

    def __post_init__(self) -> None:
        _set(self, "grants", _grants(self.grants))

    @property
    def key(self) -> str:
        return qualify(self.name, self.schema)


@dataclass(frozen=True, slots=True)
class Extension:
    name: str
    schema: str | None = None

    @property
    def key(self) -> str:
        return self.name


@dataclass(frozen=True, slots=True)
class Publication:
    """A logical-replication publication and the table keys it publishes."""

    name: str
    tables: tuple[str, ...] = ()
    all_tables: bool = False
    operations: tuple[str, ...] = ("insert", "update", "delete", "truncate")

    def __post_init__(self) -> None:
        _set(self, "tables", tuple(sorted(self.tables)))

    @property
    def key(self) -> str:
        return self.name


@dataclass(frozen=True, slots=True)
class NotCompared:
    """Objects of a kind the model does not hold (rules, domains, column privileges …),
    counted by an inspector so that no comparison claims them equal."""

    kind: str
    count: int


@dataclass(frozen=True, slots=True)
class Schema:
    """`not_compared` is what the inspector found but the model cannot hold, by kind
    (derived: never compared, never in a snapshot; empty for a snapshot's schema)."""

    tables: tuple[Table, ...] = ()
    views: tuple[View, ...] = ()
    triggers: tuple[Trigger, ...] = ()
    functions: tuple[Function, ...] = ()
    enums: tuple[Enum, ...] = ()
    sequences: tuple[Sequence, ...] = ()
    extensions: tuple[Extension, ...] = ()
    publications: tuple[Publication, ...] = ()
    not_compared: tuple[NotCompared, ...] = field(default=(), compare=False, metadata=DERIVED)

    def __post_init__(self) -> None:
        for f in _object_fields(self):
            _set(self, f.name, _sorted(getattr(self, f.name), lambda o: o.key))

    def table(self, key: str) -> Table | None:
        return next((t for t in self.tables if t.key == key), None)

    def to_dict(self) -> dict[str, Any]:
        """Plain, deterministic data (dicts, lists, str, int, bool, None).

        Named objects become mappings keyed by their key; defaults are left
        out so a snapshot lists only what is not implied."""
        from dbtool.model_data import schema_to_dict

        return schema_to_dict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Schema:
        """Inverse of `to_dict`; missing keys take the model's defaults."""
        from dbtool.model_data import schema_from_dict

        return schema_from_dict(data)


# --- plain data (dbtool.model_data) ----------------------------------------


def _object_fields(schema: Any) -> list[Any]:
    """The schema's collections of named objects (what snapshots hold)."""
    return [f for f in fields(schema) if not f.metadata.get("derived")]


def to_plain(obj: Any) -> Any:
    """Plain data for any single model object (as it appears inside `Schema.to_dict`)."""
    from dbtool.model_data import to_plain as convert

    return convert(obj)


__all__ = [
    "CheckConstraint", "Column", "Enum", "Extension", "ForeignKey", "Function", "Grant",
    "Index", "IndexColumn", "NotCompared", "Policy", "PrimaryKey", "Publication", "Schema",
    "Sequence", "Table", "Trigger", "UniqueConstraint", "View", "qualify", "to_plain",
]
