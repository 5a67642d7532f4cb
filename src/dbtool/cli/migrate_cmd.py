"""`dbtool migrate`."""

from __future__ import annotations

import sys
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated

import typer

from dbtool.cli.fleet_cmd import DEFAULT_JOBS, Canary, FailFast, Fleet, Jobs, Shard
from dbtool.cli.options import (
    All,
    Dir,
    LockTimeout,
    LogFormat,
    LogOutputFormat,
    PersistTo,
    Services,
    TargetName,
    Url,
    annotate,
    config_of,
    spec,
)
from dbtool.cli.render import console, emit_json, line
from dbtool.errors import DbtoolError
from dbtool.secrets import mask

if TYPE_CHECKING:
    from dbtool.core.results.run import ServiceRun

HELP = """Apply pending migrations in order, each file atomically with its history row.

Concurrent runs on one database wait for each other (--lock-timeout). A failing
statement rolls its file back, names file:line:col, and exits 1; earlier files
stay applied. Each applied file gets a line naming its service; a failure ends
the list with "SERVICE: N applied, stopped at FILE". Modified, deleted or renamed applied files and out-of-order
pending files are refused (exit 1) unless explicitly allowed.

Before anything runs, files are refused (exit 1) that break the target's
rules (D1xx on D1; TX101: transaction control in a file dbtool runs in its own
transaction) or that silently destroy rows they do not name (DL102: a table
rebuild whose DROP cascades into child tables) — the latter unless a
`-- dbtool:lint-ignore DL102 reason` or --allow-data-loss acknowledges it.

\b
Examples:
  dbtool migrate --all
  dbtool migrate api --dry-run --sql
  dbtool migrate scenes --url postgresql://postgres@127.0.0.1/scenes
  dbtool migrate --dir supabase/migrations --url postgresql://localhost/app
  dbtool migrate --all --format github    # a failure is also an annotation
  dbtool migrate app --fleet 'sqlite:///tenants/*.db' --jobs 8
  dbtool migrate app --fleet 'postgresql://db/app?schema=tenant_*' --canary 5
  dbtool migrate app --fleet tenants --shard 2/4 --format json

With --fleet every database of the fleet is migrated as alone (own lock and
history); failures are recorded and the others go on; one summary at the end.

Exit codes: 0 ok · 1 failed migration, refused file or refused history (a fleet: any
target failed or behind) · 2 bad input/config · 3 unreachable or locked (a fleet: no
target reachable) · 130 interrupted.
"""


def register(app: typer.Typer) -> None:
    @app.command("migrate", help=HELP)
    def migrate(
        ctx: typer.Context,
        services: Services = None,
        all_: All = False,
        target: TargetName = None,
        url: Url = None,
        folder: Dir = None,
        to: Annotated[str | None, typer.Option("--to", help="Stop after this file (inclusive).")] = None,
        dry_run: Annotated[bool, typer.Option("--dry-run", help="Print the plan; change nothing.")] = False,
        sql: Annotated[bool, typer.Option("--sql", help="With --dry-run: print every statement.")] = False,
        fmt: LogOutputFormat = LogFormat.text,
        allow_out_of_order: Annotated[bool, typer.Option(
            "--allow-out-of-order", help="Apply pending files older than the newest applied one.")] = False,
        allow_modified: Annotated[bool, typer.Option(
            "--allow-modified", help="Proceed although applied files changed since they ran.")] = False,
        allow_missing: Annotated[bool, typer.Option(
            "--allow-missing", help="Proceed although applied files were deleted or renamed.")] = False,
        allow_data_loss: Annotated[bool, typer.Option(
            "--allow-data-loss", help="Apply files that silently destroy rows they do not name "
            "(DL102), with a warning.")] = False,
        lock_timeout: LockTimeout = None,
        prelude: Annotated[bool, typer.Option(
            "--prelude", help="Apply the service's prelude first (local/scratch builds).")] = False,
        persist_to: PersistTo = None,
        fleet: Fleet = None,
        jobs: Jobs = DEFAULT_JOBS,
        canary: Canary = 0,
        shard: Shard = None,
        fail_fast: FailFast = False,
    ) -> None:
        from functools import partial

        if fleet is not None:
            from dbtool.cli import fleet_cmd
            from dbtool.core.fleet import migrate_fleet
            from dbtool.core.migrate import MigrateOptions

            opts = MigrateOptions(to=to, dry_run=dry_run, allow_out_of_order=allow_out_of_order,
                                  allow_modified=allow_modified, allow_missing=allow_missing,
                                  allow_data_loss=allow_data_loss, lock_timeout=lock_timeout,
                                  prelude=prelude, include_sql=sql)
            target_spec = spec(ctx, services, all_, target, url, folder, persist_to, fleet=fleet)
            fleet_opts = fleet_cmd.options(jobs, canary, shard, fail_fast)
            with fleet_cmd.progress(fmt is LogFormat.json) as listener:
                report = migrate_fleet(target_spec, opts, fleet_opts, listener)
            fleet_cmd.finish(report, fmt is LogFormat.json)
            return
        from dbtool.api import migrate as run_migrate
        from dbtool.cli.fleet_cmd import refuse_without_fleet

        refuse_without_fleet(jobs, canary, shard, fail_fast)
        run = partial(run_migrate, services, all=all_, config=config_of(ctx), dir=folder, url=url,
                      target=target, persist_to=persist_to, to=to, dry_run=dry_run, sql=sql,
                      allow_out_of_order=allow_out_of_order, allow_modified=allow_modified,
                      allow_missing=allow_missing, allow_data_loss=allow_data_loss,
                      lock_timeout=lock_timeout, prelude=prelude)
        if fmt is LogFormat.json:
            emit_json({"dry_run": dry_run, "services": [r.to_dict() for r in run()]})
            return
        stops = _Stops()
        try:
            with _progress(stops) as listener:
                runs = run(on_progress=listener)
        except DbtoolError as exc:
            if stops.failed:  # the per-file lines end with where the run stopped
                line(stops.failed)
            if fmt is LogFormat.github:  # the failure on the file and line, then the usual exit
                from dbtool.report.github import from_error

                annotate(ctx, [from_error(exc)])
            raise
        for run in runs:
            _render_run(run, dry_run, sql)


