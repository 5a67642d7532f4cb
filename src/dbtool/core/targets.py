"""Which database each command talks to: services x target options -> targets.

A sqlite/d1 service with no target uses the embedded SQLite file under
.dbtool/local/ (a d1 service that names its wrangler file: wrangler's local
state); a postgres service with no URL is *skipped with a reason*, never
silently ignored and never an error.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from dbtool.config import Project, Service, load_project
from dbtool.errors import ConfigError, UrlError, UsageError
from dbtool.urls import DatabaseUrl, parse_url, sqlite_url_for, with_persist_to


@dataclass(frozen=True)
class TargetSpec:
    """The target options every service command accepts."""

    services: tuple[str, ...] = ()
    all: bool = False
    target: str | None = None
    url: str | None = None
    dir: Path | None = None
    config: Path | None = None
    persist_to: Path | None = None  # wrangler's --persist-to, for d1-local targets


@dataclass(frozen=True)
class ResolvedTarget:
    service: Service
    url: DatabaseUrl | None
    label: str  # how the user named it: "embedded", "--url", a target name
    prelude: bool = False
    skip_reason: str | None = None

    @property
    def skipped(self) -> bool:
        return self.skip_reason is not None


def adhoc_service(folder: Path, url: DatabaseUrl) -> Service:
    """A service for `--dir DIR --url URL`: dialect from the scheme, naming from the files."""
    return Service(name=folder.resolve().name or "migrations", dialect=url.dialect,
                   migrations=folder, snapshot=None, root=Path.cwd())


def select_services(spec: TargetSpec, project: Project) -> list[Service]:
    if spec.all and spec.services:
        raise UsageError("give service names or --all, not both", hint="drop --all or the names")
    if spec.all:
        return [wrangler_aware(s) for s in project.services]
    if spec.services:
        return [wrangler_aware(project.service(name)) for name in spec.services]
    if len(project.services) == 1:
        return [wrangler_aware(s) for s in project.services]
    raise UsageError("name a service or pass --all",
                     hint=f"services: {', '.join(s.name for s in project.services)}")


def resolve(spec: TargetSpec, project: Project | None = None) -> list[ResolvedTarget]:
    """Resolve the options into one target per service, in configuration order."""
    if spec.dir is not None:
        return _persist_to([_resolve_adhoc(spec)], spec.persist_to)
    if spec.url and spec.target:
        raise UsageError("give --url or --target, not both", hint="--url overrides the configured targets")
    project = project or load_project(spec.config)
    services = select_services(spec, project)
    if spec.url and len(services) > 1:
        raise UsageError("--url names one database; it cannot serve several services",
                         hint="name exactly one service with --url, or use --target")
    return _persist_to([_resolve_one(svc, spec, named=bool(spec.services)) for svc in services],
                       spec.persist_to)


def _persist_to(targets: list[ResolvedTarget], folder: Path | None) -> list[ResolvedTarget]:
    """Thread --persist-to into every d1-local target (wrangler's local state)."""
    if folder is None:
        return targets
    if not any(t.url is not None and t.url.scheme == "d1-local" for t in targets):
        raise UsageError("--persist-to applies to wrangler's local D1 state only",
                         hint="use it with a d1-local:// target or a service that names its wrangler file")
    return [replace(t, url=with_persist_to(t.url, folder))
            if t.url is not None and t.url.scheme == "d1-local" else t for t in targets]


def _resolve_adhoc(spec: TargetSpec) -> ResolvedTarget:
    if spec.services or spec.all or spec.target:
        raise UsageError("--dir replaces the service names; do not combine it with services, "
                         "--all or --target", hint="use: --dir DIR --url URL")
    if not spec.url:
        raise UsageError("--dir needs --url", hint="e.g. --dir migrations --url sqlite:///app.db")
    url = parse_url(spec.url)
    return ResolvedTarget(adhoc_service(spec.dir, url), url, "--url")


def wrangler_aware(service: Service) -> Service:
    """A service naming its wrangler file takes migrations_dir / migrations_table from it,
    for every command (migrate, status, snapshot, audit, check, lint, introspect)."""
    if service.wrangler is None:
        return service
    from dbtool.d1.wrangler import with_wrangler

    return with_wrangler(service)


def _resolve_one(service: Service, spec: TargetSpec, *, named: bool = True) -> ResolvedTarget:
    """`named`: the user named this service on the command line. A default target whose
    variable is unset is then an error, as with --target; under --all, or as the only
    service of a project when none is named, the service is skipped with that reason. It never falls back to another database in silence."""
    if spec.url:
        return ResolvedTarget(service, parse_url(spec.url), "--url")
    if spec.target:
        target = service.target(spec.target)
        if target is None:
            known = ", ".join(t.name for t in service.targets) or "none"
            raise ConfigError(f"service {service.name!r} has no target {spec.target!r}",
                              hint=f"its targets: {known}")
        value = target.url()
        if value is None:
            raise ConfigError(f"target {service.name}.{target.name}: ${target.url_env} is not set",
                              hint=f"export {target.url_env}=URL")
        return ResolvedTarget(service, url_from_env(value, target.url_env), target.name, target.prelude)
    default = service.default_target
    if default is not None:
        if value := default.url():
            return ResolvedTarget(service, url_from_env(value, default.url_env), f"${default.url_env}",
                                  default.prelude)
        return _unset_default(service, default.url_env, named)
    if service.wrangler is not None:  # a D1 service's local database is wrangler's
        from dbtool.d1.wrangler import find_binding, local_url

        url = local_url(find_binding(service.wrangler, service.binding))
        return ResolvedTarget(service, parse_url(url), "wrangler local")
    if service.dialect in ("sqlite", "d1"):
        return ResolvedTarget(service, sqlite_url_for(service.embedded_path), "embedded")
    return ResolvedTarget(service, None, "none",
                          skip_reason="no database URL: add url_env to the service in dbtool.toml "
                                      "or pass --url")


def url_from_env(value: str, variable: str) -> DatabaseUrl:
    """A URL from an environment variable. A value without `scheme://` is not shown in the
    error: it may be a bare password or token put in the wrong variable, which no mask can
    recognise."""
    try:
        return parse_url(value)
    except UrlError as exc:
        if "://" in value:
            raise UrlError(f"${variable}: {exc.message}", hint=exc.hint) from None
        raise UrlError(f"${variable} does not hold a database URL (no scheme://); its value is not "
                       "shown", hint=exc.hint) from None


def _unset_default(service: Service, variable: str, named: bool) -> ResolvedTarget:
    """The default target's variable is unset: skipped unless named, then an error."""
    if not named:
        return ResolvedTarget(service, None, "none",
                              skip_reason=f"no database URL: set ${variable} or pass --url")
    embedded = (" (or remove url_env from dbtool.toml to use the embedded database)"
                if service.dialect in ("sqlite", "d1") else "")
    raise ConfigError(f"service {service.name}: ${variable} is not set, so its default target "
                      "has no URL", hint=f"export {variable}=URL or pass --url{embedded}")
