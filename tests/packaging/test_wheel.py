"""The package as a pip user gets it: a wheel built from a clean clone of this
repository, installed into a fresh virtual environment with no index for dbtool
itself, builds the Supabase-flavoured studio service with the built-in prelude.

One wheel and one environment per session (tests/packaging/conftest.py), so the
slow part runs once. Marked `slow`; nothing here skips with CI=true.
"""

from __future__ import annotations

import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from dbtool import __version__
from tests.conftest import PG_ADMIN_URL, REPO, require_postgres
from tests.packaging.conftest import clean_env as _env
from tests.packaging.conftest import run_checked as _run

pytestmark = pytest.mark.slow


def test_pip_wheel_from_a_clean_clone_gives_no_warning(built) -> None:
    wheel, output = built
    assert "warning" not in output.lower() and "deprecat" not in output.lower(), output
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        metadata = archive.read(f"dbtool-{__version__}.dist-info/METADATA").decode()
    assert "dbtool/data/preludes/supabase.sql" in names
    assert "dbtool/data/introspect.schema.json" in names
    assert f"dbtool-{__version__}.dist-info/licenses/LICENSE" in names
    assert "License-Expression: MIT" in metadata.splitlines()


def test_the_installed_package_is_the_wheel_not_this_checkout(installed) -> None:
    done = _run(installed / "bin" / "python", "-c", "import dbtool, dbtool.preludes as p; "
                "print(dbtool.__file__); print(p.builtin_names())", cwd=installed, env=_env())
    where, names = done.stdout.splitlines()
    assert Path(where).is_relative_to(installed) and names == "('supabase',)"


@pytest.fixture
def studio_copy(tmp_path: Path) -> Path:
    """The studio service with only what a user's repository would hold: no preludes/ folder."""
    (tmp_path / "dbtool.toml").write_text(
        '[services.studio]\ndialect = "postgres"\nmigrations = "migrations/studio"\n'
        'naming = "timestamp"\nexposed_schemas = ["public"]\nprelude = "supabase"\n'
        '[services.studio.lint]\nenable = ["CV102", "CV103", "CV104", "CV105"]\n')
    shutil.copytree(REPO / "migrations" / "studio", tmp_path / "migrations" / "studio")
    (tmp_path / "schemas").mkdir()
    shutil.copy(REPO / "schemas" / "studio.yaml", tmp_path / "schemas" / "studio.yaml")
    return tmp_path


def test_the_installed_wheel_builds_studio_with_the_built_in_prelude(installed, studio_copy,
                                                                     pg_url) -> None:
    require_postgres()
    dbtool = installed / "bin" / "dbtool"
    env = _env(DBTOOL_SCRATCH_URL=PG_ADMIN_URL)
    check = subprocess.run([dbtool, "check", "studio", "--require-all", "--format", "json"],
                           cwd=studio_copy, env=env, capture_output=True, text=True, timeout=600)
    assert check.returncode == 0, check.stdout + check.stderr
    migrated = subprocess.run([dbtool, "migrate", "studio", "--url", pg_url, "--prelude"],
                              cwd=studio_copy, env=env, capture_output=True, text=True, timeout=600)
    assert migrated.returncode == 0, migrated.stderr
    files = len(list((studio_copy / "migrations" / "studio").glob("*.sql")))
    assert f"applied {files} migration(s)" in migrated.stdout
    audit = subprocess.run([dbtool, "audit", "studio", "--url", pg_url], cwd=studio_copy, env=env,
                           capture_output=True, text=True, timeout=600)
    assert audit.returncode == 0 and "clean" in audit.stdout, audit.stdout + audit.stderr
