"""`migrate/status/audit SERVICE --fleet SPEC`: the options, one core call, the rendering."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated

import typer

from dbtool.cli.render import console, emit_json, line

if TYPE_CHECKING:
    from dbtool.core.fleet import FleetOptions
    from dbtool.core.results.fleet import FleetReport

Fleet = Annotated[str | None, typer.Option(
    "--fleet", help="Many databases of one service: sqlite:///glob/*.db, postgresql://HOST/tenant_*, "
    "postgresql://HOST/DB?schema=tenant_*, d1://ACCOUNT_ID/prefix*, @FILE (one URL a line), or "
    "a fleet NAME from dbtool.toml ([services.S.fleets.NAME]).", show_default=False)]
Jobs = Annotated[int, typer.Option("--jobs", "-j", help="With --fleet: targets worked on at once.")]
Canary = Annotated[int, typer.Option(
    "--canary", help="With --fleet: run this many targets first; stop if any of them fails.")]
Shard = Annotated[str | None, typer.Option(
    "--shard", help="With --fleet: I/N takes the targets whose identity hashes to shard I of N "
    "(the same split on every machine).", show_default=False)]
FailFast = Annotated[bool, typer.Option(
    "--fail-fast", help="With --fleet: after the first failed or unreachable target start no other.")]

SHOWN = 5  # identities listed per group; the rest are counted


def options(jobs: int, canary: int, shard: str | None, fail_fast: bool) -> FleetOptions:
    from dbtool.core.fleet import FleetOptions
    from dbtool.core.fleet_spec import parse_shard

    return FleetOptions(jobs=jobs, canary=canary, shard=parse_shard(shard) if shard else None,
                        fail_fast=fail_fast)


def refuse_without_fleet(jobs: int, canary: int, shard: str | None, fail_fast: bool) -> None:
    from dbtool.errors import UsageError

    if canary or shard or fail_fast or jobs != DEFAULT_JOBS:
        raise UsageError("--jobs, --canary, --shard and --fail-fast work on a fleet",
                         hint="add --fleet SPEC (or drop those options)")


DEFAULT_JOBS = 4


def finish(report: FleetReport, json_format: bool) -> None:
    """Print the report (one summary, or the JSON document) and exit with its code."""
    if json_format:
        emit_json(report.to_dict())
    else:
        render(report)
    if report.exit_code:
        raise typer.Exit(report.exit_code)


# -- progress --------------------------------------------------------------------------
def _plain_output() -> bool:
    return os.environ.get("CI", "").lower() in ("true", "1") or not sys.stdout.isatty()


@contextmanager
def progress(json_format: bool) -> Iterator:
    """A Rich progress bar over the targets on a terminal; one plain line per target in CI
    or a pipe; nothing with --format json (its document is the output)."""
    if json_format:
        yield None
        return
    if _plain_output():
        def plain(event) -> None:
            if event.result is not None:
                line(f"[{event.done}/{event.total}] {_target_line(event.result)}")
        yield plain
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(TextColumn("targets"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  TextColumn("{task.description}"), console=console(), transient=True) as bar:
        task = bar.add_task("", total=None)

        def rich_listener(event) -> None:
            if event.kind == "start":
                bar.update(task, total=event.total)
            elif event.result is not None:
                bar.update(task, completed=event.done, description=event.result.identity)
        yield rich_listener


def _target_line(result) -> str:
    text = f"{result.identity}: {result.outcome}"
    if result.applied:
        text += f" (applied {len(result.applied)})"
    if result.head and result.outcome == "behind":
        text += f" at {result.head}"
    if result.error:
        text += f" — {result.error}"
    return text


# -- the summary -----------------------------------------------------------------------
def render(report: FleetReport) -> None:
    line(f"{report.command} --fleet {report.spec} ({report.service}): {len(report.targets)} "
         f"target(s){_shard(report)}, head {report.head or '(no files)'}, "
         f"{report.seconds:.1f} s with {report.jobs} job(s)" + (" — dry run" if report.dry_run else ""))
    counts = report.counts
    line(f"  at head      {counts['at-head']}")
    line(f"  behind       {counts['behind']}")
    for head, who in report.behind.items():
        line(f"    at {head}: {_who(who)}")
    line(f"  failed       {counts['failed']}")
    for error, who in report.failed.items():
        line(f"    {error}: {_who(who)}")
    line(f"  unreachable  {counts['unreachable']}" + (f": {_who(report.unreachable)}"
                                                       if report.unreachable else ""))
    if counts["not-started"]:
        line(f"  not started  {counts['not-started']}")
    if report.command == "status":
        _status_extra(report)
    if report.command == "audit":
        _audit_extra(report)
    if report.stopped:
        line(f"stopped ({report.stopped}): targets not started were left as they are; "
             "run the same command again to continue")


def _status_extra(report: FleetReport) -> None:
    heads = report.heads
    if heads:
        line("  head versions:")
        widest = max(heads.values())
        for head, count in heads.items():
            bar = "#" * max(1, round(30 * count / widest))
            line(f"    {head:40} {count:6}  {bar}")
    for title, groups in (("modified", report.modified), ("missing", report.missing)):
        for name, who in groups.items():
            line(f"  {title} {name}: {_who(who)}")


def _audit_extra(report: FleetReport) -> None:
    groups = report.drift_groups
    parts = []
    for changes, who in groups:
        parts.append(f"{len(who)} clean" if not changes else
                     f"{len(who)} with the same {len(changes)} change(s)")
    line("  drift: " + (", ".join(parts) or "nothing compared"))
    for changes, who in groups:
        if not changes:
            continue
        line(f"    {_who(who)}:")
        for change in changes:
            line(f"      {change}")


def _who(identities) -> str:
    shown = ", ".join(identities[:SHOWN])
    more = len(identities) - SHOWN
    return f"{len(identities)} — {shown}" + (f" … and {more} more" if more > 0 else "")


def _shard(report: FleetReport) -> str:
    return f" (shard {report.shard} of {report.matched})" if report.shard else ""
