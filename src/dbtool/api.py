"""dbtool's public Python API: one function per command, the same ones the CLI calls.

    import dbtool

    (run,) = dbtool.migrate("api")                      # a service of dbtool.toml
    (run,) = dbtool.migrate(dir="migrations", url="sqlite:///app.db")  # ad hoc
    if run.status is dbtool.RunStatus.MIGRATED: ...

Every function takes what the command line takes, as keywords: a service name (or
several, or `all=True`) with an optional `config=` path, or ad hoc `dir=` with `url=`
(or `dialect=`), and the command's options under their option names (`dry_run`,
`allow_modified`, …). It returns the command's typed, frozen result — the one its
`--format json` document is made of (`to_dict()`) — and raises the typed errors of
`dbtool.errors` (`UsageError`, `ConfigError`, `MigrationFailed` …), each with a hint and
an exit code. Nothing here prints.

Why a module of its own: `import dbtool` stays as cheap as it was (`dbtool --help`
never imports this), and the CLI and a library caller go through the same function,
so they cannot drift apart. Each function imports its core module on first call.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # only annotations: `dbtool status` loads this module, so it stays bare
    import os
    from collections.abc import Callable, Sequence
    from datetime import datetime

    from dbtool.core.results import (
        AuditResult,
        CheckReport,
        DiffResult,
        Progress,
        ServiceRun,
        ServiceStatus,
        SnapshotResult,
    )
    from dbtool.core.targets import TargetSpec
    from dbtool.lint.report import LintReport
    from dbtool.report.data import IntrospectionReport

    PathArg = str | os.PathLike[str]
    ServiceArg = str | Sequence[str] | None

__all__ = ["audit", "check", "diff", "introspect", "lint", "migrate", "snapshot", "status"]


def target_spec(service: ServiceArg = None, *, all: bool = False, config: PathArg | None = None,
                dir: PathArg | None = None, url: str | None = None, target: str | None = None,
                persist_to: PathArg | None = None, dialect: str | None = None,
                snapshot: PathArg | None = None) -> TargetSpec:
    """The keywords every function shares, as the one `TargetSpec` the target resolver
    (`dbtool.core.targets.resolve_targets`) reads."""
    from dbtool.core.targets import TargetSpec

    names = (service,) if isinstance(service, str) else tuple(service or ())
    return TargetSpec(services=names, all=all, target=target, url=url, dir=_path(dir),
                      config=_path(config), persist_to=_path(persist_to),
                      dialect=str(dialect) if dialect else None, snapshot=_path(snapshot))


def _path(value: PathArg | None) -> Path | None:
    return None if value is None else Path(value)


def migrate(service: ServiceArg = None, *, all: bool = False, config: PathArg | None = None,
            dir: PathArg | None = None, url: str | None = None, target: str | None = None,
            persist_to: PathArg | None = None, to: str | None = None, dry_run: bool = False,
            sql: bool = False, allow_out_of_order: bool = False, allow_modified: bool = False,
            allow_missing: bool = False, allow_data_loss: bool = False,
            lock_timeout: float | None = None, prelude: bool = False,
            on_progress: Callable[[Progress], None] | None = None) -> tuple[ServiceRun, ...]:
    """Apply pending migrations, each file atomically with its history row (`dbtool migrate`).

    One `ServiceRun` per service, in configuration order. A failing file raises
    `MigrationFailed` (file:line:col); earlier files stay applied. `on_progress` receives a
    `Progress` event per file (what the CLI prints as it goes)."""
    from dbtool.core.migrate import MigrateOptions
    from dbtool.core.migrate import migrate as run

    opts = MigrateOptions(to=to, dry_run=dry_run, allow_out_of_order=allow_out_of_order,
                          allow_modified=allow_modified, allow_missing=allow_missing,
                          allow_data_loss=allow_data_loss, lock_timeout=lock_timeout,
                          prelude=prelude, include_sql=sql)
    spec = target_spec(service, all=all, config=config, dir=dir, url=url, target=target,
                       persist_to=persist_to)
    return tuple(run(spec, opts, on_progress))


def status(service: ServiceArg = None, *, all: bool = False, config: PathArg | None = None,
           dir: PathArg | None = None, url: str | None = None, target: str | None = None,
           persist_to: PathArg | None = None) -> tuple[ServiceStatus, ...]:
    """Every migration's state against each service's database; never writes (`dbtool status`)."""
    from dbtool.core.status import status as run

    return tuple(run(target_spec(service, all=all, config=config, dir=dir, url=url, target=target,
                                 persist_to=persist_to)))


def snapshot(service: ServiceArg = None, *, all: bool = False, config: PathArg | None = None,
             dir: PathArg | None = None, dialect: str | None = None,
             snapshot: PathArg | None = None) -> tuple[SnapshotResult, ...]:
    """(Re)write each service's snapshot from a scratch build of its migrations; ad hoc
    (`dir=`) the file `snapshot=` names (`dbtool snapshot`)."""
    from dbtool.core.schema_ops import snapshot as run

    return tuple(run(target_spec(service, all=all, config=config, dir=dir, dialect=dialect,
                                 snapshot=snapshot)))


def audit(service: ServiceArg = None, *, all: bool = False, config: PathArg | None = None,
          dir: PathArg | None = None, url: str | None = None, target: str | None = None,
          dialect: str | None = None, snapshot: PathArg | None = None) -> tuple[AuditResult, ...]:
    """Compare each service's database — live with `target=`/`url=`, else a scratch build —
    with its snapshot: typed drift, history problems, security findings (`dbtool audit`).
    Ad hoc: `dir=` with `snapshot=` (and `url=` for a live database)."""
    from dbtool.core.schema_ops import audit as run

    return tuple(run(target_spec(service, all=all, config=config, dir=dir, url=url, target=target,
                                 dialect=dialect, snapshot=snapshot)))


def check(service: ServiceArg = None, *, all: bool = False, config: PathArg | None = None,
          dir: PathArg | None = None, dialect: str | None = None,
          snapshot: PathArg | None = None, allow_skip: bool = False) -> CheckReport:
    """The CI check of every service (or the named ones): files, scratch build, snapshot,
    lint, docs (`dbtool check`). `report.exit_code` is the command's exit code."""
    from dbtool.core.check import check as run

    spec = target_spec(service, all=all, config=config, dir=dir, dialect=dialect, snapshot=snapshot)
    return run(spec, allow_skip=allow_skip)


