"""The Postgres server the benchmarks use: fresh databases, always dropped.

Databases are named `dbtool_bench_<pid>_<n>`, so a crashed earlier run's
leftovers can be recognised (their pid is gone) and removed without touching
anyone else's databases on a shared server.
"""

from __future__ import annotations

import itertools
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

ADMIN_URL = os.environ.get("DBTOOL_BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
PREFIX = "dbtool_bench_"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class PgServer:
    """An autocommit admin connection plus URL helpers for each tool's syntax."""

    def __init__(self, admin_url: str = ADMIN_URL) -> None:
        import psycopg

        self.admin_url = admin_url
        self.conn: Any = psycopg.connect(admin_url, autocommit=True, connect_timeout=5)
        self.base = admin_url.split("?", 1)[0].rsplit("/", 1)[0]
        self._names = itertools.count(1)

    @classmethod
    def connect(cls) -> tuple[PgServer | None, str | None]:
        """The server, or None and the reason (every Postgres row then says it)."""
        try:
            return cls(), None
        except Exception as exc:  # any driver failure means "no server"
            return None, f"PostgreSQL unreachable at {ADMIN_URL}: {str(exc).splitlines()[0]}"

    @property
    def version(self) -> str:
        return str(self.conn.execute("SHOW server_version").fetchone()[0]).split()[0]

    def url(self, name: str, scheme: str = "postgresql") -> str:
        return f"{self.base.replace('postgresql://', scheme + '://', 1)}/{name}"

    def dbmate_url(self, name: str) -> str:
        return self.url(name, "postgres") + "?sslmode=disable"

    def drop_stale(self) -> list[str]:
        """Drop this harness's databases left behind by runs that no longer exist."""
        rows = self.conn.execute("SELECT datname FROM pg_database WHERE datname LIKE %s",
                                 (PREFIX + "%",)).fetchall()
        stale = [name for (name,) in rows
                 if (m := re.match(PREFIX + r"(\d+)_", name)) and not _pid_alive(int(m.group(1)))]
        for name in stale:
            self.drop(name)
        return stale

    def new_name(self) -> str:
        return f"{PREFIX}{os.getpid()}_{next(self._names)}"

    def create(self) -> str:
        name = self.new_name()
        self.conn.execute(f'CREATE DATABASE "{name}"')
        return name

    def drop(self, name: str) -> None:
        self.conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    @contextmanager
    def fresh(self) -> Iterator[str]:
        """A new empty database for one run; dropped afterwards, even on failure."""
        name = self.create()
        try:
            yield name
        finally:
            self.drop(name)

    def count_tables(self, name: str, like: str) -> int:
        import psycopg

        with psycopg.connect(self.url(name), autocommit=True) as conn:
            row = conn.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public' "
                               "AND tablename LIKE %s", (like,)).fetchone()
        return int(row[0])

    def close(self) -> None:
        self.conn.close()
