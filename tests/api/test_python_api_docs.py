"""docs/python-api.md runs as written (like sqlite-utils' documented examples): its `file=`
blocks are written into an empty folder, its Python blocks run there in order in one
namespace, and its pytest example file is run by a real pytest process with the
dbtool.testing plugin against SQLite and Postgres."""

from __future__ import annotations

import contextlib
import io
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PAGE = REPO / "docs" / "python-api.md"
BLOCK = re.compile(r"^```(\w+)([^\n]*)\n(.*?)^```$", re.S | re.M)


def _blocks() -> list[tuple[str, str | None, str]]:
    """(language, file= target or None, text) of every fenced block, in page order; a
    Python block's text is padded with blank lines, so errors name the page's lines."""
    page = PAGE.read_text(encoding="utf-8")
    found = []
    for match in BLOCK.finditer(page):
        lang, info, text = match.groups()
        target = re.search(r"file=(\S+)", info)
        padding = "\n" * page.count("\n", 0, match.start(3)) if lang == "python" and not target else ""
        found.append((lang, target.group(1) if target else None, padding + text))
    return found


def test_the_page_has_the_examples_the_test_runs() -> None:
    blocks = _blocks()
    python = [b for b in blocks if b[0] == "python" and b[1] is None]
    assert len(python) >= 8
    assert {b[1] for b in blocks if b[1]} >= {"migrations/0001_users.sql", "dbtool.toml",
                                              "pytest.ini", "tests/test_blog.py"}
    for name in ("migrate", "status", "audit", "check", "lint", "diff", "introspect",
                 "snapshot"):
        assert f"dbtool.{name}(" in PAGE.read_text(), name


@pytest.mark.postgres
def test_every_example_runs_as_written(tmp_path: Path, pg_url: str,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.conftest import PG_ADMIN_URL

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", pg_url)
    monkeypatch.setenv("DBTOOL_SCRATCH_URL", PG_ADMIN_URL)
    namespace: dict[str, object] = {"__name__": "__docs__"}
    later: list[tuple[str, str]] = []  # the pytest example runs after the Python blocks
    for lang, target, text in _blocks():
        if target is not None and target.startswith("tests/"):
            later.append((target, text))
        elif target is not None:
            path = tmp_path / target
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
        elif lang == "python":
            with contextlib.redirect_stdout(io.StringIO()):
                exec(compile(text, str(PAGE), "exec"), namespace)
    assert sorted(p.name for p in (tmp_path / "migrations").glob("*.sql")) == [
        "0001_users.sql", "0002_posts.sql", "0003_add_post_title.sql"]

    for target, text in later:
        (tmp_path / target).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / target).write_text(text)
    env = {**os.environ, "DBTOOL_TEST_POSTGRES_URL": PG_ADMIN_URL}
    env.pop("PYTEST_XDIST_WORKER", None)
    proc = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider",
                           "-p", "dbtool.testing", "-q", "tests/test_blog.py"],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "4 passed" in proc.stdout, proc.stdout


def test_the_plugin_loads_through_its_entry_point(tmp_path: Path) -> None:
    """Installed dbtool registers dbtool.testing with pytest (entry point pytest11): a user's
    test needs no conftest.py and no -p option."""
    (tmp_path / "migrations").mkdir()
    (tmp_path / "migrations" / "0001_notes.sql").write_text("CREATE TABLE notes (id INTEGER PRIMARY KEY);\n")
    (tmp_path / "pytest.ini").write_text("[pytest]\ndbtool_dir = migrations\n")
    (tmp_path / "test_notes.py").write_text(
        "def test_notes(dbtool_sqlite):\n"
        "    assert dbtool_sqlite.applied == ('0001_notes.sql',)\n"
        "    with dbtool_sqlite.connect() as conn:\n"
        "        assert conn.execute('SELECT count(*) FROM notes').fetchone() == (0,)\n")
    proc = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, ("is dbtool installed with its entry points (pip install -e .)?\n"
                                  + proc.stdout + proc.stderr)
    assert "1 passed" in proc.stdout
