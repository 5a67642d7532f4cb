"""Lint a service's migrations, or a folder/file of migrations outside dbtool.toml.

Earlier files are always replayed for context; `only` and `changed_since`
just narrow which files are reported on (the CI case: lint what a pull
request added or changed, knowing the schema the earlier files built).
Which services and folders `dbtool lint` means is decided in `dbtool.core.lint`.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from dbtool.errors import UsageError
from dbtool.lint.config import LintConfig
from dbtool.lint.engine import lint_files
from dbtool.lint.report import LintReport
from dbtool.migrations.files import MigrationFile, discover

if TYPE_CHECKING:
    from dbtool.config import Service


def lint_service(service: Service, *, only: Iterable[Path] | None = None,
                 changed_since: str | None = None, config: LintConfig | None = None) -> LintReport:
    """Lint one service (dbtool.config.Service, as `dbtool.core.targets` resolves it: a
    wrangler-linked one with its binding's folder) with its dbtool.toml lint settings."""
    files, _ = discover(service.migrations, service.naming, service.ignore)
    chosen = _chosen(files, service.migrations, only, changed_since)
    return lint_files(files, service.dialect, config or LintConfig.for_service(service),
                      selected=chosen, name=service.name)


def lint_path(path: Path, dialect: str, *, config: LintConfig | None = None,
              changed_since: str | None = None) -> LintReport:
    """Lint a migrations folder, or one file (its earlier siblings are replayed for context)."""
    folder = path if path.is_dir() else path.parent
    files, _ = discover(folder)
    only = None if path.is_dir() else [path]
    if only and not any(f.path.resolve() == path.resolve() for f in files):
        raise UsageError(f"{path} is not a migration file", hint="name a .sql file with a leading version")
    chosen = _chosen(files, folder, only, changed_since)
    return lint_files(files, dialect, config or LintConfig(), selected=chosen, name=str(path))


def _chosen(files: list[MigrationFile], folder: Path, only: Iterable[Path] | None,
            changed_since: str | None) -> set[str] | None:
    """Names of the files to report on (None: all of them)."""
    chosen: set[str] | None = None
    if only is not None:
        chosen = {p.resolve().name for p in only}
    if changed_since is not None:
        changed = changed_files(folder, changed_since)
        names = {f.name for f in files if f.path.resolve() in changed}
        chosen = names if chosen is None else chosen & names
    return chosen


def changed_files(folder: Path, revision: str) -> set[Path]:
    """Files under `folder` added or changed since `revision` (committed or not), via git."""
    diff = _git(folder, "diff", "--name-only", "--relative", revision, "--", ".")
    untracked = _git(folder, "ls-files", "--others", "--exclude-standard", "--", ".")
    return {(folder / line).resolve() for line in (diff + untracked).splitlines() if line.strip()}


def _git(folder: Path, *args: str) -> str:
    try:
        done = subprocess.run(["git", *args], cwd=folder, capture_output=True, text=True, timeout=60)
    except FileNotFoundError as exc:
        raise UsageError("--changed-since needs git, which is not installed",
                         hint="install git or lint without --changed-since") from exc
    if done.returncode != 0:
        message = (done.stderr.strip().splitlines() or ["git failed"])[-1]
        raise UsageError(f"--changed-since: git {args[0]} failed in {folder}: {message}",
                         hint="pass a revision git knows (a commit, a branch such as origin/main, or HEAD~1)")
    return done.stdout
