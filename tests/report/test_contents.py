"""What a migration file creates and alters, derived from its statements."""

from __future__ import annotations

import pytest

from dbtool.report.contents import analyse, summary
from dbtool.report.statements import Event, statement_events


def contents(*sqls: str, dialect: str = "sqlite") -> str:
    return summary(analyse(sqls, dialect))


@pytest.mark.parametrize(("sql", "expected"), [
    ("CREATE TABLE jobs (id TEXT)", [Event("create", "jobs")]),
    ("create temp table if not exists Scratch(x)", [Event("create", "Scratch")]),
    ('CREATE TABLE "odd name" (x)', [Event("create", "odd name")]),
    ("CREATE TABLE main.t (x)", [Event("create", "t")]),
    ("CREATE UNIQUE INDEX IF NOT EXISTS i ON t(a)", [Event("alter", "t", "index")]),
    ("CREATE TRIGGER trg AFTER UPDATE OF a ON t BEGIN UPDATE u SET x = 1; END",
     [Event("alter", "t", "trigger")]),
    ("ALTER TABLE t ADD COLUMN c TEXT CHECK (c IN ('a', 'b'))", [Event("alter", "t", "add", ("c",))]),
    ("ALTER TABLE t ADD c TEXT", [Event("alter", "t", "add", ("c",))]),
    ("ALTER TABLE t DROP COLUMN c", [Event("alter", "t", "drop", ("c",))]),
    ("ALTER TABLE t RENAME COLUMN a TO b", [Event("alter", "t", "rename", ("a", "b"))]),
    ("ALTER TABLE t RENAME TO u", [Event("rename", "t", names=("u",))]),
    ("DROP TABLE IF EXISTS a", [Event("drop", "a")]),
    ("INSERT OR IGNORE INTO t (a) VALUES (1)", [Event("data", "t")]),
    ("REPLACE INTO t VALUES (1)", [Event("data", "t")]),
    ("UPDATE t SET a = lower(a)", [Event("data", "t")]),
    ("DELETE FROM t WHERE 1", [Event("data", "t")]),
    ("PRAGMA defer_foreign_keys = on", []),
    ("SELECT 1", []),
])
def test_sqlite_statement_events(sql: str, expected: list[Event]) -> None:
    assert statement_events(sql, "sqlite") == expected


@pytest.mark.parametrize(("sql", "expected"), [
    ("ALTER TABLE t ADD COLUMN [Note] TEXT", [Event("alter", "t", "add", ("Note",))]),
    ("ALTER TABLE [Parent] RENAME TO [Child]", [Event("rename", "Parent", names=("Child",))]),
    ("ALTER TABLE t DROP [x]", [Event("alter", "t", "drop", ("x",))]),
    ("WITH old AS (SELECT id FROM t) DELETE FROM t WHERE id IN old", [Event("data", "t")]),
])
def test_sqlite_statements_are_read_with_sqlite_lexis(sql: str, expected: list[Event]) -> None:
    """`[x]` is SQLite's quoted name (not a subscript), and a WITH clause leads to its verb."""
    assert statement_events(sql, "d1") == expected


@pytest.mark.parametrize(("sql", "expected"), [
    ("CREATE TABLE public.Users (id int)", [Event("create", "users")]),
    ('CREATE TABLE public."Users" (id int)', [Event("create", "Users")]),
    ("CREATE TABLE storage.buckets (id text)", [Event("create", "storage.buckets")]),
    ("ALTER TABLE ONLY public.t ADD COLUMN IF NOT EXISTS a int, ADD COLUMN b int DEFAULT f(1, 2)",
     [Event("alter", "t", "add", ("a",)), Event("alter", "t", "add", ("b",))]),
    ("ALTER TABLE t ADD CONSTRAINT fk FOREIGN KEY (a) REFERENCES u(id)",
     [Event("alter", "t", "foreign key")]),
    ("ALTER TABLE t ALTER COLUMN a SET NOT NULL", [Event("alter", "t", "change", ("a",))]),
    ("ALTER TABLE t ENABLE ROW LEVEL SECURITY", [Event("alter", "t", "RLS")]),
    ("ALTER TABLE t REPLICA IDENTITY FULL", [Event("alter", "t", "replica identity")]),
    ("CREATE INDEX CONCURRENTLY IF NOT EXISTS i ON ONLY public.t USING gin (a)",
     [Event("alter", "t", "index")]),
    ('CREATE POLICY "Users can read" ON public.t FOR SELECT USING (true)',
     [Event("alter", "t", "policy")]),
    ("DROP TRIGGER IF EXISTS trg ON public.t", [Event("alter", "t", "trigger")]),
    ("COMMENT ON COLUMN public.t.a IS 'x'", [Event("alter", "t", "comment")]),
    ("GRANT SELECT, UPDATE (a) ON TABLE public.t TO authenticated", [Event("alter", "t", "grant")]),
    ("GRANT EXECUTE ON FUNCTION f() TO anon", []),
    ("CREATE OR REPLACE FUNCTION public.f(a int) RETURNS int AS $$ SELECT 1 $$ LANGUAGE sql",
     [Event("function", "f")]),
    ("CREATE MATERIALIZED VIEW IF NOT EXISTS v AS SELECT 1", [Event("view", "v")]),
    ("CREATE EXTENSION IF NOT EXISTS pgcrypto", [Event("extension", "pgcrypto")]),
    ("ALTER PUBLICATION supabase_realtime ADD TABLE public.a, b",
     [Event("publication", "supabase_realtime", "add", ("a", "b"))]),
    ("CREATE PUBLICATION p FOR TABLE a", [Event("publication", "p", "create", ("a",))]),
])
def test_postgres_statement_events(sql: str, expected: list[Event]) -> None:
    assert statement_events(sql, "postgres") == expected


