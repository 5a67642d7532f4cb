"""Model objects -> SQLAlchemy schema objects, one function per kind.

SQLAlchemy's DDL compiler renders CREATE TABLE, CREATE INDEX and the
constraints (quoting, clause order, each dialect's spellings), and Alembic's
operations reuse the same objects for ALTER forms. The model keeps types,
defaults and expressions as the engine's own text, so they go in verbatim:
types through `Verbatim` (a TypeEngine whose spelling is the model's string),
defaults, checks and predicates through `text()`. A new model field is added
in the one function for its kind below.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.types import UserDefinedType

from dbtool.model import (
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    IndexColumn,
    PrimaryKey,
    Table,
    UniqueConstraint,
)

_SERIAL = {"integer": "serial", "bigint": "bigserial", "smallint": "smallserial"}


class Verbatim(UserDefinedType):
    """A column type spelled exactly as the model has it. It reports INTEGER affinity
    for `INTEGER` so SQLite's compiler can write `PRIMARY KEY AUTOINCREMENT`."""

    cache_ok = True

    def __init__(self, spelling: str) -> None:
        self.spelling = spelling

    def get_col_spec(self, **kw: Any) -> str:
        return self.spelling

    @property
    def _type_affinity(self) -> Any:  # read by SQLite's DDL compiler only
        return sa.Integer if self.spelling.split()[0].upper() == "INTEGER" else UserDefinedType


def type_spelling(column: Column, dialect: str) -> str:
    """The type, with SERIAL for a Postgres serial column and the column's collation."""
    spelling = column.type
    if column.identity == "SERIAL":
        spelling = _SERIAL.get(column.type.lower(), column.type)
    if column.collation:
        from dbtool.quoting import QUOTERS
        from dbtool.sql.dialects import dialect_of

        spelling += f" COLLATE {QUOTERS[dialect_of(dialect).syntax](column.collation)}"
    return spelling


def sa_column(column: Column, dialect: str, *, with_default: bool = True) -> sa.Column:
    args: list[Any] = []
    if column.generated is not None:
        args.append(sa.Computed(sa.text(column.generated), persisted=column.generated_stored))
    if column.identity in ("ALWAYS", "BY DEFAULT"):
        args.append(sa.Identity(always=column.identity == "ALWAYS"))
    default = column.default if with_default else None
    return sa.Column(
        column.name, Verbatim(type_spelling(column, dialect)), *args,
        nullable=column.nullable,
        server_default=sa.text(default) if default is not None else None,
        autoincrement=False,
        comment=None,  # COMMENT ON is its own operation (SetComment)
    )


def sa_constraint(constraint: Any, table: Table) -> sa.Constraint:
    kind = type(constraint)
    if kind is PrimaryKey:
        return sa.PrimaryKeyConstraint(*constraint.columns, name=constraint.name)
    if kind is UniqueConstraint:
        kw = {"postgresql_nulls_not_distinct": True} if constraint.nulls_not_distinct else {}
        return sa.UniqueConstraint(*constraint.columns, name=constraint.name, **kw)
    if kind is CheckConstraint:
        return sa.CheckConstraint(sa.text(constraint.expression), name=constraint.name)
    if kind is ForeignKey:
        return sa_foreign_key(constraint, table)
    raise TypeError(f"not a constraint: {constraint!r}")


def sa_foreign_key(fk: ForeignKey, table: Table, **dialect_kw: Any) -> sa.ForeignKeyConstraint:
    prefix = f"{fk.ref_schema}.{fk.ref_table}" if fk.ref_schema else fk.ref_table
    initially = "DEFERRED" if fk.initially_deferred else None
    return sa.ForeignKeyConstraint(
        list(fk.columns), [f"{prefix}.{c}" for c in fk.ref_columns], name=fk.name,
        ondelete=_action(fk.on_delete), onupdate=_action(fk.on_update),
        deferrable=True if fk.deferrable else None, initially=initially,
        use_alter=False, **dialect_kw,
    )


def _action(action: str) -> str | None:
    return None if action.upper() == "NO ACTION" else action.upper()


