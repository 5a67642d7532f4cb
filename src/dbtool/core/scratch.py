"""Scratch databases: built from the migrations, inspected, always thrown away.

SQLite/D1 scratch databases are temporary files. Postgres ones are created on
the server named by $DBTOOL_SCRATCH_URL (or `scratch_url` in dbtool.toml), like
Atlas's dev database or Prisma's shadow database, and dropped even on failure.
"""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from dbtool.config import Project, Service
from dbtool.core.migrate import MigrateOptions, ServiceRun, migrate_target
from dbtool.core.targets import ResolvedTarget, url_from_env
from dbtool.engines import capabilities, check_compatible, engine_class
from dbtool.errors import DbtoolError
from dbtool.urls import DatabaseUrl, sqlite_url_for, with_database


class ScratchUnavailable(DbtoolError):
    """No server to build a scratch database on: the service is skipped, with this reason."""

    kind = "scratch-unavailable"


def scratch_server(project: Project | None) -> str | None:
    env = project.scratch_url_env if project else "DBTOOL_SCRATCH_URL"
    value = os.environ.get(env, "").strip()
    if value:
        return value
    return project.scratch_url if project else None


@contextmanager
def scratch_url(service: Service, project: Project | None) -> Iterator[DatabaseUrl]:
    """A fresh, empty database for `service`'s dialect, created and dropped by its engine."""
    with _location(service, project) as (url, admin):
        engine = engine_class(url)
        engine.create_database(url, admin=admin)
        try:
            yield url
        finally:
            engine.drop_database(url, admin=admin)


@contextmanager
def _location(service: Service, project: Project | None
              ) -> Iterator[tuple[DatabaseUrl, DatabaseUrl | None]]:
    """Where the scratch database goes: a temporary folder, or a new database on the
    scratch server (with the server's URL, through which it is created and dropped)."""
    if not capabilities(service.dialect).scratch_server:
        with tempfile.TemporaryDirectory(prefix="dbtool-scratch-") as folder:
            yield sqlite_url_for(Path(folder) / f"{service.name}.db"), None
        return
    env = project.scratch_url_env if project else "DBTOOL_SCRATCH_URL"
    server = scratch_server(project)
    if not server:
        raise ScratchUnavailable(
            f"no scratch {capabilities(service.dialect).title} server for {service.name}",
            hint=f"set ${env} to a server where dbtool may create and drop databases",
        )
    admin = url_from_env(server, env)
    check_compatible(admin, service.dialect)
    name = f"dbtool_scratch_{service.name}_{uuid.uuid4().hex[:8]}".lower()
    yield with_database(admin, name), admin


@contextmanager
def built_scratch(service: Service, project: Project | None, *, to: str | None = None
                  ) -> Iterator[tuple[DatabaseUrl, ServiceRun]]:
    """A scratch database with the service's prelude and migrations applied."""
    with scratch_url(service, project) as url:
        target = ResolvedTarget(service, url, "scratch", prelude=True)
        run = migrate_target(target, MigrateOptions(to=to, prelude=True, lock_timeout=30.0))
        yield url, run
