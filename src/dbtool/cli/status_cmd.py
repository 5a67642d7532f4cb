"""`dbtool status`."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from dbtool.cli.fleet_cmd import DEFAULT_JOBS, Canary, FailFast, Fleet, Jobs, Shard
from dbtool.cli.options import (
    All,
    Dir,
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

HELP = """Show every migration's state: applied (with time), pending, modified
(checksum differs from the one recorded), missing (history row without a file),
out-of-order (pending but older than the newest applied file), ignored (a
parked file: its name starts with _ or matches the service's ignore globs; never
applied). Duplicate versions are flagged. Never writes to the database.

The table fits the terminal (80 columns in logs) and never cuts a file name:
empty columns are left out, and what does not fit goes on an indented line
below its row. Times are UTC, alike for every engine (2026-12-06 15:42:55).

\b
Examples:
  dbtool status --all
  dbtool status api --format json
  dbtool status --dir migrations --url sqlite:///app.db --exit-code
  dbtool status --all --exit-code --format github
  dbtool status api --pending            # only what is not applied
  dbtool status --all --summary          # counts, last applied, next
  dbtool status app --fleet 'postgresql://db/tenant_*'   # head histogram, laggards

Exit codes: 0 ok · 1 with --exit-code when anything is pending/modified/missing (with
--fleet: any target behind, failed, modified or missing) · 2 bad input · 3 unreachable.
"""

_STYLE = {"applied": "green", "pending": "yellow", "modified": "red", "missing": "red",
          "out-of-order": "magenta", "ignored": "dim"}


def register(app: typer.Typer) -> None:
    @app.command("status", help=HELP)
    def status(
        ctx: typer.Context,
        services: Services = None,
        all_: All = False,
        target: TargetName = None,
        url: Url = None,
        folder: Dir = None,
        fmt: LogOutputFormat = LogFormat.text,
        exit_code: Annotated[bool, typer.Option(
            "--exit-code", help="Exit 1 when anything is pending, modified, missing or out of order.")] = False,
        pending: Annotated[bool, typer.Option(
            "--pending", help="List only migrations that are not applied (pending, out of order, "
            "modified, missing), for long histories.")] = False,
        summary: Annotated[bool, typer.Option(
            "--summary", help="One summary per service (counts, last applied, next) instead of "
            "the table.")] = False,
        persist_to: PersistTo = None,
        fleet: Fleet = None,
        jobs: Jobs = DEFAULT_JOBS,
        canary: Canary = 0,
        shard: Shard = None,
        fail_fast: FailFast = False,
    ) -> None:
        from dbtool.cli.fleet_cmd import refuse_without_fleet

        if fleet is not None:
            from dbtool.cli import fleet_cmd
            from dbtool.core.fleet import status_fleet

            fleet_opts = fleet_cmd.options(jobs, canary, shard, fail_fast)
            with fleet_cmd.progress(fmt is LogFormat.json) as listener:
                report = status_fleet(spec(ctx, services, all_, target, url, folder, persist_to,
                                           fleet=fleet), fleet_opts, listener)
            fleet_cmd.finish(report, fmt is LogFormat.json)
            return
        refuse_without_fleet(jobs, canary, shard, fail_fast)
        from dbtool.api import status as run_status

        results = run_status(services, all=all_, config=config_of(ctx), dir=folder, url=url,
                             target=target, persist_to=persist_to)
        if fmt is LogFormat.json:
            emit_json({"services": [_document(r, pending, summary) for r in results]})
        else:
            for result in results:
                _render(result, pending=pending, summary=summary)
        if fmt is LogFormat.github:
            from dbtool.report.annotations import status_annotations

            annotate(ctx, status_annotations(results))
        if exit_code and any(r.needs_attention for r in results):
            raise typer.Exit(1)


def _render(result, *, pending: bool = False, summary: bool = False) -> None:
    from dbtool.cli import status_table as table

    width = table.terminal_width()
    if result.skip_reason:
        line(f"{result.service}: skipped — {result.skip_reason}")
        return
    counts = ", ".join(f"{n} {k}" for k, n in result.counts.items() if n) or "no migrations"
    head = f"{result.service} — {counts}"
    if not result.exists:
        head += " — database not created yet"
    for text in table.title_lines(head, f"{result.label}: {result.target}", width):
        line(text)
    states = [s for s in result.states if _needs_attention(s)] if pending else list(result.states)
    if summary:
        _summary(result, table)
        return
    if not states:
        line(f"{table.INDENT}nothing pending" if pending else f"{table.INDENT}no migration files")
        return
    rows = [table.Row((s.name, s.state.value, table.utc_time(s.applied.applied_at if s.applied else None),
                       _source(s), _note(s))) for s in states]
    colour = sys.stdout.isatty()
    out = console() if colour else None
    for laid in table.layout(rows, width):
        if out is not None and laid.state is not None:
            out.print(_coloured(laid.text, laid.state))
        else:
            line(laid.text)
        for more in laid.more:
            line(more)


def _summary(result, table) -> None:
    """--summary: the newest applied file and the first one waiting, instead of the table."""
    applied = [s for s in result.states if s.state.value == "applied"]
    waiting = [s for s in result.states if _needs_attention(s)]
    if applied:
        last = applied[-1]
        line(f"{table.INDENT}last applied: {last.name} ({table.utc_time(last.applied.applied_at)})"
             if last.applied and last.applied.applied_at else f"{table.INDENT}last applied: {last.name}")
    if waiting:
        line(f"{table.INDENT}next: {waiting[0].name} ({waiting[0].state.value})"
             + (f" and {len(waiting) - 1} more" if len(waiting) > 1 else ""))


def _needs_attention(state) -> bool:
    return state.state.value not in ("applied", "ignored")


def _coloured(text: str, span: slice) -> str:
    from rich.markup import escape

    state = text[span]
    style = _STYLE.get(state.strip(), "")
    return f"{escape(text[:span.start])}[{style}]{escape(state)}[/]{escape(text[span.stop:])}" \
        if style else escape(text)


def _document(result, pending: bool, summary: bool) -> dict:
    """The JSON of one service; the filters leave the counts whole."""
    document = result.to_dict()
    if summary:
        document.pop("migrations")
    elif pending:
        document["migrations"] = [s.to_dict() for s in result.states if _needs_attention(s)]
    return document


def _note(state) -> str:
    if state.state.value == "ignored":
        return "parked: never applied (a name starting with _ or an ignore glob)"
    notes = []
    if state.duplicate_version:
        notes.append("duplicate version")
    if state.applied and not state.verified:
        notes.append("unverified (no checksum recorded)")
    return "; ".join(notes)


def _source(state) -> str:
    """Who recorded the row: dbtool, wrangler (unverified), supabase/dbmate (adopted or not) …"""
    row = state.applied
    if row is None:
        return ""
    if row.checksum is None:
        return f"{row.source} (unverified)" if row.source == "wrangler" else f"{row.source} (not adopted)"
    if row.source in ("wrangler", "supabase", "dbmate"):
        return f"{row.source} (adopted)"
    return row.source.replace("-forced", " (forced)")