class _Stops:
    """Counts each service's applied files, so a failure can end with `SERVICE: N applied,
    stopped at FILE` (the error itself follows on stderr)."""

    def __init__(self) -> None:
        self.applied: dict[str, int] = {}
        self.failed = ""

    def __call__(self, event) -> None:
        if event.kind == "applied":
            self.applied[event.service] = self.applied.get(event.service, 0) + 1
        elif event.kind == "failed":
            count = self.applied.get(event.service, 0)
            self.failed = f"{event.service}: {count} applied, stopped at {event.name}"


def _render_run(run: ServiceRun, dry_run: bool, sql: bool) -> None:
    from dbtool.core.results.run import RunStatus

    where = f" ({run.label}: {run.target})" if run.target else ""
    if run.status is RunStatus.SKIPPED:
        line(f"{run.service}: skipped — {run.skip_reason}")
    elif run.status is RunStatus.PLANNED:
        line(f"{run.service}{where}: {len(run.planned)} pending (dry run, nothing changed)")
        for item in run.planned:
            line(f"{run.service}: would apply {item.name} ({item.statements} statements)")
            for statement in (item.sql or ()) if sql else ():
                line("    " + statement.replace("\n", "\n    ") + ";")
    elif run.status is RunStatus.MIGRATED:
        total = sum(a.duration_ms for a in run.applied)
        line(f"{run.service}{where}: applied {len(run.applied)} migration(s) in {total:.1f} ms")
    else:
        line(f"{run.service}{where}: up to date")
    for warning in run.warnings:
        sys.stderr.write(mask(f"dbtool: warning: {run.service}: {warning}") + "\n")


@contextmanager
def _progress(stops: _Stops):
    """Per-file lines, each naming its service (CI logs of `--all` interleave nothing, but a
    reader should not have to scroll up for the service); a Rich bar on a terminal."""
    if not sys.stdout.isatty():  # no Rich import for scripts and CI
        def plain(event) -> None:
            stops(event)
            if event.kind == "applied":
                line(f"{event.service}: applied {event.name} ({event.duration_ms:.1f} ms)")
            elif event.kind == "skipped":
                line(f"{event.service}: skipped {event.name} (applied meanwhile by another run)")
        yield plain
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  console=console(), transient=True) as bar:
        tasks: dict[str, int] = {}

        def rich_listener(event) -> None:
            stops(event)
            if event.kind == "start":
                tasks[event.service] = bar.add_task(event.service, total=event.total or 1)
            elif event.kind in ("applied", "skipped"):
                bar.update(tasks[event.service], completed=event.index,
                           description=f"{event.service}: {event.name}")
        yield rich_listener
