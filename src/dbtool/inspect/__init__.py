"""Catalog queries -> the schema model (`dbtool.model.Schema`).

`inspect_sqlite` reads SQLite and D1 through any `QueryRunner` (a sqlite3
connection via `SqliteRunner`, wrangler's local file, the D1 REST API);
`inspect_postgres` reads a psycopg connection. Every name is imported on first
use, so that importing this package pulls in neither psycopg nor the other
engine's inspector: a Postgres inspection loads only the model, the Postgres
queries and builder, and nothing of SQLite's. Nothing here imports
`dbtool.engines`: the engines use the inspectors, never the reverse.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .postgres import inspect_postgres
    from .sqlite import QueryRunner, inspect_sqlite
    from .sqlite_runner import SqliteRunner

__all__ = ["QueryRunner", "SqliteRunner", "inspect_postgres", "inspect_sqlite"]

_HOMES = {
    "inspect_postgres": "dbtool.inspect.postgres",
    "inspect_sqlite": "dbtool.inspect.sqlite",
    "QueryRunner": "dbtool.inspect.sqlite",
    "SqliteRunner": "dbtool.inspect.sqlite_runner",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(home), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
