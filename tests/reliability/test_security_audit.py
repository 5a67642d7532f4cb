"""`dbtool audit` on Postgres: the security checks (SEC101-SEC104).

The bundled studio service (Supabase flavour) passes; a database with each
problem is flagged with its code and the object's name, and exits 1; the
look-alikes that are fine (a read-only anon policy, a RESTRICTIVE one, a
SECURITY DEFINER function with a fixed search_path) are not.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dbtool.core.security import audit_security
from dbtool.model import Function, Policy, Schema, Table
from tests.conftest import PG_ADMIN_URL
from tests.helpers import REPO, migrate_service, run_dbtool

ROLES = """DO $$ BEGIN
  CREATE ROLE anon NOLOGIN;
EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$;
DO $$ BEGIN
  CREATE ROLE authenticated NOLOGIN;
EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$;
"""
PROBLEMS = """
CREATE TABLE open_notes (id int PRIMARY KEY, body text);
CREATE TABLE locked (id int PRIMARY KEY);
ALTER TABLE locked ENABLE ROW LEVEL SECURITY;
CREATE TABLE guestbook (id int PRIMARY KEY, line text);
ALTER TABLE guestbook ENABLE ROW LEVEL SECURITY;
CREATE POLICY anyone_signs ON guestbook FOR INSERT TO anon WITH CHECK (true);
CREATE POLICY guests_read ON guestbook FOR SELECT TO anon USING (true);
CREATE TABLE comments (id int PRIMARY KEY);
ALTER TABLE comments ENABLE ROW LEVEL SECURITY;
CREATE POLICY everything ON comments USING (true);
CREATE TABLE fine (id int PRIMARY KEY, owner text);
ALTER TABLE fine ENABLE ROW LEVEL SECURITY;
CREATE POLICY owners_write ON fine FOR ALL TO authenticated USING (owner = current_user);
CREATE POLICY no_anon_writes ON fine AS RESTRICTIVE FOR UPDATE TO anon USING (false);
CREATE FUNCTION elevate() RETURNS int LANGUAGE sql SECURITY DEFINER AS 'SELECT 1';
CREATE FUNCTION safe_elevate() RETURNS int LANGUAGE sql SECURITY DEFINER SET search_path = '' AS 'SELECT 1';
CREATE FUNCTION plain() RETURNS int LANGUAGE sql AS 'SELECT 1';
CREATE FUNCTION temp_first() RETURNS int LANGUAGE sql SECURITY DEFINER
  SET search_path = pg_temp, public AS 'SELECT 1';
CREATE FUNCTION temp_last() RETURNS int LANGUAGE sql SECURITY DEFINER
  SET search_path = public, pg_temp AS 'SELECT 1';
