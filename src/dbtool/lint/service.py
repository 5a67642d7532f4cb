"""Lint a configured service, or a folder/file of migrations outside dbtool.toml.

Earlier files are always replayed for context; `only` and `changed_since`
just narrow which files are reported on (the CI case: lint what a pull
request added or changed, knowing the schema the earlier files built).
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from dbtool.errors import UsageError
from dbtool.lint.config import LintConfig
from dbtool.lint.engine import lint_files
from dbtool.lint.report import LintReport
from dbtool.migrations.files import discover
from dbtool.sql.dialects import dialect_of


def lint_service(service: Any, *, only: Iterable[Path] | None = None,
                 changed_since: str | None = None, config: LintConfig | None = None) -> LintReport:
    """Lint one configured service (dbtool.config.Service) with its dbtool.toml lint settings."""
    from dbtool.core.targets import wrangler_aware

    service = wrangler_aware(service)
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


def _chosen(files: list[Any], folder: Path, only: Iterable[Path] | None,
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


def lint_targets(targets: Iterable[str], *, all_services: bool = False, dialect: str | None = None,
                 changed_since: str | None = None, config: Path | None = None,
                 only_migrations: bool = False) -> list[LintReport]:
    """What `dbtool lint` lints: services by name, or paths (folders/files) with a dialect.

    A path inside a configured service's migrations folder is linted as part of
    that service (its dialect, its dbtool.toml settings, its earlier files).
    `only_migrations` (pre-commit's list of changed files) lints just those paths
    that are migrations of a configured service, one report per service.
    """
    names = list(targets)
    if only_migrations:
        return _migration_reports(names, _project(config, needed=True), changed_since)
    project = _project(config, needed=all_services or not names or
                       any(not Path(n).exists() for n in names))
    if all_services and names:
        raise UsageError("give service names, paths or --all, not both", hint="drop --all or the names")
    if all_services or not names:
        services = _default_services(project, all_services)
        return [_service_report(s, None, dialect, changed_since) for s in services]
    return [_target_report(name, project, dialect, changed_since) for name in names]


def _migration_reports(names: list[str], project: Any, changed_since: str | None) -> list[LintReport]:
    """Seed files, rollback files (down/) and SQL elsewhere are not migrations: left alone."""
    from dbtool.core.targets import wrangler_aware

    chosen: dict[str, tuple[Any, list[Path]]] = {}
    services = [wrangler_aware(s) for s in project.services]
    for name in names:
        path = Path(name).resolve()
        for service in services:
            if path.suffix.lower() == ".sql" and path.parent == service.migrations.resolve():
                chosen.setdefault(service.name, (service, []))[1].append(path)
    return [lint_service(s, only=paths, changed_since=changed_since) for s, paths in chosen.values()]


def _project(config: Path | None, *, needed: bool) -> Any:
    from dbtool.config import find_config, load_project

    if needed or config is not None or find_config(Path.cwd()) is not None:
        return load_project(config)
    return None


def _default_services(project: Any, all_services: bool) -> list[Any]:
    if all_services or len(project.services) == 1:
        return list(project.services)
    raise UsageError("name a service or a path, or pass --all",
                     hint=f"services: {', '.join(s.name for s in project.services)}")


def _target_report(name: str, project: Any, dialect: str | None,
                   changed_since: str | None) -> LintReport:
    services = list(project.services) if project is not None else []
    service = next((s for s in services if s.name == name), None)
    if service is not None:
        return _service_report(service, None, dialect, changed_since)
    path = Path(name)
    if not path.exists():
        known = ", ".join(s.name for s in services) or "none configured"
        raise UsageError(f"{name!r} is neither a configured service nor an existing path",
                         hint=f"services: {known}")
    for candidate in services:
        folder = candidate.migrations.resolve()
        if path.resolve() == folder or path.resolve().parent == folder:
            only = None if path.is_dir() else [path]
            return _service_report(candidate, only, dialect, changed_since)
    if dialect is None:
        raise UsageError(f"{name} is outside the configured services, so lint needs its dialect",
                         hint="add --dialect sqlite|d1|postgres")
    return lint_path(path, dialect, changed_since=changed_since)


def _service_report(service: Any, only: list[Path] | None, dialect: str | None,
                    changed_since: str | None) -> LintReport:
    if dialect is not None and dialect_of(dialect) is not dialect_of(service.dialect):
        raise UsageError(f"service {service.name} is {service.dialect}; --dialect {dialect} "
                         "applies only to paths outside the configured services",
                         hint="drop --dialect")
    return lint_service(service, only=only, changed_since=changed_since)
