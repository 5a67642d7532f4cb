"""Inputs that used to end in an internal error, a wrong exit code or a silent wrong
result (issue #15, item 12), through the real CLI. The bad-input corpus
(tests/reliability/cases_*.py) has the configuration, foreign-table, snapshot-key
and ad-hoc audit cases; these need a set-up the corpus runner cannot give (another
user's permissions, a Postgres table in the way, a pipe, a WAL file, a scratch server).
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from tests.conftest import IN_CI
from tests.helpers import REPO, run_dbtool
from tests.reliability.fingerprint import _PG_QUERIES
from tests.zygote import dbtool_popen


def pg_catalog(url: str) -> list[tuple]:
    """Every user object with its definition, and every row of the tables in the way."""
    with psycopg.connect(url, autocommit=True) as conn:
        rows = [row for sql in _PG_QUERIES for row in conn.execute(sql).fetchall()]
        for schema in ("public", "dbtool"):
            for table in ("dbtool_migrations", "dbtool_history_log"):
                if conn.execute("SELECT to_regclass(%s)", (f"{schema}.{table}",)).fetchone()[0]:
                    rows += conn.execute(f"SELECT * FROM {schema}.{table}").fetchall()
    return rows


def _one_error_line(proc: subprocess.CompletedProcess[str], code: int, *fragments: str) -> None:
    err = proc.stderr.strip()
    assert proc.returncode == code, (proc.returncode, err, proc.stdout[-500:])
    assert len(err.splitlines()) == 1 and err.startswith("dbtool: error: ") and " — " in err, err
    assert "Traceback" not in proc.stderr + proc.stdout
    for fragment in fragments:
        assert fragment in err, (fragment, err)


def _unprivileged() -> list[str]:
    """A prefix that runs a command without the power to read other users' files: nothing
    as an ordinary user; as root, setpriv without CAP_DAC_OVERRIDE / CAP_DAC_READ_SEARCH."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        message = "running as root without setpriv: cannot make a file unreadable"
        pytest.fail(message) if IN_CI else pytest.skip(message)
    return [setpriv, "--bounding-set", "-dac_override,-dac_read_search"]


def test_an_unreadable_migration_file_is_one_line_naming_it(tmp_path: Path):
    folder = tmp_path / "migrations"
    folder.mkdir()
    (folder / "0001_a.sql").write_text("CREATE TABLE a (id TEXT);\n")
    secret = folder / "0002_b.sql"
    secret.write_text("CREATE TABLE b (id TEXT);\n")
    secret.chmod(0)
    db = tmp_path / "app.db"
    try:
        for command in ("migrate", "status", "lint"):
            args = [command, "--dir", str(folder), "--url", f"sqlite:///{db}"] if command != "lint" \
                else [command, str(folder), "--dialect", "sqlite"]
            proc = subprocess.run([*_unprivileged(), sys.executable, "-m", "dbtool", *args], cwd=tmp_path,
                                  capture_output=True, text=True, timeout=120)
            _one_error_line(proc, 2, "0002_b.sql", "cannot read migration file", "Permission denied")
    finally:
        secret.chmod(0o644)
    assert not db.exists()  # nothing ran, not even 0001


def test_a_dangling_link_is_an_error_not_a_silently_skipped_file(tmp_path: Path):
    folder = tmp_path / "migrations"
    folder.mkdir()
    (folder / "0001_a.sql").write_text("CREATE TABLE a (id TEXT);\n")
    (folder / "0002_b.sql").symlink_to(tmp_path / "gone.sql")
    proc = run_dbtool("status", "--dir", str(folder), "--url", f"sqlite:///{tmp_path / 'x.db'}")
    _one_error_line(proc, 2, "0002_b.sql", "symbolic link to nothing")


@pytest.mark.postgres
@pytest.mark.parametrize("schema, advice", [
    ("dbtool", "history_schema"),  # in dbtool's own schema
    ("public", "an earlier dbtool kept in public"),  # its old place: never moved into dbtool
])
def test_a_foreign_dbtool_migrations_table_on_postgres_stops_every_command(
        tmp_path: Path, pg_url: str, schema: str, advice: str):
    folder = tmp_path / "migrations"
    folder.mkdir()
    (folder / "0001_a.sql").write_text("CREATE TABLE a (id int);\n")
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
        conn.execute(f"CREATE TABLE {schema}.dbtool_migrations (id serial PRIMARY KEY, migration text, ok boolean)")
        conn.execute(f"INSERT INTO {schema}.dbtool_migrations (migration, ok) VALUES ('x', true)")
    before = pg_catalog(pg_url)
    for args in (("migrate",), ("status",), ("mark", "0001_a.sql", "--applied", "--yes"),
                 ("baseline", "--to", "0001_a.sql", "--force"), ("rollback",)):
        proc = run_dbtool(*args, "--dir", str(folder), "--url", pg_url)
        _one_error_line(proc, 2, "lacks", "rename that table")
        assert f"{schema}.dbtool_migrations" in proc.stderr.replace('"', ''), proc.stderr
        assert advice in proc.stderr, proc.stderr
    assert pg_catalog(pg_url) == before
    with psycopg.connect(pg_url) as conn:
        assert conn.execute(f"SELECT migration FROM {schema}.dbtool_migrations").fetchall() == [("x",)]


