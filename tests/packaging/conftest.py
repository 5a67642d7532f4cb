"""Session fixtures for the packaging tests: one wheel from a clean clone, one fresh venv."""

from __future__ import annotations

import os
import subprocess
import sys
import venv
from pathlib import Path

import pytest

from dbtool import __version__
from tests.conftest import REPO


def run_checked(*args: str | Path, cwd: Path | None = None, env: dict[str, str] | None = None,
                timeout: float = 600) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=timeout)
    assert done.returncode == 0, f"{args} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}"
    return done


@pytest.fixture(scope="session")
def built(tmp_path_factory) -> tuple[Path, str]:
    """(the wheel, pip's output) from `pip wheel --no-deps` of a fresh `git clone`."""
    base = tmp_path_factory.mktemp("wheel")
    run_checked("git", "clone", "-q", "--no-hardlinks", REPO, base / "clone")
    done = run_checked(sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", base / "dist", base / "clone")
    [wheel] = (base / "dist").glob("dbtool-*.whl")
    return wheel, done.stdout + done.stderr


@pytest.fixture(scope="session")
def installed(built, tmp_path_factory) -> Path:
    """A fresh venv with the wheel installed; dbtool comes from the wheel's folder only
    (`--no-index`), its dependencies from a wheelhouse the registry filled first."""
    wheel, _ = built
    base = tmp_path_factory.mktemp("venv")
    venv.create(base / "venv", with_pip=True)
    pip = [base / "venv" / "bin" / "python", "-m", "pip"]
    run_checked(*pip, "download", "-q", "-d", base / "deps", wheel)
    for stray in (base / "deps").glob("dbtool-*"):
        stray.unlink()  # the wheelhouse holds dependencies only
    # --no-compile: byte code of the few modules a test imports is written on first use,
    # not for every file of every dependency (SQLAlchemy, Alembic, pglast …) up front
    run_checked(*pip, "install", "-q", "--no-compile", "--no-index", "--find-links", wheel.parent,
                "--find-links", base / "deps", f"dbtool=={__version__}")
    return base / "venv"


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env.update(extra)
    return env


