"""`dbtool diff` as a user meets it: refusals, renames, dry runs, JSON, exit codes."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

from dbtool.snapshot import load
from tests.diff.support import (
    SqliteRows,
    assert_rows_kept,
    dbtool,
    edit_snapshot,
    fill,
    make_project,
    snapshot_rows,
)
from tests.helpers import run_dbtool


def _api(tmp_path: Path) -> Path:
    return make_project(tmp_path, "api")


def _files(project: Path) -> list[str]:
    return sorted(p.name for p in (project / "migrations" / "api").glob("*.sql"))


def _rename_column(table: str, old: str, new: str):
    def edit(doc: dict[str, Any]) -> None:
        columns = doc["tables"][table]["columns"]
        doc["tables"][table]["columns"] = {new if k == old else k: v for k, v in columns.items()}
    return edit


def test_nothing_to_do_is_exit_0_and_writes_nothing(tmp_path: Path) -> None:
    project = _api(tmp_path)
    before = _files(project)
    proc = dbtool(project, "diff", "api", "noop")
    assert proc.returncode == 0, proc.stderr
    assert "nothing to do" in proc.stdout
    assert _files(project) == before


def test_a_dropped_column_is_refused_without_allow_drop(tmp_path: Path) -> None:
    project = _api(tmp_path)
    edit_snapshot(project, "api", lambda d: d["tables"]["users"]["columns"].pop("last_login_at"))
    before = _files(project)
    refused = dbtool(project, "diff", "api", "drop last login")
    assert refused.returncode == 1
    assert "destructive" in refused.stdout and "--allow-drop" in refused.stdout
    assert _files(project) == before
    allowed = dbtool(project, "diff", "api", "drop last login", "--allow-drop")
    assert allowed.returncode == 0, allowed.stdout + allowed.stderr
    new = (project / "migrations" / "api" / "0011_drop_last_login.sql").read_text()
    assert "ALTER TABLE users DROP COLUMN last_login_at" in new
    assert "-- dbtool:lint-ignore DL103 " in new
    assert dbtool(project, "check", "api").returncode == 0


def test_drop_plus_add_of_the_same_type_asks_for_rename(tmp_path: Path) -> None:
    project = _api(tmp_path)
    edit_snapshot(project, "api", _rename_column("users", "display_name", "full_name"))
    proc = dbtool(project, "diff", "api", "full name")
    assert proc.returncode == 1
    assert "--rename users.display_name=full_name" in proc.stdout
    assert "never guesses" in proc.stdout


def test_rename_column_keeps_the_values(tmp_path: Path) -> None:
    project = _api(tmp_path)
    db = tmp_path / "api.db"
    assert dbtool(project, "migrate", "api", "--url", f"sqlite:///{db}").returncode == 0
    schema = load(project / "schemas" / "api.yaml").schema
    rows = SqliteRows(db)
    fill(rows, schema, random.Random(7))
    before = snapshot_rows(rows, schema)
    rows.close()
    edit_snapshot(project, "api", _rename_column("users", "display_name", "full_name"))
    proc = dbtool(project, "diff", "api", "full name", "--rename", "users.display_name=full_name")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    text = (project / "migrations" / "api" / "0011_full_name.sql").read_text()
    assert "ALTER TABLE users RENAME COLUMN display_name TO full_name" in text
    assert dbtool(project, "migrate", "api", "--url", f"sqlite:///{db}").returncode == 0
    rows = SqliteRows(db)
    after = snapshot_rows(rows, load(project / "schemas" / "api.yaml").schema)
    rows.close()
    for key, row in before["users"].items():
        assert after["users"][key]["full_name"] == row["display_name"]
    assert dbtool(project, "check", "api").returncode == 0


def test_rename_table_with_children(tmp_path: Path) -> None:
    project = _api(tmp_path)

    def rename(doc: dict[str, Any]) -> None:
        doc["tables"]["members"] = doc["tables"].pop("users")
        for table in doc["tables"].values():
            for fk in table.get("foreign_keys", []):
                if fk["ref_table"] == "users":
                    fk["ref_table"] = "members"
        for trigger in doc.get("triggers", []):
            if trigger["table"] == "users":
                trigger["table"] = "members"
                trigger["body"] = trigger["body"].replace("UPDATE users", "UPDATE members")
        doc["tables"]["members"]["indexes"] = {"idx_members_role": {"columns": ["role"]}}

    edit_snapshot(project, "api", rename)
    guessed = dbtool(project, "diff", "api", "members")
    assert guessed.returncode == 1 and "--rename users=members" in guessed.stdout
    proc = dbtool(project, "diff", "api", "members", "--rename", "users=members")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "ALTER TABLE users RENAME TO members" in (project / "migrations" / "api" / "0011_members.sql").read_text()
    assert dbtool(project, "check", "api").returncode == 0


def test_dry_run_prints_and_writes_nothing(tmp_path: Path) -> None:
    project = _api(tmp_path)
    edit_snapshot(project, "api", lambda d: d["tables"]["users"]["columns"].update(
        {"nickname": {"type": "TEXT", "nullable": True}}))
    before = _files(project)
    proc = dbtool(project, "diff", "api", "nickname", "--dry-run")
    assert proc.returncode == 0, proc.stderr
    assert "ALTER TABLE users ADD COLUMN nickname TEXT;" in proc.stdout
    assert "dry run: not written" in proc.stdout
    assert _files(project) == before


def test_json_gives_changes_operations_statements_and_target_files(tmp_path: Path) -> None:
    project = _api(tmp_path)
    edit_snapshot(project, "api", lambda d: d["tables"]["users"]["indexes"].update(
        {"idx_users_email_role": {"columns": ["email", "role"], "unique": True}}))
    proc = dbtool(project, "diff", "api", "email role", "--format", "json", "--dry-run")
    assert proc.returncode == 0, proc.stderr
    plan = json.loads(proc.stdout)
    assert plan["status"] == "dry-run"
    assert [c["object_type"] for c in plan["changes"]] == ["index"]
    (file,) = plan["files"]
    assert file["name"] == "0011_email_role.sql" and file["transaction"] is True
    assert [op["op"] for op in file["operations"]] == ["create_index"]
    assert file["statements"] == ["CREATE UNIQUE INDEX idx_users_email_role ON users (email, role)"]


def test_a_new_not_null_column_needs_a_value(tmp_path: Path) -> None:
    project = _api(tmp_path)
    db = tmp_path / "api.db"
    assert dbtool(project, "migrate", "api", "--url", f"sqlite:///{db}").returncode == 0
    rows = SqliteRows(db)
    fill(rows, load(project / "schemas" / "api.yaml").schema, random.Random(3))
    rows.close()
    edit_snapshot(project, "api", lambda d: d["tables"]["users"]["columns"].update(
        {"locale": {"type": "TEXT", "nullable": False}}))
    refused = dbtool(project, "diff", "api", "locale")
    assert refused.returncode == 1 and "--fill users.locale=SQL" in refused.stdout
    proc = dbtool(project, "diff", "api", "locale", "--fill", "users.locale='en'")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert dbtool(project, "migrate", "api", "--url", f"sqlite:///{db}").returncode == 0
    conn = SqliteRows(db).conn
    assert {r[0] for r in conn.execute("SELECT locale FROM users")} == {"en"}


def test_bad_input_is_one_line_and_exit_2(tmp_path: Path) -> None:
    project = _api(tmp_path)
    for args in (("diff", "api"), ("diff", "api", "x", "--rename", "nonsense"),
                 ("diff", "api", "x", "--rename", "nope=other"), ("diff", "--from", "sqlite:///a.db"),
                 ("diff", "api", "x", "--fill", "users.locale")):
        proc = dbtool(project, *args)
        assert proc.returncode == 2, (args, proc.stdout, proc.stderr)
        assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr, proc.stderr


def test_check_on_an_edited_snapshot_names_dbtool_diff(tmp_path: Path) -> None:
    project = _api(tmp_path)
    edit_snapshot(project, "api", lambda d: d["tables"]["users"]["columns"].update(
        {"nickname": {"type": "TEXT", "nullable": True}}))
    proc = dbtool(project, "check", "api")
    assert proc.returncode == 1
    assert "dbtool diff api NAME" in proc.stdout and "dbtool snapshot api" in proc.stdout


def test_wrangler_configured_folder_gets_the_file(tmp_path: Path) -> None:
    from tests.cli.test_d1_service_commands import project as wrangler_project

    worker = wrangler_project(tmp_path)
    assert run_dbtool("snapshot", "api", cwd=tmp_path).returncode == 0
    edit_snapshot(tmp_path, "api", lambda d: d["tables"]["users"]["columns"].update(
        {"nickname": {"type": "TEXT", "nullable": True}}))
    proc = run_dbtool("diff", "api", "nickname", cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (worker / "db" / "migrations" / "0003_nickname.sql").exists()
    assert run_dbtool("check", "api", cwd=tmp_path).returncode == 0


def test_help_has_examples_and_exit_codes() -> None:
    proc = run_dbtool("diff", "--help")
    assert proc.returncode == 0
    assert "Examples:" in proc.stdout and "Exit codes" in proc.stdout and "--allow-drop" in proc.stdout


def test_rows_survive_a_rebuild_with_a_pk_change(tmp_path: Path) -> None:
    """sync_metadata: its primary key moves from user_id to (user_id, last_device_id)."""
    project = _api(tmp_path)
    db = tmp_path / "api.db"
    assert dbtool(project, "migrate", "api", "--url", f"sqlite:///{db}").returncode == 0
    schema = load(project / "schemas" / "api.yaml").schema
    rows = SqliteRows(db)
    fill(rows, schema, random.Random(11))
    rows.conn.execute("UPDATE sync_metadata SET last_device_id = 'd-' || user_id")
    before = snapshot_rows(rows, schema)
    rows.close()

    def edit(doc: dict[str, Any]) -> None:
        doc["tables"]["sync_metadata"]["primary_key"] = {"columns": ["user_id", "last_device_id"]}
    edit_snapshot(project, "api", edit)
    proc = dbtool(project, "diff", "api", "device key")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert dbtool(project, "migrate", "api", "--url", f"sqlite:///{db}").returncode == 0
    rows = SqliteRows(db)
    after = snapshot_rows(rows, load(project / "schemas" / "api.yaml").schema)
    rows.close()
    rekey = {t: {(r["user_id"], r["last_device_id"]) if t == "sync_metadata" else k: r for k, r in v.items()}
             for t, v in before.items()}
    assert_rows_kept(rekey, after)


def test_a_d1_plan_over_100_statements_is_split_into_files(tmp_path: Path) -> None:
    project = _api(tmp_path)

    def many_tables(doc: dict[str, Any]) -> None:
        for n in range(60):
            doc["tables"][f"bulk_{n:02d}"] = {
                "columns": {"id": {"type": "TEXT", "nullable": True}, "v": {"type": "TEXT", "nullable": True}},
                "primary_key": {"columns": ["id"]},
                "indexes": {f"idx_bulk_{n:02d}_v": {"columns": ["v"]}},
            }
    edit_snapshot(project, "api", many_tables)
    proc = dbtool(project, "diff", "api", "bulk tables", "--format", "json")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    files = json.loads(proc.stdout)["files"]
    assert [f["name"] for f in files] == ["0011_bulk_tables.sql", "0012_bulk_tables_part_2.sql"]
    assert all(len(f["statements"]) <= 100 for f in files)
    assert dbtool(project, "check", "api").returncode == 0


def test_from_to_prints_the_sql_between_two_sqlite_databases(tmp_path: Path) -> None:
    import sqlite3

    a, b = tmp_path / "a.db", tmp_path / "b.db"
    with sqlite3.connect(a) as conn:
        conn.executescript("CREATE TABLE t (id TEXT PRIMARY KEY, x TEXT);")
    with sqlite3.connect(b) as conn:
        conn.executescript("CREATE TABLE t (id TEXT PRIMARY KEY, x TEXT, y INTEGER);"
                           "CREATE INDEX ix_t_y ON t (y);")
    proc = run_dbtool("diff", "--from", f"sqlite:///{a}", "--to", f"sqlite:///{b}", "--dialect", "d1")
    assert proc.returncode == 0, proc.stderr
    assert "ALTER TABLE t ADD COLUMN y INTEGER;" in proc.stdout
    assert "CREATE INDEX ix_t_y ON t (y);" in proc.stdout
    same = run_dbtool("diff", "--from", f"sqlite:///{a}", "--to", f"sqlite:///{a}")
    assert same.returncode == 0 and "nothing to do" in same.stdout


def test_from_to_on_postgres_prints_sql_that_turns_a_into_b(pg_url_factory) -> None:
    import psycopg

    from dbtool.config import Service
    from dbtool.core.schema_ops import inspect_url
    from dbtool.diff import diff
    from dbtool.urls import parse_url

    a, b, copy = pg_url_factory(), pg_url_factory(), pg_url_factory()
    base = ("CREATE TABLE scenes (id serial PRIMARY KEY, prompt_id integer, status text);"
            "CREATE TABLE prompts (id serial PRIMARY KEY, scene_id integer NOT NULL);")
    for url in (a, copy):
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(base)
    with psycopg.connect(b, autocommit=True) as conn:
        conn.execute(base + "ALTER TABLE scenes ADD FOREIGN KEY (prompt_id) REFERENCES prompts(id);"
                     "ALTER TABLE prompts ADD FOREIGN KEY (scene_id) REFERENCES scenes(id) ON DELETE CASCADE;"
                     "CREATE INDEX idx_scenes_status ON scenes (status);"
                     "CREATE TABLE tags (id serial PRIMARY KEY, scene_id integer REFERENCES scenes(id));")
    proc = run_dbtool("diff", "--from", a, "--to", b)
    assert proc.returncode == 0, proc.stderr
    assert "NOT VALID" in proc.stdout and "CREATE INDEX CONCURRENTLY" in proc.stdout
    with psycopg.connect(copy, autocommit=True) as conn:
        for chunk in proc.stdout.split(";\n"):
            statement = "\n".join(line for line in chunk.splitlines() if not line.startswith("--"))
            if statement.strip():
                conn.execute(statement)
    service = Service("x", "postgres", Path("."))
    assert diff(inspect_url(service, parse_url(b)), inspect_url(service, parse_url(copy))) == []


def test_migrate_and_status_do_not_import_sqlalchemy_or_alembic(tmp_path: Path) -> None:
    import subprocess
    import sys

    project = _api(tmp_path)
    code = ("import sys\nfrom dbtool.cli.boundary import run\n"
            f"run(['migrate', 'api', '--url', 'sqlite:///{tmp_path / 'x.db'}'])\n"
            "run(['status', 'api'])\n"
            "print('HEAVY', sorted(m for m in sys.modules if m.split('.')[0] in ('sqlalchemy', 'alembic')))\n")
    proc = subprocess.run([sys.executable, "-c", code], cwd=project, capture_output=True, text=True, timeout=120)
    assert "HEAVY []" in proc.stdout, proc.stdout + proc.stderr


def test_a_rebuild_keeps_the_autoincrement_counter(tmp_path: Path) -> None:
    """Rows deleted from the top: the next id after the rebuild is still a new one,
    whether the old table was renamed aside or copied aside (a NO ACTION reference)."""
    import sqlite3

    folder = tmp_path / "m"
    folder.mkdir()
    (folder / "0001_base.sql").write_text(
        "CREATE TABLE a (id INTEGER PRIMARY KEY AUTOINCREMENT, v TEXT);\n"
        "CREATE TABLE b (id INTEGER PRIMARY KEY AUTOINCREMENT, v TEXT);\n"
        "CREATE TABLE b_ref (id TEXT PRIMARY KEY, b_id INTEGER REFERENCES b(id));\n")
    (tmp_path / "dbtool.toml").write_text('[services.s]\ndialect = "d1"\nmigrations = "m"\n'
                                          'snapshot = "schemas/s.yaml"\n')
    db = tmp_path / "s.db"
    assert run_dbtool("migrate", "s", "--url", f"sqlite:///{db}", cwd=tmp_path).returncode == 0
    with sqlite3.connect(db) as conn:
        for table in ("a", "b"):
            conn.executemany(f"INSERT INTO {table} (v) VALUES (?)", [("x",)] * 5)
            conn.execute(f"DELETE FROM {table} WHERE id > 2")
        conn.execute("INSERT INTO b_ref VALUES ('r', 1)")
    assert run_dbtool("snapshot", "s", cwd=tmp_path).returncode == 0
    edit_snapshot(tmp_path, "s", lambda d: [d["tables"][t].setdefault("checks", []).append(
        {"expression": "length(v) > 0"}) for t in ("a", "b")])
    proc = run_dbtool("diff", "s", "checks", "--format", "json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    vias = {op["tables"][0]["new"]["name"]: op["via"] for f in json.loads(proc.stdout)["files"]
            for op in f["operations"] if op["op"] == "rebuild_tables"}
    assert vias == {"a": "rename", "b": "copy"}
    assert run_dbtool("migrate", "s", "--url", f"sqlite:///{db}", cwd=tmp_path).returncode == 0
    with sqlite3.connect(db) as conn:
        for table in ("a", "b"):
            assert [r[0] for r in conn.execute(f"SELECT id FROM {table} ORDER BY id")] == [1, 2]
            new_id = conn.execute(f"INSERT INTO {table} (v) VALUES ('y') RETURNING id").fetchone()[0]
            assert new_id == 6, f"{table}: the counter restarted ({new_id})"
        assert conn.execute("SELECT count(*) FROM sqlite_sequence WHERE name LIKE 'dbtool%'").fetchone()[0] == 0
    assert run_dbtool("check", "s", cwd=tmp_path).returncode == 0
