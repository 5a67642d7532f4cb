"""docs/examples/github-workflow.yml, run: its own `run:` steps, read from the file.

A pull request of a sample project (a bare "origin" with main, a clone on a PR
branch) is checked by each step in order, with bash as GitHub runs it
(`bash --noprofile --norc -eo pipefail`). The `uses:` steps are emulated (the
clone has full history; `python` is the fresh venv of the packaging fixtures);
only values that name GitHub's own infrastructure are replaced: the Postgres
service container (the test server instead), the install source (the wheel
built from a clean clone) and the secrets (the test's production databases).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import PG_ADMIN_URL, REPO
from tests.packaging.conftest import clean_env
from tests.report.workflow_commands import Command, parse_all

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

WORKFLOW = REPO / "docs" / "examples" / "github-workflow.yml"
EMULATED = {"actions/checkout", "actions/setup-python"}
CONFIG = """\
[services.app]
dialect = "sqlite"
migrations = "migrations/app"
[services.app.targets.prod]
url_env = "APP_PROD_DATABASE_URL"

[services.accounts]
dialect = "postgres"
migrations = "migrations/accounts"
[services.accounts.targets.prod]
url_env = "ACCOUNTS_PROD_DATABASE_URL"
"""
MAIN = {
    "migrations/app/0001_notes.sql": "CREATE TABLE notes (id TEXT PRIMARY KEY, body TEXT NOT NULL);\n",
    "migrations/accounts/0001_users.sql": "CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL);\n",
}


def git(cwd: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@t"}
    return subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True,
                          text=True).stdout


def dbtool(cwd: Path, *args: str, **env: str) -> None:
    done = subprocess.run([sys.executable, "-m", "dbtool", *args], cwd=cwd, capture_output=True,
                          text=True, env={**os.environ, **env})
    assert done.returncode == 0, done.stderr


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)


@pytest.fixture
def pull_request(tmp_path: Path) -> Path:
    """origin (bare) with main: config, two services, snapshots; the checkout is on branch pr."""
    seed = tmp_path / "seed"
    write(seed, {"dbtool.toml": CONFIG, **MAIN})
    dbtool(seed, "snapshot", "--all", DBTOOL_SCRATCH_URL=PG_ADMIN_URL)
    git(seed, "init", "-q", "-b", "main")
    git(seed, "add", "-A")
    git(seed, "commit", "-qm", "main")
    git(tmp_path, "clone", "-q", "--bare", str(seed), "origin.git")
    git(tmp_path, "clone", "-q", str(tmp_path / "origin.git"), "checkout")
    checkout = tmp_path / "checkout"
    git(checkout, "checkout", "-qb", "pr")
    return checkout


@pytest.fixture
def production(tmp_path: Path, pg_url: str) -> dict[str, str]:
    """The secrets: production databases that applied main's migrations."""
    app = f"sqlite:///{tmp_path / 'prod-app.db'}"
    seed = tmp_path / "seed"
    dbtool(seed, "migrate", "app", "--url", app)
    dbtool(seed, "migrate", "accounts", "--url", pg_url)
    return {"APP_PROD_DATABASE_URL": app, "ACCOUNTS_PROD_DATABASE_URL": pg_url}


def _expression(secrets: dict[str, str]):
    def replace(match: re.Match[str]) -> str:
        expression = match.group(1).strip()
        if expression.startswith("secrets."):
            return secrets[expression.removeprefix("secrets.")]
        raise AssertionError(f"the test does not know the expression ${{{{ {expression} }}}}")
    return replace


