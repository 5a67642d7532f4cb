"""CV1xx: opt-in conventions and security rules."""

from __future__ import annotations

from pathlib import Path

from dbtool.lint.config import LintConfig
from tests.lint.support import codes, lint, only


def test_cv_rules_are_opt_in(tmp_path: Path) -> None:
    sql = "CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT, s TEXT CHECK (s IN ('A', 'B')));"
    assert codes(lint(tmp_path / "a", "d1", sql, config=LintConfig())) == []
    enabled = LintConfig(enable=frozenset({"CV101", "CV102"}))
    assert codes(lint(tmp_path / "b", "d1", sql, config=enabled)) == ["CV102", "CV101"]


def test_cv101_enum_lowercase(tmp_path: Path) -> None:
    bad = "CREATE TABLE t (id TEXT PRIMARY KEY, kind TEXT CHECK (kind IN ('PIANO', 'guitar')));"
    [finding] = only(lint(tmp_path / "a", "d1", bad), "CV101")
    assert "t.kind" in finding.message and "'PIANO'" in finding.message
    assert finding.location.col == bad.index("'PIANO'") + 1
    good = "CREATE TABLE t (id TEXT PRIMARY KEY, kind TEXT CHECK (kind IN ('piano', 'guitar')));"
    assert codes(lint(tmp_path / "b", "d1", good)) == []


def test_cv101_postgres_check_and_enum_type(tmp_path: Path) -> None:
    table = "CREATE TABLE t (s text CONSTRAINT s_check CHECK (s = ANY (ARRAY['Open'::text, 'closed'::text])));"
    assert "CV101" in codes(lint(tmp_path / "a", "postgres", table))
    assert "CV101" in codes(lint(tmp_path / "b", "postgres", "CREATE TYPE mood AS ENUM ('Happy', 'sad');"))
    good = "CREATE TABLE t (s text CHECK (s IN ('open', 'closed')));"
    assert "CV101" not in codes(lint(tmp_path / "c", "postgres", good))


def test_cv102_integer_keys(tmp_path: Path) -> None:
    assert "CV102" in codes(lint(tmp_path / "a", "d1", "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT);"))
    assert "CV102" in codes(lint(tmp_path / "b", "postgres", "CREATE TABLE t (id serial PRIMARY KEY);"))
    identity = "CREATE TABLE t (id bigint GENERATED ALWAYS AS IDENTITY, PRIMARY KEY (id));"
    assert "CV102" in codes(lint(tmp_path / "c", "postgres", identity))
    assert codes(lint(tmp_path / "d", "d1", "CREATE TABLE t (id TEXT PRIMARY KEY, n INTEGER);")) == []
    counter = "CREATE TABLE t (id uuid PRIMARY KEY, seq serial);"
    assert "CV102" not in codes(lint(tmp_path / "e", "postgres", counter))


def test_cv103_foreign_key_without_index(tmp_path: Path) -> None:
    parent = "CREATE TABLE p (id TEXT PRIMARY KEY);"
    child = "CREATE TABLE c (id TEXT PRIMARY KEY, p_id TEXT REFERENCES p(id));"
    [finding] = only(lint(tmp_path / "a", "d1", parent, child), "CV103")
    assert "c(p_id) -> p" in finding.message
    assert "CREATE INDEX ON c (p_id)" in finding.help
    indexed = child + "\nCREATE INDEX idx_c_p ON c (p_id, id);"
    assert "CV103" not in codes(lint(tmp_path / "b", "d1", parent, indexed))
    # indexed by a later file: the rule looks at the schema after the last file
    later = lint(tmp_path / "c", "d1", parent, child, "CREATE INDEX idx_c_p ON c (p_id);", only_last=False)
    assert "CV103" not in codes(later)


def test_cv103_postgres(tmp_path: Path) -> None:
    sql = ("CREATE TABLE p (id uuid PRIMARY KEY);\n"
           "CREATE TABLE c (id uuid PRIMARY KEY, p_id uuid REFERENCES p (id));")
    assert "CV103" in codes(lint(tmp_path / "a", "postgres", sql))
    indexed = sql + "\nCREATE INDEX ON c (p_id);"
    assert "CV103" not in codes(lint(tmp_path / "b", "postgres", indexed))


def test_cv104_rls_on_exposed_tables(tmp_path: Path) -> None:
    create = "CREATE TABLE public.notes (id uuid PRIMARY KEY);"
    report = lint(tmp_path / "a", "postgres", create, "SELECT 1;", only_last=False)
    [finding] = only(report, "CV104")
    assert "public.notes" in finding.message and report.failed
    enabled = lint(tmp_path / "b", "postgres", create,
                   "ALTER TABLE public.notes ENABLE ROW LEVEL SECURITY;", only_last=False)
    assert "CV104" not in codes(enabled)
    private = lint(tmp_path / "c", "postgres", "CREATE TABLE internal.jobs (id int);")
    assert "CV104" not in codes(private)


def test_cv105_security_definer_search_path(tmp_path: Path) -> None:
    body = "RETURNS void LANGUAGE sql SECURITY DEFINER AS $$ SELECT 1 $$;"
    bad = f"CREATE FUNCTION f() {body}"
    assert "CV105" in codes(lint(tmp_path / "a", "postgres", bad))
    fixed = "CREATE FUNCTION f() RETURNS void LANGUAGE sql SECURITY DEFINER SET search_path = '' AS $$ SELECT 1 $$;"
    assert "CV105" not in codes(lint(tmp_path / "b", "postgres", fixed))
    altered = bad + "\nALTER FUNCTION f() SET search_path = public;"
    assert "CV105" not in codes(lint(tmp_path / "c", "postgres", altered))
    invoker = "CREATE FUNCTION f() RETURNS void LANGUAGE sql AS $$ SELECT 1 $$;"
    assert "CV105" not in codes(lint(tmp_path / "d", "postgres", invoker))
    temp_first = bad.replace("AS $$", "SET search_path = pg_temp, public AS $$")
    assert "CV105" in codes(lint(tmp_path / "e", "postgres", temp_first))
    temp_last = bad + "\nALTER FUNCTION f() SET search_path = public, pg_temp;"
    assert "CV105" not in codes(lint(tmp_path / "f", "postgres", temp_last))
