"""History management on a real PostgreSQL server, through the real CLI."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from dbtool.migrations.splitter import split
from dbtool.preludes import BUILTIN_DIR
from tests.conftest import PG_ADMIN_URL
from tests.helpers import REPO
from tests.history.support import (
    PG_DOWN,
    PG_UP,
    as_json,
    dbtool,
    drift_from_scratch,
    ok,
    states,
    write_set,
)

pytestmark = pytest.mark.postgres

NAMES = list(PG_UP)
STUDIO = REPO / "migrations" / "studio"
SCRATCH = {"DBTOOL_SCRATCH_URL": PG_ADMIN_URL}


def run_by_hand(url: str, *paths: Path) -> list[list[str]]:
    """Run SQL files statement by statement, as psql or the Supabase CLI would (no dbtool)."""
    ran = []
    with psycopg.connect(url, autocommit=True) as conn:
        for path in paths:
            statements = [s.sql for s in split(path.read_text(), "postgres", path)]
            for sql in statements:
                conn.execute(sql, prepare=False)
            ran.append(statements)
    return ran


def catalog(url: str) -> list[tuple]:
    """Relations, columns, functions, policies and history rows: 'untouched' means equal."""
    with psycopg.connect(url) as conn:
        rels = conn.execute(
            "SELECT n.nspname, c.relname, c.relkind, c.relrowsecurity, a.attname "
            "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped "
            "WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast') ORDER BY 1, 2, 5"
        ).fetchall()
        procs = conn.execute("SELECT proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
                             "WHERE n.nspname = 'public' ORDER BY 1").fetchall()
        policies = conn.execute("SELECT policyname FROM pg_policies ORDER BY 1").fetchall()
        history = []
        if conn.execute("SELECT to_regclass('dbtool.dbtool_migrations')").fetchone()[0] is not None:
            history = conn.execute("SELECT name, checksum FROM dbtool.dbtool_migrations ORDER BY id").fetchall()
    return rels + procs + policies + history


def query(url: str, sql: str) -> list[tuple]:
    with psycopg.connect(url) as conn:
        return conn.execute(sql).fetchall()


def migrated(folder: Path, url: str) -> tuple[str, ...]:
    write_set(folder, PG_UP, PG_DOWN)
    args = ("--dir", str(folder), "--url", url)
    ok("migrate", *args)
    return args


def test_supabase_history_is_adopted_for_studio(pg_url: str) -> None:
    files = sorted(STUDIO.glob("*.sql"))
    run_by_hand(pg_url, BUILTIN_DIR / "supabase.sql")
    ran = run_by_hand(pg_url, *files)
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("CREATE SCHEMA supabase_migrations")
        conn.execute("CREATE TABLE supabase_migrations.schema_migrations "
                     "(version text PRIMARY KEY, statements text[], name text)")
        for path, statements in zip(files, ran, strict=True):
            version, _, label = path.stem.partition("_")
            conn.execute("INSERT INTO supabase_migrations.schema_migrations VALUES (%s, %s, %s)",
                         (version, statements, label))
        conn.execute("INSERT INTO supabase_migrations.schema_migrations VALUES "
                     "('20240101000000', '{}', 'made_in_the_dashboard')")
    args = ("studio", "--url", pg_url)
    before = catalog(pg_url)
    seen = states(*args)
    assert {s["source"] for n, s in seen.items() if n.endswith(".sql")} == {"supabase"}
    assert seen["supabase:20240101000000_made_in_the_dashboard"]["state"] == "missing"
    refused = dbtool("migrate", *args)
    assert refused.returncode == 1 and "dbtool adopt studio --from supabase" in refused.stderr
    assert catalog(pg_url) == before

    plan = as_json("adopt", *args, "--from", "supabase", code=1)
    assert [i["name"] for i in plan["items"]] == [p.name for p in files]
    assert all(i["detail"].endswith("statements match the file") for i in plan["items"])
    assert plan["problems"] == ["20240101000000_made_in_the_dashboard: no migration file with version "
                                "20240101000000; left as it is (supabase history is never turned into "
                                "rows without a file)"]
    assert catalog(pg_url) == before, "adopt is a dry run by default"
    as_json("adopt", *args, "--from", "supabase", "--apply", code=1)

    assert as_json("migrate", *args)["services"][0]["applied"] == []
    after = states(*args)
    assert all(after[p.name]["state"] == "applied" and after[p.name]["verified"] for p in files)
    assert {after[p.name]["source"] for p in files} == {"supabase"}
    log = query(pg_url, "SELECT action, note FROM dbtool.dbtool_history_log")
    assert log == [("adopt", "adopted from supabase")] * len(files)


def test_supabase_statements_that_differ_show_as_modified(folder: Path, pg_url: str) -> None:
    write_set(folder, {n: PG_UP[n] for n in NAMES[:2]})
    run_by_hand(pg_url, folder / NAMES[0], folder / NAMES[1])
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("CREATE SCHEMA supabase_migrations")
        conn.execute("CREATE TABLE supabase_migrations.schema_migrations (version text PRIMARY KEY, "
                     "statements text[], name text)")
        conn.execute("INSERT INTO supabase_migrations.schema_migrations VALUES ('0001', %s, 'users'), "
                     "('0002', NULL, 'posts')",
                     (["CREATE TABLE users (id uuid PRIMARY KEY, email text UNIQUE)"],))
    args = ("--dir", str(folder), "--url", pg_url)
    adopted = as_json("adopt", *args, "--from", "supabase", "--apply")
    assert any("differ from the file" in w for w in adopted["warnings"])
    assert [s["state"] for s in states(*args).values()] == ["modified", "applied"]
    (item,) = as_json("repair", *args, "--dry-run")["items"]
    assert "-CREATE TABLE users (id uuid PRIMARY KEY, email text UNIQUE);" in item["diff"]


def test_dbmate_history_is_adopted(folder: Path, pg_url: str) -> None:
    write_set(folder, PG_UP)
    run_by_hand(pg_url, *(folder / n for n in NAMES[:3]))
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("CREATE TABLE schema_migrations (version varchar(128) PRIMARY KEY)")
        conn.execute("INSERT INTO schema_migrations VALUES ('0001'), ('0002'), ('0003')")
    args = ("--dir", str(folder), "--url", pg_url)
    assert [s["source"] for s in states(*args).values()][:3] == ["dbmate"] * 3
    adopted = as_json("adopt", *args, "--from", "dbmate", "--apply")
    assert [i["name"] for i in adopted["items"]] == NAMES[:3]
    assert [a["name"] for a in as_json("migrate", *args)["services"][0]["applied"]] == NAMES[3:]
    assert dbtool("adopt", *args, "--from", "supabase").returncode == 2  # no such history


def test_rollback_of_an_adopted_dbmate_file_forgets_its_dbmate_row(folder: Path, pg_url: str) -> None:
    """Found by the writer races (DBTOOL_RACE_SEED=349153587): `rollback` then `adopt --from
    dbmate` recorded 0003 again from dbmate's stale row, without its effects."""
    write_set(folder, PG_UP, PG_DOWN)
    run_by_hand(pg_url, *(folder / n for n in NAMES[:3]))
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("CREATE TABLE schema_migrations (version varchar(128) PRIMARY KEY)")
        conn.execute("INSERT INTO schema_migrations VALUES ('0001'), ('0002'), ('0003')")
    args = ("--dir", str(folder), "--url", pg_url)
    ok("adopt", *args, "--from", "dbmate", "--apply")
    ok("rollback", *args, "--steps", "1")
    with psycopg.connect(pg_url, autocommit=True) as conn:
        left = [v for (v,) in conn.execute("SELECT version FROM schema_migrations ORDER BY 1")]
        assert left == ["0001", "0002"], "the undone file's dbmate row goes with its own row"
        assert not conn.execute("SELECT 1 FROM information_schema.columns WHERE table_name = 'users' "
                                "AND column_name = 'name'").fetchall(), "0003 was undone"
    assert states(*args)[NAMES[2]]["state"] == "pending"
    again = as_json("adopt", *args, "--from", "dbmate", "--apply")
    assert [i["action"] for i in again["items"]] == ["skip", "skip"] and not again["written"]
    assert [a["name"] for a in as_json("migrate", *args)["services"][0]["applied"]] == NAMES[2:]


