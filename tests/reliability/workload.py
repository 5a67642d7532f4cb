"""The databases and migration sets the crash and race tests run against.

Each `Target` is one real database (a SQLite file, wrangler's local D1 state,
a Postgres database) plus a migrations folder. The migration sets mix what a
crash can interrupt: several statements per file, triggers and function
bodies, a table rebuild, a view, an enum change, and a bulk insert/update large
enough that a random kill often lands inside a file (and SQLite's page cache
spills, so a killed run leaves a *hot journal* behind).

`read_state` sees a database the way dbtool does (its own engine classes read
schema and history; a row digest adds the data), so "equal to the state after
a whole prefix of files" is a comparison of two `State` values.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.zygote import dbtool_run

ENGINES = ("sqlite", "d1-local", "postgres")
JOURNAL_MAGIC = bytes.fromhex("d9d505f920a163d7")
PG_ADMIN_URL = os.environ.get("DBTOOL_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def sqlite_files(rows: int) -> dict[str, str]:
    """A D1-compatible set (no BEGIN, no PRAGMA), so it serves SQLite and local D1."""
    return {
        "0001_users.sql": (
            "CREATE TABLE users (id TEXT PRIMARY KEY, email TEXT NOT NULL UNIQUE,\n"
            "  created_at TEXT NOT NULL DEFAULT '2025-01-01');\n"
            "CREATE INDEX idx_users_created ON users (created_at);\n"
            "INSERT INTO users (id, email) VALUES ('u1', 'a@example.com'), ('u2', 'b@example.com');\n"),
        "0002_posts.sql": (
            "CREATE TABLE posts (id TEXT PRIMARY KEY, user_id TEXT NOT NULL REFERENCES users(id),\n"
            "  title TEXT, updated_at TEXT);\n"
            "CREATE INDEX idx_posts_user ON posts (user_id);\n"
            "CREATE TRIGGER trg_posts_touch AFTER UPDATE OF title ON posts BEGIN\n"
            "  UPDATE posts SET updated_at = 'touched; twice' WHERE id = NEW.id;\n"
            "END;\n"
            "INSERT INTO posts (id, user_id, title) VALUES ('p1', 'u1', 'hello'), ('p2', 'u2', 'world');\n"),
        "0003_events.sql": (
            "CREATE TABLE events (id INTEGER PRIMARY KEY, kind TEXT NOT NULL, payload TEXT);\n"
            "INSERT INTO events (id, kind, payload)\n"
            f"  WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {rows})\n"
            "  SELECT i, 'k' || (i % 7), printf('%08d-payload-%s', i, substr('abcdefghij', i % 10)) FROM n;\n"
            "CREATE INDEX idx_events_kind ON events (kind, id);\n"),
        "0004_rebuild_tags.sql": (
            "CREATE TABLE tags (name TEXT PRIMARY KEY, uses INTEGER);\n"
            "INSERT INTO tags VALUES ('a', 1), ('b', NULL);\n"
            "CREATE TABLE tags_new (name TEXT PRIMARY KEY, uses INTEGER NOT NULL DEFAULT 0 CHECK (uses >= 0));\n"
            "INSERT INTO tags_new (name, uses) SELECT name, coalesce(uses, 0) FROM tags;\n"
            "DROP TABLE tags;\n"
            "ALTER TABLE tags_new RENAME TO tags;\n"),
        "0005_scores.sql": (
            "ALTER TABLE posts ADD COLUMN score INTEGER NOT NULL DEFAULT 0;\n"
            "UPDATE posts SET score = length(title), title = upper(title);\n"
            "CREATE VIEW post_scores AS SELECT p.id, p.score, u.email FROM posts p JOIN users u ON u.id = p.user_id;\n"
            "UPDATE events SET payload = payload || '-v2' WHERE id % 2 = 0;\n"),
        "0006_summary.sql": (
            "CREATE TABLE event_counts (kind TEXT PRIMARY KEY, n INTEGER NOT NULL);\n"
            "INSERT INTO event_counts SELECT kind, count(*) FROM events GROUP BY kind;\n"
            "CREATE INDEX idx_events_payload ON events (payload);\n"
            f"DELETE FROM events WHERE id > {rows - rows // 10};\n"),
    }


def postgres_files(rows: int) -> dict[str, str]:
    return {
        "0001_users.sql": (
            "CREATE TYPE user_role AS ENUM ('member', 'admin');\n"
            "CREATE TABLE users (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,\n"
            "  email text NOT NULL UNIQUE, role user_role NOT NULL DEFAULT 'member');\n"
            "INSERT INTO users (email) VALUES ('a@example.com'), ('b@example.com');\n"),
        "0002_posts.sql": (
            "CREATE TABLE posts (id bigint PRIMARY KEY, user_id bigint NOT NULL REFERENCES users(id),\n"
            "  title text, updated_at timestamptz);\n"
            "CREATE FUNCTION touch_post() RETURNS trigger LANGUAGE plpgsql AS $$\n"
            "BEGIN\n  NEW.title := trim(NEW.title); -- a ; inside the body\n  RETURN NEW;\nEND;\n$$;\n"
            "CREATE TRIGGER trg_posts_touch BEFORE INSERT OR UPDATE ON posts\n"
            "  FOR EACH ROW EXECUTE FUNCTION touch_post();\n"
            "INSERT INTO posts (id, user_id, title) VALUES (1, 1, ' hello '), (2, 2, 'world');\n"),
        "0003_events.sql": (
            "CREATE TABLE events (id bigint PRIMARY KEY, kind text NOT NULL, payload text);\n"
            "INSERT INTO events SELECT i, 'k' || (i % 7), lpad(i::text, 8, '0') || '-payload'\n"
            f"  FROM generate_series(1, {rows}) AS i;\n"
            "CREATE INDEX idx_events_kind ON events (kind, id);\n"),
        "0004_alter.sql": (
            "ALTER TABLE posts ADD COLUMN score integer NOT NULL DEFAULT 0;\n"
            "UPDATE posts SET score = length(title);\n"
            "CREATE VIEW post_scores AS SELECT p.id, p.score, u.email FROM posts p JOIN users u ON u.id = p.user_id;\n"
            "ALTER TABLE users ADD CONSTRAINT users_email_lower CHECK (email = lower(email));\n"),
        "0005_heavy.sql": (
            "UPDATE events SET payload = payload || '-v2' WHERE id % 2 = 0;\n"
            "CREATE INDEX idx_events_payload ON events (payload);\n"
            "DO $do$ BEGIN PERFORM count(*) FROM events; END $do$;\n"),
        "0006_summary.sql": (
            "CREATE TABLE event_counts (kind text PRIMARY KEY, n integer NOT NULL);\n"
            "INSERT INTO event_counts SELECT kind, count(*) FROM events GROUP BY kind;\n"
            "ALTER TYPE user_role ADD VALUE 'owner';\n"
            f"DELETE FROM events WHERE id > {rows - rows // 10};\n"),
    }


@dataclass(frozen=True)
class State:
    """What a user would check after a crash: schema model, history names, row digests."""

    schema: Any  # dbtool.model.Schema
    history: tuple[str, ...]
    data: tuple[tuple[str, str], ...]  # (table, digest of its rows)


class Target:
    """One database under test and its migrations folder."""

    engine = ""
    dialect = ""

    def __init__(self, root: Path, files: dict[str, str]) -> None:
        self.root = root
        self.folder = root / "migrations"
        self.folder.mkdir(parents=True, exist_ok=True)
        for name, body in files.items():
            (self.folder / name).write_text(body)
        self.names = tuple(sorted(files))
        self.url = ""  # set by each engine's target

    def reset(self) -> None:
        """Back to an empty database."""
        raise NotImplementedError

    def open(self) -> Any:
        """dbtool's own engine for this database (the code `dbtool status` runs)."""
        from dbtool.engines import open_engine
        from dbtool.urls import parse_url

        return open_engine(parse_url(self.url), self.dialect, lock_timeout=0)

    def digests(self, tables: list[str]) -> tuple[tuple[str, str], ...]:
        raise NotImplementedError

    def lock_free(self, timeout: float = 10.0) -> float:
        """Seconds until nothing holds the migration lock; AssertionError past `timeout`."""
        raise NotImplementedError

    def leftovers(self) -> list[str]:
        """Files or sessions a crash left behind that would block the next run."""
        return []

    def close(self) -> None:
        """Release what the target holds (databases are dropped by their owner)."""


