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
from dbtool.sql.dialects import Dialect
from dbtool.sql.facts import StatementFacts


@dataclass
class LintFile:
    """One migration file as lint sees it; `error` is set when it cannot be read or split."""

    path: Path
    name: str
    text: str = ""
    statements: tuple = ()  # tuple[Statement, ...]
    analyses: list[Any] = field(default_factory=list)  # StatementFacts (None: not analysed)
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

    def proves_absent(self, table: str) -> bool:
        return False

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

    dialect: Dialect
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
        """The statement's facts (`StatementFacts`, what most rules read): a SqliteStatement
        for SQLite-syntax dialects, a PgStatement (with pglast's AST) for Postgres."""
        return self.file.analyses[self.index]

    # The same object, named for the rules that apply to one syntax only: `sqlite` is a
    # SqliteStatement (D1xx), `pg` a PgStatement (PG1xx). Not annotated: no dataclass fields.
    sqlite = pg = analysis

    @property
    def ref(self) -> StatementRef:
        return StatementRef(self.file_index, self.index)

    def existing(self, table: str | None) -> bool:
        """Whether `table` exists before this file, i.e. this file did not create it."""
        return table is not None and table not in self.state.created


@dataclass
class FileContext:
    """A whole file, after its statements were checked (file-scope rules)."""

    dialect: Dialect
    file: LintFile
    file_index: int
    state: FileState
    options: Any


@dataclass
class ServiceContext:
    """Every file of the service, with the schema after the last one (service-scope rules)."""

    dialect: Dialect
    files: list[LintFile]
    schema: Any
    options: Any


def observe(state: FileState, facts: StatementFacts | None) -> None:
    """Record what a statement did, after the rules have looked at it."""
    if facts is None:  # not analysed (migrate's screened check)
        return
    for table in facts.created_tables:
        state.created.add(table)
        state.dropped.discard(table)
    for dropped in facts.dropped_tables:
        state.dropped.add(dropped.table)
        state.created.discard(dropped.table)
    if (insert := facts.insert) is not None:
        state.copied.update(insert.sources)
        if insert.table:
            state.written.add(insert.table)
    for table, column in facts.added_columns:
        state.added_columns.setdefault(table, set()).add(column)
    for rename in facts.renamed_tables:
        if rename.old in state.created:
            state.created.discard(rename.old)
            state.created.add(rename.new)
    if (foreign_keys := facts.foreign_keys_setting) is not None:
        state.foreign_keys_off = not foreign_keys
    if (lock_timeout := facts.lock_timeout_setting) is not None:
        state.lock_timeout = lock_timeout


def creates_anywhere(analyses: list[StatementFacts | None]) -> set[str]:
    """Every table name a file creates, wherever in the file (for look-ahead questions)."""
    return {table for facts in analyses if facts is not None for table in facts.created_tables}
