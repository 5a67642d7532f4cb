"""The differ: typed changes, exactly the real ones.

The detection matrix builds a real database, inspects it (expected), changes
one thing by hand, inspects again (actual) and asserts the differ reports
exactly that change.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import psycopg
import pytest

from dbtool.diff import Change, ChangeKind, ObjectType, diff
from dbtool.inspect import SqliteRunner, inspect_postgres, inspect_sqlite
from dbtool.model import (
    CheckConstraint,
    Column,
    ForeignKey,
    PrimaryKey,
    Schema,
    Table,
    Trigger,
    UniqueConstraint,
)

MISSING, EXTRA, CHANGED = ChangeKind.MISSING, ChangeKind.EXTRA, ChangeKind.CHANGED
T = ObjectType


def summary(changes: list[Change]) -> list[tuple[Any, ...]]:
    return [(c.kind, c.object_type, c.path, c.field) for c in changes]


# --- pure unit tests ------------------------------------------------------------------


def _table(**kw: Any) -> Table:
    base: dict[str, Any] = dict(
        name="users",
        columns=(Column("id", "INTEGER", False), Column("email", "TEXT", True)),
        primary_key=PrimaryKey(("id",)),
    )
    base.update(kw)
    return Table(**base)


def test_describe_is_one_readable_line() -> None:
    e = Schema(tables=(_table(),))
    a = Schema(tables=(_table(columns=(Column("id", "INTEGER", False),
                                       Column("email", "VARCHAR(10)", True))),))
    [change] = diff(e, a)
    assert change.describe() == "column users.email: type changed TEXT -> VARCHAR(10)"
    assert change.to_dict()["expected"] == "TEXT"
    missing = diff(e, Schema())
    assert [c.describe() for c in missing] == ["table users: missing"]
    assert missing[0].to_dict()["expected"]["columns"]["id"] == {"type": "INTEGER", "nullable": False}


def test_spelling_differences_are_not_changes() -> None:
    e = Schema(tables=(_table(columns=(Column("id", "integer", False, default="( 0 )"),),
                              checks=(CheckConstraint("x IN ('a','b')"),)),))
    a = Schema(tables=(_table(columns=(Column("id", "INTEGER", False, default="0"),),
                              checks=(CheckConstraint("(x in ('a', 'b'))"),)),))
    assert diff(e, a) == []


def test_unnamed_constraints_pair_by_content_and_natural_key() -> None:
    fk = ForeignKey(("author_id",), "authors", ("id",), on_delete="CASCADE")
    e = Schema(tables=(_table(foreign_keys=(fk,), checks=(CheckConstraint("a > 0"),),
                              uniques=(UniqueConstraint(("email",)),)),))
    a = Schema(tables=(_table(
        foreign_keys=(ForeignKey(("author_id",), "authors", ("id",), on_delete="SET NULL"),),
        checks=(CheckConstraint("a >= 0"),), uniques=(UniqueConstraint(("email",)),)),))
    assert [c.describe() for c in diff(e, a)] == [
        "check users (a > 0): expression changed a > 0 -> a >= 0",
        "foreign key users (author_id): on_delete changed CASCADE -> SET NULL",
    ]


def test_generated_names_only_differ_means_no_change_but_chosen_names_count() -> None:
    gen1 = UniqueConstraint(("email",), "users_email_key", True)
    gen2 = UniqueConstraint(("email",), "users_email_key1", True)
    mine = UniqueConstraint(("email",), "uq_email")
    assert diff(Schema(tables=(_table(uniques=(gen1,)),)), Schema(tables=(_table(uniques=(gen2,)),))) == []
    [change] = diff(Schema(tables=(_table(uniques=(mine,)),)), Schema(tables=(_table(uniques=(gen1,)),)))
    assert (change.kind, change.field, change.expected, change.actual) == (
        CHANGED, "name", "uq_email", "users_email_key")


def test_a_dropped_table_is_one_change_not_one_per_trigger() -> None:
    trig = Trigger("t", "users", "AFTER", ("INSERT",), body="SELECT 1;")
    changes = diff(Schema(tables=(_table(),), triggers=(trig,)), Schema())
    assert summary(changes) == [(MISSING, T.TABLE, ("users",), None)]


def test_order_is_deterministic_and_grouped_by_object() -> None:
    e = Schema(tables=(_table(), _table(name="b")))
    a = Schema(tables=(_table(name="c"), _table(primary_key=None, comment="x")))
    changes = diff(e, a)
    assert changes == diff(e, a)
    assert summary(changes) == [
        (MISSING, T.TABLE, ("b",), None),
        (EXTRA, T.TABLE, ("c",), None),
        (MISSING, T.PRIMARY_KEY, ("users",), None),
        (CHANGED, T.COMMENT, ("users",), "comment"),
    ]


# --- SQLite detection matrix -------------------------------------------------------------

SQLITE_BASE = """
CREATE TABLE authors (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
CREATE TABLE books (
  id INTEGER PRIMARY KEY,
  author_id INTEGER NOT NULL REFERENCES authors(id) ON DELETE CASCADE,
  title TEXT NOT NULL,
  isbn TEXT UNIQUE,
  price REAL DEFAULT 0 CHECK (price >= 0),
  status TEXT NOT NULL DEFAULT 'draft'
);
CREATE INDEX idx_books_title ON books (title);
CREATE INDEX idx_books_live ON books (author_id) WHERE status = 'live';
CREATE VIEW live_books AS SELECT id, title FROM books WHERE status = 'live';
CREATE TRIGGER books_status AFTER UPDATE OF status ON books
BEGIN UPDATE books SET price = price WHERE id = NEW.id; END;
CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT);
"""
BOOKS = SQLITE_BASE.split("CREATE TABLE books")[1].split(";")[0]


def sqlite_rebuild(conn: sqlite3.Connection, table: str, old: str, new: str) -> None:
    """The usual SQLite table rebuild, with one edit to the CREATE TABLE text."""
    sql = conn.execute("SELECT sql FROM sqlite_schema WHERE name = ?", (table,)).fetchone()[0]
    assert old in sql
    extras = [r[0] for r in conn.execute(
        "SELECT sql FROM sqlite_schema WHERE tbl_name = ? AND type IN ('index', 'trigger') "
        "AND sql IS NOT NULL", (table,))]
    conn.executescript(
        f"PRAGMA foreign_keys = OFF; PRAGMA legacy_alter_table = ON;"
        f"{sql.replace(old, new).replace(table, table + '_new', 1)};"
        f"INSERT INTO {table}_new SELECT * FROM {table}; DROP TABLE {table};"
        f"ALTER TABLE {table}_new RENAME TO {table};" + ";".join(extras) + ";"
    )


SQLITE_CASES: list[tuple[str, Any, tuple[Any, ...]]] = [
    ("table", "DROP TABLE notes", (MISSING, T.TABLE, ("notes",), None)),
    ("extra table", "CREATE TABLE extra (x)", (EXTRA, T.TABLE, ("extra",), None)),
    ("extra column", "ALTER TABLE books ADD COLUMN x TEXT", (EXTRA, T.COLUMN, ("books", "x"), None)),
    ("column type", ("books", "price REAL", "price NUMERIC"),
     (CHANGED, T.COLUMN, ("books", "price"), "type")),
    ("nullability", ("books", "title TEXT NOT NULL", "title TEXT"),
     (CHANGED, T.COLUMN, ("books", "title"), "nullable")),
    ("default", ("books", "DEFAULT 'draft'", "DEFAULT 'new'"),
     (CHANGED, T.COLUMN, ("books", "status"), "default")),
    ("primary key", ("notes", "id INTEGER PRIMARY KEY, body TEXT",
                     "id INTEGER, body TEXT, PRIMARY KEY (id, body)"),
     (CHANGED, T.PRIMARY_KEY, ("notes",), "columns")),
    ("unique", ("books", "isbn TEXT UNIQUE", "isbn TEXT"),
     (MISSING, T.UNIQUE, ("books", "(isbn)"), None)),
    ("check", ("books", "CHECK (price >= 0)", "CHECK (price > 0)"),
     (CHANGED, T.CHECK, ("books", "(price >= 0)"), "expression")),
    ("foreign key on_delete", ("books", "ON DELETE CASCADE", "ON DELETE SET NULL"),
     (CHANGED, T.FOREIGN_KEY, ("books", "(author_id)"), "on_delete")),
    ("index columns", "DROP INDEX idx_books_title; CREATE INDEX idx_books_title ON books (title, status)",
     (CHANGED, T.INDEX, ("books", "idx_books_title"), "columns")),
    ("index uniqueness", "DROP INDEX idx_books_title; CREATE UNIQUE INDEX idx_books_title ON books (title)",
     (CHANGED, T.INDEX, ("books", "idx_books_title"), "unique")),
    ("partial predicate",
     "DROP INDEX idx_books_live; CREATE INDEX idx_books_live ON books (author_id) WHERE status = 'gone'",
     (CHANGED, T.INDEX, ("books", "idx_books_live"), "where")),
    ("view body", "DROP VIEW live_books; CREATE VIEW live_books AS SELECT id FROM books WHERE status = 'live'",
     (CHANGED, T.VIEW, ("live_books",), "definition")),
    ("trigger", "DROP TRIGGER books_status; CREATE TRIGGER books_status BEFORE UPDATE OF status ON books "
                "BEGIN UPDATE books SET price = price WHERE id = NEW.id; END",
     (CHANGED, T.TRIGGER, ("books", "books_status"), "timing")),
    ("trigger body", "DROP TRIGGER books_status; CREATE TRIGGER books_status AFTER UPDATE OF status ON books "
                     "BEGIN UPDATE books SET price = 0 WHERE id = NEW.id; END",
     (CHANGED, T.TRIGGER, ("books", "books_status"), "body")),
]


def _sqlite(path: Path) -> Schema:
    conn = sqlite3.connect(path)
    try:
        return inspect_sqlite(SqliteRunner(conn))
    finally:
        conn.close()


@pytest.mark.parametrize(("edit", "expected"), [(c[1], c[2]) for c in SQLITE_CASES],
                         ids=[c[0] for c in SQLITE_CASES])
def test_sqlite_detection_matrix(tmp_path: Path, edit: Any, expected: tuple[Any, ...]) -> None:
    path = tmp_path / "db.sqlite"
    conn = sqlite3.connect(path)
    conn.executescript(SQLITE_BASE)
    before = _sqlite(path)
    assert diff(before, _sqlite(path)) == []
    if isinstance(edit, tuple):
        sqlite_rebuild(conn, *edit)
    else:
        conn.executescript(edit)
    conn.close()
    changes = diff(before, _sqlite(path))
    assert summary(changes) == [expected], [c.describe() for c in changes]


# --- Postgres detection matrix -----------------------------------------------------------

PG_BASE = """
CREATE TYPE book_status AS ENUM ('draft', 'live');
CREATE TABLE authors (id serial PRIMARY KEY, name text NOT NULL);
CREATE TABLE books (
  id serial PRIMARY KEY,
  author_id int NOT NULL REFERENCES authors(id) ON DELETE CASCADE,
  title text NOT NULL,
  isbn text UNIQUE,
  price numeric DEFAULT 0 CHECK (price >= 0),
  status book_status NOT NULL DEFAULT 'draft'
);
CREATE INDEX idx_books_title ON books (title);
CREATE INDEX idx_books_live ON books (author_id) WHERE status = 'live';
CREATE VIEW live_books AS SELECT id, title FROM books WHERE status = 'live';
CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
CREATE TRIGGER books_touch BEFORE UPDATE ON books FOR EACH ROW EXECUTE FUNCTION touch();
ALTER TABLE books ENABLE ROW LEVEL SECURITY;
CREATE POLICY books_read ON books FOR SELECT USING (status = 'live');
CREATE PUBLICATION realtime FOR TABLE books, authors;
CREATE TABLE notes (id int PRIMARY KEY, body text);
"""

PG_CASES: list[tuple[str, str, tuple[Any, ...]]] = [
    ("table", "DROP TABLE notes", (MISSING, T.TABLE, ("notes",), None)),
    ("extra column", "ALTER TABLE books ADD COLUMN x int", (EXTRA, T.COLUMN, ("books", "x"), None)),
    ("column type", "ALTER TABLE books ALTER COLUMN isbn TYPE varchar(20)",
     (CHANGED, T.COLUMN, ("books", "isbn"), "type")),
    ("nullability", "ALTER TABLE books ALTER COLUMN title DROP NOT NULL",
     (CHANGED, T.COLUMN, ("books", "title"), "nullable")),
    ("default", "ALTER TABLE books ALTER COLUMN price SET DEFAULT 1",
     (CHANGED, T.COLUMN, ("books", "price"), "default")),
    ("primary key", "ALTER TABLE notes DROP CONSTRAINT notes_pkey",
     (MISSING, T.PRIMARY_KEY, ("notes",), None)),
    ("unique", "ALTER TABLE books DROP CONSTRAINT books_isbn_key",
     (MISSING, T.UNIQUE, ("books", "books_isbn_key"), None)),
    ("check", "ALTER TABLE books DROP CONSTRAINT books_price_check; ALTER TABLE books ADD CHECK (price > 0)",
     (CHANGED, T.CHECK, ("books", "books_price_check"), "expression")),
    ("foreign key on_delete",
     "ALTER TABLE books DROP CONSTRAINT books_author_id_fkey;"
     "ALTER TABLE books ADD FOREIGN KEY (author_id) REFERENCES authors(id) ON DELETE RESTRICT",
     (CHANGED, T.FOREIGN_KEY, ("books", "books_author_id_fkey"), "on_delete")),
    ("index columns", "DROP INDEX idx_books_title; CREATE INDEX idx_books_title ON books (title, isbn)",
     (CHANGED, T.INDEX, ("books", "idx_books_title"), "columns")),
    ("index uniqueness", "DROP INDEX idx_books_title; CREATE UNIQUE INDEX idx_books_title ON books (title)",
     (CHANGED, T.INDEX, ("books", "idx_books_title"), "unique")),
    ("partial predicate",
     "DROP INDEX idx_books_live; CREATE INDEX idx_books_live ON books (author_id) WHERE status = 'draft'",
     (CHANGED, T.INDEX, ("books", "idx_books_live"), "where")),
    ("view body",
     "CREATE OR REPLACE VIEW live_books AS SELECT id, title FROM books WHERE status = 'draft'",
     (CHANGED, T.VIEW, ("live_books",), "definition")),
    ("trigger", "DROP TRIGGER books_touch ON books;"
                "CREATE TRIGGER books_touch AFTER UPDATE ON books FOR EACH ROW EXECUTE FUNCTION touch()",
     (CHANGED, T.TRIGGER, ("books", "books_touch"), "timing")),
    ("function body", "CREATE OR REPLACE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS "
                      "$$ BEGIN NEW.title := upper(NEW.title); RETURN NEW; END $$",
     (CHANGED, T.FUNCTION, ("touch()",), "body")),
    ("enum value", "ALTER TYPE book_status ADD VALUE 'gone'",
     (CHANGED, T.ENUM, ("book_status",), "values")),
    ("rls flag", "ALTER TABLE books DISABLE ROW LEVEL SECURITY",
     (CHANGED, T.RLS, ("books",), "enabled")),
    ("policy expression", "ALTER POLICY books_read ON books USING (status = 'draft')",
     (CHANGED, T.POLICY, ("books", "books_read"), "using")),
    ("publication membership", "ALTER PUBLICATION realtime DROP TABLE authors",
     (CHANGED, T.PUBLICATION, ("realtime",), "tables")),
    ("comment", "COMMENT ON COLUMN books.title IS 'Title'",
     (CHANGED, T.COMMENT, ("books", "title"), "comment")),
    ("sequence", "CREATE SEQUENCE extra_seq", (EXTRA, T.SEQUENCE, ("extra_seq",), None)),
]


def _pg(url: str) -> Schema:
    with psycopg.connect(url) as conn:
        return inspect_postgres(conn)


@pytest.mark.postgres
@pytest.mark.parametrize(("edit", "expected"), [(c[1], c[2]) for c in PG_CASES],
                         ids=[c[0] for c in PG_CASES])
def test_postgres_detection_matrix(pg_url: str, edit: str, expected: tuple[Any, ...]) -> None:
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(PG_BASE)
        before = _pg(pg_url)
        assert diff(before, _pg(pg_url)) == []
        conn.execute(edit)
    changes = diff(before, _pg(pg_url))
    assert summary(changes) == [expected], [c.describe() for c in changes]
    assert changes[0].path[0] in changes[0].describe()
