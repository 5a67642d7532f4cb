"""Engine registry keyed by URL scheme. Engines are imported only when used."""

from __future__ import annotations

import importlib

from dbtool.engines.base import CAPABILITIES, Capabilities, Engine
from dbtool.errors import UrlError
from dbtool.urls import DatabaseUrl

# scheme -> "module:Class"; a new engine is one line here and one module.
REGISTRY: dict[str, str] = {
    "sqlite": "dbtool.engines.sqlite:SqliteEngine",
    "postgresql": "dbtool.engines.postgres:PostgresEngine",
    "postgres": "dbtool.engines.postgres:PostgresEngine",
    "postgresql+psycopg": "dbtool.engines.postgres:PostgresEngine",
    "d1-local": "dbtool.engines.d1_local:D1LocalEngine",
    "d1": "dbtool.engines.d1_remote:D1RemoteEngine",
}

# Which URL dialects can serve a service of a given dialect.
COMPATIBLE = {"sqlite": {"sqlite"}, "d1": {"sqlite", "d1"}, "postgres": {"postgres"}}


def capabilities(dialect: str) -> Capabilities:
    return CAPABILITIES[dialect]


def open_engine(url: DatabaseUrl, dialect: str, *, history_table: str = "d1_migrations",
                history_schema: str = "dbtool", lock_timeout: float = 30.0) -> Engine:
    """Instantiate the engine for `url`, with the service dialect's capabilities."""
    check_compatible(url, dialect)
    cls = engine_class(url)
    return cls(url, CAPABILITIES[dialect], history_table=history_table,
               history_schema=history_schema, lock_timeout=lock_timeout)


def engine_class(url: DatabaseUrl) -> type[Engine]:
    """The engine class serving `url`'s scheme (for class-level operations such as
    `create_database`), imported on first use."""
    target = REGISTRY.get(url.scheme)
    if target is None:
        raise UrlError(f"no engine for {url.scheme}:// URLs yet", hint=f"supported: {', '.join(REGISTRY)}")
    module_name, _, class_name = target.partition(":")
    return getattr(importlib.import_module(module_name), class_name)


def check_compatible(url: DatabaseUrl, dialect: str) -> None:
    """A URL of another engine family cannot serve a service of `dialect`."""
    if url.dialect not in COMPATIBLE[dialect]:
        raise UrlError(
            f"a {dialect} service cannot use the {url.scheme}:// URL {url.display}",
            hint=f"use a URL for {dialect}",
        )