@pytest.mark.parametrize(("sql", "expected"), [
    ("WITH c AS (SELECT 1) INSERT INTO public.t SELECT * FROM c", [Event("data", "t")]),
    ("ALTER TABLE t VALIDATE CONSTRAINT t_fk", [Event("alter", "t", "constraint")]),
    ("ALTER TABLE t SET SCHEMA archive", [Event("alter", "t", "options")]),
    ("ALTER TABLE t RENAME CONSTRAINT a TO b", [Event("alter", "t", "constraint")]),
    ('ALTER TABLE "T" RENAME COLUMN "A" TO b', [Event("alter", "T", "rename", ("A", "b"))]),
    ("DROP POLICY p ON auth.users", [Event("alter", "auth.users", "policy")]),
    ("REVOKE ALL ON ALL TABLES IN SCHEMA public FROM anon", []),
    ("CREATE TYPE pair AS (a int, b int)", [Event("type", "pair")]),
    ("CREATE TABLEX u (a int)", []),  # the parser rejects it: no event is guessed
])
def test_postgres_statements_are_read_by_the_server_parser(sql: str, expected: list[Event]) -> None:
    assert statement_events(sql, "postgres") == expected


def test_seed_000_style() -> None:
    assert contents("CREATE TABLE a (x)", "CREATE INDEX i ON a(x)",
                    "CREATE TRIGGER t AFTER UPDATE ON a BEGIN SELECT 1; END",
                    "CREATE TABLE b (x)") == "a, b"
    assert contents("ALTER TABLE jobs ADD COLUMN workflow_type TEXT",
                    "CREATE INDEX idx ON jobs(workflow_type)") == "ALTER jobs (workflow_type)"
    assert contents("ALTER TABLE a ADD COLUMN x", "ALTER TABLE b ADD COLUMN y",
                    "ALTER TABLE a ADD COLUMN z") == "ALTERs: a (x, z), b (y)"


def test_rebuild_create_copy_drop_rename() -> None:
    text = contents("CREATE TABLE t_new (id TEXT)", "INSERT INTO t_new SELECT * FROM t",
                    "DROP TABLE t", "ALTER TABLE t_new RENAME TO t",
                    "CREATE INDEX idx_t ON t(id)")
    assert text == "ALTER t (rebuilt)"


def test_rebuild_rename_away_first() -> None:
    text = contents("ALTER TABLE t RENAME TO t_old", "CREATE TABLE t (id TEXT, extra TEXT)",
                    "INSERT INTO t SELECT *, NULL FROM t_old", "DROP TABLE t_old")
    assert text == "ALTER t (rebuilt); data: t"


def test_a_work_table_made_and_dropped_is_not_reported() -> None:
    assert contents("CREATE TABLE tmp (x)", "INSERT INTO tmp VALUES (1)", "DROP TABLE tmp",
                    "UPDATE t SET a = 1") == "data: t"


def test_names_match_case_insensitively_first_spelling_wins() -> None:
    assert contents("CREATE TABLE Users (id)", "CREATE INDEX i ON USERS(id)") == "Users"


def test_everything_else_in_order() -> None:
    text = contents(
        "CREATE TABLE c (x int)", "ALTER TABLE a DROP COLUMN old", "DROP TABLE b",
        "ALTER TABLE d RENAME TO e", "INSERT INTO c VALUES (1)",
        "CREATE FUNCTION f() RETURNS int AS $$ SELECT 1 $$ LANGUAGE sql",
        "CREATE VIEW v AS SELECT 1", "CREATE TYPE mood AS ENUM ('a')",
        "CREATE EXTENSION pgcrypto", "ALTER PUBLICATION p DROP TABLE c", dialect="postgres")
    assert text == ("c; ALTER a (drop old); DROP b; RENAME d → e; data: c; functions: f; "
                    "views: v; types: mood; extensions: pgcrypto; publication p (- c)")


def test_empty_file() -> None:
    assert contents() == "—"


def test_tables_touched_for_filtering() -> None:
    found = analyse(["CREATE TABLE a (x)", "ALTER TABLE B ADD COLUMN y", "UPDATE c SET x = 1"], "sqlite")
    assert found.tables() == {"a", "b", "c"}
