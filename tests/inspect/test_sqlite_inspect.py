"""SQLite inspector against real database files."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from dbtool.diff import diff
from dbtool.inspect import SqliteRunner, inspect_sqlite
from dbtool.model import (
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    IndexColumn,
    PrimaryKey,
    Schema,
    Table,
    Trigger,
    UniqueConstraint,
    View,
)
from dbtool.sql.sqlite_ddl import parse_create_table

RICH = """
CREATE TABLE users (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  email varchar(100) NOT NULL UNIQUE,      -- a comment, with a comma (and a paren
  name text CHECK (length(name) > 0),
  status TEXT NOT NULL DEFAULT 'active' CONSTRAINT status_enum CHECK (status IN ('active', 'deleted')),
  created_at TEXT NOT NULL DEFAULT (datetime('now')),
  score real default 0,
  nick text collate nocase,
  doubled int generated always as (score * 2) stored
);
CREATE TABLE "Posts" (
  id TEXT PRIMARY KEY,
  author_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  editor_id INTEGER REFERENCES users ON DELETE SET NULL DEFERRABLE INITIALLY DEFERRED,
  "title, with comma" TEXT NOT NULL,
  status TEXT DEFAULT 'draft',
  /* table constraints: */
  CONSTRAINT posts_title_author UNIQUE (author_id, "title, with comma"),
  CHECK (status IN ('draft', 'published', 'a,b)'))
) STRICT;
CREATE TABLE tags (post_id TEXT, tag TEXT, PRIMARY KEY (post_id, tag)) WITHOUT ROWID;
CREATE INDEX idx_posts_title_lower ON "Posts" (lower("title, with comma") DESC);
CREATE INDEX idx_posts_published ON "Posts" (author_id) WHERE status = 'published';
CREATE UNIQUE INDEX idx_users_nick ON users (nick, created_at DESC);
CREATE VIEW published AS SELECT id, "title, with comma" FROM "Posts" WHERE status = 'published';
CREATE TRIGGER users_touch AFTER UPDATE OF name ON users FOR EACH ROW WHEN NEW.name <> OLD.name
BEGIN
  UPDATE users SET created_at = datetime('now') WHERE id = NEW.id;
END;
CREATE TABLE d1_migrations (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT UNIQUE);
CREATE TABLE dbtool_migrations (name TEXT PRIMARY KEY, checksum TEXT);
CREATE TABLE dbtool_anything (x);
CREATE TABLE _cf_KV (key TEXT PRIMARY KEY, value BLOB);
CREATE TRIGGER d1_log AFTER INSERT ON d1_migrations BEGIN SELECT 1; END;
"""

EXPECTED = Schema(
    tables=(
        Table(
            name="users",
            columns=(
                Column("id", "INTEGER", True, identity="AUTOINCREMENT"),
                Column("email", "VARCHAR(100)", False),
                Column("name", "TEXT", True),
                Column("status", "TEXT", False, default="'active'"),
                Column("created_at", "TEXT", False, default="datetime('now')"),
                Column("score", "REAL", True, default="0"),
                Column("nick", "TEXT", True, collation="NOCASE"),
                Column("doubled", "INT", True, generated="score * 2", generated_stored=True),
            ),
            primary_key=PrimaryKey(("id",)),
            uniques=(UniqueConstraint(("email",)),),
            checks=(
                CheckConstraint("length(name) > 0"),
                CheckConstraint("status IN ('active', 'deleted')", "status_enum"),
            ),
            indexes=(Index("idx_users_nick", (IndexColumn("nick"),
                                              IndexColumn("created_at", descending=True)),
                           unique=True),),
        ),
        Table(
            name="Posts",
            columns=(
                Column("id", "TEXT", False),
                Column("author_id", "INTEGER", False),
                Column("editor_id", "INTEGER", True),
                Column("title, with comma", "TEXT", False),
                Column("status", "TEXT", True, default="'draft'"),
            ),
            primary_key=PrimaryKey(("id",)),
            uniques=(UniqueConstraint(("author_id", "title, with comma"), "posts_title_author"),),
            checks=(CheckConstraint("status IN ('draft', 'published', 'a,b)')"),),
            foreign_keys=(
                ForeignKey(("author_id",), "users", ("id",), on_delete="CASCADE"),
                ForeignKey(("editor_id",), "users", ("id",), on_delete="SET NULL",
                           deferrable=True, initially_deferred=True),
            ),
            indexes=(
                Index("idx_posts_published", (IndexColumn("author_id"),),
                      where="status = 'published'"),
                Index("idx_posts_title_lower",
                      (IndexColumn('lower("title, with comma")', expression=True,
                                   descending=True),)),
            ),
            options=("STRICT",),
        ),
        Table(
            name="tags",
            columns=(Column("post_id", "TEXT", False), Column("tag", "TEXT", False)),
            primary_key=PrimaryKey(("post_id", "tag")),
            options=("WITHOUT ROWID",),
        ),
    ),
    views=(View("published",
                "SELECT id, \"title, with comma\" FROM \"Posts\" WHERE status = 'published'"),),
    triggers=(Trigger("users_touch", "users", "AFTER", ("UPDATE",), columns=("name",),
                      condition="NEW.name <> OLD.name",
                      body="UPDATE users SET created_at = datetime('now') WHERE id = NEW.id;"),),
)


class CountingRunner:
    """A QueryRunner that is not a sqlite3 connection, and counts round trips."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.inner = SqliteRunner(conn)
        self.queries: list[str] = []

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        self.queries.append(sql)
        return self.inner.rows(sql, params)


def build(path: Path, sql: str) -> sqlite3.Connection:
    conn = sqlite3.connect(path)
    conn.executescript(sql)
    return conn


def inspect_file(path: Path, **kwargs: Any) -> Schema:
    conn = sqlite3.connect(path)
    try:
        return inspect_sqlite(SqliteRunner(conn), **kwargs)
    finally:
        conn.close()


def test_rich_schema_gives_exactly_the_expected_model(tmp_path: Path) -> None:
    build(tmp_path / "a.db", RICH).close()
    schema = inspect_file(tmp_path / "a.db")
    assert schema.table("users") == EXPECTED.table("users")
    assert schema.table("Posts") == EXPECTED.table("Posts")
    assert schema == EXPECTED
    assert diff(EXPECTED, schema) == []


def test_own_and_platform_tables_and_exclusions_are_left_out(tmp_path: Path) -> None:
    build(tmp_path / "a.db", RICH).close()
    keys = {t.key for t in inspect_file(tmp_path / "a.db").tables}
    assert keys == {"users", "Posts", "tags"}
    schema = inspect_file(tmp_path / "a.db", exclude=("tag*", "PUBLISHED"))
    assert {t.key for t in schema.tables} == {"users", "Posts"}
    assert schema.views == ()


def test_fixed_number_of_queries_whatever_the_table_count(tmp_path: Path) -> None:
    counts = []
    for n in (3, 60):
        sql = "".join(f"CREATE TABLE t{i} (id INTEGER PRIMARY KEY, v TEXT UNIQUE "
                      f"REFERENCES t0(id));\nCREATE INDEX t{i}_v ON t{i} (v);\n" for i in range(n))
        conn = build(tmp_path / f"{n}.db", sql)
        runner = CountingRunner(conn)
        schema = inspect_sqlite(runner)
        assert len(schema.tables) == n
        counts.append(len(runner.queries))
    assert counts[0] == counts[1] == 4
    assert all("pragma_" in q or "sqlite_schema" in q for q in runner.queries)


def test_deterministic_across_runs_and_databases(tmp_path: Path) -> None:
    build(tmp_path / "a.db", RICH).close()
    build(tmp_path / "b.db", RICH).close()
    first, again = inspect_file(tmp_path / "a.db"), inspect_file(tmp_path / "a.db")
    other = inspect_file(tmp_path / "b.db")
    assert first == again == other
    assert first.to_dict() == other.to_dict()
    assert list(first.to_dict()["tables"]) == list(other.to_dict()["tables"])
    assert Schema.from_dict(first.to_dict()) == first


@pytest.mark.parametrize(("one", "two"), [
    ("x varchar(50)", "x VARCHAR( 50 )"),
    ("x decimal(10,2)", "x DECIMAL (10, 2)"),
    ("x TEXT DEFAULT (datetime('now'))", "x text default (DATETIME( 'now' ))"),
    ("x TEXT DEFAULT CURRENT_TIMESTAMP", "x TEXT DEFAULT current_timestamp"),
    ("x INT DEFAULT 0", "x INT DEFAULT (0)"),
    ("x INT DEFAULT -1", "x INT DEFAULT (- 1)"),
    ("x TEXT DEFAULT NULL", "x TEXT"),
    ("x INT CHECK (x > 0)", "x INT CHECK((x>0))"),
    ("x TEXT CHECK (x IN ('a','b'))", "x TEXT CHECK (x in ('a', 'b') /* enum */)"),
])
def test_equivalent_spellings_give_equal_models(tmp_path: Path, one: str, two: str) -> None:
    build(tmp_path / "a.db", f"CREATE TABLE t ({one});").close()
    build(tmp_path / "b.db", f"CREATE TABLE t ({two});").close()
    a, b = inspect_file(tmp_path / "a.db"), inspect_file(tmp_path / "b.db")
    assert a == b
    assert diff(a, b) == []


@pytest.mark.parametrize(("one", "two"), [
    ("x TEXT DEFAULT 'a'", "x TEXT DEFAULT 'A'"),
    ("x REAL DEFAULT 1", "x REAL DEFAULT 1.0"),
    ("x INT", "x INTEGER"),
    ("x TEXT CHECK (x <> 'a b')", "x TEXT CHECK (x <> 'a  b')"),
])
def test_different_values_are_not_normalised_away(tmp_path: Path, one: str, two: str) -> None:
    build(tmp_path / "a.db", f"CREATE TABLE t ({one});").close()
    build(tmp_path / "b.db", f"CREATE TABLE t ({two});").close()
    assert len(diff(inspect_file(tmp_path / "a.db"), inspect_file(tmp_path / "b.db"))) == 1


def test_create_table_parser_respects_quotes_comments_and_nesting() -> None:
    ddl = parse_create_table(
        'CREATE TABLE "a(b" ( [we,ird] TEXT CONSTRAINT "c,1" CHECK ([we,ird] <> \'),(\'), '
        "-- note: CHECK (fake)\n"
        "`n` INT CONSTRAINT nn NOT NULL CONSTRAINT pos CHECK (n > (0)), "
        "CONSTRAINT fk FOREIGN KEY (n) REFERENCES other (id) ON UPDATE CASCADE NOT DEFERRABLE, "
        "CONSTRAINT pk PRIMARY KEY ([we,ird]))"
    )
    assert [(c.name, c.expression) for c in ddl.checks] == [("c,1", "[we,ird] <> '),('"),
                                                            ("pos", "n > (0)")]
    assert ddl.pk_name == "pk"
    assert [(f.columns, f.ref_table, f.name, f.deferrable) for f in ddl.foreign_keys] == [
        (("n",), "other", "fk", False)]
    assert set(ddl.by_name) == {"we,ird", "n"}


def test_alter_table_add_column_and_rename_are_read_back(tmp_path: Path) -> None:
    conn = build(tmp_path / "a.db", "CREATE TABLE t (id INTEGER PRIMARY KEY);")
    conn.executescript(
        "ALTER TABLE t ADD COLUMN note TEXT NOT NULL DEFAULT 'n' CHECK (note <> '');"
        "ALTER TABLE t RENAME TO t2;"
    )
    conn.close()
    table = inspect_file(tmp_path / "a.db").table("t2")
    assert table is not None
    assert table.column("note") == Column("note", "TEXT", False, default="'n'")
    assert table.checks == (CheckConstraint("note <> ''"),)