@pytest.mark.postgres
def test_a_foreign_history_log_table_on_postgres(tmp_path: Path, pg_url: str):
    folder = tmp_path / "migrations"
    folder.mkdir()
    (folder / "0001_a.sql").write_text("CREATE TABLE a (id int);\n")
    assert run_dbtool("migrate", "--dir", str(folder), "--url", pg_url).returncode == 0
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("CREATE TABLE dbtool_history_log (at timestamptz, message text)")
    before = pg_catalog(pg_url)
    proc = run_dbtool("mark", "--dir", str(folder), "--url", pg_url, "0001_a.sql", "--pending", "--yes")
    _one_error_line(proc, 2, "dbtool_history_log")
    assert pg_catalog(pg_url) == before


def test_a_default_target_without_its_variable(tmp_path: Path):
    """Named: an error (as with --target), never the embedded file. Under --all, or as the
    only service when none is named: skipped with the variable to set, and the embedded
    file is not created either."""
    (tmp_path / "migrations" / "api").mkdir(parents=True)
    (tmp_path / "migrations" / "api" / "0001_a.sql").write_text("CREATE TABLE a (id TEXT);\n")
    (tmp_path / "dbtool.toml").write_text('[services.api]\ndialect = "d1"\nurl_env = "API_TEST_URL"\n')
    env = {"API_TEST_URL": ""}
    for args in (("migrate", "api"), ("status", "api"), ("introspect", "api", "--target", "default")):
        _one_error_line(run_dbtool(*args, cwd=tmp_path, env=env), 2, "$API_TEST_URL is not set")
    for selection in (("--all",), ()):
        proc = run_dbtool("migrate", *selection, "--format", "json", cwd=tmp_path, env=env)
        assert proc.returncode == 0, proc.stderr
        [run] = json.loads(proc.stdout)["services"]
        assert run["status"] == "skipped" and "$API_TEST_URL" in run["skip_reason"]
        assert not (tmp_path / ".dbtool").exists()
    status = run_dbtool("status", "--all", cwd=tmp_path, env=env)
    assert status.returncode == 0 and "api: skipped — no database URL: set $API_TEST_URL" in status.stdout


def test_the_readme_main_command_on_this_repository(tmp_path: Path):
    """`migrate --all && status --all` on the bundled services: the D1 services are built,
    scenes and studio (url_env set, variable unset) are reported as skipped."""
    for item in ("dbtool.toml", "migrations", "schemas"):
        (shutil.copytree if (REPO / item).is_dir() else shutil.copy)(REPO / item, tmp_path / item)
    env = {"SCENES_DATABASE_URL": "", "STUDIO_DATABASE_URL": ""}
    migrate = run_dbtool("migrate", "--all", cwd=tmp_path, env=env)
    status = run_dbtool("status", "--all", cwd=tmp_path, env=env)
    assert migrate.returncode == 0 and status.returncode == 0, migrate.stderr + status.stderr
    for name in ("scenes", "studio"):
        assert f"{name}: skipped — no database URL: set ${name.upper()}_DATABASE_URL" in status.stdout


def test_audit_ad_hoc_with_a_snapshot_file(tmp_path: Path):
    folder = tmp_path / "migrations"
    folder.mkdir()
    (folder / "0001_a.sql").write_text("CREATE TABLE a (id TEXT PRIMARY KEY, note TEXT);\n")
    db = tmp_path / "app.db"
    assert run_dbtool("migrate", "--dir", str(folder), "--url", f"sqlite:///{db}").returncode == 0
    snapshot = tmp_path / "app.yaml"
    snapshot.write_text("service: app\ndialect: sqlite\ntables:\n  a:\n    columns:\n"
                        "      id: {type: TEXT, nullable: true}\n      note: {type: TEXT, nullable: true}\n"
                        "    primary_key: {columns: [id]}\n")
    args = ("audit", "--dir", str(folder), "--url", f"sqlite:///{db}", "--snapshot", str(snapshot))
    clean = run_dbtool(*args, "--format", "json")
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert json.loads(clean.stdout)["services"][0]["clean"] is True
    snapshot.write_text(snapshot.read_text().replace("      note: {type: TEXT, nullable: true}\n", ""))
    drift = run_dbtool(*args)
    assert drift.returncode == 1 and "note" in drift.stdout, drift.stdout + drift.stderr
    postgres = snapshot.read_text().replace("dialect: sqlite", "dialect: postgres")
    snapshot.write_text(postgres)
    _one_error_line(run_dbtool(*args), 2, "describes a postgres schema")
    (tmp_path / "dbtool.toml").write_text('[services.app]\ndialect = "sqlite"\nmigrations = "migrations"\n')
    _one_error_line(run_dbtool("audit", "app", "--snapshot", str(snapshot), cwd=tmp_path), 2,
                    "--snapshot is for ad-hoc audits")


