"""snapshot / audit / check end to end: zero false drift, and every hand-made
change to a migrated database reported as exactly that change."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import psycopg
import pytest

from tests.conftest import PG_ADMIN_URL
from tests.helpers import run_dbtool

SQLITE_FILES = {
    "0001_base.sql": """
CREATE TABLE users (
  id TEXT PRIMARY KEY,
  email TEXT NOT NULL UNIQUE,
  status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'blocked')),
  updated_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE TABLE posts (
  id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  title TEXT,
  deleted_at DATETIME
);
CREATE INDEX idx_posts_user ON posts(user_id);
CREATE INDEX idx_posts_live ON posts(user_id) WHERE deleted_at IS NULL;
CREATE VIEW live_posts AS SELECT id, title FROM posts WHERE deleted_at IS NULL;
CREATE TRIGGER trg_users_updated_at AFTER UPDATE ON users FOR EACH ROW
WHEN NEW.updated_at = OLD.updated_at
BEGIN
  UPDATE users SET updated_at = CURRENT_TIMESTAMP WHERE id = NEW.id;
END;
""",
}

# mutation SQL -> (kind, object_type, path prefix)
SQLITE_MUTATIONS = {
    "drop_table": ("DROP VIEW live_posts; DROP TABLE posts;", {("missing", "table", "posts"), ("missing", "view", "live_posts")}),
    "add_column": ("ALTER TABLE users ADD COLUMN nickname TEXT;", {("extra", "column", "users")}),
    "add_index": ("CREATE INDEX idx_users_status ON users(status);", {("extra", "index", "users")}),
    "drop_index": ("DROP INDEX idx_posts_user;", {("missing", "index", "posts")}),
    "partial_predicate": ("DROP INDEX idx_posts_live; CREATE INDEX idx_posts_live ON posts(user_id) WHERE title IS NULL;",
                          {("changed", "index", "posts")}),
    "index_unique": ("DROP INDEX idx_posts_user; CREATE UNIQUE INDEX idx_posts_user ON posts(user_id);",
                     {("changed", "index", "posts")}),
    "view_body": ("DROP VIEW live_posts; CREATE VIEW live_posts AS SELECT id FROM posts;", {("changed", "view", "live_posts")}),
    "drop_trigger": ("DROP TRIGGER trg_users_updated_at;", {("missing", "trigger", "users")}),
    "extra_table": ("CREATE TABLE stray (id TEXT);", {("extra", "table", "stray")}),
}


def make_project(root: Path, dialect: str, files: dict[str, str]) -> None:
    (root / "dbtool.toml").write_text(
        f'[services.app]\ndialect = "{dialect}"\nmigrations = "m"\nsnapshot = "schemas/app.yaml"\n')
    (root / "m").mkdir()
    for name, body in files.items():
        (root / "m" / name).write_text(body)


def audit_json(root: Path, url: str) -> tuple[int, list[dict]]:
    proc = run_dbtool("audit", "app", "--url", url, "--format", "json", cwd=root)
    assert proc.returncode in (0, 1), proc.stderr
    return proc.returncode, json.loads(proc.stdout)["services"][0]["changes"]


def summary(changes: list[dict]) -> set[tuple[str, str, str]]:
    return {(c["kind"], c["object_type"], c["path"][0]) for c in changes}


@pytest.fixture(scope="module")
def sqlite_live(tmp_path_factory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("drift-sqlite")
    make_project(root, "d1", SQLITE_FILES)
    assert run_dbtool("snapshot", "app", cwd=root).returncode == 0
    db = root / "live.db"
    assert run_dbtool("migrate", "app", "--url", f"sqlite:///{db}", cwd=root).returncode == 0
    return root, db


def test_sqlite_snapshot_is_deterministic_and_audit_is_clean(sqlite_live):
    root, db = sqlite_live
    first = (root / "schemas" / "app.yaml").read_bytes()
    assert run_dbtool("snapshot", "app", cwd=root).stdout.strip().startswith("app: unchanged")
    assert (root / "schemas" / "app.yaml").read_bytes() == first
    for _ in range(2):
        code, changes = audit_json(root, f"sqlite:///{db}")
        assert (code, changes) == (0, [])
    assert run_dbtool("audit", "app", cwd=root).returncode == 0  # scratch built from migrations


@pytest.mark.parametrize("case", sorted(SQLITE_MUTATIONS))
def test_sqlite_audit_reports_exactly_the_hand_made_change(sqlite_live, tmp_path, case):
    root, db = sqlite_live
    copy = tmp_path / "copy.db"
    shutil.copy(db, copy)
    sql, expected = SQLITE_MUTATIONS[case]
    with sqlite3.connect(copy) as conn:
        conn.executescript(sql)
    code, changes = audit_json(root, f"sqlite:///{copy}")
    assert code == 1
    assert summary(changes) == expected, changes
    text = run_dbtool("audit", "app", "--url", f"sqlite:///{copy}", cwd=root)
    assert text.returncode == 1 and all(c["message"] in text.stdout for c in changes)


def test_annotations_survive_and_orphans_are_reported(sqlite_live):
    root, _ = sqlite_live
    path = root / "schemas" / "app.yaml"
    text = path.read_text()
    text = text.replace("  users:\n", "  users:\n    purpose: People who sign in\n", 1)
    text = text.replace("  posts:\n", "  posts:\n    registry: Semantic\n", 1)
    text = text.replace("tables:\n", "tables:\n  gone:\n    purpose: dropped long ago\n    columns: {}\n", 1)
    path.write_text(text)
    proc = run_dbtool("snapshot", "app", cwd=root)
    assert proc.returncode == 0 and "tables.gone" in proc.stdout
    rewritten = path.read_text()
    assert "purpose: People who sign in" in rewritten and "registry: Semantic" in rewritten
    assert "gone" not in rewritten
    assert run_dbtool("check", cwd=root).returncode == 0


def test_check_fails_on_a_migration_without_snapshot_update(tmp_path):
    make_project(tmp_path, "d1", SQLITE_FILES)
    assert run_dbtool("snapshot", "app", cwd=tmp_path).returncode == 0
    assert run_dbtool("check", cwd=tmp_path).returncode == 0
    (tmp_path / "m" / "0002_more.sql").write_text("ALTER TABLE users ADD COLUMN age INTEGER;\n")
    proc = run_dbtool("check", cwd=tmp_path)
    assert proc.returncode == 1
    assert "app: snapshot app.yaml: column users.age" in proc.stdout
    github = run_dbtool("check", "--format", "github", cwd=tmp_path)
    assert "::error file=schemas/app.yaml,line=" in github.stdout
    assert ",title=drift::app: column users.age: extra%0Ahelp: if the snapshot is right, write the migration with `dbtool diff app NAME`" in github.stdout
    assert run_dbtool("snapshot", "app", cwd=tmp_path).returncode == 0
    assert run_dbtool("check", cwd=tmp_path).returncode == 0


def test_check_reports_a_migration_that_does_not_apply(tmp_path):
    make_project(tmp_path, "sqlite", SQLITE_FILES)
    assert run_dbtool("snapshot", "app", cwd=tmp_path).returncode == 0
    (tmp_path / "m" / "0002_bad.sql").write_text("ALTER TABLE nope ADD COLUMN x TEXT;\n")
    proc = run_dbtool("check", "--format", "json", cwd=tmp_path)
    assert proc.returncode == 1
    [service] = json.loads(proc.stdout)["services"]
    assert service["steps"]["apply"] == "fail" and "0002_bad.sql:1:1" in service["problems"][0]


PG_FILES = {
    "0001_base.sql": """
