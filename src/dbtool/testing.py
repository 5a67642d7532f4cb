"""pytest fixtures: each test gets its own migrated database, SQLite or Postgres.

Installed with dbtool as a pytest plugin (entry point `pytest11`, name `dbtool.testing`;
without the entry point: `pytest -p dbtool.testing`, or `pytest_plugins =
["dbtool.testing"]` in a conftest.py). Which migrations: pytest's ini options, overridden
per test or module by `@pytest.mark.dbtool(...)`:

    [tool.pytest.ini_options]
    dbtool_service = "api"          # a service of dbtool.toml (dbtool_config = its path)
    # or ad hoc: dbtool_dir = "migrations"

    def test_signup(dbtool_sqlite):            # a SQLite file in tmp_path, migrated
        with dbtool_sqlite.connect() as conn: ...

    @pytest.mark.dbtool(service="scenes")
    def test_scenes(dbtool_postgres):          # a new Postgres database, migrated, dropped
        dbtool.status("scenes", url=dbtool_postgres.url)

The Postgres server: `--dbtool-postgres-url`, else `$DBTOOL_TEST_POSTGRES_URL`, else the
ini option `dbtool_postgres_url`, else postgresql://postgres@127.0.0.1:5432/postgres — a
server where the user may create and drop databases. Each test's database is created
there under a fresh name (`dbtool_test_<hex>`) and dropped after the test, also when it
fails. The service's prelude is applied first, as for dbtool's own scratch builds, so a
Supabase service gets auth.uid() and its roles.

Why fixtures and not a helper: pytest owns the lifetime (one database per test, dropped
even on failure), as pytest-postgresql and pytest-alembic do it.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from dbtool.core.results import ServiceRun

DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
POSTGRES_ENV = "DBTOOL_TEST_POSTGRES_URL"
_SOURCE_KEYS = ("service", "dir", "config")


@dataclass(frozen=True)
class Migrations:
    """Which migrations a fixture applies: a configured service (with its dbtool.toml) or
    an ad-hoc folder."""

    service: str | None = None
    dir: Path | None = None
    config: Path | None = None

    def keywords(self) -> dict[str, Any]:
        """The keywords `dbtool.migrate` and friends take for these migrations."""
        if self.dir is not None:
            return {"dir": self.dir}
        return {"service": self.service, "config": self.config}


@dataclass(frozen=True)
class MigratedDatabase:
    """A database the fixture created and migrated: its URL, and what `migrate` did."""

    url: str
    runs: tuple[ServiceRun, ...]
    migrations: Migrations

    @property
    def path(self) -> Path | None:
        """The SQLite file (None for Postgres)."""
        if not self.url.startswith("sqlite:"):
            return None
        from dbtool.urls import parse_url

        return parse_url(self.url).sqlite_path

    @property
    def applied(self) -> tuple[str, ...]:
        """The migration files applied, in order."""
        return tuple(a.name for run in self.runs for a in run.applied)

    def connect(self) -> Any:
        """A new DB-API connection: `sqlite3.Connection`, or psycopg's (autocommit off)."""
        if self.path is not None:
            import sqlite3

            return sqlite3.connect(self.path)
        import psycopg

        return psycopg.connect(self.url)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("dbtool", "dbtool: migrated test databases")
    group.addoption("--dbtool-postgres-url", default=None, metavar="URL",
                    help=f"Postgres server for dbtool_postgres (default ${POSTGRES_ENV}, the "
                         f"ini option dbtool_postgres_url, else {DEFAULT_POSTGRES_URL}).")
    parser.addini("dbtool_service", "dbtool fixtures: the service of dbtool.toml to migrate")
    parser.addini("dbtool_config", "dbtool fixtures: the dbtool.toml (default: the nearest)")
    parser.addini("dbtool_dir", "dbtool fixtures: an ad-hoc migrations folder instead of a service")
    parser.addini("dbtool_postgres_url", "dbtool fixtures: the Postgres server to create databases on")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "dbtool(service=, dir=, config=): the migrations "
                                       "the dbtool_* fixtures apply to this test's database")


def _relative(config: pytest.Config, value: str | None) -> Path | None:
    """ini paths are relative to the ini file's folder, marker paths to the current one."""
    if not value:
        return None
    path = Path(value)
    return path if path.is_absolute() else Path(config.rootpath) / path


