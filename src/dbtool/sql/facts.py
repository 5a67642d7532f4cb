"""Dialect-neutral facts about one statement, reported alike by the SQLite and Postgres analyses.

The SQLite analysis (`dbtool.sql.sqlite`, tokens) and the Postgres analysis
(`dbtool.sql.postgres`, pglast's AST) both describe a statement with these small
records and the `StatementFacts` properties, so a rule such as "DROP TABLE of a table
that existed before this file" is written once and never asks which dialect it is in
(Atlas's analyzers work the same way: on what a change does, not on the driver's name).
Names are as the dialect compares them: lower-cased on SQLite, schema-qualified on
Postgres. (The records are NamedTuples: cheap to define, and migrate's D1 check imports
them on every run.)
"""

from __future__ import annotations

from typing import NamedTuple, Protocol


class EnumList(NamedTuple):
    """The string values of a `CHECK (col IN ('a', 'b'))`-style constraint."""

    table: str | None
    column: str | None
    values: tuple[str, ...]
    offset: int  # within the statement's SQL


class ForeignKey(NamedTuple):
    """A foreign key as declared: child columns -> parent table, with its ON DELETE action."""

    table: str  # the child (referencing) table
    columns: tuple[str, ...]
    parent: str
    parent_columns: tuple[str, ...] = ()
    on_delete: str = "no action"  # cascade | set null | set default | restrict | no action


class IntegerKey(NamedTuple):
    """An integer surrogate key: SQLite INTEGER ... AUTOINCREMENT or Postgres SERIAL/identity."""

    table: str
    column: str
    kind: str  # "AUTOINCREMENT", "SERIAL", "BIGSERIAL", "IDENTITY", ...
    offset: int


class DroppedTable(NamedTuple):
    """A table a DROP TABLE removes; `if_exists`: the statement says IF EXISTS."""

    table: str
    offset: int = 0
    if_exists: bool = False


class Rename(NamedTuple):
    """A table rename (`table` is the old name) or a column rename of `table`."""

    table: str
    old: str
    new: str
    offset: int = 0


class RowWrite(NamedTuple):
    """An INSERT (with the tables its SELECT reads), or an UPDATE/DELETE with the columns it sets."""

    table: str
    sources: tuple[str, ...] = ()
    columns: tuple[str, ...] = ()


DESTRUCTIVE_ACTIONS = ("cascade", "set null", "set default")


class StatementFacts(Protocol):
    """What every dialect's analysis of one statement answers (see the module docstring).
    Each is a property of the analysis, computed from its tokens or AST on demand."""

    sql: str
    error: str | None  # the dialect's parser rejected the statement (Postgres; SQLite: replay)
    error_offset: int
    enum_lists: list[EnumList]  # CHECK ... IN lists and enum labels
    integer_keys: list[IntegerKey]
    created_tables: list[str]
    dropped_tables: list[DroppedTable]
    renamed_tables: list[Rename]
    renamed_columns: list[Rename]
    added_columns: list[tuple[str, str]]  # (table, column)
    dropped_columns: list[tuple[str, str]]
    insert: RowWrite | None
    unfiltered_delete: RowWrite | None  # DELETE without WHERE
    unfiltered_update: RowWrite | None  # UPDATE without WHERE
    controls_transaction: bool  # BEGIN, COMMIT, SAVEPOINT, ...
    foreign_keys_setting: bool | None  # PRAGMA foreign_keys: on (True) / off (False)
    lock_timeout_setting: bool | None  # SET lock_timeout: set (True) / reset (False)