CREATE TYPE mood AS ENUM ('happy', 'sad');
CREATE TABLE users (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  email varchar(100) NOT NULL,
  feeling mood NOT NULL DEFAULT 'happy',
  score integer DEFAULT 0 CHECK (score >= 0),
  CONSTRAINT users_email_key UNIQUE (email)
);
CREATE TABLE posts (
  id serial PRIMARY KEY,
  user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  title text,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX idx_posts_user_created ON posts (user_id, created_at DESC);
CREATE INDEX idx_posts_titled ON posts (title) WHERE title IS NOT NULL;
CREATE VIEW titled AS SELECT id, title FROM posts WHERE title IS NOT NULL;
CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.title := trim(NEW.title);
  RETURN NEW;
END;
$$;
CREATE TRIGGER trg_posts_touch BEFORE INSERT ON posts FOR EACH ROW EXECUTE FUNCTION touch();
ALTER TABLE posts ENABLE ROW LEVEL SECURITY;
CREATE POLICY posts_owner ON posts FOR SELECT USING (user_id IS NOT NULL);
CREATE PUBLICATION app_pub FOR TABLE posts;
""",
}

PG_MUTATIONS = {
    "column_type": ("ALTER TABLE users ALTER COLUMN email TYPE varchar(200);", ("changed", "column", "users")),
    "nullability": ("ALTER TABLE posts ALTER COLUMN title SET NOT NULL;", ("changed", "column", "posts")),
    "default": ("ALTER TABLE users ALTER COLUMN score SET DEFAULT 5;", ("changed", "column", "users")),
    "primary_key": ("ALTER TABLE posts DROP CONSTRAINT posts_pkey;", ("missing", "primary_key", "posts")),
    "unique": ("ALTER TABLE users DROP CONSTRAINT users_email_key;", ("missing", "unique", "users")),
    "check": ("ALTER TABLE users DROP CONSTRAINT users_score_check; "
              "ALTER TABLE users ADD CONSTRAINT users_score_check CHECK (score >= 1);", ("changed", "check", "users")),
    "fk_action": ("ALTER TABLE posts DROP CONSTRAINT posts_user_id_fkey; ALTER TABLE posts ADD CONSTRAINT "
                  "posts_user_id_fkey FOREIGN KEY (user_id) REFERENCES users(id) ON DELETE SET NULL;",
                  ("changed", "foreign_key", "posts")),
    "index_columns": ("DROP INDEX idx_posts_user_created; CREATE INDEX idx_posts_user_created ON posts (user_id);",
                      ("changed", "index", "posts")),
    "index_unique": ("DROP INDEX idx_posts_titled; CREATE UNIQUE INDEX idx_posts_titled ON posts (title) "
                     "WHERE title IS NOT NULL;", ("changed", "index", "posts")),
    "partial_predicate": ("DROP INDEX idx_posts_titled; CREATE INDEX idx_posts_titled ON posts (title) "
                          "WHERE title <> '';", ("changed", "index", "posts")),
    "view_body": ("CREATE OR REPLACE VIEW titled AS SELECT id, title FROM posts WHERE title IS NOT NULL AND id > 0;",
                  ("changed", "view", "titled")),
    "trigger": ("DROP TRIGGER trg_posts_touch ON posts;", ("missing", "trigger", "posts")),
    "function_body": ("CREATE OR REPLACE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                      "RETURN NEW; END; $$;", ("changed", "function", "touch()")),
    "enum_value": ("ALTER TYPE mood ADD VALUE 'meh';", ("changed", "enum", "mood")),
    "rls_flag": ("ALTER TABLE posts DISABLE ROW LEVEL SECURITY;", ("changed", "rls", "posts")),
    "policy_expression": ("ALTER POLICY posts_owner ON posts USING (user_id IS NULL);", ("changed", "policy", "posts")),
    "publication": ("ALTER PUBLICATION app_pub ADD TABLE users;", ("changed", "publication", "app_pub")),
}


@pytest.fixture(scope="module")
def pg_live(tmp_path_factory):
    from tests.conftest import create_pg_database, drop_pg_database, require_postgres

    require_postgres()
    root = tmp_path_factory.mktemp("drift-pg")
    make_project(root, "postgres", PG_FILES)
    env = {"DBTOOL_SCRATCH_URL": PG_ADMIN_URL}
    proc = run_dbtool("snapshot", "app", cwd=root, env=env)
    assert proc.returncode == 0, proc.stderr
    url = create_pg_database("dbtool_drift")
    try:
        assert run_dbtool("migrate", "app", "--url", url, cwd=root).returncode == 0
        yield root, url, env
    finally:
        drop_pg_database(url)


@pytest.mark.postgres
def test_postgres_audit_and_check_are_clean_twice(pg_live):
    root, url, env = pg_live
    for _ in range(2):
        code, changes = audit_json(root, url)
        assert (code, changes) == (0, [])
        check = run_dbtool("check", "--require-all", cwd=root, env=env)
        assert check.returncode == 0, check.stdout + check.stderr


@pytest.mark.postgres
def test_check_fails_without_scratch_server_unless_skips_are_allowed(pg_live):
    """A skipped service was not checked: exit 1 (with or without the old --require-all),
    and the summary never says passed; --allow-skip accepts the skip (exit 0), still without
    saying passed."""
    root, _, _ = pg_live
    for args in (("check", "--require-all"), ("check",)):
        proc = run_dbtool(*args, cwd=root, env={"DBTOOL_SCRATCH_URL": ""})
        assert proc.returncode == 1 and "DBTOOL_SCRATCH_URL" in proc.stdout, proc.stdout
        assert proc.stdout.splitlines()[-1] == ("check: FAILED — 1 of 1 service(s) skipped, not "
                                                "checked: app (--allow-skip accepts skips)")
    allowed = run_dbtool("check", "--allow-skip", cwd=root, env={"DBTOOL_SCRATCH_URL": ""})
    assert allowed.returncode == 0, allowed.stdout + allowed.stderr
    assert "passed" not in allowed.stdout.splitlines()[-1]
    assert allowed.stdout.splitlines()[-1].startswith("check: incomplete — 1 of 1 service(s) skipped")
    report = json.loads(run_dbtool("check", "--allow-skip", "--format", "json", cwd=root,
                                   env={"DBTOOL_SCRATCH_URL": ""}).stdout)
    assert (report["ok"], report["passed"], report["skipped"]) == (True, False, ["app"])
    both = run_dbtool("check", "--allow-skip", "--require-all", cwd=root)
    assert both.returncode == 2 and "not both" in both.stderr


@pytest.mark.postgres
@pytest.mark.parametrize("case", sorted(PG_MUTATIONS))
def test_postgres_audit_reports_exactly_the_hand_made_change(pg_live, pg_url_factory, case):
    root, url, _ = pg_live
    copy = pg_url_factory("dbtool_drift_copy")
    name = copy.rpartition("/")[2]
    source = url.rpartition("/")[2]
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE "{name}"')
        admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{source}"')
    sql, expected = PG_MUTATIONS[case]
    with psycopg.connect(copy, autocommit=True) as conn:
        conn.execute(sql)
    code, changes = audit_json(root, copy)
    assert code == 1
    assert summary(changes) == {expected}, changes
