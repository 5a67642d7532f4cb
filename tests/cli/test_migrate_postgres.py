"""`dbtool migrate` / `status` on a real PostgreSQL server, through the real CLI."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest

from tests.helpers import run_dbtool
from tests.zygote import dbtool_popen

FILES = {
    "0001_users.sql": "CREATE TABLE users (id uuid PRIMARY KEY, email text UNIQUE);\n",
    "0002_fn.sql": (
        "CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$\n"
        "BEGIN\n  NEW.email := lower(NEW.email); -- ; inside a body\n  RETURN NEW;\nEND;\n$$;\n"
        "CREATE TRIGGER trg_touch BEFORE INSERT ON users FOR EACH ROW EXECUTE FUNCTION touch();\n"
        "DO $do$ BEGIN RAISE NOTICE 'x;y'; END $do$;\n"
    ),
    "0003_posts.sql": "CREATE TABLE posts (id int PRIMARY KEY, user_id uuid REFERENCES users(id));\n",
}


@pytest.fixture
def project(tmp_path: Path, pg_url: str) -> tuple[Path, str]:
    folder = tmp_path / "migrations"
    folder.mkdir()
    for name, body in FILES.items():
        (folder / name).write_text(body)
    return folder, pg_url


def migrate(folder: Path, url: str, *extra: str):
    return run_dbtool("migrate", "--dir", str(folder), "--url", url, *extra)


def catalog(url: str) -> list[tuple]:
    """A fingerprint of the user-visible catalog: relations, columns, functions."""
    with psycopg.connect(url) as conn:
        rels = conn.execute(
            "SELECT c.relname, c.relkind, a.attname, format_type(a.atttypid, a.atttypmod) "
            "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 "
            "WHERE n.nspname = 'public' ORDER BY 1, 3").fetchall()
        procs = conn.execute("SELECT proname, prosrc FROM pg_proc p JOIN pg_namespace n "
                             "ON n.oid = p.pronamespace WHERE n.nspname = 'public' ORDER BY 1").fetchall()
        rows = []
        if conn.execute("SELECT to_regclass('dbtool.dbtool_migrations')").fetchone()[0]:
            rows = conn.execute("SELECT name, checksum FROM dbtool.dbtool_migrations ORDER BY id").fetchall()
    return rels + procs + rows


def history(url: str) -> list[str]:
    with psycopg.connect(url) as conn:
        return [r[0] for r in conn.execute("SELECT name FROM dbtool.dbtool_migrations ORDER BY id")]


@pytest.mark.postgres
def test_applies_in_order_and_records_history(project):
    folder, url = project
    proc = migrate(folder, url, "--format", "json")
    assert proc.returncode == 0, proc.stderr
    assert [a["name"] for a in json.loads(proc.stdout)["services"][0]["applied"]] == list(FILES)
    assert history(url) == list(FILES)
    with psycopg.connect(url) as conn:
        cols = conn.execute("SELECT name, version, length(checksum), applied_by IS NOT NULL "
                            "FROM dbtool.dbtool_migrations ORDER BY id").fetchall()
        conn.execute("INSERT INTO users VALUES (gen_random_uuid(), 'A@B.C')")
        assert conn.execute("SELECT email FROM users").fetchone()[0] == "a@b.c"
    assert cols[0] == ("0001_users.sql", "0001", 64, True)
    assert "up to date" in migrate(folder, url).stdout


@pytest.mark.postgres
def test_failure_rolls_back_the_file_and_points_at_the_error(project):
    folder, url = project
    (folder / "0004_broken.sql").write_text(
        "CREATE TABLE half (id int);\nALTER TABLE half\n  ADD COLUMN x nosuchtype;\n")
    proc = migrate(folder, url)
    assert proc.returncode == 1
    err = proc.stderr.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert "0004_broken.sql:3:16" in err and 'type "nosuchtype" does not exist' in err
    assert history(url) == list(FILES)
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT to_regclass('public.half')").fetchone()[0] is None


@pytest.mark.postgres
@pytest.mark.parametrize("tail", [0, 3000])
def test_a_failure_early_in_a_long_pipelined_file_is_still_one_line(project, tail):
    """The file goes to the server in one pipeline; with thousands of statements after the
    failing one the pipeline aborts while still being filled, and psycopg used to print
    "error ignored terminating <Pipeline …>" on stderr above dbtool's one line."""
    folder, url = project
    (folder / "0004_broken.sql").write_text(
        "CREATE TABLE half (id int);\nALTER TABLE half\n  ADD COLUMN x nosuchtype;\n"
        + "".join(f"INSERT INTO half VALUES ({i});\n" for i in range(tail)))
    proc = migrate(folder, url)
    assert proc.returncode == 1
    err = proc.stderr.strip()
    assert len(err.splitlines()) == 1, err
    assert err.startswith("dbtool: error: ") and "0004_broken.sql:3:16" in err
    assert history(url) == list(FILES)


