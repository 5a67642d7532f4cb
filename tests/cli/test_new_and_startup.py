"""`dbtool new`, and start-up cost: `--help` must not import SQLAlchemy."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

from tests.helpers import run_dbtool

CONFIG = """
[services.seq]
dialect = "sqlite"
migrations = "m/seq"

[services.ts]
dialect = "postgres"
migrations = "m/ts"
naming = "timestamp"
"""


def test_new_sequential_and_timestamp(tmp_path: Path):
    (tmp_path / "dbtool.toml").write_text(CONFIG)
    (tmp_path / "m" / "seq").mkdir(parents=True)
    (tmp_path / "m" / "seq" / "0007_old.sql").write_text("SELECT 1;\n")
    proc = run_dbtool("new", "seq", "Add Goal Progress!", "--format", "json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    created = Path(json.loads(proc.stdout)["path"])
    assert created.name == "0008_add_goal_progress.sql"
    assert created.read_text().startswith("-- Migration: Add Goal Progress!\n")
    proc = run_dbtool("new", "ts", "create buckets", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    [made] = (tmp_path / "m" / "ts").iterdir()
    assert re.fullmatch(r"20\d{12}_create_buckets\.sql", made.name)


def test_new_never_overwrites_and_new_file_is_pending(tmp_path: Path):
    folder = tmp_path / "m"
    folder.mkdir()
    first = run_dbtool("new", "--dir", str(folder), "one")
    assert first.returncode == 0 and (folder / "0001_one.sql").exists()
    status = run_dbtool("status", "--dir", str(folder), "--url", f"sqlite:///{tmp_path / 'x.db'}",
                        "--format", "json")
    assert json.loads(status.stdout)["services"][0]["migrations"][0]["state"] == "pending"
    bad = run_dbtool("new", "--dir", str(folder))
    assert bad.returncode == 2 and "Traceback" not in bad.stderr


def test_help_and_version_do_not_import_heavy_modules():
    code = (
        "import sys\n"
        "from dbtool.cli.boundary import run\n"
        "for args in (['--help'], ['--version'], ['migrate', '--help']):\n"
        "    run(args)\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('sqlalchemy', 'psycopg', 'alembic', 'yaml'))\n"
        "print('HEAVY', heavy)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "HEAVY []" in proc.stdout


def test_every_command_has_help_with_examples_and_exit_codes():
    for command in ("migrate", "status", "new"):
        proc = run_dbtool(command, "--help")
        assert proc.returncode == 0
        assert "Examples:" in proc.stdout
    assert "Exit codes" in run_dbtool("--help").stdout
