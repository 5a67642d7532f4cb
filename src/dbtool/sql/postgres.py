"""Postgres statements parsed by pglast (the server's own parser) and helpers over its AST.

Every Postgres statement dbtool analyses outside the splitter goes through here:
lint inspects real nodes (IndexStmt.concurrent, AlterTableCmd subtypes,
Constraint.skip_validation) and reports read what a migration creates and alters,
instead of guessing from text. A statement the parser rejects carries the
parser's message and offset, and lint reports it as a finding rather than crashing.

pglast costs a few hundred milliseconds to import, so its AST classes are reached
through lazy modules: SQLite/D1 runs -- including `dbtool migrate`'s D1 pre-flight
check -- never import it.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from dbtool.sql.facts import DroppedTable, EnumList, ForeignKey, IntegerKey, Rename, RowWrite


class _LazyModule:
    """Imports `module` on first attribute access, then behaves like it."""

    def __init__(self, module: str, attribute: str | None = None) -> None:
        self._module = module
        self._attribute = attribute

    def __getattr__(self, name: str) -> Any:
        target = importlib.import_module(self._module)
        if self._attribute is not None:
            target = getattr(target, self._attribute)
        value = getattr(target, name)
        setattr(self, name, value)  # cache: the next access is a plain attribute
        return value


ast: Any = _LazyModule("pglast.ast")
ConstrType: Any = _LazyModule("pglast.enums", "ConstrType")

DEFAULT_SCHEMA = "public"
_FK_ACTIONS = {"a": "no action", "r": "restrict", "c": "cascade", "n": "set null", "d": "set default"}
_SERIAL = {"serial": "SERIAL", "serial4": "SERIAL", "bigserial": "BIGSERIAL",
           "serial8": "BIGSERIAL", "smallserial": "SMALLSERIAL", "serial2": "SMALLSERIAL"}


@dataclass
class PgStatement:
    """One statement: its AST (or the parser's complaint), and the facts rules ask of it."""

    sql: str
    node: Any = None  # the statement node (CreateStmt, AlterTableStmt, ...) or None
    error: str | None = None
    error_offset: int = 0

    @cached_property
    def enum_lists(self) -> list[EnumList]:
        """String IN-lists of CHECK constraints and the labels of CREATE TYPE ... AS ENUM."""
        if isinstance(self.node, ast.CreateEnumStmt):
            values = tuple(v.sval for v in self.node.vals or ())
            return [EnumList(dotted(self.node.typeName), None, values, 0)]
        table = table_of(self.node)
        return [found for c in constraints(self.node) if c.contype == ConstrType.CONSTR_CHECK
                for found in check_enums(c.raw_expr, table)]

    @cached_property
    def integer_keys(self) -> list[IntegerKey]:
        """SERIAL / identity primary-key columns declared by CREATE TABLE or ADD COLUMN."""
        table = table_of(self.node) or ""
        primary = table_primary_key(self.node)
        keys = []
        for column in column_defs(self.node):
            kind = integer_key_kind(column)
            is_pk = column.colname in primary or any(
                c.contype == ConstrType.CONSTR_PRIMARY for c in column.constraints or ())
            if kind and is_pk:
                keys.append(IntegerKey(table, column.colname, kind, column.location or 0))
        return keys

    # -- facts (dbtool.sql.facts.StatementFacts) --------------------------------------

    @property
    def created_tables(self) -> list[str]:
        node = self.node
        if isinstance(node, ast.CreateStmt):
            return [qualname(node.relation)]
        if isinstance(node, ast.CreateTableAsStmt):
            return [qualname(node.into.rel)]
        return []

    @property
    def dropped_tables(self) -> list[DroppedTable]:
        node = self.node
        if not isinstance(node, ast.DropStmt) or node.removeType.name != "OBJECT_TABLE":
            return []
        return [DroppedTable(dotted(parts), 0, bool(node.missing_ok)) for parts in node.objects or ()]

    def _rename(self, kind: str) -> Any:
        """The RenameStmt of a table (or of one of its columns), else None."""
        node = self.node
        ok = isinstance(node, ast.RenameStmt) and node.relation is not None
        return node if ok and node.renameType.name == kind else None

    @property
    def renamed_tables(self) -> list[Rename]:
        if (node := self._rename("OBJECT_TABLE")) is None:
            return []
        table = qualname(node.relation)
        return [Rename(table, table, f"{table.split('.', 1)[0]}.{node.newname}")]

    @property
    def renamed_columns(self) -> list[Rename]:
        if (node := self._rename("OBJECT_COLUMN")) is None:
            return []
        return [Rename(qualname(node.relation), node.subname, node.newname)]

    @property
    def added_columns(self) -> list[tuple[str, str]]:
        if not isinstance(self.node, ast.AlterTableStmt):
            return []
        table = qualname(self.node.relation)
        return [(table, column.colname) for column in column_defs(self.node)]

    @property
    def dropped_columns(self) -> list[tuple[str, str]]:
        node = self.node
        if not isinstance(node, ast.AlterTableStmt):
            return []
        table = qualname(node.relation)
        return [(table, c.name) for c in node.cmds or () if c.subtype.name == "AT_DropColumn"]

    @property
    def insert(self) -> RowWrite | None:
        node = self.node
        if not isinstance(node, ast.InsertStmt):
            return None
        sources = () if node.selectStmt is None else tuple(
            qualname(n) for n in walk(node.selectStmt) if isinstance(n, ast.RangeVar))
        return RowWrite(qualname(node.relation), sources)

    @property
    def unfiltered_delete(self) -> RowWrite | None:
        return self._unfiltered(ast.DeleteStmt)

    @property
    def unfiltered_update(self) -> RowWrite | None:
        return self._unfiltered(ast.UpdateStmt)

    def _unfiltered(self, kind: Any) -> RowWrite | None:
        node = self.node
        if not isinstance(node, kind) or node.whereClause is not None:
            return None
        targets = getattr(node, "targetList", None) or ()
        columns = tuple(t.name for t in targets if isinstance(t, ast.ResTarget))
        return RowWrite(qualname(node.relation), columns=columns)

    @property
    def controls_transaction(self) -> bool:
        return isinstance(self.node, ast.TransactionStmt)

    @property
    def foreign_keys_setting(self) -> bool | None:
        return None

    @property
    def lock_timeout_setting(self) -> bool | None:
        node = self.node
        if isinstance(node, ast.VariableSetStmt) and node.name == "lock_timeout":
            return _setting_value(node) not in ("0", "")
        return None


def parse(sql: str) -> PgStatement:
    """Parse one statement; a parse error becomes a PgStatement with `error` set."""
    from pglast import parse_sql
    from pglast.parser import ParseError

    try:
        raw = parse_sql(sql)
    except ParseError as exc:
        message = exc.args[0] if exc.args else str(exc)
        offset = exc.args[1] if len(exc.args) > 1 and isinstance(exc.args[1], int) else 0
        return PgStatement(sql, error=str(message), error_offset=offset)
    node = raw[0].stmt if raw else None
    return PgStatement(sql, node=node)


def _setting_value(node: Any) -> str:
    """The value of `SET name = ...` as text ('' for DEFAULT/RESET)."""
    if node.kind.name != "VAR_SET_VALUE" or not node.args:
        return ""
    value = node.args[0].val
    return str(getattr(value, "sval", None) or getattr(value, "ival", ""))


def qualname(relation: Any) -> str:
    """schema.name of a RangeVar; unqualified names resolve to public (the default search_path)."""
    return f"{relation.schemaname or DEFAULT_SCHEMA}.{relation.relname}"


def dotted(names: Any) -> str:
    """schema.name of a name list (String nodes); an unqualified name is in public."""
    parts = [n.sval for n in names or () if isinstance(n, ast.String)]
    return ".".join(parts if len(parts) > 1 else [DEFAULT_SCHEMA, *parts])


def table_of(node: Any) -> str | None:
    """The table a CREATE TABLE / ALTER TABLE / CREATE INDEX / policy statement acts on."""
    relation = getattr(node, "relation", None) or getattr(node, "table", None)
    return qualname(relation) if isinstance(relation, ast.RangeVar) else None


def walk(node: Any) -> Iterator[Any]:
    """Every AST node under `node` (itself included), depth first."""
    if isinstance(node, tuple | list):
        for item in node:
            yield from walk(item)
        return
    if not isinstance(node, ast.Node):
        return
    yield node
    for name in type(node).__slots__:
        yield from walk(getattr(node, name, None))


def column_defs(node: Any) -> list[Any]:
    """ColumnDefs of a CREATE TABLE body or of ALTER TABLE ... ADD COLUMN commands."""
    if isinstance(node, ast.CreateStmt):
        return [e for e in node.tableElts or () if isinstance(e, ast.ColumnDef)]
    if isinstance(node, ast.AlterTableStmt):
        return [c.def_ for c in node.cmds or () if isinstance(c.def_, ast.ColumnDef)
                and c.subtype.name == "AT_AddColumn"]
    return []


def constraints(node: Any) -> list[Any]:
    """Every Constraint a CREATE/ALTER TABLE declares (column and table level)."""
    found = [c for column in column_defs(node) for c in column.constraints or ()]
    if isinstance(node, ast.CreateStmt):
        found += [e for e in node.tableElts or () if isinstance(e, ast.Constraint)]
    if isinstance(node, ast.AlterTableStmt):
        found += [c.def_ for c in node.cmds or () if isinstance(c.def_, ast.Constraint)]
    return found


def table_primary_key(node: Any) -> set[str]:
    """Columns of a table-level PRIMARY KEY (...) constraint."""
    return {k.sval for c in constraints(node) if c.contype == ConstrType.CONSTR_PRIMARY
            for k in c.keys or ()}


def foreign_keys(node: Any) -> list[ForeignKey]:
    """Foreign keys declared by a CREATE TABLE or ALTER TABLE statement."""
    table = table_of(node)
    if table is None:
        return []
    found = []
    for column in column_defs(node):
        for c in column.constraints or ():
            if c.contype == ConstrType.CONSTR_FOREIGN:
                found.append(_foreign_key(table, c, (column.colname,)))
    tail = (node.tableElts if isinstance(node, ast.CreateStmt)
            else [c.def_ for c in getattr(node, "cmds", None) or ()])
    for c in tail or ():
        if isinstance(c, ast.Constraint) and c.contype == ConstrType.CONSTR_FOREIGN:
            found.append(_foreign_key(table, c, tuple(a.sval for a in c.fk_attrs or ())))
    return found


def _foreign_key(table: str, constraint: Any, columns: tuple[str, ...]) -> ForeignKey:
    parent_columns = tuple(a.sval for a in constraint.pk_attrs or ())
    action = _FK_ACTIONS.get(constraint.fk_del_action or "a", "no action")
    return ForeignKey(table, columns, qualname(constraint.pktable), parent_columns, action)


def check_enums(expr: Any, table: str | None) -> list[EnumList]:
    """`col IN ('a', ...)` and `col = ANY (ARRAY['a', ...])` lists of string literals."""
    found = []
    for node in walk(expr):
        if not isinstance(node, ast.A_Expr):
            continue
        values = _string_list(node.rexpr)
        if values is None or node.kind.name not in ("AEXPR_IN", "AEXPR_OP_ANY"):
            continue
        column = _column_name(node.lexpr)
        found.append(EnumList(table, column, values, node.location or 0))
    return found


def _string_list(node: Any) -> tuple[str, ...] | None:
    if isinstance(node, ast.A_ArrayExpr):
        node = node.elements
    if isinstance(node, ast.TypeCast):
        return _string_list(node.arg)
    if not isinstance(node, tuple | list) or not node:
        return None
    values = []
    for item in node:
        while isinstance(item, ast.TypeCast):
            item = item.arg
        if not (isinstance(item, ast.A_Const) and isinstance(item.val, ast.String)):
            return None
        values.append(item.val.sval)
    return tuple(values)


def _column_name(node: Any) -> str | None:
    while isinstance(node, ast.TypeCast):
        node = node.arg
    if isinstance(node, ast.ColumnRef):
        names = [f.sval for f in node.fields or () if isinstance(f, ast.String)]
        return names[-1] if names else None
    return None


def type_name(type_node: Any) -> tuple[str, tuple[int, ...]]:
    """('varchar', (50,)) for a TypeName; array types get a '[]' suffix."""
    names = [n.sval for n in type_node.names or () if isinstance(n, ast.String)]
    base = names[-1].lower() if names else "?"
    mods = tuple(m.val.ival for m in type_node.typmods or ()
                 if isinstance(m, ast.A_Const) and isinstance(m.val, ast.Integer))
    if type_node.arrayBounds:
        base += "[]"
    return base, mods


def integer_key_kind(column: Any) -> str | None:
    """SERIAL/BIGSERIAL/IDENTITY when a column is an auto-generated integer."""
    if column.typeName is not None:
        name = type_name(column.typeName)[0]
        if name in _SERIAL:
            return _SERIAL[name]
    if any(c.contype == ConstrType.CONSTR_IDENTITY for c in column.constraints or ()):
        return "IDENTITY"
    return None


def function_calls(node: Any) -> list[str]:
    """Lower-case names of every function called inside `node`."""
    return [n.funcname[-1].sval.lower() for n in walk(node)
            if isinstance(n, ast.FuncCall) and n.funcname]


def column_default(column: Any) -> Any:
    """The DEFAULT expression of a ColumnDef, or None."""
    for c in column.constraints or ():
        if c.contype == ConstrType.CONSTR_DEFAULT:
            return c.raw_expr
    return column.raw_default


def is_stored_generated(column: Any) -> bool:
    return any(c.contype == ConstrType.CONSTR_GENERATED for c in column.constraints or ())


def defelem(options: Any, name: str) -> Any:
    """The DefElem called `name` in an options list, or None."""
    return next((o for o in options or () if isinstance(o, ast.DefElem) and o.defname == name), None)
