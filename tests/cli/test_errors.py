"""Every error path: one line on stderr, the documented exit code, no traceback,
and the database unchanged."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import run_dbtool

CONFIG = """
[services.app]
dialect = "d1"
migrations = "migrations/app"
"""


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    (tmp_path / "dbtool.toml").write_text(CONFIG)
    folder = tmp_path / "migrations" / "app"
    folder.mkdir(parents=True)
    (folder / "0001_a.sql").write_text("CREATE TABLE a (id TEXT PRIMARY KEY);\n")
    return tmp_path


def assert_clean_error(proc, code: int, *fragments: str) -> None:
    err = proc.stderr.strip()
    assert proc.returncode == code, (proc.returncode, proc.stderr, proc.stdout)
    assert len(err.splitlines()) == 1, err
    assert "Traceback" not in err and err.startswith("dbtool: error: ")
    for fragment in fragments:
        assert fragment in err, err
    assert " — " in err  # every message carries what to do


def migrated_db(repo: Path) -> Path:
    assert run_dbtool("migrate", "app", cwd=repo).returncode == 0
    return repo / ".dbtool" / "local" / "app.db"


def test_unknown_service(repo):
    assert_clean_error(run_dbtool("migrate", "nope", cwd=repo), 2, "unknown service 'nope'", "known services: app")


def test_bad_config(repo):
    (repo / "dbtool.toml").write_text(CONFIG + "oops = \n")
    assert_clean_error(run_dbtool("status", "app", cwd=repo), 2, "dbtool.toml:5", "invalid TOML")


def test_unknown_config_key(repo):
    (repo / "dbtool.toml").write_text(CONFIG.replace("dialect", "dilect"))
    assert_clean_error(run_dbtool("status", "app", cwd=repo), 2, "unknown key 'dilect'")


def test_bad_url(repo):
    assert_clean_error(run_dbtool("migrate", "app", "--url", "mysql://x/y", cwd=repo), 2, "unknown URL scheme")


def test_unreachable_server(repo, tmp_path):
    folder = repo / "migrations" / "app"
    proc = run_dbtool("status", "--dir", str(folder), "--url", "postgresql://postgres@127.0.0.1:1/x")
    assert_clean_error(proc, 3, "cannot connect to PostgreSQL at 127.0.0.1:1")


def test_missing_folder(repo):
    proc = run_dbtool("migrate", "--dir", str(repo / "nope"), "--url", f"sqlite:///{repo / 'x.db'}")
    assert_clean_error(proc, 2, "does not exist")
    assert not (repo / "x.db").exists()


def test_unparseable_file_name_changes_nothing(repo):
    db = migrated_db(repo)
    before = db.read_bytes()
    (repo / "migrations" / "app" / "add_users.sql").write_text("CREATE TABLE u (id TEXT);\n")
    assert_clean_error(run_dbtool("migrate", "app", cwd=repo), 2, "add_users.sql", "no leading version")
    assert db.read_bytes() == before


def test_non_utf8_file_changes_nothing(repo):
    db = migrated_db(repo)
    before = db.read_bytes()
    (repo / "migrations" / "app" / "0002_b.sql").write_bytes(b"CREATE TABLE b (n TEXT DEFAULT '\xe9');\n")
    assert_clean_error(run_dbtool("migrate", "app", cwd=repo), 2, "0002_b.sql:1:33", "not valid UTF-8")
    assert db.read_bytes() == before


def test_d1_rule_refuses_before_anything_runs(repo):
    db = migrated_db(repo)
    before = db.read_bytes()
    folder = repo / "migrations" / "app"
    (folder / "0002_ok.sql").write_text("CREATE TABLE ok (id TEXT);\n")
    (folder / "0003_tx.sql").write_text("BEGIN TRANSACTION;\nCREATE TABLE t (id TEXT);\nCOMMIT;\n")
    assert_clean_error(run_dbtool("migrate", "app", cwd=repo), 1, "0003_tx.sql:1:1", "D1")
    assert db.read_bytes() == before  # not even 0002 ran


def test_cli_misuse_is_one_line(repo):
    assert_clean_error(run_dbtool("migrate", "--frobnicate", cwd=repo), 2, "No such option")
    assert_clean_error(run_dbtool("migrate", "app", "--all", cwd=repo), 2, "not both")
    (repo / "dbtool.toml").write_text(CONFIG + CONFIG.replace("app", "other"))
    assert_clean_error(run_dbtool("migrate", cwd=repo), 2, "name a service or pass --all")


@pytest.mark.postgres
def test_wrong_password(password_pg, tmp_path):
    url, _ = password_pg
    folder = tmp_path / "m"
    folder.mkdir()
    (folder / "0001_a.sql").write_text("CREATE TABLE a (id int);\n")
    wrong = url.replace("postgres@", "postgres:Wr0ngSecret@")
    proc = run_dbtool("migrate", "--dir", str(folder), "--url", wrong)
    assert_clean_error(proc, 3, "authentication failed for user 'postgres'")
    assert "Wr0ngSecret" not in proc.stderr + proc.stdout


@pytest.mark.postgres
def test_right_password_works(password_pg, tmp_path):
    url, password = password_pg
    folder = tmp_path / "m"
    folder.mkdir()
    (folder / "0001_a.sql").write_text("CREATE TABLE a (id int);\n")
    right = url.replace("postgres@", f"postgres:{password}@")
    proc = run_dbtool("migrate", "--dir", str(folder), "--url", right, "--debug")
    assert proc.returncode == 0, proc.stderr
    assert password not in proc.stdout + proc.stderr


def test_debug_shows_a_masked_traceback(repo):
    proc = run_dbtool("--debug", "status", "--dir", str(repo / "nope"), "--url", "postgresql://u:Hidd3nPw@127.0.0.1:1/x")
    assert "Traceback" in proc.stderr and "Hidd3nPw" not in proc.stderr
