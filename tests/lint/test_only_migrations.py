"""`dbtool lint --only-migrations FILES` (the pre-commit hook): migrations of configured
services are linted, one report per service; any other path is left alone."""

from __future__ import annotations

import json
from pathlib import Path

from tests.helpers import run_dbtool


def project(root: Path) -> Path:
    (root / "dbtool.toml").write_text(
        '[services.app]\ndialect = "sqlite"\nmigrations = "db/app"\n'
        '[services.pg]\ndialect = "postgres"\nmigrations = "db/pg"\n')
    for folder in ("db/app/down", "db/pg", "seeds"):
        (root / folder).mkdir(parents=True)
    (root / "db/app/0001_t.sql").write_text("CREATE TABLE t (id TEXT PRIMARY KEY);\n")
    (root / "db/app/0002_drop.sql").write_text("DROP TABLE t;\n")
    (root / "db/app/0003_ok.sql").write_text("CREATE TABLE u (id TEXT PRIMARY KEY);\n")
    (root / "db/app/down/0003_ok.sql").write_text("DROP TABLE u;\n")
    (root / "db/pg/0001_t.sql").write_text("CREATE TABLE t (id int PRIMARY KEY);\n")
    (root / "seeds/dev.sql").write_text("DROP TABLE t;\nDELETE FROM x;\n")
    return root


def test_only_the_migrations_among_the_files_are_linted(tmp_path: Path) -> None:
    root = project(tmp_path)
    files = ["db/app/0002_drop.sql", "db/app/0003_ok.sql", "db/app/down/0003_ok.sql",
             "seeds/dev.sql", "db/pg/0001_t.sql", "README.md"]
    proc = run_dbtool("lint", "--only-migrations", "--format", "json", *files, cwd=root)
    assert proc.returncode == 1, proc.stderr
    reports = json.loads(proc.stdout)["reports"]
    assert [r["name"] for r in reports] == ["app", "pg"]
    [app, pg] = reports
    assert {d["file"] for d in app["diagnostics"]} == {"db/app/0002_drop.sql"}
    assert [d["code"] for d in app["diagnostics"]] == ["DL101"]
    assert pg["diagnostics"] == []


def test_no_migration_among_the_files_lints_nothing(tmp_path: Path) -> None:
    root = project(tmp_path)
    proc = run_dbtool("lint", "--only-migrations", "seeds/dev.sql", "db/app/down/0003_ok.sql", cwd=root)
    assert proc.returncode == 0 and proc.stdout == "" and proc.stderr == ""
    without = run_dbtool("lint", "seeds/dev.sql", cwd=root)
    assert without.returncode == 2  # without the flag such a path needs --dialect
