"""Names that are SQL keywords (or need quoting) where dbtool writes SQL of its own.

A history table called `order` or `group`, a history schema called `user`, a
service schema called `select`: every engine quotes them through the one quoter
of its dialect (dbtool.quoting), so migrate, status, the history commands,
scratch builds and inspection all work on them.
"""

from __future__ import annotations

import random
import sqlite3
from pathlib import Path

import psycopg
import pytest

from dbtool.quoting import SQLITE_KEYWORDS, quote_postgres, quote_sqlite
from tests.conftest import PG_ADMIN_URL, require_postgres
from tests.history.support import (
    SQLITE_DOWN,
    SQLITE_UP,
    as_json,
    ok,
    sqlite_rows,
    states,
    write_set,
)
from tests.interop.support import D1TestServer

NAMES = list(SQLITE_UP)
ODD = ['a"b', "with space", "x-y", "1abc", "ünï", "Mixed", "_ok", "a.b", "$x"]


def _candidates(rng: random.Random) -> list[str]:
    """Keywords of both families in random case, odd names, and random plain words."""
    from pglast.keywords import RESERVED_KEYWORDS, TYPE_FUNC_NAME_KEYWORDS, UNRESERVED_KEYWORDS

    words = sorted(SQLITE_KEYWORDS | RESERVED_KEYWORDS | TYPE_FUNC_NAME_KEYWORDS
                   | {w.upper() for w in UNRESERVED_KEYWORDS})
    cased = [w if rng.random() < 0.5 else w.lower() for w in words]
    letters = "abcdefghijklmnopqrstuvwxyz_0123456789"
    plain = ["".join(rng.choice(letters[:27]) + "".join(rng.choices(letters, k=rng.randint(0, 8))))
             for _ in range(200)]
    return cased + ODD + plain


def test_sqlite_quoter_makes_every_name_usable() -> None:
    seed = random.randrange(2**32)
    rng = random.Random(seed)
    conn = sqlite3.connect(":memory:")
    for name in dict.fromkeys(_candidates(rng)):
        where = f"seed {seed}, name {name!r}"
        quoted = quote_sqlite(name)
        conn.execute(f"CREATE TABLE {quoted}(x)")  # raises with the name in the traceback
        assert conn.execute("SELECT count(*) FROM sqlite_schema WHERE name = ?", (name,)).fetchone()[0] == 1, where
        conn.execute(f"DROP TABLE {quoted}")
        try:  # a name SQLite cannot take bare is never left bare
            conn.execute(f"CREATE TABLE {name}(x)")
            conn.execute(f"DROP TABLE {name}")
        except sqlite3.Error:
            assert quoted != name, where
    assert quote_sqlite("d1_migrations") == "d1_migrations"  # wrangler's DDL stays byte for byte


def test_postgres_quoter_makes_every_name_usable() -> None:
    require_postgres()
    seed = random.randrange(2**32)
    rng = random.Random(seed)
    names = [*dict.fromkeys([*rng.sample(_candidates(rng), 150), "user", "select", "Order", 'we"ird'])]
    names = [n for n in names if not n.lower().startswith("pg_") and n.lower() != "public"]
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute("BEGIN")
        for name in names:
            conn.execute(f"CREATE SCHEMA {quote_postgres(name)}")
            found = conn.execute("SELECT count(*) FROM pg_namespace WHERE nspname = %s", (name,)).fetchone()
            assert found[0] == 1, f"seed {seed}, name {name!r}"
        conn.execute("ROLLBACK")


def _project(root: Path, body: str) -> Path:
    write_set(root / "migrations", SQLITE_UP, SQLITE_DOWN)
    (root / "dbtool.toml").write_text(f'[services.app]\nmigrations = "migrations"\nsnapshot = "app.yaml"\n{body}')
    return root


def _history_commands(root: Path, env: dict[str, str] | None = None) -> None:
    """migrate, status, mark both ways, rollback and migrate again, with the history where the service says."""
    kw = {"cwd": root, "env": env}
    assert [a["name"] for a in as_json("migrate", "app", **kw)["services"][0]["applied"]] == NAMES
    assert {s["state"] for s in states("app", **kw).values()} == {"applied"}
    ok("mark", "app", NAMES[-1], "--pending", "--yes", **kw)
    assert states("app", **kw)[NAMES[-1]]["state"] == "pending"
    ok("mark", "app", NAMES[-1], "--applied", "--yes", **kw)
    ok("rollback", "app", "--steps", "2", **kw)
    assert [n for n, s in states("app", **kw).items() if s["state"] == "pending"] == NAMES[-2:]
    ok("migrate", "app", **kw)
    assert {s["state"] for s in states("app", **kw).values()} == {"applied"}


@pytest.mark.parametrize("table", ["order", "group", "Select", "d1 history"])
def test_sqlite_history_table_named_like_a_keyword(tmp_path: Path, table: str) -> None:
    root = _project(tmp_path, f'dialect = "sqlite"\nhistory_table = "{table}"\n')
    _history_commands(root)
    database = root / ".dbtool/local/app.db"
    assert sqlite_rows(database, f"SELECT count(*) FROM {quote_sqlite(table)}") == [(len(NAMES),)]


def test_remote_d1_history_table_named_like_a_keyword(tmp_path: Path, remote_db: tuple[D1TestServer, str]
                                                       ) -> None:
    server, database = remote_db
    root = _project(tmp_path, 'dialect = "d1"\nhistory_table = "order"\nurl_env = "APP_D1_URL"\n')
    env = {**server.env(), "APP_D1_URL": f"d1://{server.account}/{database}"}
    _history_commands(root, env)
    rows = server.query(database, 'SELECT name FROM "order" ORDER BY id')
    assert [r["name"] for r in rows] == NAMES


def test_postgres_schemas_named_like_keywords(tmp_path: Path, pg_url: str) -> None:
    """history_schema `user`, the service's schema `select`: migrate, status, a scratch build
    (snapshot), and a live audit that inspects the schema by its keyword name."""
    folder = tmp_path / "migrations"
    write_set(folder, {
        "0001_schema.sql": 'CREATE SCHEMA "select";\n',
        "0002_items.sql": 'CREATE TABLE "select".items (id bigint PRIMARY KEY, "order" text);\n'
                          'CREATE INDEX items_order ON "select".items ("order");\n',
    })
    (tmp_path / "dbtool.toml").write_text(
        '[services.app]\ndialect = "postgres"\nmigrations = "migrations"\nsnapshot = "app.yaml"\n'
        'schemas = ["select"]\nhistory_schema = "user"\nurl_env = "APP_PG_URL"\n')
    env = {"APP_PG_URL": pg_url, "DBTOOL_SCRATCH_URL": PG_ADMIN_URL}
    assert len(as_json("migrate", "app", cwd=tmp_path, env=env)["services"][0]["applied"]) == 2
    assert {s["state"] for s in states("app", cwd=tmp_path, env=env).values()} == {"applied"}
    ok("snapshot", "app", cwd=tmp_path, env=env)
    assert "items:" in (tmp_path / "app.yaml").read_text()
    audit = as_json("audit", "app", "--url", pg_url, cwd=tmp_path, env=env)["services"][0]
    assert audit["clean"], audit
    with psycopg.connect(pg_url) as conn:
        assert conn.execute('SELECT count(*) FROM "user".dbtool_migrations').fetchone()[0] == 2