CREATE TABLE drafts (id int PRIMARY KEY);
ALTER TABLE drafts ENABLE ROW LEVEL SECURITY;
CREATE POLICY nobody_signs ON drafts FOR INSERT TO anon WITH CHECK (false);
CREATE POLICY nobody_edits ON drafts FOR UPDATE TO anon USING (false);
CREATE POLICY nobody_at_all ON drafts FOR ALL TO anon USING (false);
CREATE POLICY readers ON drafts FOR SELECT TO anon USING (true);
CREATE TABLE inbox (id int PRIMARY KEY);
ALTER TABLE inbox ENABLE ROW LEVEL SECURITY;
CREATE POLICY drop_box ON inbox FOR ALL TO anon USING (false) WITH CHECK (true);
CREATE VIEW guest_lines AS SELECT line FROM guestbook;
CREATE VIEW guest_lines_invoker WITH (security_invoker = true) AS SELECT line FROM guestbook;
CREATE VIEW over_invoker AS SELECT line FROM guest_lines_invoker;
CREATE VIEW invoker_over_definer WITH (security_invoker = on) AS SELECT line FROM guest_lines;
CREATE VIEW open_lines AS SELECT body FROM open_notes;
CREATE MATERIALIZED VIEW guest_count AS SELECT count(*) AS n FROM guestbook;
"""
EXPECTED = {
    ("SEC101", "public.open_notes"),
    ("SEC102", "public.locked"),
    ("SEC103", "public.elevate()"),
    ("SEC103", "public.temp_first()"),
    ("SEC104", "public.guestbook policy 'anyone_signs'"),
    ("SEC104", "public.comments policy 'everything'"),
    ("SEC104", "public.inbox policy 'drop_box'"),
    ("SEC106", "public.guest_lines"),
    ("SEC106", "public.over_invoker"),
    ("SEC106", "public.invoker_over_definer"),
    ("SEC106", "public.guest_count"),
}


def make_project(root: Path, exposed: bool) -> Path:
    (root / "migrations").mkdir(parents=True)
    (root / "migrations" / "0001_roles.sql").write_text(ROLES)
    (root / "migrations" / "0002_objects.sql").write_text(PROBLEMS)
    exposure = 'exposed_schemas = ["public"]\n' if exposed else ""
    (root / "dbtool.toml").write_text(f'scratch_url = "{PG_ADMIN_URL}"\n\n[services.app]\n'
                                      f'dialect = "postgres"\nmigrations = "migrations"\n{exposure}')
    assert run_dbtool("snapshot", "app", cwd=root).returncode == 0
    return root


def findings(proc) -> set[tuple[str, str]]:
    return {(f["code"], f["object"]) for f in json.loads(proc.stdout)["services"][0]["security"]}


@pytest.mark.postgres
def test_studio_passes_the_security_audit(pg_url):
    migrate_service("studio", pg_url)
    proc = run_dbtool("audit", "studio", "--url", pg_url, "--format", "json", cwd=REPO)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    service = json.loads(proc.stdout)["services"][0]
    assert (service["clean"], service["security"]) == (True, [])
    # clean, but not a claim about what the model does not hold: studio grants UPDATE on three
    # columns of users and sets REPLICA IDENTITY FULL on shot_generations
    assert service["not_compared"] == [{"kind": "replica identity settings", "count": 1},
                                       {"kind": "column privileges", "count": 3}]
    text = run_dbtool("audit", "studio", "--url", pg_url, cwd=REPO).stdout
    assert ": clean\n  not compared (the schema model does not hold them): replica identity " \
           "settings (1), column privileges (3)" in text


@pytest.mark.postgres
def test_each_problem_is_flagged_with_its_code_and_object(pg_url, tmp_path):
    root = make_project(tmp_path / "project", exposed=True)
    assert run_dbtool("migrate", "app", "--url", pg_url, cwd=root).returncode == 0
    proc = run_dbtool("audit", "app", "--url", pg_url, "--format", "json", cwd=root)
    assert proc.returncode == 1
    service = json.loads(proc.stdout)["services"][0]
    assert service["changes"] == [] and service["history"] == []  # security alone fails it
    assert findings(proc) == EXPECTED
    text = run_dbtool("audit", "app", "--url", pg_url, cwd=root)
    assert text.returncode == 1 and f"{len(EXPECTED)} problem(s)" in text.stdout
    assert "security SEC101 public.open_notes: row-level security is not enabled" in text.stdout
    github = run_dbtool("audit", "app", "--url", pg_url, "--format", "github", cwd=root)
    assert ",title=SEC103::app: public.elevate(): SECURITY DEFINER" in github.stdout


@pytest.mark.postgres
def test_the_scratch_build_is_audited_too_and_unexposed_services_skip_rls(tmp_path):
    exposed = make_project(tmp_path / "exposed", exposed=True)
    proc = run_dbtool("audit", "app", "--format", "json", cwd=exposed)  # scratch build
    assert proc.returncode == 1 and findings(proc) == EXPECTED
    private = make_project(tmp_path / "private", exposed=False)
    proc = run_dbtool("audit", "app", "--format", "json", cwd=private)
    assert proc.returncode == 1 and findings(proc) == {("SEC103", "public.elevate()"),
                                                       ("SEC103", "public.temp_first()")}


def test_rules_on_the_model():
    """The look-alikes: reads for anon, restrictive policies, fixed search paths, other schemas."""
    schema = Schema(
        tables=(Table("ok", rls_enabled=True, policies=(Policy("read", "SELECT", roles=("anon",)),)),
                Table("internal", schema="private"),
                Table("guarded", rls_enabled=True, policies=(
                    Policy("deny", "DELETE", permissive=False, roles=("anon",)),
                    Policy("write", "UPDATE", roles=("public",))))),
        functions=(Function("f", "", "int", "sql", "SELECT 1", security_definer=True,
                            config=("search_path=\"\"",)),
                   Function("g", "x int", "int", "sql", "SELECT 1", schema="private",
                            security_definer=True)),
    )
    found = audit_security(schema, schemas=("public", "private"), exposed=("public",))
    assert [(f.code, f.object) for f in found] == [
        ("SEC103", "private.g(x int)"), ("SEC104", "public.guarded policy 'write'")]
    assert "PUBLIC, which includes anon" in found[1].message and " — " in found[1].describe()


@pytest.mark.postgres
def test_dbtool_history_reachable_by_the_api_roles_is_sec105(pg_url, tmp_path):
    """dbtool's own tables are not in the schema model; audit reads their grants apart."""
    import psycopg

    root = tmp_path / "project"
    (root / "migrations").mkdir(parents=True)
    (root / "migrations" / "0001_roles.sql").write_text(ROLES)
    (root / "dbtool.toml").write_text('[services.app]\ndialect = "postgres"\nmigrations = "migrations"\n'
                                      'exposed_schemas = ["public"]\n')
    assert run_dbtool("migrate", "app", "--url", pg_url, cwd=root).returncode == 0
    (root / "schemas").mkdir()
    (root / "schemas" / "app.yaml").write_text("service: app\ndialect: postgres\n")
    clean = run_dbtool("audit", "app", "--url", pg_url, "--format", "json", cwd=root)
    assert clean.returncode == 0 and findings(clean) == set(), clean.stdout
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("GRANT SELECT, DELETE ON dbtool.dbtool_migrations TO anon")
        conn.execute("GRANT USAGE ON SCHEMA dbtool TO authenticated")
    proc = run_dbtool("audit", "app", "--url", pg_url, "--format", "json", cwd=root)
    assert proc.returncode == 1
    assert findings(proc) == {("SEC105", "dbtool"), ("SEC105", "dbtool.dbtool_migrations")}
    messages = {f["object"]: f for f in json.loads(proc.stdout)["services"][0]["security"]}
    assert "anon may SELECT, DELETE" in messages["dbtool.dbtool_migrations"]["message"]
    assert messages["dbtool"]["hint"] == "REVOKE ALL ON SCHEMA dbtool FROM authenticated"


