"""Dialect-neutral facts about a statement, shared by the rules of both dialects.

The SQLite analyzer (tokens) and the Postgres analyzer (pglast's AST) both
describe a statement with these small records, so a convention rule such as
"CHECK enum values are lower-case" is written once.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class EnumList:
    """The string values of a `CHECK (col IN ('a', 'b'))`-style constraint."""

    table: str | None
    column: str | None
    values: tuple[str, ...]
    offset: int  # within the statement's SQL


@dataclass(frozen=True)
class ForeignKey:
    """A foreign key as declared: child columns -> parent table, with its ON DELETE action."""

    table: str  # the child (referencing) table
    columns: tuple[str, ...]
    parent: str
    parent_columns: tuple[str, ...] = ()
    on_delete: str = "no action"  # cascade | set null | set default | restrict | no action


@dataclass(frozen=True)
class IntegerKey:
    """An integer surrogate key: SQLite INTEGER ... AUTOINCREMENT or Postgres SERIAL/identity."""

    table: str
    column: str
    kind: str  # "AUTOINCREMENT", "SERIAL", "BIGSERIAL", "IDENTITY", ...
    offset: int


DESTRUCTIVE_ACTIONS = ("cascade", "set null", "set default")
