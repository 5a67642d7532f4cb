"""One migration statement -> the schema events it causes (pure).

The "Migrations (in order)" table of a schema document says what each file
creates and alters. Typing that by hand is how such documents go stale, so it
is derived from the statements themselves: the splitter cuts a file, the
dialect's analysis reads each statement (SQLite: `dbtool.sql.sqlite` over the
one lexer; Postgres: pglast, the server's own parser), and this module turns
what the analysis found into events. Statements that change no object, or
that the parser rejects, produce no event.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from dbtool.sql.dialects import Syntax, dialect_of
from dbtool.sql.postgres import PgStatement, ast
from dbtool.sql.sqlite import SqliteStatement


@dataclass(frozen=True)
class Event:
    """What one statement does. `kind` is create | drop | rename | alter | data |
    function | view | type | extension | publication. For `alter`, `detail` is the
    change (add, drop, rename, change: a column; index, trigger, policy, RLS,
    constraint, comment, grant, options: table-level); `names` carries the
    column(s), the new table name of a rename, or a publication's tables."""

    kind: str
    target: str
    detail: str = ""
    names: tuple[str, ...] = ()


def statement_events(sql: str, dialect: str) -> list[Event]:
    """The events of one statement (empty for statements that change no object)."""
    return events_reader(dialect)(sql)


@cache
def events_reader(dialect: str) -> Callable[[str], list[Event]]:
    """sql -> events for `dialect` (its analysis, then this module's reading of it)."""
    target = dialect_of(dialect)
    analyze = target.analyzer()
    read = _READERS[target.syntax]
    return lambda sql: read(analyze(sql))


# -- SQLite: from the statement recogniser's facts -----------------------------------------

_SQLITE_ON_TABLE = {"create_index": "index", "create_trigger": "trigger"}
_SQLITE_DATA = frozenset({"insert", "update", "delete"})


def _sqlite_events(s: SqliteStatement) -> list[Event]:
    if s.kind in ("create_table", "create_virtual_table"):
        return [Event("create", s.spelled_name)]
    if s.kind in _SQLITE_ON_TABLE:
        return [Event("alter", s.spelled_on, _SQLITE_ON_TABLE[s.kind])] if s.spelled_on else []
    if s.kind == "create_view":
        return [Event("view", s.spelled_name)]
    if s.kind == "alter_table":
        return [_sqlite_alter(s)]
    if s.kind == "drop" and s.object_type == "TABLE":
        return [Event("drop", s.spelled_name)] if s.spelled_name else []
    if s.kind in _SQLITE_DATA:
        return [Event("data", s.spelled_name)] if s.spelled_name else []
    return []


def _sqlite_alter(s: SqliteStatement) -> Event:
    table = s.spelled_name
    if s.alter == "rename_table":
        return Event("rename", table, names=(s.spelled_new,))
    if s.alter == "rename_column":
        return Event("alter", table, "rename", (s.spelled_old, s.spelled_new))
    if s.alter == "add_column":
        return Event("alter", table, "add", (s.spelled_new,))
    if s.alter == "drop_column":
        return Event("alter", table, "drop", (s.spelled_old,))
    return Event("alter", table, "options")


# -- Postgres: from pglast's AST ----------------------------------------------------------

_DEFAULT_SCHEMA = "public"
# ALTER TABLE ... ALTER [COLUMN] c ... commands (pglast's AlterTableType names).
_COLUMN_CHANGES = frozenset(["AT_ColumnDefault", "AT_CookedColumnDefault", "AT_DropNotNull", "AT_SetNotNull", "AT_SetExpression", "AT_DropExpression", "AT_CheckNotNull", "AT_SetStatistics", "AT_SetOptions", "AT_ResetOptions", "AT_SetStorage", "AT_SetCompression", "AT_AlterColumnType", "AT_AlterColumnGenericOptions", "AT_AddIdentity", "AT_SetIdentity", "AT_DropIdentity"])
_CONSTRAINT_KINDS = {"CONSTR_FOREIGN": "foreign key", "CONSTR_PRIMARY": "primary key",
                     "CONSTR_UNIQUE": "unique", "CONSTR_CHECK": "check"}
_PUBLICATION_ACTIONS = {"AP_AddObjects": "add", "AP_DropObjects": "drop", "AP_SetObjects": "set"}


def _shown(parts: Sequence[str]) -> str:
    """A qualified name as a schema document shows it: the default schema left out."""
    if len(parts) > 1 and parts[0].lower() == _DEFAULT_SCHEMA:
        parts = parts[1:]
    return ".".join(parts)


def _relation(rv: Any) -> str:
    return _shown([p for p in (rv.catalogname, rv.schemaname, rv.relname) if p])


def _names(names: Any) -> str:
    return _shown([n.sval for n in names or () if isinstance(n, ast.String)])


def _postgres_events(s: PgStatement) -> list[Event]:
    node = s.node
    handler = _pg_handlers().get(type(node)) if node is not None else None
    return handler(node) if handler is not None else []


def _create_table_as(node: Any) -> list[Event]:
    name = _relation(node.into.rel)
    if node.objtype.name == "OBJECT_MATVIEW":
        return [Event("view", name)]
    return [Event("create", name)] if node.objtype.name == "OBJECT_TABLE" else []


def _define(node: Any) -> list[Event]:
    return [Event("type", _names(node.defnames))] if node.kind.name == "OBJECT_TYPE" else []


def _publication(node: Any, operation: str) -> list[Event]:
    tables = tuple(_relation(o.pubtable.relation) for o in node.pubobjects or ()
                   if o.pubtable is not None)
    return [Event("publication", node.pubname, operation, tables)]


