"""`dbtool snapshot`, `dbtool audit`, `dbtool check`."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from dbtool.cli.fleet_cmd import DEFAULT_JOBS, Canary, FailFast, Fleet, Jobs, Shard
from dbtool.cli.options import (
    All,
    DialectOption,
    Dir,
    Format,
    OutputFormat,
    Services,
    SnapshotOption,
    TargetName,
    Url,
    annotate,
    config_of,
    spec,
)
from dbtool.cli.render import console, emit_json, line


class CiFormat(StrEnum):
    text = "text"
    json = "json"
    github = "github"


CiOutput = Annotated[CiFormat, typer.Option("--format", "-f",
                                            help="text, json, or github (Actions annotations).")]

SNAPSHOT_HELP = """(Re)write schemas/<service>.yaml from the migrations: builds a scratch
database (a temporary SQLite file, or a temporary Postgres database on
$DBTOOL_SCRATCH_URL with the service's prelude), inspects it, and writes the
snapshot deterministically. Annotations (purpose, registry, notes) are kept;
annotations on objects that no longer exist are reported.

Ad hoc (--dir DIR, no dbtool.toml) it writes the file --snapshot PATH names;
the dialect comes from --dialect (a wrangler project's folder is d1).

\b
Examples:
  dbtool snapshot registry
  dbtool snapshot --all
  dbtool snapshot --dir migrations --dialect sqlite --snapshot schemas/app.yaml
"""

AUDIT_HELP = """Compare a database with its snapshot: the live target when --target/--url
is given, else a scratch database built from the migrations. Every difference
is a typed change (missing / extra / changed table, column, constraint, index,
view, trigger, function, policy, grant …) with old and new values; object
kinds the model does not hold (rules, domains, column privileges …) are listed
as not compared, with their counts; on a live target
also history integrity (modified, missing, pending migrations). Postgres
services also get a security audit (codes SEC101-SEC106): tables in
`exposed_schemas` without row-level security or without any policy, policies
that let `anon` write, SECURITY DEFINER functions without a fixed search_path
(pg_temp last), dbtool's own history reachable by PUBLIC/anon/authenticated,
and exposed views that read an RLS table with their owner's rights.

Ad hoc (--dir DIR, no dbtool.toml) name the schema file to compare with:
--snapshot PATH; with --url URL the live database is compared, else a scratch
build of the folder (its dialect from --dialect).

\b
Examples:
  dbtool audit --all
  dbtool audit studio --target prod --format github
  dbtool audit --dir supabase/migrations --url "$DATABASE_URL" --snapshot schemas/app.yaml
  dbtool audit app --fleet 'sqlite:///tenants/*.db'   # targets with the same drift grouped

Exit codes: 0 clean · 1 differences · 2 bad input · 3 unreachable (a fleet: none reachable).
"""

CHECK_HELP = """The CI entry point. For every service: file names and order valid, every
migration applies to a scratch database, the result equals the snapshot, and
no lint errors. One summary, one exit code. Postgres services need a scratch
server ($DBTOOL_SCRATCH_URL); without one they are skipped, and a skipped
service was not checked: the check fails (exit 1) unless --allow-skip, and its
summary never says passed. --require-all (the default) is kept for
compatibility. Ad hoc: --dir DIR --dialect D --snapshot PATH checks one folder.

\b
Examples:
  dbtool check
  DBTOOL_SCRATCH_URL=postgresql://postgres@127.0.0.1/postgres dbtool check
  dbtool check --allow-skip              # no scratch server here: skip Postgres services
  dbtool check --dir db/migrations --dialect sqlite --snapshot schemas/app.yaml

Exit codes: 0 all clean (skips only with --allow-skip) · 1 problems or skipped
services · 2 bad input · 3 a database (the scratch server) unreachable.
"""


def register(app: typer.Typer) -> None:
    @app.command("snapshot", help=SNAPSHOT_HELP)
    def snapshot_cmd(ctx: typer.Context, services: Services = None, all_: All = False,
                     folder: Dir = None, dialect: DialectOption = None,
                     snapshot: SnapshotOption = None, fmt: OutputFormat = Format.text) -> None:
        from dbtool.api import snapshot as write_snapshots

        results = write_snapshots(services, all=all_, config=config_of(ctx), dir=folder,
                                  dialect=dialect, snapshot=snapshot)
        if fmt is Format.json:
            emit_json({"services": [r.to_dict() for r in results]})
            return
        for r in results:
            text = f"{r.service}: skipped — {r.skip_reason}" if r.skip_reason else f"{r.service}: {r.status} {r.path}"
            line(text)
            for orphan in r.orphans:
                line(f"  annotation on {orphan} kept nowhere: the object no longer exists")

    @app.command("audit", help=AUDIT_HELP)
    def audit_cmd(ctx: typer.Context, services: Services = None, all_: All = False,
                  target: TargetName = None, url: Url = None, folder: Dir = None,
                  snapshot: Annotated[Path | None, typer.Option(
                      "--snapshot", help="With --dir DIR: the snapshot file to compare with.",
                      dir_okay=False)] = None,
                  dialect: DialectOption = None, fmt: CiOutput = CiFormat.text,
                  fleet: Fleet = None, jobs: Jobs = DEFAULT_JOBS, canary: Canary = 0,
                  shard: Shard = None, fail_fast: FailFast = False) -> None:
        from dbtool.cli import fleet_cmd

        if fleet is not None:
            from dbtool.core.fleet import audit_fleet

            fleet_opts = fleet_cmd.options(jobs, canary, shard, fail_fast)
            with fleet_cmd.progress(fmt is CiFormat.json) as listener:
                report = audit_fleet(spec(ctx, services, all_, target, url, folder, dialect=dialect,
                                          snapshot=snapshot, fleet=fleet), fleet_opts, listener)
            fleet_cmd.finish(report, fmt is CiFormat.json)
            return
        fleet_cmd.refuse_without_fleet(jobs, canary, shard, fail_fast)
        from dbtool.api import audit

        results = audit(services, all=all_, config=config_of(ctx), dir=folder, url=url,
                        target=target, dialect=dialect, snapshot=snapshot)
        _render_audit(ctx, results, fmt)
        if any(not r.clean for r in results if not r.skip_reason):
            raise typer.Exit(1)

    @app.command("check", help=CHECK_HELP)
    def check_cmd(ctx: typer.Context, services: Services = None, all_: All = False,
                  allow_skip: Annotated[bool, typer.Option(
                      "--allow-skip", help="A skipped service (no scratch server) does not fail the "
                      "check (the summary still says what was skipped).")] = False,
                  require_all: Annotated[bool, typer.Option(
                      "--require-all", help="A skipped service fails the check (the default; kept for "
                      "compatibility).")] = False,
                  folder: Dir = None, dialect: DialectOption = None, snapshot: SnapshotOption = None,
                  fmt: CiOutput = CiFormat.text) -> None:
        from dbtool.api import check
        from dbtool.errors import UsageError

        if allow_skip and require_all:
            raise UsageError("give --allow-skip or --require-all, not both",
                             hint="a skip fails the check unless --allow-skip")
        report = check(services, all=all_, config=config_of(ctx), dir=folder, dialect=dialect,
                       snapshot=snapshot, allow_skip=allow_skip)
        _render_check(ctx, report, fmt)
        if report.exit_code:
            raise typer.Exit(report.exit_code)


def _render_audit(ctx: typer.Context, results, fmt: CiFormat) -> None:
    if fmt is CiFormat.json:
        emit_json({"services": [r.to_dict() for r in results]})
        return
    if fmt is CiFormat.github:
        from dbtool.report.annotations import audit_annotations

        annotate(ctx, audit_annotations(results))
        return
    for r in results:
        if r.skip_reason:
            line(f"{r.service}: skipped — {r.skip_reason}")
            continue
        count = len(r.changes) + len(r.history) + len(r.security)
        verdict = "clean" if r.clean else f"{count} problem(s)"
        line(f"{r.service} ({r.source} vs {r.snapshot}): {verdict}")
        for change in r.changes:
            line(f"  {change.kind.value:8} {change.describe()}")
        for item in r.history:
            line(f"  history  {item.migration}: {item.state}")
        for finding in r.security:
            line(f"  security {finding.describe()}")
        if r.not_compared:
            line(f"  not compared (the schema model does not hold them): {_uncompared(r)}")


def _uncompared(result) -> str:
    return ", ".join(f"{n.kind} ({n.count})" for n in result.not_compared)


def _render_check(ctx: typer.Context, report, fmt: CiFormat) -> None:
    if fmt is CiFormat.json:
        emit_json(report.to_dict())
        return
    if fmt is CiFormat.github:
        from dbtool.report.annotations import check_annotations

        annotate(ctx, check_annotations(report))
        return
    from rich.table import Table

    table = Table(title="dbtool check", title_justify="left", show_edge=False)
    for column in ("service", "dialect", "files", "apply", "snapshot", "lint", "result"):
        table.add_column(column)
    for s in report.services:
        verdict = "[green]ok[/]" if s.ok and not s.skip_reason else (
            "[yellow]skipped[/]" if s.ok else "[red]FAIL[/]")
        table.add_row(s.service, s.dialect, str(s.files), s.steps.get("apply", "-"),
                      s.steps.get("snapshot", "-"), s.steps.get("lint", "-"), verdict)
    console().print(table)
    for s in report.services:
        for problem in s.problems:
            line(f"{s.service}: {problem}")
        for warning in s.warnings:
            line(f"{s.service}: warning: {warning}")
        if s.skip_reason:
            line(f"{s.service}: skipped — {s.skip_reason}")
    line(f"check: {report.verdict}")
