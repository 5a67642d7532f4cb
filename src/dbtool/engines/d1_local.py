"""wrangler's local D1 state (`d1-local://PROJECT_DIR?binding=DB[&persist_to=DIR]`).

The local database is a plain SQLite file in WAL mode, so this is the SQLite
engine pointed at the file wrangler uses (see `dbtool.d1.local`), with three
D1 touches: the history table is the binding's `migrations_table`, a missing
file is created the way wrangler creates it, and each applied file advances
workerd's local bookmark like one D1 request. Running wrangler and dbtool on
the same project therefore shows one history.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from dbtool.d1 import local, wrangler
from dbtool.engines.base import Capabilities
from dbtool.engines.sqlite import SqliteEngine
from dbtool.migrations.files import LoadedMigration
from dbtool.urls import DatabaseUrl, sqlite_url_for


class D1LocalEngine(SqliteEngine):
    def __init__(self, url: DatabaseUrl, capabilities: Capabilities, *,
                 history_table: str = wrangler.DEFAULT_MIGRATIONS_TABLE,
                 history_schema: str = "main", lock_timeout: float = 30.0) -> None:
        super().__init__(url, capabilities, history_table=history_table,
                         history_schema=history_schema, lock_timeout=lock_timeout)
        self.binding = wrangler.find_binding(Path(url.database or "."), url.param("binding"))
        self.path = local.database_path(self.binding.project_dir, self.binding.local_id,
                                        url.param("persist_to"))
        # An explicit dbtool history_table wins; otherwise wrangler's migrations_table.
        if history_table == wrangler.DEFAULT_MIGRATIONS_TABLE:
            self.table = self.binding.migrations_table

    @staticmethod
    def _state_file(url: DatabaseUrl) -> Path:
        binding = wrangler.find_binding(Path(url.database or "."), url.param("binding"))
        return local.database_path(binding.project_dir, binding.local_id, url.param("persist_to"))

    @classmethod
    def create_database(cls, url: DatabaseUrl, *, admin: DatabaseUrl | None = None) -> None:
        """The binding's local state file, created the way wrangler creates it."""
        path = cls._state_file(url)
        if not path.exists():
            local.create_database(path)

    @classmethod
    def drop_database(cls, url: DatabaseUrl, *, admin: DatabaseUrl | None = None) -> None:
        path = cls._state_file(url)
        SqliteEngine.drop_database(sqlite_url_for(path))

    def _connect(self, *, create: bool) -> sqlite3.Connection | None:
        if create and self._conn is None and not self.path.exists():
            local.create_database(self.path)
        return super()._connect(create=create)

    def _record(self, conn: sqlite3.Connection, migration: LoadedMigration, started: float) -> None:
        super()._record(conn, migration, started)
        local.bump_bookmark(conn)

    def _after_write(self, conn: sqlite3.Connection) -> None:
        """A history change (adopt, mark, rollback …) is one D1 request too."""
        local.bump_bookmark(conn)