@pytest.mark.postgres
def test_no_transaction_file_runs_create_index_concurrently(project):
    folder, url = project
    (folder / "0004_idx.sql").write_text(
        "-- dbtool:no-transaction\nCREATE INDEX CONCURRENTLY idx_posts_user ON posts (user_id);\n")
    proc = migrate(folder, url)
    assert proc.returncode == 0, proc.stderr
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT indexdef FROM pg_indexes WHERE indexname='idx_posts_user'").fetchone()
    assert history(url)[-1] == "0004_idx.sql"
    (folder / "0005_idx_tx.sql").write_text("CREATE INDEX CONCURRENTLY idx2 ON posts (id);\n")
    failed = migrate(folder, url)
    assert failed.returncode == 1 and "cannot run inside a transaction block" in failed.stderr


@pytest.mark.postgres
def test_dry_run_leaves_the_catalog_identical(project):
    folder, url = project
    migrate(folder, url, "--to", "0001_users.sql")
    before = catalog(url)
    proc = migrate(folder, url, "--dry-run", "--format", "json")
    assert proc.returncode == 0
    planned = [p["name"] for p in json.loads(proc.stdout)["services"][0]["planned"]]
    assert planned == ["0002_fn.sql", "0003_posts.sql"]
    assert catalog(url) == before


@pytest.mark.postgres
def test_out_of_order_and_modified_are_refused(project):
    folder, url = project
    assert migrate(folder, url).returncode == 0
    (folder / "0002_1_late.sql").write_text("CREATE TABLE late (id int);\n")
    refused = migrate(folder, url)
    assert refused.returncode == 1 and "0002_1_late.sql" in refused.stderr
    assert migrate(folder, url, "--allow-out-of-order").returncode == 0
    (folder / "0001_users.sql").write_text("CREATE TABLE users (id uuid PRIMARY KEY);\n")
    (folder / "0009_new.sql").write_text("CREATE TABLE new_one (id int);\n")
    refused = migrate(folder, url)
    assert refused.returncode == 1 and "changed since they ran: 0001_users.sql" in refused.stderr
    assert "new_one" not in str(catalog(url))


@pytest.mark.postgres
def test_second_run_waits_for_the_advisory_lock_then_exits_3(project):
    folder, url = project
    assert migrate(folder, url, "--to", "0001_users.sql").returncode == 0
    lock_key = int.from_bytes(hashlib.sha256(b"dbtool:public").digest()[:8], "big", signed=True)
    with psycopg.connect(url, autocommit=True) as holder:
        holder.execute("SELECT pg_advisory_lock(%s)", (lock_key,))
        started = time.monotonic()
        proc = migrate(folder, url, "--lock-timeout", "1")
        waited = time.monotonic() - started
    assert proc.returncode == 3, proc.stderr
    assert "holds the migration lock" in proc.stderr and waited >= 1.0
    assert history(url) == ["0001_users.sql"]
    assert migrate(folder, url).returncode == 0  # the lock was released with the session


