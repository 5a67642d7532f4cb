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
from dbtool.core.targets import ResolvedTarget
from dbtool.errors import ConnectionFailed, DbtoolError
from dbtool.urls import DatabaseUrl, parse_url, sqlite_url_for


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
    """A fresh, empty database for `service`'s dialect, removed afterwards."""
    if service.dialect in ("sqlite", "d1"):
        with tempfile.TemporaryDirectory(prefix="dbtool-scratch-") as folder:
            yield sqlite_url_for(Path(folder) / f"{service.name}.db")
        return
    server = scratch_server(project)
    if not server:
        env = project.scratch_url_env if project else "DBTOOL_SCRATCH_URL"
        raise ScratchUnavailable(
            f"no scratch Postgres server for {service.name}",
            hint=f"set ${env} to a server where dbtool may create and drop databases",
        )
    with _postgres_scratch(parse_url(server), service.name) as url:
        yield url


@contextmanager
def _postgres_scratch(server: DatabaseUrl, label: str) -> Iterator[DatabaseUrl]:
    from dbtool.engines.postgres import connect

    name = f"dbtool_scratch_{label}_{uuid.uuid4().hex[:8]}".lower()
    admin = connect(server)
    try:
        admin.execute(f'CREATE DATABASE "{name}"')
    except Exception as exc:
        admin.close()
        raise ConnectionFailed(f"cannot create scratch database on {server.display}: {exc}",
                               hint="the scratch server's user needs CREATEDB") from exc
    base = server.raw.split("?", 1)[0].rsplit("/", 1)[0]
    query = "?" + server.raw.split("?", 1)[1] if "?" in server.raw else ""
    try:
        yield parse_url(f"{base}/{name}{query}")
    finally:
        try:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            admin.close()


@contextmanager
def built_scratch(service: Service, project: Project | None, *, to: str | None = None
                  ) -> Iterator[tuple[DatabaseUrl, ServiceRun]]:
    """A scratch database with the service's prelude and migrations applied."""
    with scratch_url(service, project) as url:
        target = ResolvedTarget(service, url, "scratch", prelude=True)
        run = migrate_target(target, MigrateOptions(to=to, prelude=True, lock_timeout=30.0))
        yield url, run