def read_state(target: Target) -> State:
    engine = target.open()
    try:
        history = tuple(row.name for row in engine.history())
        schema = engine.inspect(("public",)) if target.dialect == "postgres" else engine.inspect(())
    finally:
        engine.close()
    return State(schema, history, target.digests([t.name for t in schema.tables]))


class SqliteTarget(Target):
    engine = "sqlite"
    dialect = "sqlite"

    def __init__(self, root: Path, files: dict[str, str]) -> None:
        super().__init__(root, files)
        self.path = root / "app.db"
        self.url = f"sqlite:///{self.path}"

    def reset(self) -> None:
        for suffix in ("", "-journal", "-wal", "-shm"):
            Path(f"{self.path}{suffix}").unlink(missing_ok=True)

    def digests(self, tables: list[str]) -> tuple[tuple[str, str], ...]:
        if not self.path.exists():
            return ()
        conn = sqlite3.connect(self.path)
        try:
            return tuple((t, _sqlite_digest(conn, t)) for t in sorted(tables))
        finally:
            conn.close()

    def lock_free(self, timeout: float = 10.0) -> float:
        """A writer's BEGIN IMMEDIATE must succeed at once (busy timeout 0)."""
        if not self.path.exists():
            return 0.0
        conn = sqlite3.connect(self.path, timeout=0, isolation_level=None)
        try:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("ROLLBACK")
        finally:
            conn.close()
        return 0.0

    def leftovers(self) -> list[str]:
        """A *hot* rollback journal (valid header): the next opener must roll it back.

        A journal whose header was never finalised (the killed transaction did
        not spill to the database file) is ignored by SQLite and blocks nothing.
        """
        journal = Path(f"{self.path}-journal")
        if not journal.exists():
            return []
        with journal.open("rb") as fh:
            return [journal.name] if fh.read(8) == JOURNAL_MAGIC else []