@pytest.mark.postgres
def test_concurrent_runs_apply_each_file_once(tmp_path: Path, pg_url: str):
    folder = tmp_path / "m"
    folder.mkdir()
    for i in range(1, 21):
        (folder / f"{i:04d}_t{i}.sql").write_text(f"CREATE TABLE t{i} (id int);\nINSERT INTO t{i} VALUES ({i});\n")
    cmd = [sys.executable, "-m", "dbtool", "migrate", "--dir", str(folder), "--url", pg_url,
           "--format", "json", "--lock-timeout", "60"]
    procs = [dbtool_popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(5)]
    outputs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0] * 5, [o[1] for o in outputs]
    applied = [a["name"] for out, _ in outputs for a in json.loads(out)["services"][0]["applied"]]
    assert sorted(applied) == sorted(p.name for p in folder.iterdir())
    with psycopg.connect(pg_url) as conn:
        assert all(conn.execute(f"SELECT count(*) FROM t{i}").fetchone()[0] == 1 for i in range(1, 21))


@pytest.mark.postgres
def test_password_never_appears_in_any_output(project):
    folder, url = project
    secret = "Sup3rSecretPw"
    with_pw = url.replace("postgresql://postgres@", f"postgresql://postgres:{secret}@")
    for args in (("migrate", "--format", "json"), ("migrate",), ("status",), ("status", "--format", "json"),
                 ("migrate", "--dry-run", "--debug")):
        proc = run_dbtool(*args, "--dir", str(folder), "--url", with_pw)
        assert proc.returncode == 0, proc.stderr
        assert secret not in proc.stdout + proc.stderr
        assert "***" in proc.stdout + proc.stderr
    refused = with_pw.replace("127.0.0.1:5432", "127.0.0.1:1")
    proc = run_dbtool("status", "--debug", "--dir", str(folder), "--url", refused)
    assert proc.returncode == 3 and secret not in proc.stdout + proc.stderr


@pytest.mark.postgres
def test_adhoc_mode_on_a_supabase_style_folder(tmp_path: Path, pg_url: str):
    folder = tmp_path / "supabase" / "migrations"
    folder.mkdir(parents=True)
    (folder / "20240107_init.sql").write_text("CREATE TABLE a (id int);\n")
    (folder / "20240107000001_more.sql").write_text("CREATE TABLE b (id int);\n")
    (folder / "20231231235959_first.sql").write_text("CREATE TABLE z (id int);\n")
    (tmp_path / "supabase" / "seed.sql").write_text("INSERT INTO a VALUES (1);\n")
    proc = migrate(folder, pg_url, "--format", "json")
    assert proc.returncode == 0, proc.stderr
    applied = [a["name"] for a in json.loads(proc.stdout)["services"][0]["applied"]]
    assert applied == ["20231231235959_first.sql", "20240107_init.sql", "20240107000001_more.sql"]
    status = run_dbtool("status", "--dir", str(folder), "--url", pg_url, "--format", "json")
    assert json.loads(status.stdout)["services"][0]["naming"] == "timestamp"


@pytest.mark.postgres
def test_a_rule_with_several_actions_runs_as_one_statement(tmp_path: Path, pg_url: str):
    """`CREATE RULE … DO ALSO (INSERT …; INSERT …)`: the `;` between the actions is inside
    parentheses, so the file holds two statements — as psql and PostgreSQL see it (#15)."""
    folder = tmp_path / "migrations"
    folder.mkdir()
    (folder / "0001_audit.sql").write_text(
        "CREATE TABLE items (id int PRIMARY KEY);\n"
        "CREATE TABLE audit_a (id int); CREATE TABLE audit_b (id int);\n"
        "CREATE RULE items_audit AS ON INSERT TO items DO ALSO (\n"
        "  INSERT INTO audit_a VALUES (NEW.id);  -- first action; a comment\n"
        "  INSERT INTO audit_b VALUES (NEW.id * (2 + (3 * (1 + (0 * (7 - 6))))))  /* ( nested ) */\n"
        ");\n"
        "INSERT INTO items VALUES (7);\n")
    proc = run_dbtool("migrate", "--dir", str(folder), "--url", pg_url, "--dry-run", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["services"][0]["planned"][0]["statements"] == 5
    proc = migrate(folder, pg_url)
    assert proc.returncode == 0, proc.stderr
    with psycopg.connect(pg_url) as conn:
        assert conn.execute("SELECT (SELECT id FROM audit_a), (SELECT id FROM audit_b)").fetchone() == (7, 35)
