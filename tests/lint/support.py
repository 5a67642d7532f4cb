"""Helpers for the lint tests: write small migration folders and lint them."""

from __future__ import annotations

from pathlib import Path

from dbtool.lint.config import LintConfig
from dbtool.lint.engine import lint_files
from dbtool.lint.framework import Diagnostic
from dbtool.lint.report import LintReport
from dbtool.migrations.files import discover


def write(folder: Path, files: dict[str, str]) -> Path:
    """Write `files` (name -> SQL) into `folder`, creating it."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, sql in files.items():
        (folder / name).write_text(sql, encoding="utf-8")
    return folder


def lint(tmp_path: Path, dialect: str, *files: str, config: LintConfig | None = None,
         only_last: bool = True) -> LintReport:
    """Lint files given in order (named 0001_..., 0002_...); report on the last one by default."""
    folder = write(tmp_path / "m", {f"{i:04d}_step.sql": sql for i, sql in enumerate(files, 1)})
    found, _ = discover(folder)
    selected = [found[-1].name] if only_last else None
    return lint_files(found, dialect, config or LintConfig.everything(), selected=selected)


def codes(report: LintReport, *, active_only: bool = True) -> list[str]:
    """The codes of a report's findings, in order."""
    return [d.code for d in report.diagnostics if not (active_only and d.suppressed)]


def only(report: LintReport, code: str) -> list[Diagnostic]:
    return [d for d in report.diagnostics if d.code == code]