def test_a_closed_stdout_is_not_a_failure(tmp_path: Path):
    """`dbtool migrate … | head -1`: the run finishes every file and exits 0, silently."""
    folder = tmp_path / "migrations"
    folder.mkdir()
    for i in range(1, 301):
        (folder / f"{i:04d}_t.sql").write_text(f"CREATE TABLE t{i} (id TEXT);\n")
    db = tmp_path / "app.db"
    dbtool = f"{sys.executable} -m dbtool"
    for command in (f"migrate --dir {folder} --url sqlite:///{db}",
                    f"status --dir {folder} --url sqlite:///{db}",
                    f"status --dir {folder} --url sqlite:///{db} --format json"):
        proc = subprocess.run(["bash", "-c", f"set -o pipefail; {dbtool} {command} | head -1"],
                              capture_output=True, text=True, timeout=300, cwd=REPO)
        assert proc.returncode == 0, (command, proc.returncode, proc.stderr)
        assert proc.stderr == "" and len(proc.stdout.splitlines()) == 1
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM d1_migrations").fetchone() == (300,)
    conn.close()
    # a reader that is gone before the first line: the same
    (folder / "0301_u.sql").write_text("CREATE TABLE u (id TEXT);\n")
    child = dbtool_popen([sys.executable, "-m", "dbtool", "migrate", "--dir", str(folder), "--url",
                          f"sqlite:///{db}"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=REPO)
    assert child.stdout is not None and child.stderr is not None
    child.stdout.close()
    err = child.stderr.read().decode()
    assert child.wait(timeout=120) == 0 and err == ""
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM d1_migrations").fetchone() == (301,)
    conn.close()


def test_reading_a_wal_database_leaves_no_wal_or_shm_files(tmp_path: Path):
    folder = tmp_path / "migrations"
    folder.mkdir()
    (folder / "0001_a.sql").write_text("CREATE TABLE a (id TEXT PRIMARY KEY);\n")
    db = tmp_path / "app.db"
    assert run_dbtool("migrate", "--dir", str(folder), "--url", f"sqlite:///{db}").returncode == 0
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA journal_mode = WAL").fetchone() == ("wal",)
    conn.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["app.db", "migrations"]
    before = db.read_bytes()
    snapshot = tmp_path / "app.yaml"
    snapshot.write_text("service: app\ndialect: sqlite\ntables:\n  a:\n    columns:\n"
                        "      id: {type: TEXT, nullable: true}\n    primary_key: {columns: [id]}\n")
    url = f"sqlite:///{db}"
    for args in (("status",), ("status", "--format", "json"), ("introspect",),
                 ("audit", "--snapshot", str(snapshot)), ("migrate", "--dry-run")):
        proc = run_dbtool(*args, "--dir", str(folder), "--url", url)
        assert proc.returncode == 0, (args, proc.stderr)
        assert sorted(p.name for p in tmp_path.iterdir()) == ["app.db", "app.yaml", "migrations"], args
        assert db.read_bytes() == before, args


@pytest.mark.postgres
def test_check_with_an_unreachable_scratch_server_exits_3(tmp_path: Path):
    (tmp_path / "migrations").mkdir()
    (tmp_path / "migrations" / "0001_a.sql").write_text("CREATE TABLE a (id int);\n")
    (tmp_path / "dbtool.toml").write_text('[services.pg]\ndialect = "postgres"\nmigrations = "migrations"\n')
    env = {"DBTOOL_SCRATCH_URL": "postgresql://postgres@127.0.0.1:1/postgres"}
    for fmt in ("text", "json", "github"):
        proc = run_dbtool("check", "--format", fmt, cwd=tmp_path, env=env)
        assert proc.returncode == 3, (fmt, proc.returncode, proc.stdout, proc.stderr)
        assert "127.0.0.1:1" in proc.stdout and "Traceback" not in proc.stderr
    report = json.loads(run_dbtool("check", "--format", "json", cwd=tmp_path, env=env).stdout)
    assert report["exit_code"] == 3 and report["services"][0]["unreachable"] is True
