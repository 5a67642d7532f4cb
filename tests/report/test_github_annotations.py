"""`--format github` of every command, parsed back with a strict workflow-command parser.

The project lives in folders whose names hold a comma and sits below the git top
level, so every path must be escaped and relative to the repository root.
"""

from __future__ import annotations

import json
import random
import string
import subprocess
from pathlib import Path

import psycopg
import pytest

from dbtool.report.github import Annotation, render_one, repository_root
from tests.conftest import PG_ADMIN_URL
from tests.helpers import run_dbtool
from tests.report.workflow_commands import parse, parse_all

INIT = """CREATE TABLE users (id TEXT PRIMARY KEY, name TEXT);
CREATE VIEW named AS
  SELECT id,
         name
  FROM users;
"""
CHANGE = """DROP VIEW named;
CREATE VIEW named AS
  SELECT id, name, 1 AS one
  FROM users
  WHERE name IS NOT NULL;
DROP TABLE users;
"""
MIGRATIONS = "db,x/app"


def make(root: Path, dialect: str = "sqlite", *, git: bool = True) -> Path:
    """root/"proj" with one service; root is a git work tree when `git`."""
    project = root / "proj"
    (project / MIGRATIONS).mkdir(parents=True)
    (project / "dbtool.toml").write_text(
        f'[services.app]\ndialect = "{dialect}"\nmigrations = "{MIGRATIONS}"\nexposed_schemas = []\n'
        if dialect == "postgres" else
        f'[services.app]\ndialect = "{dialect}"\nmigrations = "{MIGRATIONS}"\n')
    (project / MIGRATIONS / "0001_init.sql").write_text(INIT)
    if git:
        subprocess.run(["git", "init", "-q", str(root)], check=True)
    return project


def snapshot_line(project: Path, key: str) -> int:
    """The line of `key:` in the snapshot, as a reviewer would find it."""
    lines = (project / "schemas" / "app.yaml").read_text().splitlines()
    return next(i for i, text in enumerate(lines, 1) if text.strip().startswith(f"{key}:"))


@pytest.fixture
def drifted(tmp_path: Path) -> Path:
    """A SQLite project whose second file changes a view and drops a table after the snapshot."""
    project = make(tmp_path / "work,tree")
    assert run_dbtool("snapshot", "app", cwd=project).returncode == 0
    (project / MIGRATIONS / "0002_change.sql").write_text(CHANGE)
    return project


def test_lint_annotations_point_at_file_line_col_with_the_help(drifted: Path) -> None:
    proc = run_dbtool("lint", "app", "--format", "github", cwd=drifted)
    assert proc.returncode == 1
    data = json.loads(run_dbtool("lint", "app", "--format", "json", cwd=drifted).stdout)
    expected = [d for r in data["reports"] for d in r["diagnostics"] if not d["suppressed"]]
    commands = parse_all(proc.stdout)
    assert len(commands) == len(expected) >= 1
    for command, diagnostic in zip(commands, expected, strict=True):
        assert command.file == f"proj/{diagnostic['file']}"
        assert (command.number("line"), command.number("col")) == (diagnostic["line"], diagnostic["col"])
        assert command.properties["title"] == diagnostic["code"]
        assert command.message == f"{diagnostic['message']}\nhelp: {diagnostic['help']}"
    [drop] = [c for c in commands if c.properties["title"] == "DL101"]
    assert drop.file == "proj/db,x/app/0002_change.sql" and drop.number("line") == 6


def test_check_annotations_locate_drift_in_the_snapshot_and_lint_in_the_file(drifted: Path) -> None:
    proc = run_dbtool("check", "--format", "github", cwd=drifted)
    assert proc.returncode == 1
    commands = parse_all(proc.stdout)
    assert proc.stdout.splitlines() == [line for line in proc.stdout.splitlines() if line.startswith("::")]
    drift = {c.message.split(":")[1].strip(): c for c in commands if c.properties["title"] == "drift"}
    assert set(drift) == {"view named", "table users"}
    for name, command in drift.items():
        assert command.file == "proj/schemas/app.yaml"
        assert command.number("line") == snapshot_line(drifted, name.split()[1])
        assert command.message.endswith("\nhelp: if the snapshot is right, write the migration with "
                                            "`dbtool diff app NAME`; if the migrations are right, "
                                            "rewrite it with `dbtool snapshot app`")
    [lint] = [c for c in commands if c.properties["title"] == "DL101"]
    assert (lint.file, lint.number("line"), lint.number("col")) == (
        "proj/db,x/app/0002_change.sql", 6, 12)
    assert lint.message.startswith("app: DROP TABLE users") and "\nhelp: " in lint.message
    assert len(commands) == 3  # the fix is part of each message, never an annotation of its own