def test_sec105_on_the_model():
    """Which grants count: any on a history table; on the schema only when it is not one the
    service keeps its objects in; a history table in an exposed schema even without grants."""
    from dbtool.engines.pg_own_tables import OwnObject

    own = [OwnObject("schema", "dbtool", None),
           OwnObject("table", "dbtool", "dbtool_migrations", (("PUBLIC", ("SELECT",)),)),
           OwnObject("table", "public", "dbtool_history_log"),
           OwnObject("schema", "ops", None, (("anon", ("USAGE",)),)),
           OwnObject("schema", "public", None, (("PUBLIC", ("USAGE",)),))]
    found = audit_security(Schema(), schemas=("public",), exposed=("public",), own_objects=own)
    assert [(f.code, f.object) for f in found] == [
        ("SEC105", "dbtool.dbtool_migrations"), ("SEC105", "ops"), ("SEC105", "public.dbtool_history_log")]
    assert "it is in the exposed schema public" in found[2].message
    assert "dbtool migrate" in found[2].hint


INSECURE = """-- a deliberately insecure change to studio: one of each problem
ALTER TABLE public.resources DISABLE ROW LEVEL SECURITY;
ALTER FUNCTION public.handle_new_user() SET search_path = pg_temp, public;
CREATE VIEW public.shot_names AS SELECT id, name FROM public.shots;
"""


