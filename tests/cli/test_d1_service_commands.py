"""A D1 service that names its wrangler.toml: every command uses wrangler's
migrations_dir, migrations_table and local state (no wrangler binary needed)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from tests.helpers import run_dbtool

WRANGLER = """
name = "api"
main = "src/index.ts"

[[d1_databases]]
binding = "DB"
database_name = "api-db"
database_id = "6d0f2a3c-1b2d-4c5e-8f90-123456789abc"
migrations_dir = "db/migrations"
migrations_table = "schema_history"
"""


def project(root: Path) -> Path:
    worker = root / "workers" / "api"
    (worker / "db" / "migrations").mkdir(parents=True)
    (worker / "wrangler.toml").write_text(WRANGLER)
    (worker / "db" / "migrations" / "0001_users.sql").write_text(
        "CREATE TABLE users (id TEXT PRIMARY KEY, email TEXT NOT NULL UNIQUE);\n")
    (worker / "db" / "migrations" / "0002_idx.sql").write_text(
        "CREATE INDEX idx_users_email ON users(email);\n")
    (root / "dbtool.toml").write_text(
        '[services.api]\ndialect = "d1"\nwrangler = "workers/api/wrangler.toml"\n'
        'snapshot = "schemas/api.yaml"\n')
    return worker


def state_files(worker: Path) -> list[Path]:
    folder = worker / ".wrangler" / "state" / "v3" / "d1" / "miniflare-D1DatabaseObject"
    return sorted(p for p in folder.glob("*.sqlite"))


def test_every_command_follows_the_wrangler_config(tmp_path: Path):
    worker = project(tmp_path)
    migrate = run_dbtool("migrate", "api", "--format", "json", cwd=tmp_path)
    assert migrate.returncode == 0, migrate.stderr
    run = json.loads(migrate.stdout)["services"][0]
    assert run["label"] == "wrangler local" and [a["name"] for a in run["applied"]] == [
        "0001_users.sql", "0002_idx.sql"]
    [state] = state_files(worker)
    with sqlite3.connect(state) as conn:
        assert [r[0] for r in conn.execute("SELECT name FROM schema_history ORDER BY id")] == [
            "0001_users.sql", "0002_idx.sql"]
    status = run_dbtool("status", "api", "--exit-code", cwd=tmp_path)
    assert status.returncode == 0, status.stdout
    assert run_dbtool("snapshot", "api", cwd=tmp_path).returncode == 0
    assert "idx_users_email" in (tmp_path / "schemas" / "api.yaml").read_text()
    local = f"d1-local://{worker}?binding=DB"
    audit = run_dbtool("audit", "api", "--url", local, "--format", "json", cwd=tmp_path)
    assert audit.returncode == 0, audit.stdout + audit.stderr
    assert json.loads(audit.stdout)["services"][0]["clean"] is True
    check = run_dbtool("check", cwd=tmp_path)
    assert check.returncode == 0, check.stdout
    assert run_dbtool("lint", "api", cwd=tmp_path).returncode == 0


def test_drift_in_wrangler_state_is_reported_with_github_annotations(tmp_path: Path):
    worker = project(tmp_path)
    assert run_dbtool("migrate", "api", cwd=tmp_path).returncode == 0
    assert run_dbtool("snapshot", "api", cwd=tmp_path).returncode == 0
    [state] = state_files(worker)
    with sqlite3.connect(state) as conn:
        conn.execute("DROP INDEX idx_users_email")
    proc = run_dbtool("audit", "api", "--url", f"d1-local://{worker}?binding=DB", "--format", "github",
                      cwd=tmp_path)
    assert proc.returncode == 1
    assert proc.stdout.startswith("::error file=")
    assert "schemas/api.yaml,line=" in proc.stdout and "idx_users_email" in proc.stdout


def test_new_writes_into_the_wrangler_migrations_dir(tmp_path: Path):
    """`new` resolves the service like every other command: the wrangler binding's
    migrations_dir, numbered after the files already there (not migrations/api/0001)."""
    worker = project(tmp_path)
    proc = run_dbtool("new", "api", "add sessions", "--format", "json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    made = Path(json.loads(proc.stdout)["path"])
    assert made == worker / "db" / "migrations" / "0003_add_sessions.sql"
    assert not (tmp_path / "migrations").exists()
    made.write_text("CREATE TABLE sessions (id TEXT PRIMARY KEY);\n")
    migrate = run_dbtool("migrate", "api", "--format", "json", cwd=tmp_path)
    assert migrate.returncode == 0, migrate.stderr
    assert [a["name"] for a in json.loads(migrate.stdout)["services"][0]["applied"]] == [
        "0001_users.sql", "0002_idx.sql", "0003_add_sessions.sql"]