def test_a_failed_migration_is_an_annotation_on_the_statement(drifted: Path) -> None:
    (drifted / MIGRATIONS / "0003_bad.sql").write_text("CREATE TABLE t (a TEXT);\nINSERT INTO nope VALUES (1);\n")
    proc = run_dbtool("migrate", "--format", "github", cwd=drifted)
    assert proc.returncode == 1
    [command] = parse_all(proc.stdout)
    assert command.level == "error" and command.properties["title"] == "migration-failed"
    assert (command.file, command.number("line"), command.number("col")) == (
        "proj/db,x/app/0003_bad.sql", 2, 1)
    assert "no such table: nope" in command.message and "\nhelp: statement: INSERT INTO nope" in command.message
    assert len(proc.stderr.splitlines()) == 1  # the usual one error line as well


def test_status_annotates_modified_and_pending_files(drifted: Path) -> None:
    assert run_dbtool("migrate", "--to", "0001_init.sql", cwd=drifted).returncode == 0
    with (drifted / MIGRATIONS / "0001_init.sql").open("a") as handle:
        handle.write("-- edited after it ran\n")
    proc = run_dbtool("status", "--format", "github", "--exit-code", cwd=drifted)
    assert proc.returncode == 1
    commands = {c.file: c for c in parse_all(proc.stdout)}
    modified = commands["proj/db,x/app/0001_init.sql"]
    assert (modified.level, modified.properties["title"], modified.number("line")) == ("error", "history", 1)
    assert modified.message == "app: 0001_init.sql is modified"
    pending = commands["proj/db,x/app/0002_change.sql"]
    assert pending.level == "warning" and pending.message == "app: 0002_change.sql is pending"
    table = proc.stdout.splitlines()
    header = next(i for i, text in enumerate(table) if text.startswith("migration"))
    assert table[header + 1].startswith("0001_init.sql")  # the text table is still there


def test_outside_git_paths_are_relative_to_the_config_folder(tmp_path: Path) -> None:
    project = make(tmp_path / "plain,dir", git=False)
    (project / MIGRATIONS / "0002_drop.sql").write_text("DROP TABLE users;\n")
    [command] = parse_all(run_dbtool("lint", "app", "--format", "github", cwd=project).stdout)
    assert command.file == "db,x/app/0002_drop.sql"
    assert repository_root(project / MIGRATIONS) == project.resolve()


@pytest.mark.postgres
def test_audit_keeps_a_multi_line_view_definition_in_one_annotation(tmp_path: Path, pg_url: str) -> None:
    project = make(tmp_path / "pg,repo", "postgres")
    env = {"DBTOOL_SCRATCH_URL": PG_ADMIN_URL}
    assert run_dbtool("snapshot", "app", cwd=project, env=env).returncode == 0
    assert run_dbtool("migrate", "app", "--url", pg_url, cwd=project).returncode == 0
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("CREATE OR REPLACE VIEW named AS SELECT id, name, 1 AS one FROM users "
                     "WHERE name IS NOT NULL")
    (project / MIGRATIONS / "0002_more.sql").write_text("ALTER TABLE users ADD COLUMN age int;\n")
    proc = run_dbtool("audit", "app", "--url", pg_url, "--format", "github", cwd=project)
    assert proc.returncode == 1
    report = json.loads(run_dbtool("audit", "app", "--url", pg_url, "--format", "json",
                                   cwd=project).stdout)["services"][0]
    [view] = [c for c in parse_all(proc.stdout) if c.properties["title"] == "drift"]
    [change] = report["changes"]
    assert view.message == f"app: {change['message']}" and view.message.count("\n") >= 3
    assert view.file == "proj/schemas/app.yaml" and view.number("line") == snapshot_line(project, "named")
    [history] = [c for c in parse_all(proc.stdout) if c.properties["title"] == "history"]
    assert (history.level, history.file, history.message) == (
        "warning", "proj/db,x/app/0002_more.sql", "app: 0002_more.sql is pending")
    assert not any(c.file and c.file.startswith("/") for c in parse_all(proc.stdout))


_ALPHABET = string.ascii_letters + string.digits + " %:,\r\n=:;-_/é€\t'\"`"


@pytest.mark.parametrize("seed", range(5))
def test_generated_text_survives_the_round_trip(tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    for case in range(200):
        def text(low: int = 0) -> str:
            return "".join(rng.choice(_ALPHABET) for _ in range(rng.randint(low, 30)))

        parts = [text(1).replace("/", "_").replace("\r", "r").replace("\n", "n") for _ in range(rng.randint(1, 3))]
        path = tmp_path.joinpath(*parts)
        line, col = rng.choice([None, rng.randint(1, 10_000)]), rng.choice([None, rng.randint(1, 500)])
        hint = rng.choice([None, text()])
        annotation = Annotation(rng.choice(["error", "warning", "notice"]), text(1), text(), path, line,
                                col if line else None, hint=hint)
        rendered = render_one(annotation, tmp_path)
        assert "\n" not in rendered and "\r" not in rendered, f"seed {seed} case {case}: {rendered!r}"
        command = parse(rendered)
        where = f"seed {seed} case {case}: {annotation!r} -> {rendered!r}"
        assert command.file == "/".join(parts), where
        assert command.properties["title"] == annotation.title, where
        assert command.number("line") == line and command.number("col") == (col if line else None), where
        expected = annotation.message + (f"\nhelp: {hint}" if hint else "")
        assert command.message == expected, where