class D1LocalTarget(SqliteTarget):
    """wrangler's local D1 state (WAL mode), through a d1-local:// URL."""

    engine = "d1-local"
    dialect = "d1"

    def __init__(self, root: Path, files: dict[str, str]) -> None:
        super().__init__(root, files)
        (root / "wrangler.toml").write_text(
            'name = "faults"\ncompatibility_date = "2025-01-01"\n\n[[d1_databases]]\n'
            f'binding = "DB"\ndatabase_name = "faults"\ndatabase_id = "{uuid.uuid4()}"\n')
        self.url = f"d1-local://{root}?binding=DB"
        from dbtool.d1 import local, wrangler

        binding = wrangler.find_binding(root, "DB")
        self.path = local.database_path(root, binding.local_id)

    def reset(self) -> None:
        state = self.root / ".wrangler"
        shutil.rmtree(state, ignore_errors=True)


class PostgresTarget(Target):
    engine = "postgres"
    dialect = "postgres"

    def __init__(self, root: Path, files: dict[str, str]) -> None:
        import psycopg

        super().__init__(root, files)
        self.dbname = f"dbtool_faults_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{self.dbname}"')
        self.url = PG_ADMIN_URL.rpartition("/")[0] + "/" + self.dbname
        self._conn = psycopg.connect(self.url, autocommit=True)

    def reset(self) -> None:
        self.lock_free()
        self._conn.execute("DROP SCHEMA public CASCADE")
        self._conn.execute("DROP SCHEMA IF EXISTS dbtool CASCADE")  # dbtool's own history
        self._conn.execute("CREATE SCHEMA public")

    def digests(self, tables: list[str]) -> tuple[tuple[str, str], ...]:
        out = []
        for table in sorted(tables):
            row = self._conn.execute(
                f'SELECT md5(coalesce(string_agg(t::text, \',\' ORDER BY t::text), \'\')) FROM "{table}" t'
            ).fetchone()
            out.append((table, row[0]))
        return tuple(out)

    def lock_free(self, timeout: float = 10.0) -> float:
        """Wait for the killed client's backend to end; then no advisory lock may remain.

        A SIGKILLed client cannot say goodbye: its backend ends when the server
        notices the closed socket (at once when idle, after the running
        statement otherwise), and with it go its transaction and its locks.
        """
        started = time.monotonic()
        while True:
            others = self._conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid() AND backend_type = 'client backend'").fetchone()[0]
            locks = self._conn.execute(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND database = "
                "(SELECT oid FROM pg_database WHERE datname = current_database())").fetchone()[0]
            waited = time.monotonic() - started
            if not others and not locks:
                return waited
            if waited > timeout:
                raise AssertionError(f"{others} session(s) / {locks} advisory lock(s) still held "
                                     f"{timeout:g}s after the kill")
            time.sleep(0.02)

    def close(self) -> None:
        import psycopg

        self._conn.close()
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{self.dbname}" WITH (FORCE)')


