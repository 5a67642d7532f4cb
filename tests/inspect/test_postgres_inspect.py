"""Postgres inspector against real throwaway databases (the `pg_url` fixtures)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
import pytest
import yaml

from dbtool.diff import diff
from dbtool.inspect import inspect_postgres
from dbtool.model import Grant, IndexColumn, Schema

pytestmark = pytest.mark.postgres

RICH = """
CREATE EXTENSION IF NOT EXISTS pgcrypto;
CREATE SCHEMA app;
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
CREATE SEQUENCE invoice_no START 1000 INCREMENT 5;
CREATE TABLE users (
  id serial PRIMARY KEY,
  email varchar(100) NOT NULL UNIQUE,
  name text CHECK (length(name) > 0),
  mood mood DEFAULT 'ok',
  age int4 CONSTRAINT age_positive CHECK (age >= 0),
  created_at timestamptz NOT NULL DEFAULT now(),
  score numeric(10,2) DEFAULT 0,
  token uuid DEFAULT gen_random_uuid(),
  doubled int GENERATED ALWAYS AS (age * 2) STORED
);
COMMENT ON TABLE users IS 'People';
COMMENT ON COLUMN users.email IS 'login';
CREATE TABLE posts (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  author_id int NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  editor_id int REFERENCES users(id) ON DELETE SET NULL DEFERRABLE INITIALLY DEFERRED,
  title text NOT NULL,
  tags text[] DEFAULT '{}',
  status text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'published')),
  body jsonb,
  UNIQUE (author_id, title)
);
CREATE INDEX posts_title_lower ON posts (lower(title) DESC);
CREATE INDEX ON posts (author_id) WHERE status = 'published';
CREATE INDEX posts_body_gin ON posts USING gin (body);
CREATE UNIQUE INDEX posts_multi ON posts (author_id DESC NULLS LAST, id) INCLUDE (title);
CREATE VIEW published AS SELECT id, title FROM posts WHERE status = 'published';
COMMENT ON VIEW published IS 'Public posts';
CREATE MATERIALIZED VIEW post_counts AS SELECT author_id, count(*) AS n FROM posts GROUP BY author_id;
CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
BEGIN
  NEW.created_at := now();
  RETURN NEW;