def lint(service: ServiceArg = None, *, all: bool = False, config: PathArg | None = None,
         dir: PathArg | None = None, url: str | None = None, dialect: str | None = None,
         changed_since: str | None = None, only_migrations: bool = False
         ) -> tuple[LintReport, ...]:
    """Lint services by name, or migration folders/files (`dialect=` outside the configured
    services), or `dir=` (`dbtool lint`). A report's `failed` is what exits 1."""
    from dbtool.core.lint import lint_targets

    names = [service] if isinstance(service, str) else [str(s) for s in service or ()]
    return tuple(lint_targets(names, all_services=all, dialect=str(dialect) if dialect else None,
                              changed_since=changed_since, config=_path(config),
                              only_migrations=only_migrations, folder=_path(dir), url=url))


def diff(service: str | None = None, name: str | None = None, *, config: PathArg | None = None,
         dir: PathArg | None = None, dialect: str | None = None, snapshot: PathArg | None = None,
         dry_run: bool = False, allow_drop: bool = False, rename: Sequence[str] = (),
         fill: Sequence[str] = (), lock_safe: bool = True, from_url: str | None = None,
         to_url: str | None = None, to: str | None = None, target: str | None = None,
         url: str | None = None, mark_applied: bool = False,
         now: datetime | None = None) -> DiffResult:
    """Write the next migration of `service` from its edited snapshot, proven on a scratch
    database first (`dbtool diff SERVICE NAME`); ad hoc `diff(name=…, dir=, dialect=,
    snapshot=)`. With `from_url=`/`to_url=`: the SQL between two databases, written nowhere.
    `to="live"` takes the desired state from the service's live database (`target=`/`url=`,
    else its default target; `mark_applied=True` records the file there once proven),
    `to="sql:DIR"` from a folder of SQL files.
    `rename` and `fill` take the CLI's spellings (`users.name=full_name`, `users.plan='free'`)."""
    from dbtool.errors import UsageError
    from dbtool.plan.types import Fill, PlanOptions, Rename

    options = PlanOptions(allow_drop=allow_drop, renames=tuple(Rename.parse(r) for r in rename),
                          fills=tuple(Fill.parse(f) for f in fill), lock_safe=lock_safe)
    if from_url or to_url:
        if not (from_url and to_url) or service or name or dir or to or target or url \
                or mark_applied:
            raise UsageError("--from and --to go together, without SERVICE NAME",
                             hint="dbtool diff --from URL --to URL")
        if dialect not in (None, "sqlite", "d1", "postgres"):
            raise UsageError(f"unknown dialect {dialect!r}", hint="use sqlite, d1 or postgres")
        from dbtool.core.generate import diff_urls

        return diff_urls(from_url, to_url, dialect, options)
    if dialect and dir is None:
        raise UsageError("--dialect applies to --from/--to and --dir only",
                         hint="a service's dialect comes from dbtool.toml")
    if not name or (dir is None) != bool(service):
        raise UsageError("expected NAME with --dir" if dir is not None else "expected SERVICE NAME",
                         hint='e.g. dbtool diff api "add user plan"')
    if dir is not None and snapshot is None:
        raise UsageError("diff --dir DIR needs --snapshot PATH, the declared schema",
                         hint='e.g. dbtool diff --dir migrations --dialect sqlite --snapshot '
                              'schemas/app.yaml "add user plan"')
    from dbtool.core.generate import DiffRequest
    from dbtool.core.generate import diff as run

    spec = target_spec(service, config=config, dir=dir, dialect=dialect, snapshot=snapshot,
                       target=target, url=url)
    return run(spec, DiffRequest(name, options, dry_run, now, to=to, mark_applied=mark_applied))


def introspect(service: str | None = None, *, config: PathArg | None = None,
               dir: PathArg | None = None, url: str | None = None, target: str | None = None,
               dialect: str | None = None, persist_to: PathArg | None = None,
               tables: Sequence[str] = ()) -> IntrospectionReport:
    """The schema report of one service — live with `target=`/`url=`, else a scratch build:
    the schema model, annotations and every migration with what it does (`dbtool
    introspect`). Render it with `dbtool.report.render(report, "markdown")` and friends."""
    from dbtool.core.introspect import introspect as run

    spec = target_spec(service, config=config, dir=dir, url=url, target=target,
                       persist_to=persist_to, dialect=dialect)
    return run(spec, tables=tuple(tables))
