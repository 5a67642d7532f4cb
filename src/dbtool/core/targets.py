"""Which services and databases a command works on: command options -> typed targets.

Every command resolves its options here, and only here: `resolve_targets(spec, use)`
turns a `TargetSpec` (what the command line said) into a `Resolution` — the project,
and one `ResolvedTarget` per service (service, optional URL, how the user named it,
whether the prelude applies, or why it is skipped). Two kinds of spec exist:

* configured: service names, `--all`, or the only service, from dbtool.toml; the
  database from `--url`, `--target NAME`, the default target, a wrangler-linked
  service's local state, or the embedded SQLite file;
* ad hoc: `--dir DIR` with `--url URL` (or a dialect), no dbtool.toml. A folder that
  is a wrangler project, or a binding's `migrations_dir`, is that D1 database: named
  after its `database_name`, its history table and local state from the binding.

A fleet spec (one service, many databases from a glob, a pattern or a file of URLs)
is a third kind: one more `_fleet` branch here that yields one target per database.

The rules: a sqlite/d1 service with no target uses `.dbtool/local/<service>.db` (a
wrangler-linked one: wrangler's local state); a service without a URL is *skipped
with a reason*, never silently ignored. A default target whose variable is unset
never falls back to another database: an error when the service is named, a skip
under `--all` or as the only service when none is named.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum
from pathlib import Path

from dbtool.config import DIALECTS, Project, Service, load_project, safe_service_name
from dbtool.engines import capabilities, check_compatible
from dbtool.errors import ConfigError, UrlError, UsageError
from dbtool.urls import DatabaseUrl, parse_url, sqlite_url_for, with_persist_to

DEFAULT_LOCK_TIMEOUT = 30.0


class Use(StrEnum):
    """What a command needs of each service, which decides what is resolved."""

    DATABASE = "database"  # a live database (migrate, status, the history commands)
    SCRATCH = "scratch"  # the migrations, built on a scratch database (snapshot, check, diff)
    EITHER = "either"  # live with --target/--url, else scratch (audit, introspect)
    FILES = "files"  # the migration files and their dialect (lint)
    FOLDER = "folder"  # the migrations folder only (new, guard)


@dataclass(frozen=True)
class TargetSpec:
    """The target options of a command, as given."""

    services: tuple[str, ...] = ()
    all: bool = False
    target: str | None = None
    url: str | None = None
    dir: Path | None = None
    config: Path | None = None
    persist_to: Path | None = None  # wrangler's --persist-to, for d1-local targets
    dialect: str | None = None  # ad hoc without a URL: the dialect of the files
    snapshot: Path | None = None  # ad hoc: the snapshot file (configured services name their own)
    fleet: str | None = None  # --fleet SPEC|NAME: one service, many databases (core/fleet_spec.py)

    @property
    def adhoc(self) -> bool:
        return self.dir is not None


@dataclass(frozen=True)
class ResolvedTarget:
    """One service and the database a command works on (None: none, or a scratch build)."""

    service: Service
    url: DatabaseUrl | None
    label: str  # how the user named it: "embedded", "--url", a target name, "scratch"
    prelude: bool = False  # apply the service's prelude before migrating
    skip_reason: str | None = None
    scratch: bool = False  # built from the migrations on a scratch database (no URL yet)

    @property
    def skipped(self) -> bool:
        return self.skip_reason is not None


@dataclass(frozen=True)
class Resolution:
    """What a command works on: the project (None ad hoc) and one target per service."""

    project: Project | None
    targets: tuple[ResolvedTarget, ...]

    @property
    def lock_timeout(self) -> float:
        return self.project.lock_timeout if self.project else DEFAULT_LOCK_TIMEOUT

    @property
    def services(self) -> list[Service]:
        return [t.service for t in self.targets]

    @property
    def one(self) -> ResolvedTarget:
        """The only target (commands that work on one service check that first)."""
        if len(self.targets) != 1:
            raise UsageError("name one service", hint=_known(self.project))
        return self.targets[0]


def resolve_targets(spec: TargetSpec, use: Use = Use.DATABASE, *,
                    project: Project | None = None) -> Resolution:
    """Resolve the command's options into its targets, in configuration order."""
    if spec.fleet is not None:
        return _fleet(spec, project)
    if spec.adhoc:
        targets = [_adhoc(spec, use)]
    else:
        if spec.dialect is not None:
            raise UsageError("--dialect is for ad-hoc mode (--dir DIR)",
                             hint="a configured service's dialect comes from dbtool.toml")
        if spec.snapshot is not None:
            raise UsageError("--snapshot is for ad-hoc mode (--dir DIR)",
                             hint="a configured service uses its own snapshot (snapshot = … in dbtool.toml)")
        if spec.url and spec.target:
            raise UsageError("give --url or --target, not both", hint="--url overrides the configured targets")
        project = project or load_project(spec.config)
        services = select_services(spec, project)
        live = use is Use.DATABASE or (use is Use.EITHER and bool(spec.url or spec.target))
        if spec.url and len(services) > 1:
            raise UsageError("--url names one database; it cannot serve several services",
                             hint="name exactly one service with --url, or use --target")
        targets = [_configured(s, spec, named=bool(spec.services)) if live else _offline(s, use)
                   for s in services]
    return Resolution(None if spec.adhoc else project, tuple(_persist_to(targets, spec.persist_to)))


