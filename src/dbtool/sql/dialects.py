"""Each SQL dialect's differences, as data: what lint rules and report renderers ask.

A rule never asks "is this D1?"; it asks what it depends on -- whether DROP TABLE
deletes the rows first, whether foreign keys are always enforced, whether DDL takes
table locks -- and a report shows a row-level-security section because the dialect's
tables have such a state, not because of the dialect's name. Adding a dialect is
adding one `Dialect` here (and, for a new syntax, its analysis in `dbtool.sql`).
The engines' `Capabilities` (dbtool.engines.base) say how dbtool *runs* a dialect;
this says what its SQL *means*.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:  # pragma: no cover
    from dbtool.sql.facts import StatementFacts


class Syntax(StrEnum):
    """How statements are split and read: SQLite's tokens, or pglast's Postgres AST."""

    SQLITE = "sqlite"
    POSTGRES = "postgres"


class Dialect(NamedTuple):
    """One dialect, as data (a NamedTuple: immutable, and cheap to define at import — migrate's
    D1 check pays every import)."""

    name: str  # as dbtool.toml spells it: sqlite | d1 | postgres
    label: str  # as reports name it
    syntax: Syntax  # the splitter's lexis and the statement analysis
    # What statements do.
    enforces_foreign_keys: bool  # always, whatever PRAGMA foreign_keys says (D1)
    drop_deletes_rows: bool  # DROP TABLE deletes every row first, firing ON DELETE actions
    rejects_transaction_control: bool  # BEGIN/COMMIT/SAVEPOINT are refused outright (D1)
    d1_rules: bool  # Cloudflare D1's statement rules and limits apply (D1xx)
    table_locks: bool  # DDL takes table locks other sessions queue behind (PG1xx)
    alters_column_types: bool  # ALTER COLUMN ... TYPE exists (and can lose data)
    truncate: bool  # TRUNCATE exists
    # What a schema holds.
    row_level_security: bool  # tables have a row-level security state, policies and grants
    stored_functions: bool  # functions and procedures live in the schema
    publications: bool  # logical-replication publications

    def analyzer(self) -> Callable[[str], StatementFacts]:
        """The function that reads one statement of this dialect (imported on first use)."""
        if self.syntax is Syntax.POSTGRES:
            from dbtool.sql.postgres import parse

            return parse
        from dbtool.sql.sqlite import analyze

        return analyze


SQLITE = Dialect(
    "sqlite", "SQLite", Syntax.SQLITE, enforces_foreign_keys=False, drop_deletes_rows=True,
    rejects_transaction_control=False, d1_rules=False, table_locks=False,
    alters_column_types=False, truncate=False, row_level_security=False, stored_functions=False,
    publications=False)
# D1 is SQLite that always enforces foreign keys, refuses transaction control and has rules
# and limits of its own.
D1 = SQLITE._replace(name="d1", label="Cloudflare D1 (SQLite)", enforces_foreign_keys=True,
                     rejects_transaction_control=True, d1_rules=True)
POSTGRES = Dialect(
    "postgres", "PostgreSQL", Syntax.POSTGRES, enforces_foreign_keys=True, drop_deletes_rows=False,
    rejects_transaction_control=False, d1_rules=False, table_locks=True, alters_column_types=True,
    truncate=True, row_level_security=True, stored_functions=True, publications=True)
DIALECTS: dict[str, Dialect] = {d.name: d for d in (SQLITE, D1, POSTGRES)}


def dialect_of(name: str | Dialect) -> Dialect:
    """The dialect called `name` (a Dialect passes through)."""
    if isinstance(name, Dialect):
        return name
    try:
        return DIALECTS[name]
    except KeyError:
        raise ValueError(f"unknown dialect {name!r}") from None