def _sqlite_digest(conn: sqlite3.Connection, table: str) -> str:
    """Every row as SQLite's own literal text (`quote()`: types kept, 1 and '1' differ), sorted.
    The text is built in SQLite: a state is read after every kill, and the bulk table's
    60,000 rows as Python tuples cost 0.3 s a read."""
    columns = [row[0] for row in conn.execute("SELECT name FROM pragma_table_info(?)", (table,))]
    line = " || ',' || ".join(f'quote("{c}")' for c in columns) or "''"
    lines = sorted(row[0] for row in conn.execute(f'SELECT {line} FROM "{table}"'))
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()[:16]


def make_target(engine: str, root: Path, rows: int) -> Target:
    if engine == "postgres":
        return PostgresTarget(root, postgres_files(rows))
    cls = D1LocalTarget if engine == "d1-local" else SqliteTarget
    return cls(root, sqlite_files(rows))


def dbtool_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "dbtool", *args]


def migrate_cmd(target: Target, *extra: str) -> list[str]:
    return dbtool_cmd("migrate", "--dir", str(target.folder), "--url", target.url, *extra)


def run(cmd: list[str], env: dict[str, str] | None = None, timeout: float = 120
        ) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items() if k != "DBTOOL_FAULT"}
    full.update(env or {})
    return dbtool_run(cmd, env=full, capture_output=True, text=True, timeout=timeout)


def prefix_states(target: Target) -> list[State]:
    """The state after each whole prefix of files (index k: the first k files applied).

    Built in-process with dbtool's own migrate (`--to`), one file at a time.
    """
    from dbtool.core.migrate import MigrateOptions, migrate
    from dbtool.core.targets import TargetSpec

    target.reset()
    states = [read_state(target)]
    for name in target.names:
        spec = TargetSpec(dir=target.folder, url=target.url)
        migrate(spec, MigrateOptions(to=name, lock_timeout=5))
        states.append(read_state(target))
    target.reset()
    return states


def describe_mismatch(expected: State, actual: State) -> str:
    """A readable account of how a state differs from the prefix it claims to be."""
    from dbtool import diff

    parts = [c.describe() for c in diff.diff(expected.schema, actual.schema)][:5]
    if expected.data != actual.data:
        parts.append(f"rows differ: {dict(expected.data)} vs {dict(actual.data)}")
    return "; ".join(parts) or "states differ"


def whole_prefix(actual: State, prefixes: list[State], names: tuple[str, ...]) -> int:
    """The k such that `actual` is exactly the state after the first k files; else raise."""
    k = len(actual.history)
    if actual.history != names[:k]:
        raise AssertionError(f"history {list(actual.history)} is not a prefix of {list(names)}")
    if actual != prefixes[k]:
        raise AssertionError(f"history names {k} file(s) but the database is not that prefix: "
                             + describe_mismatch(prefixes[k], actual))
    return k
