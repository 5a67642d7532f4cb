"""Where wrangler keeps a local D1 database, and how to create one exactly as it would.

`wrangler d1 ... --local` starts miniflare with `d1Persist = <state>/v3/d1`;
miniflare stores each database as a Durable Object of the namespace whose
unique key is `miniflare-D1DatabaseObject`, in a SQLite file named after the
object id that workerd derives from the database id:

    k = sha256("miniflare-D1DatabaseObject")
    n = HMAC-SHA256(k, database_id)[:16]
    name = hex(n + HMAC-SHA256(k, n)[:16])          # 64 hex characters

(miniflare 4.20260426 `durableObjectNamespaceIdFromName`; checked against a
file wrangler 4.86 created.) `<state>` is `<project>/.wrangler/state`, or the
`--persist-to` folder resolved against the current directory.

A fresh file made by wrangler is in WAL mode and holds workerd's `_cf_METADATA`
table with the local-development bookmark (key 2), which workerd increments on
every request; dbtool creates the same and bumps the bookmark once per
migration it applies, so `wrangler dev` sessions keep seeing later bookmarks.
"""

from __future__ import annotations

import hashlib
import hmac
import sqlite3
from pathlib import Path

UNIQUE_KEY = "miniflare-D1DatabaseObject"
STATE_DIR = Path(".wrangler") / "state"
BOOKMARK_KEY = 2

# workerd's SqliteMetadata DDL; SQLite stores it from CREATE TABLE on, so the
# schema text in the file matches wrangler's byte for byte.
METADATA_DDL = (
    "CREATE TABLE IF NOT EXISTS _cf_METADATA (\n"
    "        key INTEGER PRIMARY KEY,\n"
    "        value BLOB\n"
    "      )"
)


def object_name(database_id: str) -> str:
    """The Durable Object id (file stem) miniflare uses for a D1 database id."""
    key = hashlib.sha256(UNIQUE_KEY.encode()).digest()
    name_mac = hmac.new(key, database_id.encode(), hashlib.sha256).digest()[:16]
    check = hmac.new(key, name_mac, hashlib.sha256).digest()[:16]
    return (name_mac + check).hex()


def state_root(project_dir: Path, persist_to: Path | str | None = None) -> Path:
    """wrangler's persistence root: `--persist-to` (relative to cwd) or `.wrangler/state`."""
    if persist_to:
        return Path(persist_to).resolve()
    return project_dir.resolve() / STATE_DIR


def database_path(project_dir: Path, database_id: str, persist_to: Path | str | None = None) -> Path:
    """`<state>/v3/d1/miniflare-D1DatabaseObject/<object id>.sqlite`."""
    folder = state_root(project_dir, persist_to) / "v3" / "d1" / UNIQUE_KEY
    return folder / f"{object_name(database_id)}.sqlite"


def create_database(path: Path) -> None:
    """Create a local D1 file as a first wrangler command would: WAL mode, `_cf_METADATA`
    with the bookmark at 0. Does nothing if the file already exists."""
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("BEGIN IMMEDIATE")
        conn.execute(METADATA_DDL)
        conn.execute("INSERT OR IGNORE INTO _cf_METADATA (key, value) VALUES (?, 0)", (BOOKMARK_KEY,))
        conn.execute("COMMIT")
    finally:
        conn.close()


def bump_bookmark(conn: sqlite3.Connection) -> None:
    """Advance workerd's local-development bookmark, as one D1 request would.

    A file without `_cf_METADATA` (older wrangler) is left alone: workerd creates
    the table on its next request.
    """
    try:
        conn.execute(
            "UPDATE _cf_METADATA SET value = value + 1 WHERE key = ? AND typeof(value) = 'integer'",
            (BOOKMARK_KEY,),
        )
    except sqlite3.OperationalError as exc:
        if "no such table" not in str(exc):
            raise
