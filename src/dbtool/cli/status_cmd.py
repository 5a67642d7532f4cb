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
    spec,
)
from dbtool.cli.render import console, emit_json, line

HELP = """Show every migration's state: applied (with time), pending, modified
(checksum differs from the one recorded), missing (history row without a file),
out-of-order (pending but older than the newest applied file), ignored (a
parked file: its name starts with _ or matches the service's ignore globs; never
applied). Duplicate versions are flagged. Never writes to the database.

\b
Examples:
  dbtool status --all
  dbtool status api --format json
  dbtool status --dir migrations --url sqlite:///app.db --exit-code
  dbtool status --all --exit-code --format github
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
        from dbtool.core.status import status as run_status

        results = run_status(spec(ctx, services, all_, target, url, folder, persist_to))
        if fmt is LogFormat.json:
            emit_json({"services": [r.to_dict() for r in results]})
        else:
            for result in results:
                _render(result)
        if fmt is LogFormat.github:
            from dbtool.report.annotations import status_annotations

            annotate(ctx, status_annotations(results))
        if exit_code and any(r.needs_attention for r in results):
            raise typer.Exit(1)


COLUMNS = ("migration", "state", "applied at", "source", "note")


def _render(result) -> None:
    if result.skip_reason:
        line(f"{result.service}: skipped — {result.skip_reason}")
        return
    counts = result.counts
    summary = ", ".join(f"{n} {k}" for k, n in counts.items() if n) or "no migrations"
    title = f"{result.service} ({result.label}: {result.target}) — {summary}"
    if not result.exists:
        title += " — database not created yet"
    # a row may carry no time (Supabase/dbmate rows, history without a file): an empty cell
    rows = [(s.name, s.state.value, (s.applied.applied_at or "") if s.applied else "", _source(s), _note(s))
            for s in result.states]
    if sys.stdout.isatty():
        _rich_table(title, rows)
    else:  # scripts and CI logs: the same columns, without Rich's import and layout cost
        line(title)
        for text in aligned((COLUMNS, *rows)):
            line(text)


def aligned(rows: tuple[tuple[str, ...], ...]) -> list[str]:
    """Left-aligned columns two spaces apart; trailing empty cells leave no padding."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
            for row in rows]


def _rich_table(title: str, rows: list[tuple[str, ...]]) -> None:
    from rich.table import Table

    table = Table(title=title, title_justify="left", show_edge=False, pad_edge=False)
    for column in COLUMNS:
        table.add_column(column)
    for name, state, applied_at, source, note in rows:
        table.add_row(name, f"[{_STYLE.get(state, '')}]{state}[/]", applied_at, source, note)
    console().print(table)


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