def resolve(spec: TargetSpec, project: Project | None = None) -> list[ResolvedTarget]:
    """The live database of each service (what migrate and status work on)."""
    return list(resolve_targets(spec, Use.DATABASE, project=project).targets)


def select_services(spec: TargetSpec, project: Project) -> list[Service]:
    """The configured services the spec names (wrangler-linked ones resolved)."""
    if spec.all and spec.services:
        raise UsageError("give service names or --all, not both", hint="drop --all or the names")
    if spec.all:
        return [wrangler_aware(s) for s in project.services]
    if spec.services:
        return [wrangler_aware(project.service(name)) for name in spec.services]
    if len(project.services) == 1:
        return [wrangler_aware(s) for s in project.services]
    raise UsageError("name a service or pass --all", hint=_known(project))


def wrangler_aware(service: Service) -> Service:
    """A service naming its wrangler file takes migrations_dir / migrations_table from it."""
    if service.wrangler is None:
        return service
    from dbtool.d1.wrangler import with_wrangler

    return with_wrangler(service)


def _known(project: Project | None) -> str:
    return f"services: {', '.join(s.name for s in project.services)}" if project else "use --dir DIR"


# -- configured services -----------------------------------------------------------------
def _offline(service: Service, use: Use) -> ResolvedTarget:
    """No live database: the migrations are built on a scratch one, or only read."""
    if use in (Use.SCRATCH, Use.EITHER):
        return ResolvedTarget(service, None, "scratch", prelude=True, scratch=True)
    return ResolvedTarget(service, None, "files")


def _configured(service: Service, spec: TargetSpec, *, named: bool = True) -> ResolvedTarget:
    """`named`: the user named this service on the command line. A default target whose
    variable is unset is then an error, as with --target; under --all, or as the only
    service of a project when none is named, the service is skipped with that reason."""
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
    return _local(service)


def _local(service: Service) -> ResolvedTarget:
    """The database a service uses when it is given none."""
    if service.wrangler is not None:  # a D1 service's local database is wrangler's
        from dbtool.d1.wrangler import find_binding, local_url

        url = local_url(find_binding(service.wrangler, service.binding))
        return ResolvedTarget(service, parse_url(url), "wrangler local")
    if capabilities(service.dialect).embedded:
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
                if capabilities(service.dialect).embedded else "")
    raise ConfigError(f"service {service.name}: ${variable} is not set, so its default target "
                      "has no URL", hint=f"export {variable}=URL or pass --url{embedded}")


def _persist_to(targets: list[ResolvedTarget], folder: Path | None) -> list[ResolvedTarget]:
    """Thread --persist-to into every d1-local target (wrangler's local state)."""
    if folder is None:
        return targets
    if not any(_wrangler_local(t.url) for t in targets):
        raise UsageError("--persist-to applies to wrangler's local D1 state only",
                         hint="use it with a d1-local:// target or a service that names its wrangler file")
    return [replace(t, url=with_persist_to(t.url, folder)) if _wrangler_local(t.url) and t.url else t
            for t in targets]


def _wrangler_local(url: DatabaseUrl | None) -> bool:
    return url is not None and url.scheme == "d1-local"