END;
$$;
COMMENT ON FUNCTION touch() IS 'Sets created_at';
CREATE FUNCTION app.add(a integer, b integer DEFAULT 1) RETURNS integer LANGUAGE sql IMMUTABLE STRICT AS 'SELECT a + b';
CREATE PROCEDURE app.noop() LANGUAGE sql BEGIN ATOMIC SELECT 1; END;
CREATE TRIGGER users_touch BEFORE UPDATE OF name, email ON users FOR EACH ROW WHEN (OLD.name IS DISTINCT FROM NEW.name) EXECUTE FUNCTION touch();
CREATE TRIGGER posts_audit AFTER INSERT OR DELETE ON posts FOR EACH STATEMENT EXECUTE FUNCTION touch();
ALTER TABLE posts ENABLE ROW LEVEL SECURITY;
ALTER TABLE posts FORCE ROW LEVEL SECURITY;
CREATE POLICY own_posts ON posts FOR UPDATE TO postgres USING (author_id = 1) WITH CHECK (author_id = 1);
CREATE POLICY read_all ON posts AS RESTRICTIVE FOR SELECT USING (true);
CREATE TABLE app.items (
  id int PRIMARY KEY,
  owner_id int REFERENCES public.users(id),
  label text COLLATE "C"
);
CREATE PUBLICATION realtime FOR TABLE posts, users, app.items;
CREATE PUBLICATION inserts_only FOR TABLE posts WITH (publish = 'insert');
CREATE TABLE dbtool_migrations (id serial PRIMARY KEY, name text);
CREATE TABLE ignored_table (id int);
"""

EXPECTED_YAML = """
tables:
  app.items:
    columns:
      id: {type: integer, nullable: false}
      owner_id: {type: integer, nullable: true}
      label: {type: text, nullable: true, collation: C}
    schema: app
    primary_key:
      columns: [id]
      name: items_pkey
      name_generated: true
    foreign_keys:
    - columns: [owner_id]
      ref_table: users
      ref_columns: [id]
      name: items_owner_id_fkey
      name_generated: true
  posts:
    columns:
      id: {type: bigint, nullable: false, identity: ALWAYS}
      author_id: {type: integer, nullable: false}
      editor_id: {type: integer, nullable: true}
      title: {type: text, nullable: false}
      tags: {type: 'text[]', nullable: true, default: '''{}''::text[]'}
      status: {type: text, nullable: false, default: '''draft''::text'}
      body: {type: jsonb, nullable: true}
    primary_key:
      columns: [id]
      name: posts_pkey
      name_generated: true
    uniques:
    - columns: [author_id, title]
      name: posts_author_id_title_key
      name_generated: true
    checks:
    - {expression: 'status = ANY (ARRAY[''draft''::text, ''published''::text])', name: posts_status_check,
      name_generated: true}
    foreign_keys:
    - columns: [author_id]
      ref_table: users
      ref_columns: [id]
      on_delete: CASCADE
      name: posts_author_id_fkey
      name_generated: true
    - columns: [editor_id]
      ref_table: users
      ref_columns: [id]
      on_delete: SET NULL
      deferrable: true
      initially_deferred: true
      name: posts_editor_id_fkey
      name_generated: true
    indexes:
      posts_author_id_idx:
        columns: [author_id]
        where: status = 'published'::text
        name_generated: true
      posts_body_gin:
        columns: [body]
        method: gin
      posts_multi:
        columns:
        - {name: author_id, descending: true, nulls_first: false}
        - id
        unique: true
        include: [title]
      posts_title_lower:
        columns:
        - {name: lower(title), expression: true, descending: true}
    rls_enabled: true
    rls_forced: true
    policies:
      own_posts:
        command: UPDATE
        roles: [postgres]
        using: author_id = 1
        with_check: author_id = 1
      read_all: {command: SELECT, permissive: false, using: 'true'}
  users:
    columns:
      id: {type: integer, nullable: false, identity: SERIAL}
      email: {type: character varying(100), nullable: false, comment: login}
      name: {type: text, nullable: true}
      mood: {type: mood, nullable: true, default: '''ok''::mood'}
      age: {type: integer, nullable: true}
      created_at: {type: timestamp with time zone, nullable: false, default: now()}
      score: {type: 'numeric(10,2)', nullable: true, default: '0'}
      token: {type: uuid, nullable: true, default: gen_random_uuid()}
      doubled: {type: integer, nullable: true, generated: age * 2, generated_stored: true}
    primary_key:
      columns: [id]
      name: users_pkey
      name_generated: true
    uniques:
    - columns: [email]
      name: users_email_key
      name_generated: true
    checks:
    - {expression: age >= 0, name: age_positive}
    - {expression: length(name) > 0, name: users_name_check, name_generated: true}
    comment: People
views:
  post_counts: {definition: "SELECT posts.author_id,\\n    count(*) AS n\\n   FROM posts\\n  GROUP BY posts.author_id",
    materialized: true}
  published: {definition: "SELECT posts.id,\\n    posts.title\\n   FROM posts\\n  WHERE (posts.status = 'published'::text)",
    comment: Public posts}
triggers:
- name: posts_audit
  table: posts
  timing: AFTER
  events: [INSERT, DELETE]
  for_each: STATEMENT
  function: touch()
- name: users_touch
  table: users
  timing: BEFORE
  events: [UPDATE]
  columns: [email, name]
  condition: old.name IS DISTINCT FROM new.name
  function: touch()
functions:
  app.add(a integer, b integer): {arguments: 'a integer, b integer', returns: integer, language: sql,
    body: SELECT a + b, schema: app, volatility: IMMUTABLE, strict: true,
    signature: 'a integer, b integer DEFAULT 1'}
  app.noop(): {arguments: '', returns: '', language: sql, body: "BEGIN ATOMIC\\n SELECT 1;\\nEND", schema: app,
    kind: procedure}
  touch():
    arguments: ''
    returns: trigger
    language: plpgsql
    body: "BEGIN\\n  NEW.created_at := now();\\n  RETURN NEW;\\nEND;"
    security_definer: true
    config: [search_path=public]
    comment: Sets created_at
enums:
  mood:
    values: [sad, ok, happy]
sequences:
  invoice_no: {start: 1000, increment: 5, min_value: 1, max_value: 9223372036854775807}
extensions:
  pgcrypto: {}
publications:
  inserts_only:
    tables: [posts]
    operations: [insert]
  realtime:
    tables: [app.items, posts, users]

"""


@contextmanager
def connect(url: str, **kwargs: Any) -> Iterator[psycopg.Connection[Any]]:
    conn = psycopg.connect(url, **kwargs)
    try:
        yield conn
    finally:
        conn.close()


def build(url: str, sql: str) -> None:
    with connect(url) as conn:
        conn.execute(sql)
        conn.commit()


def inspect_url(url: str, *args: Any, **kwargs: Any) -> Schema:
    with connect(url) as conn:
        return inspect_postgres(conn, *args, **kwargs)


class CountingConnection:
    """Proxy that counts every statement the inspector sends."""

    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self._conn = conn
        self.statements: list[str] = []

    def execute(self, sql: Any, params: Any = None) -> Any:
        self.statements.append(str(sql))
        return self._conn.execute(sql, params)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conn, name)


def test_rich_schema_gives_exactly_the_expected_model(pg_url: str) -> None:
    build(pg_url, RICH)
    schema = inspect_url(pg_url, ("public", "app"), exclude=("ignored_*",))
    assert schema.to_dict() == yaml.safe_load(EXPECTED_YAML)
    assert schema == Schema.from_dict(yaml.safe_load(EXPECTED_YAML))


def test_default_schema_only_and_extension_objects_left_out(pg_url: str) -> None:
    build(pg_url, RICH)
    schema = inspect_url(pg_url)
    assert {t.key for t in schema.tables} == {"users", "posts", "ignored_table"}
    assert [f.key for f in schema.functions] == ["touch()"]  # no pgcrypto functions
    realtime = next(p for p in schema.publications if p.name == "realtime")
    assert realtime.tables == ("app.items", "posts", "users")


def test_deterministic_across_runs_and_databases(pg_url_factory: Callable[[], str]) -> None:
    one, two = pg_url_factory(), pg_url_factory()
    build(one, RICH)
    build(two, RICH)
    first = inspect_url(one, ("public", "app"))
    assert inspect_url(one, ("public", "app")) == first
    other = inspect_url(two, ("public", "app"))
    assert other == first
    assert yaml.safe_dump(other.to_dict(), sort_keys=False) == yaml.safe_dump(first.to_dict(), sort_keys=False)
    assert Schema.from_dict(first.to_dict()) == first
    assert diff(first, other) == []


def test_type_synonyms_read_back_as_one_canonical_name(pg_url_factory: Callable[[], str]) -> None:
    one, two = pg_url_factory(), pg_url_factory()
    build(one, "CREATE TABLE t (a int4, b varchar(20), c timestamp, d bool, e int8, f float8,"
               " g decimal(5,2), h char(3), i timestamptz, j varchar)")
    build(two, "CREATE TABLE t (a integer, b character varying(20), c timestamp without time zone,"
               " d boolean, e bigint, f double precision, g numeric(5,2), h character(3),"
               " i timestamp with time zone, j character varying)")
    a, b = inspect_url(one), inspect_url(two)
    assert a == b
    assert [c.type for c in a.tables[0].columns] == [
        "integer", "character varying(20)", "timestamp without time zone", "boolean", "bigint",
        "double precision", "numeric(5,2)", "character(3)", "timestamp with time zone",
        "character varying"]


def test_generated_constraint_names_are_no_change(pg_url_factory: Callable[[], str]) -> None:
    one, two = pg_url_factory(), pg_url_factory()
    build(one, "CREATE TABLE p (id int PRIMARY KEY); CREATE TABLE t (a int, b int);"
               "ALTER TABLE t ADD CHECK (a > 0); ALTER TABLE t ADD CHECK (a < 100);"
               "ALTER TABLE t ADD FOREIGN KEY (b) REFERENCES p; ALTER TABLE t ADD FOREIGN KEY (b) REFERENCES p ON DELETE CASCADE")
    build(two, "CREATE TABLE p (id int PRIMARY KEY); CREATE TABLE t (a int, b int);"
               "ALTER TABLE t ADD CHECK (a < 100); ALTER TABLE t ADD CHECK (a > 0);"
               "ALTER TABLE t ADD FOREIGN KEY (b) REFERENCES p ON DELETE CASCADE; ALTER TABLE t ADD FOREIGN KEY (b) REFERENCES p")
    a, b = inspect_url(one), inspect_url(two)
    names = {c.expression: c.name for c in a.table("t").checks}
    assert names == {"a > 0": "t_a_check", "a < 100": "t_a_check1"}
    assert {c.expression: c.name for c in b.table("t").checks} == {"a > 0": "t_a_check1", "a < 100": "t_a_check"}
    assert all(c.name_generated for c in a.table("t").checks + b.table("t").checks)
    assert a != b
    assert diff(a, b) == []


def test_serial_column_does_not_depend_on_its_sequence_name(pg_url_factory: Callable[[], str]) -> None:
    one, two = pg_url_factory(), pg_url_factory()
    build(one, "CREATE TABLE t (id serial PRIMARY KEY, n bigserial); CREATE SEQUENCE free_seq;")
    build(two, "CREATE TABLE t (id serial PRIMARY KEY, n bigserial); CREATE SEQUENCE free_seq;"
               "ALTER SEQUENCE t_id_seq RENAME TO renamed_seq;")
    a, b = inspect_url(one), inspect_url(two)
    assert a == b
    assert [(c.name, c.type, c.identity, c.default) for c in a.tables[0].columns] == [
        ("id", "integer", "SERIAL", None), ("n", "bigint", "SERIAL", None)]
    assert [s.key for s in a.sequences] == ["free_seq"]


def _tables_sql(n: int) -> str:
    return "\n".join(
        f"CREATE TABLE t{i} (id serial PRIMARY KEY, name text NOT NULL UNIQUE CHECK (name <> ''),"
        f" parent int REFERENCES t0(id) ON DELETE CASCADE, created timestamptz DEFAULT now());"
        f" CREATE INDEX ON t{i} (name) WHERE parent IS NOT NULL;"
        for i in range(n)
    )


def test_query_count_does_not_grow_with_tables(pg_url_factory: Callable[[], str]) -> None:
    counts = {}
    for n in (50, 500):
        url = pg_url_factory()
        build(url, _tables_sql(n))
        with connect(url) as conn:
            counting = CountingConnection(conn)
            schema = inspect_postgres(counting)  # type: ignore[arg-type]
        assert len(schema.tables) == n
        assert all(len(t.indexes) == 1 and len(t.checks) == 1 for t in schema.tables)
        counts[n] = len(counting.statements)
    assert counts[50] == counts[500] == 14  # 12 catalog queries (one counts what the model lacks) + 2 settings


def test_connection_state_is_left_as_found(pg_url: str) -> None:
    build(pg_url, "CREATE SCHEMA other; CREATE TABLE other.x (id int); CREATE TABLE y (id int)")
    with connect(pg_url, autocommit=True) as conn:
        conn.execute("SET search_path = other, public")
        schema = inspect_postgres(conn, ("public", "other"))
        assert [t.key for t in schema.tables] == ["other.x", "y"]
        assert conn.execute("SHOW search_path").fetchone()[0] == "other, public"
    with connect(pg_url) as conn:
        assert inspect_postgres(conn, ("other",)).tables[0].key == "x"
        assert conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
        conn.execute("SET search_path = other")
        conn.execute("SELECT 1")  # the caller's own transaction stays open and untouched
        inspect_postgres(conn)
        assert conn.info.transaction_status == psycopg.pq.TransactionStatus.INTRANS
        assert conn.execute("SHOW search_path").fetchone()[0] == "other"


def test_views_know_security_invoker_and_what_they_read(pg_url: str) -> None:
    """For the security audit (SEC106): the option in any spelling, and the relations a
    view reads directly, as model keys, from one bulk query (no statement per view)."""
    build(pg_url, "CREATE SCHEMA other; CREATE TABLE other.t (id int); CREATE TABLE a (id int);"
                  "CREATE TABLE b (id int, a_id int);"
                  "CREATE VIEW plain AS SELECT a.id FROM a JOIN b ON b.a_id = a.id;"
                  "CREATE VIEW inv WITH (security_invoker = on) AS SELECT * FROM plain;"
                  "CREATE VIEW inv2 WITH (security_invoker) AS SELECT id FROM other.t;"
                  "CREATE VIEW off WITH (security_invoker = false) AS SELECT 1 AS one;"
                  "CREATE MATERIALIZED VIEW counts AS SELECT count(*) FROM b;")
    views = {v.key: v for v in inspect_url(pg_url).views}
    assert {k: (v.security_invoker, v.reads) for k, v in views.items()} == {
        "plain": (False, ("a", "b")), "inv": (True, ("plain",)), "inv2": (True, ("other.t",)),
        "off": (False, ()), "counts": (False, ("b",))}
    assert inspect_url(pg_url).to_dict()["views"]["inv"] == {
        "definition": views["inv"].definition, "security_invoker": True}  # `reads` is derived: not written


FEATURES = """
DO $$ BEGIN CREATE ROLE dbtool_test_reader NOLOGIN;
EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$;
CREATE TABLE p (id int PRIMARY KEY);
CREATE TABLE t (id int PRIMARY KEY, name text, code text, p_id int,
                CONSTRAINT t_code_key UNIQUE NULLS NOT DISTINCT (code));
CREATE INDEX t_name_pattern ON t (name text_pattern_ops DESC);
CREATE INDEX t_name_c ON t (name COLLATE "C");
CREATE UNIQUE INDEX t_lower_name ON t (lower(name)) NULLS NOT DISTINCT;
ALTER TABLE t ADD CONSTRAINT t_id_positive CHECK (id > 0) NOT VALID;
ALTER TABLE t ADD CONSTRAINT t_local CHECK (id < 1000000) NO INHERIT;
ALTER TABLE t ADD CONSTRAINT t_p_fkey FOREIGN KEY (p_id) REFERENCES p NOT VALID;
GRANT SELECT, INSERT ON t TO dbtool_test_reader;
GRANT ALL ON p TO PUBLIC;
GRANT SELECT ON p TO dbtool_test_reader WITH GRANT OPTION;
CREATE VIEW v WITH (security_invoker = true) AS SELECT id FROM t;
GRANT SELECT ON v TO dbtool_test_reader;
CREATE FUNCTION open_f() RETURNS int LANGUAGE sql AS 'SELECT 1';
CREATE FUNCTION closed_f() RETURNS int LANGUAGE sql AS 'SELECT 1';
REVOKE EXECUTE ON FUNCTION closed_f() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION closed_f() TO dbtool_test_reader;
CREATE SEQUENCE s;
GRANT USAGE ON SEQUENCE s TO dbtool_test_reader;
-- what the model does not hold
CREATE RULE t_no_delete AS ON DELETE TO p DO INSTEAD NOTHING;
CREATE DOMAIN positive AS int CHECK (VALUE > 0);
CREATE TYPE pair AS (a int, b int);
CREATE TABLE booking (id int, during tsrange, EXCLUDE USING gist (during WITH &&));
GRANT UPDATE (name) ON t TO dbtool_test_reader;
ALTER TABLE p REPLICA IDENTITY FULL;
COMMENT ON INDEX t_name_c IS 'C collation';
"""


def test_grants_opclasses_nulls_not_distinct_not_valid_and_what_is_not_compared(pg_url: str) -> None:
    """Issue #15 item 10: each feature read into the model, and each kind the model lacks counted."""
    build(pg_url, FEATURES)
    with connect(pg_url) as conn:
        counting = CountingConnection(conn)
        schema = inspect_postgres(counting)  # type: ignore[arg-type]
    assert len(counting.statements) == 14
    t, p = schema.table("t"), schema.table("p")
    indexes = {i.name: i for i in t.indexes}
    assert indexes["t_name_pattern"].columns[0] == IndexColumn("name", descending=True,
                                                               opclass="text_pattern_ops")
    assert indexes["t_name_c"].columns[0] == IndexColumn("name", collation="C")
    assert indexes["t_lower_name"].nulls_not_distinct and indexes["t_lower_name"].unique
    assert [(u.name, u.nulls_not_distinct) for u in t.uniques] == [("t_code_key", True)]
    assert {c.name: (c.expression, c.not_valid, c.no_inherit) for c in t.checks} == {
        "t_id_positive": ("id > 0", True, False), "t_local": ("id < 1000000", False, True)}
    assert [(f.name, f.not_valid) for f in t.foreign_keys] == [("t_p_fkey", True)]
    assert t.grants == (Grant("dbtool_test_reader", ("SELECT", "INSERT")),)
    assert p.grants == (Grant("PUBLIC", ("ALL",)),
                        Grant("dbtool_test_reader", ("SELECT WITH GRANT OPTION",)))
    view = schema.views[0]
    assert (view.security_invoker, view.grants) == (True, (Grant("dbtool_test_reader", ("SELECT",)),))
    functions = {f.name: f.grants for f in schema.functions}
    assert functions == {"open_f": (Grant("PUBLIC", ("EXECUTE",)),),
                         "closed_f": (Grant("dbtool_test_reader", ("EXECUTE",)),)}
    assert schema.sequences[0].grants == (Grant("dbtool_test_reader", ("USAGE",)),)
    assert {n.kind: n.count for n in schema.not_compared} == {
        "rules": 1, "domains": 1, "composite types": 1, "exclusion constraints": 1,
        "column privileges": 1, "replica identity settings": 1,
        "comments on constraints, indexes, triggers, policies, types and sequences": 1}
    text = yaml.safe_dump(schema.to_dict(), sort_keys=False)
    assert Schema.from_dict(yaml.safe_load(text)) == schema  # every feature survives a snapshot
    assert "not_compared" not in text and "open_f" in text and "grants" not in schema.to_dict()[
        "functions"]["open_f()"]  # the default EXECUTE for PUBLIC is left out