def test_baseline_needs_proof(folder: Path, pg_url_factory) -> None:
    write_set(folder, PG_UP)
    identical, different = pg_url_factory(), pg_url_factory()
    run_by_hand(identical, *(folder / n for n in NAMES[:3]))
    run_by_hand(different, *(folder / n for n in NAMES[:2]))
    with psycopg.connect(different, autocommit=True) as conn:  # one column differs
        conn.execute("ALTER TABLE users ADD COLUMN name varchar(20)")

    proc = dbtool("baseline", "--dir", str(folder), "--url", identical, "--to", NAMES[2],
                  env={"DBTOOL_SCRATCH_URL": ""})
    assert proc.returncode == 2 and "DBTOOL_SCRATCH_URL" in proc.stderr  # no scratch server

    before = catalog(different)
    refused = as_json("baseline", "--dir", str(folder), "--url", different, "--to", NAMES[2],
                      code=1, env=SCRATCH)
    assert [c["message"] for c in refused["changes"]] == [
        "column users.name: type changed text -> character varying(20)"]
    assert catalog(different) == before, "a refused baseline writes nothing"

    accepted = as_json("baseline", "--dir", str(folder), "--url", identical, "--to", NAMES[2], env=SCRATCH)
    assert [i["name"] for i in accepted["items"]] == NAMES[:3] and not accepted["forced"]
    assert [a["name"] for a in as_json("migrate", "--dir", str(folder), "--url", identical)
            ["services"][0]["applied"]] == NAMES[3:]

    as_json("baseline", "--dir", str(folder), "--url", different, "--to", NAMES[2], "--force", env=SCRATCH)
    assert query(different, "SELECT source FROM dbtool.dbtool_migrations") == [("baseline-forced",)] * 3
    assert query(different, "SELECT DISTINCT action, forced FROM dbtool.dbtool_history_log") == [("baseline", True)]


