"""A table with one of dbtool's history names but another tool's shape.

`d1_migrations`, `dbtool_migrations` and `dbtool_history_log` are common names.
When a table of that name exists with other columns (another tool's history,
an application table), writing to it would fail halfway through a run or, worse,
read its rows as history. Each engine checks the columns it relies on before it
reads or writes, and stops with one line that names the table, the columns it
found and what to do — before anything has changed.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable

from dbtool.errors import DbtoolError, ExitCode
from dbtool.quoting import quote_sqlite

WRANGLER_COLUMNS = ("id", "name", "applied_at")  # wrangler's d1_migrations
SQLITE_SIDE_COLUMNS = ("name", "checksum")  # dbtool's side table on SQLite / D1
POSTGRES_COLUMNS = ("name", "version", "checksum", "applied_at")
LOG_COLUMNS = ("id", "action", "name")


class HistoryTableInTheWay(DbtoolError):
    """A table named like dbtool's history holds something else; nothing was changed."""

    kind = "history-table"
    exit_code = ExitCode.USAGE


def check(table: str, present: Iterable[str] | None, required: Iterable[str], *, where: str,
          hint: str) -> None:
    """Raise when `table` exists (`present` is its columns; None: absent) without `required`."""
    if present is None:
        return
    have = {c.lower() for c in present}
    lacking = [c for c in required if c not in have]
    if not lacking:
        return
    found = ", ".join(sorted(have)) or "no columns"
    raise HistoryTableInTheWay(
        f"table {table} in {where} is not dbtool's: it has ({found}) and lacks {', '.join(lacking)}, "
        "so another tool or the application owns it; nothing was changed",
        hint=hint)


def ddl_columns(ddl: str | None) -> set[str] | None:
    """The columns of a SQLite table from its stored CREATE TABLE text, read by SQLite
    itself (an in-memory database): exact, and no round trip to a remote D1."""
    if ddl is None:
        return None
    conn = sqlite3.connect(":memory:")
    try:
        conn.execute(ddl)
        name = conn.execute("SELECT name FROM sqlite_schema WHERE type = 'table'").fetchone()[0]
        return {row[1] for row in conn.execute(f"PRAGMA table_info({quote_sqlite(name)})")}
    except sqlite3.Error:
        return set()  # not a plain table we can read: treat as foreign
    finally:
        conn.close()


def check_sqlite(tables: dict[str, str | None], history_table: str, where: str) -> None:
    """`tables`: name -> stored DDL of whichever of the history tables exist."""
    from dbtool.engines.history_sqlite import SIDE_TABLE
    from dbtool.migrations.audit import LOG_TABLE

    check(history_table, ddl_columns(tables.get(history_table)) if history_table in tables else None,
          WRANGLER_COLUMNS, where=where,
          hint=f"give dbtool (and wrangler) another history table: history_table = \"NAME\" for the "
               f"service in dbtool.toml (wrangler: migrations_table), or rename {history_table}")
    for table, required in ((SIDE_TABLE, SQLITE_SIDE_COLUMNS), (LOG_TABLE, LOG_COLUMNS)):
        check(table, ddl_columns(tables.get(table)) if table in tables else None, required, where=where,
              hint=f"dbtool keeps its own records in {table}: rename or drop that table first")
