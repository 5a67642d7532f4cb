"""`dbtool introspect` through the real CLI: options, sources, errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers import migrate_service, run_dbtool
from tests.report.support import SCHEMA_FILE, SERVICES, assert_valid, pg_env

FORMATS = ("text", "json", "markdown", "mermaid", "html", "columns")


def _ok(*args: str, env: dict[str, str] | None = None) -> str:
    proc = run_dbtool("introspect", *args, env=env)
    assert proc.returncode == 0, f"exit {proc.returncode}: {proc.stderr}"
    return proc.stdout


def _usage_error(*args: str) -> str:
    proc = run_dbtool("introspect", *args)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in proc.stderr, proc.stderr
    return lines[0]


@pytest.mark.parametrize("service", SERVICES)
def test_json_of_every_service_validates(service: str) -> None:
    document = json.loads(_ok(service, "--format", "json", env=pg_env(service)))
    assert_valid(document)
    assert document["service"] == service and document["source"]["kind"] == "scratch"


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_writes_output_creating_folders(fmt: str, tmp_path: Path) -> None:
    target = tmp_path / "deep" / "er" / f"export.{fmt}"
    assert _ok("export", "--format", fmt, "--output", str(target)) == ""
    text = target.read_text(encoding="utf-8")
    assert "export_jobs" in text and "\x1b[" not in text and "\r\n" not in text


def test_table_restricts_every_part_of_the_report() -> None:
    document = json.loads(_ok("api", "--table", "users", "--table", "sync_data,", "--format", "json"))
    assert [t["key"] for t in document["schema"]["tables"]] == ["sync_data", "users"]
    assert document["tables_filter"] == ["sync_data", "users"]
    assert {t["table"] for t in document["schema"]["triggers"]} <= {"sync_data", "users"}
    names = [m["name"] for m in document["migrations"]]
    assert "0009_add_goal_progress.sql" not in names and "0001_initial_schema.sql" in names
    mermaid = _ok("api", "--table", "users", "--format", "mermaid")
    assert "    users {" in mermaid and "sync_data {" not in mermaid


def test_unknown_table_is_a_one_line_usage_error() -> None:
    line = _usage_error("api", "--table", "users", "--table", "nope")
    assert "no table 'nope' in api" in line and "users" in line


def test_schema_flag_prints_the_shipped_schema(tmp_path: Path) -> None:
    assert json.loads(_ok("--format", "json", "--schema")) == json.loads(SCHEMA_FILE.read_text())
    _ok("--format", "json", "--schema", "--output", str(tmp_path / "s.json"))
    assert (tmp_path / "s.json").read_text() == SCHEMA_FILE.read_text()
    assert "--schema prints the JSON Schema" in _usage_error("--schema")


def test_columns_flag_combines_with_json_only() -> None:
    document = json.loads(_ok("api", "--columns", "--format", "json"))
    assert_valid(document)
    assert document["format"] == "dbtool-introspect-columns"
    assert {"table_name": "users", "column_name": "role", "data_type": "TEXT", "is_nullable": "NO",
            "column_default": "'user'"} in document["columns"]
    assert _ok("api", "--columns") == _ok("api", "--format", "columns")
    assert "--columns gives a column list" in _usage_error("api", "--columns", "--format", "html")


def test_one_service_at_a_time() -> None:
    assert "introspect reports on one service: name it — services: registry, api" in \
        _usage_error("--format", "json")
    assert "unexpected extra argument" in _usage_error("api", "scores")
    assert "unknown service 'nosuch'" in _usage_error("nosuch")


def test_live_sqlite_target_reports_applied_and_pending(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'api.db'}"
    migrate_service("api", url, to="0005_add_user_roles.sql")
    document = json.loads(_ok("api", "--url", url, "--format", "json"))
    assert_valid(document)
    states = {m["name"]: m["state"] for m in document["migrations"]}
    assert states["0005_add_user_roles.sql"] == "applied" and states["0010_add_dropped_status.sql"] == "pending"
    assert document["summary"]["migrations"]["pending"] == 6
    assert all(m["applied_at"] for m in document["migrations"] if m["state"] == "applied")
    assert document["source"] == {"kind": "target", "label": "--url", "url": url,
                                  "migrations_dir": "migrations/api"}
    keys = {t["key"] for t in document["schema"]["tables"]}
    assert "goal_progress" not in keys and "users" in keys  # what is really there
    markdown = _ok("api", "--url", url, "--format", "markdown")
    assert "| Migration | State | Applied at | Contents |" in markdown
    assert "| 0010_add_dropped_status.sql | pending |  | ALTER user_repertoire (rebuilt) |" in markdown
    assert "5 applied, 6 pending" in _ok("api", "--url", url)


def test_adhoc_dir_and_url(tmp_path: Path) -> None:
    folder = tmp_path / "migs"
    folder.mkdir()
    (folder / "0001_a.sql").write_text("CREATE TABLE a (id TEXT PRIMARY KEY);\n")
    (folder / "0002_b.sql").write_text("CREATE TABLE b (id TEXT PRIMARY KEY, a_id TEXT "
                                       "REFERENCES a(id));\nALTER TABLE a ADD COLUMN note TEXT;\n")
    url = f"sqlite:///{tmp_path / 'x.db'}"
    proc = run_dbtool("migrate", "--dir", str(folder), "--url", url)
    assert proc.returncode == 0, proc.stderr
    mermaid = _ok("--dir", str(folder), "--url", url, "--format", "mermaid")
    assert 'a ||--o{ b : "a_id"' in mermaid
    text = _ok("--dir", str(folder), "--url", url, "--format", "markdown")
    assert "| 0002_b.sql | applied |" in text and "b; ALTER a (note) |" in text


def test_missing_database_is_an_error_and_creates_nothing(tmp_path: Path) -> None:
    db = tmp_path / "absent.db"
    line = _usage_error("api", "--url", f"sqlite:///{db}")
    assert "does not exist" in line
    assert not db.exists()


@pytest.mark.postgres
def test_live_postgres_target(pg_url: str) -> None:
    migrate_service("scenes", pg_url, to="0003_seed_genesis_scene.sql")
    document = json.loads(_ok("scenes", "--url", pg_url, "--format", "json"))
    assert_valid(document)
    states = [m["state"] for m in document["migrations"]]
    assert states == ["applied", "applied", "applied", "pending"]
    scenes = next(t for t in document["schema"]["tables"] if t["key"] == "scenes")
    assert "generation_attempts" not in {c["name"] for c in scenes["columns"]}
    html = _ok("scenes", "--url", pg_url, "--format", "html")
    assert html.count('<g class="erd-node"') == 2


def test_help_documents_the_formats_and_columns() -> None:
    proc = run_dbtool("introspect", "--help")
    assert proc.returncode == 0
    for word in (*FORMATS, "--columns", "--schema", "--table", "--output"):
        assert word in proc.stdout
