"""Inputs that used to end in an internal error, a wrong exit code or a silent wrong
result (issue #15, item 12), through the real CLI. The bad-input corpus
(tests/reliability/cases_*.py) has the configuration cases; these need a set-up the
corpus runner cannot give (another user's permissions, a link to nothing).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import IN_CI
from tests.helpers import run_dbtool


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
