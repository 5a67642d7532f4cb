"""What a rule sees: the file, the statement, what the file did so far, the schema before it.

"A table exists before this file" when the file did not create it: `FileState`
records what the current file created, dropped, copied and added up to the
statement being checked, and `StatementContext.existing` answers from it.
The schema before the statement (replayed or modelled) answers the rest.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dbtool.errors import MigrationFileError
from dbtool.lint.framework import StatementRef
from dbtool.lint.pg_syntax import PgStatement, qualname, walk
from dbtool.lint.pgast import ast
from dbtool.lint.sqlite_syntax import SqliteStatement


@dataclass
class LintFile:
    """One migration file as lint sees it; `error` is set when it cannot be read or split."""

    path: Path
    name: str
    text: str = ""
    statements: tuple = ()  # tuple[Statement, ...]
    analyses: list[Any] = field(default_factory=list)  # SqliteStatement | PgStatement
    directives: frozenset[str] = frozenset()
    error: MigrationFileError | None = None
    selected: bool = True  # reported on (False: replayed for context only)

    @property
    def transactional(self) -> bool:
        return "no-transaction" not in self.directives


@dataclass
class FileState:
    """What the current file has done before the statement being checked."""

    created: set[str] = field(default_factory=set)
    dropped: set[str] = field(default_factory=set)
    copied: set[str] = field(default_factory=set)  # tables read by INSERT ... SELECT
    written: set[str] = field(default_factory=set)  # tables this file inserted rows into
    added_columns: dict[str, set[str]] = field(default_factory=dict)
    lock_timeout: bool = False
    foreign_keys_off: bool = False
    creates_anywhere: set[str] = field(default_factory=set)  # every table the file creates
    flags: set[str] = field(default_factory=set)  # once-per-file markers for rules

    def column_added(self, table: str, column: str) -> bool:
        return column in self.added_columns.get(table, set())


class NullSchema:
    """The schema when nothing is known (migrate's pre-flight check): every answer is unknown."""

    defined_at: dict[str, object] = {}

    def __enter__(self) -> NullSchema:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def apply(self, analysis: Any, ref: object) -> str | None:
        return None

    def has_table(self, name: str) -> bool:
        return False

    def columns(self, table: str) -> list[str] | None:
        return None

    def column_type(self, table: str, column: str) -> Any:
        return None

    def foreign_keys(self) -> list:
        return []

    def referencing(self, table: str) -> list:
        return []

    def indexes(self, table: str) -> list:
        return []

    def has_valid_not_null_check(self, table: str, column: str) -> bool:
        return False


@dataclass
class StatementContext:
    """The statement being checked and everything around it."""

    dialect: str
    file: LintFile
    file_index: int
    index: int
    state: FileState
    schema: Any  # SqliteReplay | PgSchema | NullSchema: the schema before this statement
    options: Any  # LintConfig

    @property
    def statement(self) -> Any:
        return self.file.statements[self.index]

    @property
    def analysis(self) -> Any:
        return self.file.analyses[self.index]

    @property
    def sqlite(self) -> SqliteStatement:
        return self.file.analyses[self.index]

    @property
    def pg(self) -> PgStatement:
        return self.file.analyses[self.index]

    @property
    def ref(self) -> StatementRef:
        return StatementRef(self.file_index, self.index)

    def existing(self, table: str | None) -> bool:
        """Whether `table` exists before this file, i.e. this file did not create it."""
        return table is not None and table not in self.state.created


@dataclass
class FileContext:
    """A whole file, after its statements were checked (file-scope rules)."""

    dialect: str
    file: LintFile
    file_index: int
    state: FileState
    options: Any


@dataclass
class ServiceContext:
    """Every file of the service, with the schema after the last one (service-scope rules)."""

    dialect: str
    files: list[LintFile]
    schema: Any
    options: Any


def observe(state: FileState, analysis: Any) -> None:
    """Record what a statement did, after the rules have looked at it."""
    if isinstance(analysis, SqliteStatement):
        _observe_sqlite(state, analysis)
    elif isinstance(analysis, PgStatement) and analysis.node is not None:
        _observe_pg(state, analysis.node)


def _created(state: FileState, name: str) -> None:
    state.created.add(name)
    state.dropped.discard(name)


def _renamed(state: FileState, old: str, new: str) -> None:
    if old in state.created:
        state.created.discard(old)
        state.created.add(new)


def _observe_sqlite(state: FileState, facts: SqliteStatement) -> None:
    if facts.kind in ("create_table", "create_virtual_table") and facts.name:
        _created(state, facts.name)
    elif facts.kind == "drop" and facts.object_type == "TABLE" and facts.name:
        state.dropped.add(facts.name)
        state.created.discard(facts.name)
    elif facts.kind == "insert":
        state.copied.update(facts.sources)
        if facts.name:
            state.written.add(facts.name)
    elif facts.alter == "add_column" and facts.name and facts.new_name:
        state.added_columns.setdefault(facts.name, set()).add(facts.new_name)
    elif facts.alter == "rename_table" and facts.name and facts.new_name:
        _renamed(state, facts.name, facts.new_name)
    elif facts.kind == "pragma" and facts.pragma_name == "foreign_keys":
        state.foreign_keys_off = facts.pragma_value in ("off", "0", "false", "no")


def _observe_pg(state: FileState, node: Any) -> None:
    if isinstance(node, ast.CreateStmt):
        _created(state, qualname(node.relation))
    elif isinstance(node, ast.CreateTableAsStmt):
        _created(state, qualname(node.into.rel))
    elif isinstance(node, ast.AlterTableStmt):
        table = qualname(node.relation)
        for cmd in node.cmds or ():
            if cmd.subtype.name == "AT_AddColumn" and isinstance(cmd.def_, ast.ColumnDef):
                state.added_columns.setdefault(table, set()).add(cmd.def_.colname)
    elif isinstance(node, ast.RenameStmt) and node.renameType.name == "OBJECT_TABLE":
        old = qualname(node.relation)
        _renamed(state, old, f"{old.split('.', 1)[0]}.{node.newname}")
    elif isinstance(node, ast.DropStmt) and node.removeType.name == "OBJECT_TABLE":
        for names in node.objects or ():
            parts = [n.sval for n in names if isinstance(n, ast.String)]
            state.dropped.add(".".join(parts if len(parts) > 1 else ["public", *parts]))
    elif isinstance(node, ast.VariableSetStmt) and node.name == "lock_timeout":
        state.lock_timeout = _timeout_value(node) not in ("0", "")
    elif isinstance(node, ast.InsertStmt):
        state.written.add(qualname(node.relation))
        if node.selectStmt is not None:
            state.copied.update(qualname(n) for n in walk(node.selectStmt) if isinstance(n, ast.RangeVar))


def _timeout_value(node: Any) -> str:
    """The value of `SET lock_timeout = ...` as text ('' for DEFAULT/RESET)."""
    if node.kind.name != "VAR_SET_VALUE" or not node.args:
        return ""
    value = node.args[0].val
    return str(getattr(value, "sval", None) or getattr(value, "ival", ""))


def creates_anywhere(analyses: list[Any]) -> set[str]:
    """Every table name a file creates, wherever in the file (for look-ahead questions)."""
    names: set[str] = set()
    for analysis in analyses:
        if isinstance(analysis, SqliteStatement) and analysis.kind == "create_table" and analysis.name:
            names.add(analysis.name)
        elif isinstance(analysis, PgStatement) and isinstance(analysis.node, ast.CreateStmt):
            names.add(qualname(analysis.node.relation))
    return names
