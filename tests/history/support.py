"""Migration sets with rollback files, and helpers shared by the history tests."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path
from typing import Any

from dbtool.config import Service
from dbtool.core.schema_ops import inspect_url
from dbtool.core.scratch import built_scratch
from dbtool.urls import parse_url
from tests.helpers import run_dbtool

# SQLite / D1: tables, an index, an added column, a view, a trigger.
SQLITE_UP = {
    "0001_users.sql": "CREATE TABLE users (\n  id TEXT PRIMARY KEY,\n  email TEXT NOT NULL UNIQUE\n);\n",
    "0002_posts.sql": (
        "CREATE TABLE posts (\n  id TEXT PRIMARY KEY,\n"
        "  user_id TEXT NOT NULL REFERENCES users(id),\n  title TEXT NOT NULL\n);\n"
        "CREATE INDEX idx_posts_user ON posts(user_id);\n"
    ),
    "0003_user_name.sql": "ALTER TABLE users ADD COLUMN name TEXT;\n",
    "0004_view.sql": ("CREATE VIEW post_titles AS\n  SELECT p.title, u.email FROM posts p "
                      "JOIN users u ON u.id = p.user_id;\n"),
    "0005_audit.sql": (
        "CREATE TABLE audit (\n  id TEXT PRIMARY KEY,\n  post_id TEXT,\n  at TEXT\n);\n"
        "CREATE TRIGGER posts_audit AFTER INSERT ON posts\nBEGIN\n"
        "  INSERT INTO audit (id, post_id, at) VALUES (NEW.id, NEW.id, datetime('now'));\nEND;\n"
    ),
}
SQLITE_DOWN = {
    "0001_users.sql": "DROP TABLE users;\n",
    "0002_posts.sql": "DROP INDEX idx_posts_user;\nDROP TABLE posts;\n",
    "0003_user_name.sql": "ALTER TABLE users DROP COLUMN name;\n",
    "0004_view.sql": "DROP VIEW post_titles;\n",
    "0005_audit.sql": "DROP TRIGGER posts_audit;\nDROP TABLE audit;\n",
}

# Postgres: an enum, a function and trigger, RLS with a policy.
PG_UP = {
    "0001_users.sql": "CREATE TABLE users (id uuid PRIMARY KEY, email text NOT NULL UNIQUE);\n",
    "0002_posts.sql": (
        "CREATE TYPE post_status AS ENUM ('draft', 'live');\n"
        "CREATE TABLE posts (\n  id uuid PRIMARY KEY,\n  user_id uuid NOT NULL REFERENCES users(id),\n"
        "  status post_status NOT NULL DEFAULT 'draft'\n);\n"
        "CREATE INDEX idx_posts_user ON posts (user_id);\n"
    ),
    "0003_user_name.sql": "ALTER TABLE users ADD COLUMN name text;\n",
    "0004_touch.sql": (
        "CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n"
        "  NEW.email := lower(NEW.email);\n  RETURN NEW;\nEND;\n$$;\n"
        "CREATE TRIGGER users_touch BEFORE INSERT ON users FOR EACH ROW EXECUTE FUNCTION touch();\n"
    ),
    "0005_rls.sql": ("ALTER TABLE posts ENABLE ROW LEVEL SECURITY;\n"
                     "CREATE POLICY posts_all ON posts USING (true);\n"),
}
PG_DOWN = {
    "0001_users.sql": "DROP TABLE users;\n",
    "0002_posts.sql": "DROP TABLE posts;\nDROP TYPE post_status;\n",
    "0003_user_name.sql": "ALTER TABLE users DROP COLUMN name;\n",
    "0004_touch.sql": "DROP TRIGGER users_touch ON users;\nDROP FUNCTION touch();\n",
    "0005_rls.sql": "DROP POLICY posts_all ON posts;\nALTER TABLE posts DISABLE ROW LEVEL SECURITY;\n",
}


def write_set(folder: Path, up: dict[str, str], down: dict[str, str] | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in up.items():
        (folder / name).write_text(text)
    if down:
        (folder / "down").mkdir(exist_ok=True)
        for name, text in down.items():
            (folder / "down" / name).write_text(text)
    return folder


def dbtool(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None,
           process: bool = False):
    """The real CLI (env: extra variables; `process`: as its own process, see run_dbtool)."""
    from tests.interop.support import clean_env

    return run_dbtool(*args, cwd=cwd, env=clean_env(**(env or {})), process=process)


def ok(*args: str, **kw: Any) -> str:
    proc = dbtool(*args, **kw)
    assert proc.returncode == 0, f"dbtool {' '.join(args)} exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout


def as_json(*args: str, code: int = 0, **kw: Any) -> dict[str, Any]:
    proc = dbtool(*args, "--format", "json", **kw)
    assert proc.returncode == code, f"exit {proc.returncode}:\n{proc.stdout}\n{proc.stderr}"
    return json.loads(proc.stdout)


def states(*args: str, **kw: Any) -> dict[str, dict[str, Any]]:
    document = as_json("status", *args, **kw)
    return {m["name"]: m for m in document["services"][0]["migrations"]}


def file_bytes(path: Path) -> dict[str, str]:
    """Hashes of a SQLite file and its WAL ("untouched" means equal)."""
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(path.parent.glob(path.name + "*"))
            if not p.name.endswith("-shm") and not (p.name.endswith("-wal") and p.stat().st_size == 0)}


def sqlite_rows(path: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(path) as conn:
        return conn.execute(sql).fetchall()


def adhoc(folder: Path, dialect: str) -> Service:
    return Service(name=folder.name, dialect=dialect, migrations=folder, snapshot=None, root=folder.parent)


def drift_from_scratch(folder: Path, dialect: str, url: str, to: str) -> list[str]:
    """The drift differ between a scratch build up to `to` and the database at `url`."""
    from dbtool import diff

    service = adhoc(folder, dialect)
    with built_scratch(service, None, to=to) as (scratch, _run):
        expected = inspect_url(service, scratch)
    actual = inspect_url(service, parse_url(url))
    return [c.describe() for c in diff.diff(expected, actual)]
