"""`--rename`: the renames a user declared, applied to the current schema first.

The differ matches tables and columns by name, so a rename looks like a drop
plus an add. dbtool never guesses which it is: the user says `--rename
users.name=full_name` or `--rename old_table=new_table`; this module checks
that each rename names something that exists now and only in the desired
schema under its new name, then renames it in a copy of the current schema
(references, index columns and expressions included), so the differ sees
only what is left to do.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from dbtool.errors import UsageError
from dbtool.model import ForeignKey, Index, IndexColumn, Schema, Table, Trigger
from dbtool.plan.ops import Op, RenameColumn, RenameTable
from dbtool.plan.types import Rename
from dbtool.sql.lexer import tokenize


def rename_identifier(sql: str | None, old: str, new: str) -> str | None:
    """`sql` with every identifier token spelling `old` (any case, quoted or not) as `new`."""
    if sql is None:
        return None
    out, pos = [], 0
    for token in tokenize(sql):
        out.append(sql[pos:token.start])  # the whitespace and comments before it, verbatim
        pos = token.end
        if token.is_name and token.unquoted.casefold() == old.casefold():
            out.append(new if token.kind == "word" else '"' + new.replace('"', '""') + '"')
        else:
            out.append(token.text)
    out.append(sql[pos:])
    return "".join(out)


def mentions(sql: str | None, names: set[str]) -> bool:
    """Whether `sql` names any of `names` (case-insensitive identifiers)."""
    if not sql:
        return False
    folded = {n.casefold() for n in names}
    return any(t.is_name and t.unquoted.casefold() in folded for t in tokenize(sql))


def apply_renames(current: Schema, desired: Schema, renames: tuple[Rename, ...]
                  ) -> tuple[Schema, list[Op]]:
    """The current schema with the renames done, and the operations that do them."""
    ops: list[Op] = []
    for rename in renames:
        if rename.table is None:
            current = _rename_table(current, desired, rename)
            ops.append(RenameTable(rename.old, rename.new))
        else:
            table = _table_for(current, rename)
            current = _rename_column(current, desired, table, rename)
            ops.append(RenameColumn(table, rename.old, rename.new))
    return current, ops


def _table_for(current: Schema, rename: Rename) -> str:
    """The table of a column rename, by its current name (or its new name after a table rename)."""
    if current.table(rename.table or "") is not None:
        return rename.table or ""
    raise UsageError(f"--rename {rename}: there is no table {rename.table!r} in the current schema",
                     hint="name the table as the migrations build it (after any table rename)")


def _rename_table(current: Schema, desired: Schema, rename: Rename) -> Schema:
    old, new = rename.old, rename.new
    if current.table(old) is None:
        raise UsageError(f"--rename {rename}: the migrations build no table {old!r}",
                         hint="the left side names a table as it is now")
    if desired.table(new) is None or current.table(new) is not None:
        raise UsageError(f"--rename {rename}: {new!r} must be a table of the snapshot that the "
                         "migrations do not build yet", hint="the right side names the table as declared")
    if desired.table(old) is not None:
        raise UsageError(f"--rename {rename}: the snapshot still declares {old!r}",
                         hint="a renamed table leaves its old name")

    def table(t: Table) -> Table:
        fks = tuple(replace(fk, ref_table=new) if fk.ref_key == old else fk for fk in t.foreign_keys)
        return replace(t, name=new if t.key == old else t.name, foreign_keys=fks)

    triggers = tuple(replace(t, table=new) if t.table == old else t for t in current.triggers)
    publications = tuple(replace(p, tables=tuple(new if k == old else k for k in p.tables))
                         for p in current.publications)
    return replace(current, tables=tuple(table(t) for t in current.tables), triggers=triggers,
                   publications=publications)


def _rename_column(current: Schema, desired: Schema, key: str, rename: Rename) -> Schema:
    old, new = rename.old, rename.new
    table = current.table(key)
    assert table is not None
    wanted = desired.table(key)
    if table.column(old) is None:
        raise UsageError(f"--rename {rename}: table {key} has no column {old!r} now",
                         hint="the left side names the column as the migrations build it")
    if wanted is None or wanted.column(new) is None or table.column(new) is not None:
        raise UsageError(f"--rename {rename}: {key}.{new} must be a column the snapshot declares "
                         "and the migrations do not build yet", hint="check the snapshot")
    if wanted.column(old) is not None:
        raise UsageError(f"--rename {rename}: the snapshot still declares {key}.{old}",
                         hint="a renamed column leaves its old name")
    renamed = rename_in_table(table, old, new)
    tables = tuple(renamed if t.key == key else _rename_references(t, key, old, new)
                   for t in current.tables)
    triggers = tuple(_rename_in_trigger(t, key, old, new) for t in current.triggers)
    return replace(current, tables=tables, triggers=triggers)


def _cols(columns: tuple[str, ...], old: str, new: str) -> tuple[str, ...]:
    return tuple(new if c == old else c for c in columns)


def rename_in_table(t: Table, old: str, new: str) -> Table:
    def expr(sql: str | None) -> str | None:
        return rename_identifier(sql, old, new)

    columns = tuple(replace(c, name=new if c.name == old else c.name, generated=expr(c.generated))
                    for c in t.columns)
    pk = replace(t.primary_key, columns=_cols(t.primary_key.columns, old, new)) if t.primary_key else None
    fks = tuple(replace(fk, columns=_cols(fk.columns, old, new),
                        ref_columns=_cols(fk.ref_columns, old, new) if fk.ref_key == t.key else fk.ref_columns)
                for fk in t.foreign_keys)
    return replace(
        t, columns=columns, primary_key=pk,
        uniques=tuple(replace(u, columns=_cols(u.columns, old, new)) for u in t.uniques),
        checks=tuple(replace(c, expression=expr(c.expression) or "") for c in t.checks),
        foreign_keys=fks, indexes=tuple(_rename_in_index(i, old, new) for i in t.indexes),
        policies=tuple(replace(p, using=expr(p.using), with_check=expr(p.with_check)) for p in t.policies),
    )


def _rename_in_index(index: Index, old: str, new: str) -> Index:
    def term(c: IndexColumn) -> IndexColumn:
        if c.expression:
            return replace(c, name=rename_identifier(c.name, old, new) or c.name)
        return replace(c, name=new if c.name == old else c.name)

    return replace(index, columns=tuple(term(c) for c in index.columns),
                   where=rename_identifier(index.where, old, new),
                   include=_cols(index.include, old, new))


def _rename_references(t: Table, parent: str, old: str, new: str) -> Table:
    def fk(f: ForeignKey) -> ForeignKey:
        return replace(f, ref_columns=_cols(f.ref_columns, old, new)) if f.ref_key == parent else f

    return replace(t, foreign_keys=tuple(fk(f) for f in t.foreign_keys))


def _rename_in_trigger(t: Trigger, table: str, old: str, new: str) -> Trigger:
    if t.table != table:
        return t
    return replace(t, columns=_cols(t.columns, old, new))


__all__: list[Any] = ["apply_renames", "mentions", "rename_identifier"]
