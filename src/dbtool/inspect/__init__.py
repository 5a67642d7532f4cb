"""Catalog queries -> the schema model (`dbtool.model.Schema`).

`inspect_sqlite` reads SQLite and D1 through any `QueryRunner` (a sqlite3
connection via `SqliteRunner`, wrangler's local file, the D1 REST API);
`inspect_postgres` reads a psycopg connection. Postgres support is imported
lazily so that importing this package never pulls in psycopg.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from dbtool.engines.sqlite_runner import SqliteRunner

from .sqlite import QueryRunner, inspect_sqlite

if TYPE_CHECKING:
    from .postgres import inspect_postgres

__all__ = ["QueryRunner", "SqliteRunner", "inspect_postgres", "inspect_sqlite"]


def __getattr__(name: str) -> Any:
    if name == "inspect_postgres":
        from .postgres import inspect_postgres

        return inspect_postgres
    raise AttributeError(name)
