"""`lint`: which migrations each `dbtool lint` argument names, and their reports.

Services (by name, `--all`, or the only one) come from `dbtool.core.targets`, so a
wrangler-linked service lints its binding's `migrations_dir`. A folder or file is
linted as part of the configured service whose migrations folder holds it (its
dialect, its dbtool.toml settings, its earlier files); any other one on its own,
ad hoc — its dialect from `--dialect`, or d1 when the folder belongs to a wrangler
binding — as is `--dir DIR` (the form the other commands take).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from dbtool.config import Project, Service, find_config, load_project
from dbtool.core.targets import TargetSpec, Use, resolve_targets
from dbtool.errors import UsageError
from dbtool.lint.report import LintReport
from dbtool.lint.service import lint_path, lint_service


def lint_targets(targets: Iterable[str], *, all_services: bool = False, dialect: str | None = None,
                 changed_since: str | None = None, config: Path | None = None,
                 only_migrations: bool = False, folder: Path | None = None,
                 url: str | None = None) -> list[LintReport]:
    """What `dbtool lint` lints: services by name, paths (folders/files), or `--dir DIR`.

    `only_migrations` (pre-commit's list of changed files) lints just those paths that
    are migrations of a configured service, one report per service.
    """
    names = list(targets)
    if folder is not None:
        if names or all_services:
            raise UsageError("--dir replaces the service names and paths", hint="dbtool lint --dir DIR")
        return [_adhoc(folder, dialect, url, changed_since)]
    if only_migrations:
        return _migration_reports(names, _configured(load_project(config)), changed_since)
    project = _project(config, needed=all_services or not names or
                       any(not Path(n).exists() for n in names))
    if all_services and names:
        raise UsageError("give service names, paths or --all, not both", hint="drop --all or the names")
    if all_services or not names:
        if not all_services and project is not None and len(project.services) != 1:
            raise UsageError("name a service or a path, or pass --all",
                             hint=f"services: {', '.join(s.name for s in project.services)}")
        spec = TargetSpec(all=True, config=config)
        services = resolve_targets(spec, Use.FILES, project=project).services
        return [_service_report(s, None, dialect, changed_since) for s in services]
    return [_target_report(name, project, dialect, changed_since) for name in names]


def _configured(project: Project | None) -> list[Service]:
    """Every configured service, resolved (wrangler-linked ones: their binding's folder)."""
    if project is None:
        return []
    return resolve_targets(TargetSpec(all=True), Use.FILES, project=project).services


def _adhoc(path: Path, dialect: str | None, url: str | None, changed_since: str | None) -> LintReport:
    """A folder (or one file) outside dbtool.toml, resolved like `--dir DIR`."""
    folder = path if path.is_dir() else path.parent
    service = resolve_targets(TargetSpec(dir=folder, dialect=dialect, url=url), Use.FILES).one.service
    return lint_path(service.migrations if path.is_dir() else path, service.dialect,
                     changed_since=changed_since)


def _migration_reports(names: list[str], services: list[Service],
                       changed_since: str | None) -> list[LintReport]:
    """Seed files, rollback files (down/) and SQL elsewhere are not migrations: left alone."""
    chosen: dict[str, tuple[Service, list[Path]]] = {}
    for name in names:
        path = Path(name).resolve()
        for service in services:
            if path.suffix.lower() == ".sql" and path.parent == service.migrations.resolve():
                chosen.setdefault(service.name, (service, []))[1].append(path)
    return [lint_service(s, only=paths, changed_since=changed_since) for s, paths in chosen.values()]


def _project(config: Path | None, *, needed: bool) -> Project | None:
    if needed or config is not None or find_config(Path.cwd()) is not None:
        return load_project(config)
    return None


def _target_report(name: str, project: Project | None, dialect: str | None,
                   changed_since: str | None) -> LintReport:
    services = _configured(project)
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
    try:
        return _adhoc(path, dialect, None, changed_since)
    except UsageError:
        if dialect is not None:
            raise
        raise UsageError(f"{name} is outside the configured services, so lint needs its dialect",
                         hint="add --dialect sqlite|d1|postgres") from None


def _service_report(service: Service, only: list[Path] | None, dialect: str | None,
                    changed_since: str | None) -> LintReport:
    requested = dialect or service.dialect
    if requested != service.dialect:
        raise UsageError(f"service {service.name} is {service.dialect}; --dialect {dialect} "
                         "applies only to paths outside the configured services",
                         hint="drop --dialect")
    return lint_service(service, only=only, changed_since=changed_since)