@pytest.mark.postgres
def test_an_insecure_copy_of_studio_gets_one_finding_each(pg_url, tmp_path):
    """RLS off on one table, a DEFINER function with pg_temp first, a non-invoker view over
    an RLS table: exactly one finding each (the untouched studio has none, see above)."""
    import shutil

    root = tmp_path / "studio-copy"
    shutil.copytree(REPO / "migrations" / "studio", root / "migrations")
    (root / "migrations" / "20990101000000_insecure.sql").write_text(INSECURE)
    (root / "dbtool.toml").write_text(
        f'[services.studio]\ndialect = "postgres"\nmigrations = "migrations"\nnaming = "timestamp"\n'
        f'exposed_schemas = ["public"]\nprelude = "supabase"\n'
        f'snapshot = "{REPO / "schemas" / "studio.yaml"}"\n')
    migrated = run_dbtool("migrate", "studio", "--url", pg_url, "--prelude", cwd=root)
    assert migrated.returncode == 0, migrated.stderr
    proc = run_dbtool("audit", "studio", "--url", pg_url, "--format", "json", cwd=root)
    service = json.loads(proc.stdout)["services"][0]
    assert proc.returncode == 1
    assert sorted((f["code"], f["object"]) for f in service["security"]) == [
        ("SEC101", "public.resources"), ("SEC103", "public.handle_new_user()"),
        ("SEC106", "public.shot_names")]
    assert "pg_temp before the end" in service["security"][1]["message"]


def test_constant_false_policies_and_search_paths_on_the_model():
    """SEC104 counts what a policy lets through; SEC103 wants pg_temp last if listed."""
    from dbtool.core.security import search_path_problem

    policies = (Policy("ins_none", "INSERT", roles=("anon",), with_check="false"),
                Policy("upd_none", "UPDATE", roles=("anon",), using="(false)"),
                Policy("upd_check_none", "UPDATE", roles=("anon",), using="true", with_check="FALSE"),
                Policy("del_none", "DELETE", roles=("public",), using="false"),
                Policy("all_none", "ALL", roles=("anon",), using="false"),
                Policy("all_insert", "ALL", roles=("anon",), using="false", with_check="true"),
                Policy("all_delete", "ALL", roles=("anon",), using="true", with_check="false"),
                Policy("not_constant", "INSERT", roles=("anon",), with_check="1 = 0"))
    schema = Schema(tables=(Table("t", rls_enabled=True, policies=policies),))
    found = {f.object.split("'")[1]: f.message for f in
             audit_security(schema, schemas=("public",), exposed=("public",))}
    assert set(found) == {"all_insert", "all_delete", "not_constant"}
    assert "INSERT rows" in found["all_insert"] and "DELETE rows" in found["all_delete"]
    for config, fixed in ((("search_path=pg_temp, public",), False),
                          (('search_path="$user", pg_temp, public',), False),
                          (("search_path=public, pg_temp",), True),
                          (("search_path=pg_temp",), True), (('search_path=""',), True),
                          (("search_path=public",), True), (("work_mem=64MB",), False), ((), False)):
        assert (search_path_problem(config) is None) is fixed, config


def test_views_that_read_rls_tables_with_their_owners_rights_on_the_model():
    """Direct and nested reads, invoker views, other schemas and unknown relations."""
    from dbtool.model import View

    tables = (Table("secret", rls_enabled=True), Table("open"),
              Table("hidden", schema="private", rls_enabled=True))
    views = (View("direct", "…", reads=("secret",)),
             View("invoker", "…", security_invoker=True, reads=("secret",)),
             View("via_invoker", "…", reads=("invoker",)),
             View("invoker_via", "…", security_invoker=True, reads=("direct", "open")),
             View("private_reader", "…", schema="private", reads=("secret",)),
             View("invoker_private", "…", security_invoker=True, reads=("private.private_reader",)),
             View("other_schema", "…", reads=("private.hidden", "auth.users")),
             View("harmless", "…", reads=("open", "auth.users")))
    found = [f for f in audit_security(Schema(tables=tables, views=views), schemas=("public", "private"),
                                       exposed=("public",)) if f.code == "SEC106"]
    assert [f.object for f in found] == [
        "public.direct", "public.invoker_private", "public.invoker_via", "public.other_schema",
        "public.via_invoker"]
    assert "private.hidden" in found[3].message and "auth.users" not in found[3].message
