"""The hooks of .pre-commit-hooks.yaml under the real `pre-commit` tool.

A user's project (a temporary git repository) lists this repository as
`repo:` at the current commit with `language: python`, exactly as a user
would: pre-commit clones it and builds dbtool into its own virtualenv (dbtool
from the clone, its dependencies from the package registry). The environment is
built once per module (PRE_COMMIT_HOME is shared); each test has its own project.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

pytestmark = pytest.mark.slow

INIT = "CREATE TABLE users (id TEXT PRIMARY KEY, email TEXT NOT NULL);\n"


@pytest.fixture(scope="module")
def hook_home(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("pre-commit-home")


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env.update(PRE_COMMIT_HOME=str(home), GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@t",
               GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@t", PRE_COMMIT_COLOR="never",
               PIP_NO_COMPILE="1")  # the hook env's byte code is written on first use
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    return env


def run(root: Path, home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(args), cwd=root, env=_env(home), capture_output=True, text=True,
                          timeout=900)


def precommit(root: Path, home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run(root, home, sys.executable, "-m", "pre_commit", *args)


def commit(root: Path, home: Path, message: str, *extra: str) -> subprocess.CompletedProcess[str]:
    """`git commit` with the installed hooks; git shows the hooks' output on stderr, so the
    result's stdout is both streams."""
    run(root, home, "git", "add", "-A")
    done = run(root, home, "git", "commit", "-m", message, *extra)
    return subprocess.CompletedProcess(done.args, done.returncode, done.stdout + done.stderr, "")


@pytest.fixture
def project(tmp_path: Path, hook_home: Path) -> Path:
    """A project with one SQLite service, its snapshot, and the three hooks installed."""
    root = tmp_path / "app"
    (root / "migrations").mkdir(parents=True)
    (root / "dbtool.toml").write_text('[services.app]\ndialect = "sqlite"\nmigrations = "migrations"\n')
    (root / "migrations" / "0001_users.sql").write_text(INIT)
    rev = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO, check=True, capture_output=True,
                         text=True).stdout.strip()
    (root / ".pre-commit-config.yaml").write_text(
        f"repos:\n- repo: {REPO}\n  rev: {rev}\n  hooks:\n"
        "  - id: dbtool-lint\n  - id: dbtool-guard\n  - id: dbtool-check\n")
    assert run(root, hook_home, "git", "init", "-q", "-b", "main").returncode == 0
    installed = precommit(root, hook_home, "install")
    assert installed.returncode == 0, installed.stderr
    snapshot = run(root, hook_home, sys.executable, "-m", "dbtool", "snapshot", "app")
    assert snapshot.returncode == 0, snapshot.stderr
    first = commit(root, hook_home, "initial")
    assert first.returncode == 0, first.stdout + first.stderr
    return root


def head(root: Path, home: Path) -> str:
    return run(root, home, "git", "rev-parse", "HEAD").stdout.strip()


def test_a_clean_migration_commits_and_check_stays_manual(project: Path, hook_home: Path) -> None:
    (project / "migrations" / "0002_name.sql").write_text("ALTER TABLE users ADD COLUMN name TEXT;\n")
    done = commit(project, hook_home, "add name")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "dbtool lint (changed migrations)" in done.stdout and "Passed" in done.stdout
    assert "dbtool guard" in done.stdout
    assert "dbtool check" not in done.stdout  # opt-in: the manual stage only


def test_a_lint_error_in_the_new_file_blocks_the_commit(project: Path, hook_home: Path) -> None:
    before = head(project, hook_home)
    (project / "migrations" / "0002_drop.sql").write_text("DROP TABLE users;\n")
    done = commit(project, hook_home, "drop users")
    assert done.returncode != 0
    assert "migrations/0002_drop.sql:1:12: error DL101" in done.stdout
    assert head(project, hook_home) == before


def test_editing_a_committed_migration_blocks_the_commit(project: Path, hook_home: Path) -> None:
    before = head(project, hook_home)
    path = project / "migrations" / "0001_users.sql"
    path.write_text(INIT.replace("email TEXT NOT NULL", "email TEXT"))
    done = commit(project, hook_home, "edit applied file")
    assert done.returncode != 0
    assert "0001_users.sql changed after it was committed" in done.stdout
    assert head(project, hook_home) == before
    path.write_bytes(INIT.replace("\n", "\r\n").encode())  # line endings alone are no edit
    assert commit(project, hook_home, "crlf").returncode == 0


def test_sql_outside_the_migrations_is_left_alone(project: Path, hook_home: Path) -> None:
    (project / "seeds").mkdir()
    (project / "seeds" / "dev.sql").write_text("DELETE FROM users;\nDROP TABLE users;\n")
    (project / "migrations" / "down").mkdir()
    (project / "migrations" / "down" / "0001_users.sql").write_text("DROP TABLE users;\n")
    done = commit(project, hook_home, "seed data and a rollback file")
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_check_hook_runs_on_the_manual_stage(project: Path, hook_home: Path) -> None:
    clean = precommit(project, hook_home, "run", "dbtool-check", "--hook-stage", "manual")
    assert clean.returncode == 0, clean.stdout + clean.stderr
    (project / "migrations" / "0002_age.sql").write_text("ALTER TABLE users ADD COLUMN age INTEGER;\n")
    assert commit(project, hook_home, "no snapshot update").returncode == 0  # lint and guard pass
    drift = precommit(project, hook_home, "run", "dbtool-check", "--hook-stage", "manual")
    assert drift.returncode != 0
    assert "column users.age" in drift.stdout and "dbtool snapshot app" in drift.stdout
