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
"""
EXPECTED = {
    ("SEC101", "public.open_notes"),
    ("SEC102", "public.locked"),
    ("SEC103", "public.elevate()"),
    ("SEC104", "public.guestbook policy 'anyone_signs'"),
    ("SEC104", "public.comments policy 'everything'"),
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
    assert text.returncode == 1 and "5 problem(s)" in text.stdout
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
    assert proc.returncode == 1 and findings(proc) == {("SEC103", "public.elevate()")}


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