# -- fleets: one service, many databases ------------------------------------------------
def _fleet(spec: TargetSpec, project: Project | None) -> Resolution:
    """One target per database of the fleet, each resolved as `--url` would be for it, so
    each is migrated exactly as alone (its own lock, history and checks). A tenant schema
    (`?schema=NAME`) is inspected and keeps its history in that schema."""
    from dbtool.core.fleet_spec import expand, parse_fleet_spec

    if spec.url or spec.target or spec.all:
        raise UsageError("--fleet names the databases; do not combine it with --url, --target "
                         "or --all", hint="dbtool migrate SERVICE --fleet SPEC")
    service = None
    if not spec.adhoc:
        project = project or load_project(spec.config)
        services = select_services(spec, project)
        if len(services) != 1:
            raise UsageError("a fleet belongs to one service: name it", hint=_known(project))
        service = services[0]
    named = {f.name: f for f in service.fleets} if service else {}
    if spec.fleet in named and named[spec.fleet].text() is None:
        raise ConfigError(f"fleet {spec.fleet}: ${named[spec.fleet].spec_env} is not set",
                          hint=f"export {named[spec.fleet].spec_env}=SPEC")
    fleet = parse_fleet_spec(spec.fleet or "", {k: f.text() or "" for k, f in named.items()})
    members = expand(fleet)
    if not members:
        raise UsageError(f"the fleet {fleet.display} matches no database",
                         hint="check the pattern (a glob: tenant_*, *.db) and where it looks")
    if service is None:
        assert spec.dir is not None
        service = adhoc_service(spec.dir, url=members[0].url, dialect=spec.dialect,
                                snapshot=spec.snapshot)
    return Resolution(None if spec.adhoc else project,
                      tuple(_fleet_target(service, m.url, m.identity) for m in members))


def _fleet_target(service: Service, url: DatabaseUrl, identity: str) -> ResolvedTarget:
    check_compatible(url, service.dialect)
    tenant = url.param("schema") if capabilities(url.dialect).tenant_schemas else None
    if tenant:
        service = replace(service, history_schema=tenant, schemas=(tenant,), exposed_schemas=())
    return ResolvedTarget(service, url, identity)


# -- ad hoc: --dir DIR -------------------------------------------------------------------
def _adhoc(spec: TargetSpec, use: Use) -> ResolvedTarget:
    if spec.services or spec.all or spec.target:
        raise UsageError("--dir replaces the service names; do not combine it with services, "
                         "--all or --target", hint="use: --dir DIR --url URL")
    assert spec.dir is not None
    url = parse_url(spec.url) if spec.url else None
    service = adhoc_service(spec.dir, url=url, dialect=spec.dialect, snapshot=spec.snapshot,
                            dialect_needed=use is not Use.FOLDER, use=use)
    if url is not None and use is not Use.FOLDER:
        return ResolvedTarget(service, url, "--url")
    if use is Use.DATABASE:
        if service.wrangler is not None:
            return _local(service)
        raise UsageError("--dir needs --url", hint="e.g. --dir migrations --url sqlite:///app.db")
    return _offline(service, use)


def adhoc_service(folder: Path, *, url: DatabaseUrl | None = None, dialect: str | None = None,
                  snapshot: Path | None = None, dialect_needed: bool = True,
                  use: Use = Use.DATABASE) -> Service:
    """The service of `--dir DIR`: dialect from --dialect, the URL's scheme or a wrangler
    project (d1); naming from the files; named like a configured service — after the
    wrangler `database_name` when the folder belongs to a D1 binding, else the folder."""
    from dbtool.d1.wrangler import find_binding, folder_binding

    binding = (find_binding(Path(url.database or "."), url.param("binding"))
               if url is not None and url.scheme == "d1-local" else folder_binding(folder))
    if not (dialect is None or dialect in DIALECTS):
        raise UsageError(f"unknown dialect {dialect!r}", hint=f"use {', '.join(DIALECTS)}")
    chosen = dialect or (url.dialect if url else None) or ("d1" if binding else None)
    if chosen is None:
        if not dialect_needed:
            chosen = "sqlite"  # the folder only: the dialect plays no part
        elif use is Use.DATABASE:
            raise UsageError("--dir needs --url", hint="e.g. --dir migrations --url sqlite:///app.db")
        else:
            raise UsageError("--dir needs the dialect of its files: --dialect sqlite|d1|postgres "
                             "(or --url URL)", hint="e.g. --dir migrations --dialect sqlite")
    if url is not None:
        check_compatible(url, chosen)
    migrations = folder
    if binding is not None and folder.resolve() == binding.project_dir:
        migrations = binding.migrations_path  # the folder named is the wrangler project
    name = (binding.database_name or binding.binding) if binding else (folder.resolve().name or "migrations")
    return Service(
        name=safe_service_name(name), dialect=chosen, migrations=migrations, snapshot=snapshot,
        root=Path.cwd(), wrangler=binding.config_path if binding else None,
        binding=binding.binding if binding else None,
        history_table=binding.migrations_table if binding else "d1_migrations",
    )