def test_rollback_three_steps_and_refusal(folder: Path, pg_url: str, scratch_env: str) -> None:
    args = migrated(folder, pg_url)
    (folder / "down" / "0003_user_name.sql").rename(folder / "down" / "kept.sql.bak")
    before = catalog(pg_url)
    proc = dbtool("rollback", *args, "--steps", "3")
    assert proc.returncode == 2 and "down/0003_user_name.sql" in proc.stderr
    assert catalog(pg_url) == before, "a refused rollback must not touch the database"

    (folder / "down" / "kept.sql.bak").rename(folder / "down" / "0003_user_name.sql")
    result = as_json("rollback", *args, "--steps", "3")
    assert [i["name"] for i in result["items"]] == NAMES[:1:-1]
    assert drift_from_scratch(folder, "postgres", pg_url, to=NAMES[1]) == []
    assert query(pg_url, "SELECT name FROM dbtool.dbtool_migrations ORDER BY id") == [(n,) for n in NAMES[:2]]
    assert query(pg_url, "SELECT action, name FROM dbtool.dbtool_history_log ORDER BY id") == [
        ("rollback", n) for n in NAMES[:1:-1]]
    ok("migrate", *args)
    assert drift_from_scratch(folder, "postgres", pg_url, to=NAMES[-1]) == []


def test_rollback_to_name_is_atomic_per_file(folder: Path, pg_url: str) -> None:
    args = migrated(folder, pg_url)
    (folder / "down" / "0004_touch.sql").write_text("DROP TRIGGER users_touch ON users;\n"
                                                     "DROP FUNCTION no_such_function();\n")
    proc = dbtool("rollback", *args, "--to", NAMES[2])
    assert proc.returncode == 1 and "down/0004_touch.sql:2:1" in proc.stderr
    assert query(pg_url, "SELECT name FROM dbtool.dbtool_migrations ORDER BY id") == [(n,) for n in NAMES[:4]]
    assert query(pg_url, "SELECT tgname FROM pg_trigger WHERE tgname = 'users_touch'") == [("users_touch",)]


def test_mark_and_repair_with_audit_trail(folder: Path, pg_url: str) -> None:
    args = migrated(folder, pg_url)
    as_json("mark", *args, NAMES[4], "--pending", "--yes")
    assert states(*args)[NAMES[4]]["state"] == "pending"
    as_json("mark", *args, NAMES[4], "--applied", "--yes")
    assert states(*args)[NAMES[4]]["source"] == "mark"

    (folder / NAMES[0]).write_text(PG_UP[NAMES[0]].replace("email text", "email  text"))
    plan = as_json("repair", *args, "--dry-run")
    assert plan["items"][0]["diff"][-2:] == [
        "-CREATE TABLE users (id uuid PRIMARY KEY, email text NOT NULL UNIQUE);",
        "+CREATE TABLE users (id uuid PRIMARY KEY, email  text NOT NULL UNIQUE);"]
    as_json("repair", *args, "--yes")
    assert states(*args)[NAMES[0]]["state"] == "applied"
    log = query(pg_url, "SELECT action, name, forced, username IS NOT NULL FROM dbtool.dbtool_history_log ORDER BY id")
    assert log == [("mark", NAMES[4], False, True), ("mark", NAMES[4], False, True),
                   ("repair", NAMES[0], False, True)]


def test_older_history_table_gains_the_new_columns(folder: Path, pg_url: str) -> None:
    """dbtool 0.1 created it in public: the first migrate moves it into `dbtool` and upgrades it."""
    write_set(folder, PG_UP)
    with psycopg.connect(pg_url, autocommit=True) as conn:  # the table as dbtool 0.1 created it
        conn.execute("CREATE TABLE dbtool_migrations (id bigint GENERATED ALWAYS AS IDENTITY, "
                     "name text PRIMARY KEY, version text NOT NULL, checksum text NOT NULL, "
                     "applied_at timestamptz NOT NULL DEFAULT now(), duration_ms double precision, "
                     "applied_by text NOT NULL DEFAULT current_user, tool_version text)")
    args = ("--dir", str(folder), "--url", pg_url)
    assert all(s["state"] == "pending" for s in states(*args).values())
    ok("migrate", *args, "--to", NAMES[0])
    assert query(pg_url, "SELECT source, body IS NOT NULL FROM dbtool.dbtool_migrations") == [("dbtool", True)]
    assert query(pg_url, "SELECT to_regclass('public.dbtool_migrations')") == [(None,)]