def sa_table(table: Table, metadata: sa.MetaData, dialect: str, *, name: str | None = None,
             foreign_keys: tuple[ForeignKey, ...] | None = None) -> sa.Table:
    """The table as SQLAlchemy builds it; `foreign_keys` narrows the inline keys (cycles)."""
    fks = table.foreign_keys if foreign_keys is None else foreign_keys
    _referenced_stubs(fks, table, metadata, name)
    items: list[Any] = [sa_column(c, dialect) for c in table.columns]
    if table.primary_key is not None:
        items.append(sa_constraint(table.primary_key, table))
    items += [sa_constraint(c, table) for c in (*table.uniques, *table.checks, *fks)]
    return sa.Table(name or table.name, metadata, *items, schema=table.schema,
                    **table_options(table, dialect))


def _referenced_stubs(fks: tuple[ForeignKey, ...], table: Table, metadata: sa.MetaData,
                      name: str | None) -> None:
    """SQLAlchemy resolves a foreign key's target columns in the MetaData: give it a
    stub of each referenced table (names only; nothing renders them)."""
    wanted: dict[tuple[str | None, str], set[str]] = {}
    for fk in fks:
        if (fk.ref_schema, fk.ref_table) == (table.schema, name or table.name):
            continue
        wanted.setdefault((fk.ref_schema, fk.ref_table), set()).update(fk.ref_columns)
    for (schema, ref), columns in wanted.items():
        key = f"{schema}.{ref}" if schema else ref
        stub = metadata.tables.get(key)
        if stub is None:
            stub = sa.Table(ref, metadata, schema=schema)
        for column in sorted(columns - set(stub.c.keys())):
            stub.append_column(sa.Column(column, Verbatim("")))


def table_options(table: Table, dialect: str) -> dict[str, Any]:
    """Table options SQLAlchemy spells; `unsupported_options` lists the rest."""
    kw: dict[str, Any] = {}
    for option in table.options:
        upper = option.upper()
        if upper == "WITHOUT ROWID":
            kw["sqlite_with_rowid"] = False
        elif upper == "STRICT":
            kw["sqlite_strict"] = True
        elif upper == "UNLOGGED":
            kw.setdefault("prefixes", []).append("UNLOGGED")
        elif upper.startswith("PARTITION BY "):
            kw["postgresql_partition_by"] = option[len("PARTITION BY "):]
    if any(c.identity == "AUTOINCREMENT" for c in table.columns):
        kw["sqlite_autoincrement"] = True
    return kw


def unsupported_options(table: Table) -> list[str]:
    known = ("WITHOUT ROWID", "STRICT", "UNLOGGED")
    return [o for o in table.options if o.upper() not in known and not o.upper().startswith("PARTITION BY ")]


def index_term(term: IndexColumn, table: sa.Table) -> Any:
    expr: Any = sa.literal_column(f"({term.name})") if term.expression else table.c[term.name]
    if term.opclass:  # `term [COLLATE c] opclass`: SQLAlchemy has no construct for the pair
        from sqlalchemy.dialects import postgresql

        quote = postgresql.dialect().identifier_preparer.quote
        spelled = f"({term.name})" if term.expression else quote(term.name)
        if term.collation:
            spelled += f" COLLATE {quote(term.collation)}"
        expr = sa.literal_column(f"{spelled} {term.opclass}")
    elif term.collation:
        expr = sa.collate(expr, term.collation)
    if term.descending:
        expr = expr.desc()
    if term.nulls_first is not None:
        expr = expr.nulls_first() if term.nulls_first else expr.nulls_last()
    return expr


def sa_index(index: Index, table: sa.Table, **dialect_kw: Any) -> sa.Index:
    kw: dict[str, Any] = dict(dialect_kw)
    if index.where:
        kw["sqlite_where"] = kw["postgresql_where"] = sa.text(index.where)
    if index.method:
        kw["postgresql_using"] = index.method
    if index.include:
        kw["postgresql_include"] = list(index.include)
    if index.nulls_not_distinct:
        kw["postgresql_nulls_not_distinct"] = True
    return sa.Index(index.name, *(index_term(t, table) for t in index.columns), unique=index.unique,
                    _table=table, **kw)


def bare_table(table: Table, metadata: sa.MetaData, dialect: str) -> sa.Table:
    """Just the columns (no constraints): what an index or ALTER needs to refer to."""
    return sa.Table(table.name, metadata, *(sa_column(c, dialect) for c in table.columns),
                    schema=table.schema)
