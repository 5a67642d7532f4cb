"""The schema as it stood before a statement, for Postgres, derived from the parsed files.

No server is needed: CREATE TABLE, ALTER TABLE, CREATE INDEX, RENAME and DROP
statements of the earlier files (and of the earlier statements of this file)
are folded into a small model that answers what the rules ask: a column's type
before an ALTER COLUMN TYPE, which foreign keys have an index, whether a table
has row-level security. Statements the model does not understand leave it
unchanged, so it errs towards "unknown", never towards a wrong answer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from dbtool.sql.facts import ForeignKey
from dbtool.sql.postgres import (
    DEFAULT_SCHEMA,
    ConstrType,
    PgStatement,
    ast,
    column_defs,
    dotted,
    foreign_keys,
    qualname,
    type_name,
)

_INDEXED = (ConstrType.CONSTR_PRIMARY, ConstrType.CONSTR_UNIQUE)


@dataclass
class PgTable:
    name: str
    columns: dict[str, tuple[str, tuple[int, ...]]] = field(default_factory=dict)
    indexes: dict[str, tuple[str, ...]] = field(default_factory=dict)  # index name -> columns
    fks: dict[str, ForeignKey] = field(default_factory=dict)  # constraint name -> key
    rls: bool = False
    # CHECK (col IS NOT NULL) constraints: name -> (column, validated)
    not_null_checks: dict[str, tuple[str, bool]] = field(default_factory=dict)


class PgSchema:
    """Tables, columns, indexes, foreign keys and RLS flags, statement by statement."""

    def __init__(self) -> None:
        self.tables: dict[str, PgTable] = {}
        self.defined_at: dict[str, object] = {}

    def __enter__(self) -> PgSchema:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def apply(self, statement: PgStatement | None, ref: object) -> str | None:
        """Fold one statement into the model (never fails: unknown shapes are ignored)."""
        if statement is None:
            return None
        node = statement.node
        handler = _HANDLERS.get(type(node))
        if handler is not None:
            handler(self, node, ref)
        return None

    # -- questions the rules ask ----------------------------------------------

    def has_table(self, name: str) -> bool:
        return name in self.tables

    def proves_absent(self, table: str) -> bool:
        """Never: the model holds only what the migrations created, not tables made elsewhere."""
        return False

    def columns(self, table: str) -> list[str] | None:
        found = self.tables.get(table)
        return list(found.columns) if found else None

    def column_type(self, table: str, column: str) -> tuple[str, tuple[int, ...]] | None:
        found = self.tables.get(table)
        return found.columns.get(column) if found else None

    def foreign_keys(self) -> list[ForeignKey]:
        return [fk for table in self.tables.values() for fk in table.fks.values()]

    def referencing(self, table: str) -> list[ForeignKey]:
        return [fk for fk in self.foreign_keys() if fk.parent == table and fk.table != table]

    def indexes(self, table: str) -> list[tuple[str, ...]]:
        found = self.tables.get(table)
        return list(found.indexes.values()) if found else []

    def has_valid_not_null_check(self, table: str, column: str) -> bool:
        """A validated CHECK (column IS NOT NULL): SET NOT NULL uses it instead of a scan."""
        found = self.tables.get(table)
        return bool(found) and (column, True) in found.not_null_checks.values()  # type: ignore[union-attr]

    # -- statement handlers -----------------------------------------------------

    def _create_table(self, node: Any, ref: object) -> None:
        name = qualname(node.relation)
        if name in self.tables and node.if_not_exists:
            return
        table = self.tables[name] = PgTable(name)
        self.defined_at[name] = ref
        self._add_columns(table, column_defs(node))
        for element in node.tableElts or ():
            if isinstance(element, ast.Constraint):
                self._add_constraint(table, element)
        for fk in foreign_keys(node):
            table.fks.setdefault(_fk_name(fk), fk)

    def _add_columns(self, table: PgTable, columns: list[Any]) -> None:
        for column in columns:
            if column.typeName is not None:
                table.columns[column.colname] = type_name(column.typeName)
            for constraint in column.constraints or ():
                if constraint.contype in _INDEXED:
                    table.indexes[f"{table.name}.{column.colname}.key"] = (column.colname,)

    def _add_constraint(self, table: PgTable, constraint: Any) -> None:
        if constraint.contype in _INDEXED and constraint.keys:
            name = constraint.conname or f"{table.name}.{len(table.indexes)}.key"
            table.indexes[name] = tuple(k.sval for k in constraint.keys)
        column = _not_null_column(constraint)
        if column is not None:
            name = constraint.conname or f"{table.name}.{column}.not_null"
            table.not_null_checks[name] = (column, not constraint.skip_validation)

    def _alter_table(self, node: Any, ref: object) -> None:
        table = self.tables.get(qualname(node.relation))
        if table is None:
            return
        for cmd in node.cmds or ():
            _ALTER.get(cmd.subtype.name, _ignore)(self, table, cmd)
        for fk in foreign_keys(node):
            table.fks.setdefault(_fk_name(fk), fk)

    def _rename(self, node: Any, ref: object) -> None:
        if node.relation is None:
            return
        old = qualname(node.relation)
        table = self.tables.get(old)
        if table is None:
            return
        kind = node.renameType.name
        if kind == "OBJECT_TABLE":
            new = f"{node.relation.schemaname or DEFAULT_SCHEMA}.{node.newname}"
            table.name = new
            self.tables[new] = self.tables.pop(old)
            self.defined_at[new] = self.defined_at.pop(old, ref)
        elif kind == "OBJECT_COLUMN" and node.subname in table.columns:
            table.columns[node.newname] = table.columns.pop(node.subname)

    def _drop(self, node: Any, ref: object) -> None:
        kind = node.removeType.name
        for names in node.objects or ():
            name = dotted(names)
            if kind == "OBJECT_TABLE":
                self.tables.pop(name, None)
            elif kind == "OBJECT_INDEX":
                for table in self.tables.values():
                    table.indexes.pop(name, None)

    def _create_index(self, node: Any, ref: object) -> None:
        table = self.tables.get(qualname(node.relation))
        if table is None:
            return
        columns = tuple(p.name or "<expression>" for p in node.indexParams or ()
                        if isinstance(p, ast.IndexElem))
        schema = node.relation.schemaname or DEFAULT_SCHEMA
        table.indexes[f"{schema}.{node.idxname or len(table.indexes)}"] = columns

    def _create_table_as(self, node: Any, ref: object) -> None:
        name = qualname(node.into.rel)
        self.tables.setdefault(name, PgTable(name))
        self.defined_at[name] = ref


def _fk_name(fk: ForeignKey) -> str:
    return f"{fk.table}_{'_'.join(fk.columns)}_fkey"


def _ignore(schema: PgSchema, table: PgTable, cmd: Any) -> None:
    return None


def _add_column(schema: PgSchema, table: PgTable, cmd: Any) -> None:
    schema._add_columns(table, [cmd.def_])


def _drop_column(schema: PgSchema, table: PgTable, cmd: Any) -> None:
    table.columns.pop(cmd.name, None)
    table.indexes = {k: v for k, v in table.indexes.items() if cmd.name not in v}


def _alter_type(schema: PgSchema, table: PgTable, cmd: Any) -> None:
    if cmd.def_ is not None and cmd.def_.typeName is not None:
        table.columns[cmd.name] = type_name(cmd.def_.typeName)


def _add_constraint(schema: PgSchema, table: PgTable, cmd: Any) -> None:
    schema._add_constraint(table, cmd.def_)


def _not_null_column(constraint: Any) -> str | None:
    """The column of a `CHECK (column IS NOT NULL)`, else None."""
    expr = getattr(constraint, "raw_expr", None)
    if constraint.contype != ConstrType.CONSTR_CHECK or not isinstance(expr, ast.NullTest):
        return None
    fields = getattr(expr.arg, "fields", None) if isinstance(expr.arg, ast.ColumnRef) else None
    if int(expr.nulltesttype) != 1 or not fields or len(fields) != 1:  # 1: IS NOT NULL
        return None
    return getattr(fields[0], "sval", None)


def _validate_constraint(schema: PgSchema, table: PgTable, cmd: Any) -> None:
    if cmd.name in table.not_null_checks:
        table.not_null_checks[cmd.name] = (table.not_null_checks[cmd.name][0], True)


def _drop_constraint(schema: PgSchema, table: PgTable, cmd: Any) -> None:
    table.not_null_checks.pop(cmd.name, None)
    table.indexes.pop(cmd.name, None)
    for key, fk in list(table.fks.items()):
        if cmd.name in (key, _fk_name(fk)):
            table.fks.pop(key)


def _rls(enabled: bool):
    def handle(schema: PgSchema, table: PgTable, cmd: Any) -> None:
        table.rls = enabled
    return handle


_ALTER = {
    "AT_AddColumn": _add_column, "AT_DropColumn": _drop_column,
    "AT_AlterColumnType": _alter_type, "AT_AddConstraint": _add_constraint,
    "AT_DropConstraint": _drop_constraint, "AT_ValidateConstraint": _validate_constraint,
    "AT_EnableRowSecurity": _rls(True),
    "AT_DisableRowSecurity": _rls(False),
}
_HANDLERS = {
    ast.CreateStmt: PgSchema._create_table, ast.AlterTableStmt: PgSchema._alter_table,
    ast.RenameStmt: PgSchema._rename, ast.DropStmt: PgSchema._drop,
    ast.IndexStmt: PgSchema._create_index, ast.CreateTableAsStmt: PgSchema._create_table_as,
}