@pytest.fixture
def dbtool_migrations(request: pytest.FixtureRequest) -> Migrations:
    """The migrations to apply: the `dbtool` marker's keywords, else the ini options.
    Override this fixture to choose them in code."""
    config = request.config
    marker = request.node.get_closest_marker("dbtool")
    given = dict(marker.kwargs) if marker else {}
    unknown = set(given) - set(_SOURCE_KEYS)
    if unknown:
        raise pytest.UsageError(f"@pytest.mark.dbtool: unknown keyword(s) {sorted(unknown)}; "
                                f"use {', '.join(_SOURCE_KEYS)}")
    if given:
        return Migrations(given.get("service"), _path(given.get("dir")), _path(given.get("config")))
    ini = {key: str(config.getini(f"dbtool_{key}") or "") or None for key in _SOURCE_KEYS}
    return Migrations(ini["service"], _relative(config, ini["dir"]), _relative(config, ini["config"]))


def postgres_server(config: pytest.Config) -> str:
    """The Postgres server the fixtures create databases on."""
    return (config.getoption("--dbtool-postgres-url") or os.environ.get(POSTGRES_ENV)
            or str(config.getini("dbtool_postgres_url") or "") or DEFAULT_POSTGRES_URL)


def migrate_into(url: str, migrations: Migrations, **options: Any) -> MigratedDatabase:
    """Apply `migrations` (the service's prelude first) to the database at `url`."""
    import dbtool

    runs = dbtool.migrate(url=url, prelude=True, **migrations.keywords(), **options)
    return MigratedDatabase(url, runs, migrations)


@contextmanager
def sqlite_database(folder: Path, migrations: Migrations, **options: Any) -> Iterator[MigratedDatabase]:
    """A new SQLite file in `folder`, migrated; removed afterwards."""
    from dbtool.engines import engine_class
    from dbtool.urls import parse_url

    url = f"sqlite:///{folder / f'dbtool_test_{uuid.uuid4().hex[:10]}.db'}"
    engine = engine_class(parse_url(url))
    engine.create_database(parse_url(url))
    try:
        yield migrate_into(url, migrations, **options)
    finally:
        engine.drop_database(parse_url(url))


@contextmanager
def postgres_database(server: str, migrations: Migrations, **options: Any
                      ) -> Iterator[MigratedDatabase]:
    """A new database on the Postgres `server`, migrated; dropped afterwards (its sessions
    ended), also when the test or the migration failed."""
    from dbtool.engines import engine_class
    from dbtool.urls import parse_url, with_database

    admin = parse_url(server)
    url = with_database(admin, f"dbtool_test_{uuid.uuid4().hex[:10]}")
    engine = engine_class(url)
    engine.create_database(url, admin=admin)
    try:
        yield migrate_into(url.raw, migrations, **options)
    finally:
        engine.drop_database(url, admin=admin)


@pytest.fixture
def dbtool_sqlite(tmp_path: Path, dbtool_migrations: Migrations) -> Iterator[MigratedDatabase]:
    """A SQLite database file of this test, with every migration applied."""
    with sqlite_database(tmp_path, dbtool_migrations) as database:
        yield database


@pytest.fixture
def dbtool_postgres(request: pytest.FixtureRequest, dbtool_migrations: Migrations
                    ) -> Iterator[MigratedDatabase]:
    """A Postgres database of this test, with the prelude and every migration applied;
    dropped after the test."""
    with postgres_database(postgres_server(request.config), dbtool_migrations) as database:
        yield database


@pytest.fixture
def dbtool_database_factory(request: pytest.FixtureRequest, tmp_path: Path,
                            dbtool_migrations: Migrations) -> Iterator[Callable[..., MigratedDatabase]]:
    """Several databases in one test: `make("sqlite" | "postgres", to=FILE, service=…,
    dir=…)` — `to` and the other `dbtool.migrate` options pass through; every one is
    dropped after the test."""
    from contextlib import ExitStack

    with ExitStack() as stack:
        def make(kind: str = "sqlite", **options: Any) -> MigratedDatabase:
            chosen = {k: options.pop(k) for k in _SOURCE_KEYS if k in options}
            migrations = dbtool_migrations
            if chosen:
                migrations = Migrations(chosen.get("service"), _path(chosen.get("dir")),
                                        _path(chosen.get("config")))
            if kind == "sqlite":
                return stack.enter_context(sqlite_database(tmp_path, migrations, **options))
            if kind == "postgres":
                server = postgres_server(request.config)
                return stack.enter_context(postgres_database(server, migrations, **options))
            raise pytest.UsageError(f"dbtool_database_factory: unknown kind {kind!r}; use sqlite "
                                    "or postgres")

        yield make


def _path(value: Any) -> Path | None:
    return Path(value) if value else None
