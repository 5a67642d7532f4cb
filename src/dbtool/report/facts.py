"""Derived facts every renderer needs: key markers, references, relationships.

Kept in one place so that the terminal table, the Markdown column table, the
Mermaid ERD and the HTML picture mark the same column PK/FK/UK and draw the
same relationships with the same cardinality.
"""

from __future__ import annotations

from dataclasses import dataclass

from dbtool.model import CheckConstraint, Column, ForeignKey, Grant, Index, Schema, Table


@dataclass(frozen=True)
class Relationship:
    """One foreign key as an edge: `child.columns` -> `parent.ref_columns`.
    `unique` means at most one child row per parent row (1:1, `||--o|`);
    `external` means the parent is not in the report (another schema)."""

    child: str
    columns: tuple[str, ...]
    parent: str
    ref_columns: tuple[str, ...]
    unique: bool
    on_delete: str
    on_update: str
    name: str | None
    external: bool


def _plain_unique_index(index: Index) -> tuple[str, ...] | None:
    """Columns of a unique, total, expression-free index (it makes them a key)."""
    if not index.unique or index.where or any(c.expression for c in index.columns):
        return None
    return tuple(c.name for c in index.columns)


def unique_sets(table: Table) -> list[frozenset[str]]:
    """Every column set the table guarantees unique (PK, UNIQUE, unique index)."""
    sets = [frozenset(u.columns) for u in table.uniques]
    sets += [frozenset(cols) for i in table.indexes if (cols := _plain_unique_index(i))]
    if table.primary_key:
        sets.append(frozenset(table.primary_key.columns))
    return sets


def column_keys(table: Table, column: Column) -> list[str]:
    """PK / FK / UK markers. UK marks a column that is unique on its own (a
    composite unique constraint does not make each of its columns unique)."""
    keys = []
    if table.primary_key and column.name in table.primary_key.columns:
        keys.append("PK")
    if any(column.name in fk.columns for fk in table.foreign_keys):
        keys.append("FK")
    if "PK" not in keys and frozenset({column.name}) in unique_sets(table):
        keys.append("UK")
    return keys


def references(table: Table, column: Column) -> list[str]:
    """`parent.col` for each foreign key the column takes part in."""
    out = []
    for fk in table.foreign_keys:
        if column.name in fk.columns:
            ref = fk.ref_columns[fk.columns.index(column.name)] if fk.ref_columns else "?"
            out.append(f"{fk.ref_key}.{ref}")
    return out


def fk_unique(table: Table, fk: ForeignKey) -> bool:
    """True when the FK columns are themselves unique: a one-to-one relationship."""
    cols = frozenset(fk.columns)
    return any(s <= cols for s in unique_sets(table) if s)


def relationships(schema: Schema) -> list[Relationship]:
    """Every foreign key of every table, in table order then key order."""
    keys = {t.key for t in schema.tables}
    return [
        Relationship(t.key, fk.columns, fk.ref_key, fk.ref_columns, fk_unique(t, fk),
                     fk.on_delete, fk.on_update, fk.name, fk.ref_key not in keys)
        for t in schema.tables for fk in t.foreign_keys
    ]


def default_text(column: Column) -> str:
    """The column's default as a reader wants it: identity and generated columns
    say how the engine fills them."""
    if column.generated:
        stored = " stored" if column.generated_stored else ""
        return f"generated{stored}: {column.generated}"
    if column.identity:
        return column.identity.lower() if column.identity in ("SERIAL", "AUTOINCREMENT") \
            else f"identity {column.identity.lower()}"
    return column.default or ""


def index_columns(index: Index) -> str:
    """`a, b DESC`; a non-default access method and INCLUDE columns are spelled out."""
    text = ", ".join(c.render() for c in index.columns)
    if index.method:
        text = f"{index.method} ({text})"
    if index.include:
        text += f" INCLUDE ({', '.join(index.include)})"
    return text


def uniqueness(index: Index) -> str:
    """"unique", with NULLS NOT DISTINCT when two NULLs count as equal; "" otherwise."""
    if not index.unique:
        return ""
    return "unique nulls not distinct" if index.nulls_not_distinct else "unique"


def check_text(check: CheckConstraint) -> str:
    """The expression, and what Postgres says after it (NO INHERIT, NOT VALID)."""
    return check.expression + (" NO INHERIT" if check.no_inherit else "") + (
        " NOT VALID" if check.not_valid else "")


def grants_text(grants: tuple[Grant, ...]) -> str:
    """`anon: SELECT; service_role: ALL` ("" when only the owner holds anything)."""
    return "; ".join(g.render() for g in grants)


__all__ = ["Relationship", "check_text", "column_keys", "default_text", "fk_unique", "grants_text",
           "index_columns", "references", "relationships", "unique_sets", "uniqueness"]
