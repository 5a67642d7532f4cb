"""`dbtool check` fails when a committed docs/schema/<service>.md is stale."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.helpers import run_dbtool

COPY = ("dbtool.toml", "migrations", "schemas", "docs")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of the repository's project files (not .dbtool/, not the package)."""
    for name in COPY:
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, tmp_path / name)
        elif source.exists():
            shutil.copy2(source, tmp_path / name)
    return tmp_path


def _check(project: Path, service: str = "export"):
    return run_dbtool("check", service, "--format", "json", cwd=project)


def test_committed_docs_are_current(project: Path) -> None:
    proc = _check(project)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert '"docs": "ok"' in proc.stdout


def test_a_hand_edit_makes_check_fail(project: Path) -> None:
    doc = project / "docs" / "schema" / "export.md"
    doc.write_text(doc.read_text().replace("Tracks all video export jobs", "Tracks jobs"))
    proc = _check(project)
    assert proc.returncode == 1
    assert '"docs": "fail"' in proc.stdout
    assert "docs/schema/export.md is stale" in proc.stdout
    assert "dbtool introspect export --format markdown --output docs/schema/export.md" in proc.stdout


def test_a_new_migration_makes_the_docs_stale_until_regenerated(project: Path) -> None:
    (project / "migrations" / "export" / "0002_add_priority.sql").write_text(
        "ALTER TABLE export_jobs ADD COLUMN priority INTEGER NOT NULL DEFAULT 0;\n")
    assert run_dbtool("snapshot", "export", cwd=project).returncode == 0
    proc = _check(project)
    assert proc.returncode == 1 and "docs/schema/export.md is stale" in proc.stdout
    regen = run_dbtool("introspect", "export", "--format", "markdown", "--output",
                       "docs/schema/export.md", cwd=project)
    assert regen.returncode == 0, regen.stderr
    text = (project / "docs" / "schema" / "export.md").read_text()
    assert "| 0002_add_priority.sql | ALTER export_jobs (priority) |" in text
    assert _check(project).returncode == 0


def test_a_service_without_a_document_is_not_checked(project: Path) -> None:
    (project / "docs" / "schema" / "export.md").unlink()
    proc = _check(project)
    assert proc.returncode == 0 and '"docs": "skipped"' in proc.stdout