def _alter_publication(node: Any) -> list[Event]:
    if node.options and not node.pubobjects:
        return _publication(node, "set")  # SET (publish = ...)
    return _publication(node, _PUBLICATION_ACTIONS.get(node.action.name, "set"))


def _alter_table(node: Any) -> list[Event]:
    if node.objtype.name != "OBJECT_TABLE":
        return []
    table = _relation(node.relation)
    return [_table_command(table, cmd) for cmd in node.cmds or ()]


def _table_command(table: str, cmd: Any) -> Event:
    """One ALTER TABLE action (Postgres allows several, comma-separated)."""
    subtype = cmd.subtype.name
    if subtype == "AT_AddColumn":
        return Event("alter", table, "add", (cmd.def_.colname,))
    if subtype == "AT_DropColumn":
        return Event("alter", table, "drop", (cmd.name,))
    if subtype in _COLUMN_CHANGES:
        return Event("alter", table, "change", (cmd.name,))
    if subtype == "AT_AddConstraint":
        kind = _CONSTRAINT_KINDS.get(cmd.def_.contype.name, "constraint")
        return Event("alter", table, kind)
    if subtype in ("AT_DropConstraint", "AT_AlterConstraint", "AT_ValidateConstraint"):
        return Event("alter", table, "constraint")
    if subtype.endswith("RowSecurity"):
        return Event("alter", table, "RLS")
    if "Trig" in subtype:
        return Event("alter", table, "trigger")
    if subtype in ("AT_ReplicaIdentity", "AT_EnableReplicaRule"):
        return Event("alter", table, "replica identity")
    return Event("alter", table, "options")


def _rename(node: Any) -> list[Event]:
    relation_type = node.relationType.name
    kind = node.renameType.name
    if node.relation is None:
        return []
    table = _relation(node.relation)
    if kind == "OBJECT_TABLE":
        return [Event("rename", table, names=(node.newname,))]
    if kind == "OBJECT_COLUMN" and relation_type == "OBJECT_TABLE":
        return [Event("alter", table, "rename", (node.subname, node.newname))]
    if kind == "OBJECT_TABCONSTRAINT":
        return [Event("alter", table, "constraint")]
    return []


def _set_schema(node: Any) -> list[Event]:
    if node.objectType.name != "OBJECT_TABLE" or node.relation is None:
        return []
    return [Event("alter", _relation(node.relation), "options")]


def _drop(node: Any) -> list[Event]:
    kind = node.removeType.name
    if kind == "OBJECT_TABLE":
        return [Event("drop", _names(parts)) for parts in node.objects or ()]
    if kind in ("OBJECT_TRIGGER", "OBJECT_POLICY"):  # objects: (schema?, table, name)
        detail = "trigger" if kind == "OBJECT_TRIGGER" else "policy"
        return [Event("alter", _names(parts[:-1]), detail) for parts in node.objects or ()
                if len(parts) > 1]
    return []


def _comment(node: Any) -> list[Event]:
    kind = node.objtype.name
    if kind == "OBJECT_TABLE":
        return [Event("alter", _names(node.object), "comment")]
    if kind == "OBJECT_COLUMN" and len(node.object or ()) > 1:
        return [Event("alter", _names(node.object[:-1]), "comment")]
    return []


def _grant(node: Any) -> list[Event]:
    """GRANT / REVOKE … ON [TABLE] a, b: a privilege change on tables."""
    if node.targtype.name != "ACL_TARGET_OBJECT" or node.objtype.name != "OBJECT_TABLE":
        return []
    return [Event("alter", _relation(rv), "grant") for rv in node.objects or ()]


def _data(node: Any) -> list[Event]:
    return [Event("data", _relation(node.relation))]


@cache
def _pg_handlers() -> dict[type, Callable[[Any], list[Event]]]:
    """Node class -> reader; built on first use so that importing this module stays light."""
    return {
        ast.CreateStmt: lambda n: [Event("create", _relation(n.relation))],
        ast.CreateTableAsStmt: _create_table_as,
        ast.ViewStmt: lambda n: [Event("view", _relation(n.view))],
        ast.IndexStmt: lambda n: [Event("alter", _relation(n.relation), "index")],
        ast.CreateTrigStmt: lambda n: [Event("alter", _relation(n.relation), "trigger")],
        ast.CreatePolicyStmt: lambda n: [Event("alter", _relation(n.table), "policy")],
        ast.AlterPolicyStmt: lambda n: [Event("alter", _relation(n.table), "policy")],
        ast.CreateFunctionStmt: lambda n: [Event("function", _names(n.funcname))],
        ast.CreateEnumStmt: lambda n: [Event("type", _names(n.typeName))],
        ast.CreateRangeStmt: lambda n: [Event("type", _names(n.typeName))],
        ast.CompositeTypeStmt: lambda n: [Event("type", _relation(n.typevar))],
        ast.DefineStmt: _define,
        ast.CreateExtensionStmt: lambda n: [Event("extension", n.extname)],
        ast.CreatePublicationStmt: lambda n: _publication(n, "create"),
        ast.AlterPublicationStmt: _alter_publication,
        ast.AlterTableStmt: _alter_table,
        ast.RenameStmt: _rename,
        ast.AlterObjectSchemaStmt: _set_schema,
        ast.DropStmt: _drop,
        ast.CommentStmt: _comment,
        ast.GrantStmt: _grant,
        ast.InsertStmt: _data,
        ast.UpdateStmt: _data,
        ast.DeleteStmt: _data,
    }


_READERS: dict[Syntax, Callable[[Any], list[Event]]] = {
    Syntax.SQLITE: _sqlite_events,
    Syntax.POSTGRES: _postgres_events,
}

__all__ = ["Event", "events_reader", "statement_events"]