def run_workflow(checkout: Path, venv: Path, wheel: Path, secrets: dict[str, str]) -> dict[str, tuple]:
    """Every step of the workflow's job, in order: step name -> (exit code, annotations, output)."""
    document = yaml.safe_load(WORKFLOW.read_text())
    [job] = document["jobs"].values()
    overrides = {"DBTOOL_SCRATCH_URL": PG_ADMIN_URL, "DBTOOL_PACKAGE": str(wheel)}
    assert set(overrides) <= set(job["env"]), "the workflow no longer sets what the test replaces"
    expand = _expression(secrets)
    base = clean_env(CI="true", GITHUB_ACTIONS="true", GITHUB_BASE_REF="main", GITHUB_HEAD_REF="pr",
                     GITHUB_EVENT_NAME="pull_request", GITHUB_WORKSPACE=str(checkout))
    base.update({k: str(v) for k, v in job["env"].items()} | overrides)
    results = {}
    for step in job["steps"]:
        if "uses" in step:
            action = step["uses"].split("@")[0]
            assert action in EMULATED, f"{action} is not emulated by this test"
            if action == "actions/setup-python":
                base["PATH"] = f"{venv / 'bin'}{os.pathsep}{base['PATH']}"
            continue
        env = dict(base)
        env.update({k: re.sub(r"\$\{\{(.*?)\}\}", expand, str(v)) for k, v in step.get("env", {}).items()})
        done = subprocess.run([shutil.which("bash") or "bash", "--noprofile", "--norc", "-eo", "pipefail",
                               "-c", step["run"]], cwd=checkout, env=env, capture_output=True,
                              text=True, timeout=600)
        results[step["name"]] = (done.returncode, parse_all(done.stdout), done.stdout + done.stderr)
    return results


def by_title(commands: list[Command], title: str) -> list[Command]:
    return [c for c in commands if c.properties.get("title") == title]


def test_a_clean_pull_request_passes_every_step(pull_request: Path, production, installed, built) -> None:
    write(pull_request, {"migrations/app/0002_notes_title.sql": "ALTER TABLE notes ADD COLUMN title TEXT;\n"})
    dbtool(pull_request, "snapshot", "app")
    git(pull_request, "add", "-A")
    git(pull_request, "commit", "-qm", "title")
    results = run_workflow(pull_request, installed, built[0], production)
    assert [name for name in results] == [
        "Install dbtool", "Lint the migrations this pull request adds or changes",
        "Committed migrations stay as they are",
        "Drift check (every migration applies; the result equals the snapshots)",
        "What this pull request would apply to production"]
    for name, (code, commands, output) in results.items():
        assert code == 0, f"{name}: {output}"
        assert all(c.level != "error" for c in commands), f"{name}: {output}"
    _, pending, output = results["What this pull request would apply to production"]
    assert [(c.level, c.file, c.message) for c in pending] == [
        ("warning", "migrations/app/0002_notes_title.sql", "app: 0002_notes_title.sql is pending")], output


def test_a_bad_pull_request_is_annotated_by_each_gate(pull_request: Path, production, installed,
                                                      built) -> None:
    with (pull_request / "migrations/accounts/0001_users.sql").open("a") as handle:
        handle.write("CREATE INDEX users_email ON users (email);\n")
    write(pull_request, {"migrations/app/0002_drop.sql": "DROP TABLE notes;\n"})
    git(pull_request, "add", "-A")
    git(pull_request, "commit", "-qm", "bad")
    results = run_workflow(pull_request, installed, built[0], production)
    code, lint, output = results["Lint the migrations this pull request adds or changes"]
    [drop] = by_title(lint, "DL101")
    assert code == 1 and (drop.file, drop.number("line"), drop.number("col")) == (
        "migrations/app/0002_drop.sql", 1, 12), output
    assert {c.file for c in lint} == {"migrations/app/0002_drop.sql"}, output  # index on a new table: fine
    code, guard, output = results["Committed migrations stay as they are"]
    [edited] = by_title(guard, "migration-modified")
    assert code == 1 and edited.file == "migrations/accounts/0001_users.sql", output
    code, check, output = results["Drift check (every migration applies; the result equals the snapshots)"]
    drift = by_title(check, "drift")
    assert code == 1 and {c.file for c in drift} == {"schemas/app.yaml", "schemas/accounts.yaml"}, output
    assert all(c.number("line") for c in drift), output
