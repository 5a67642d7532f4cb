"""`dbtool init`."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from dbtool.cli.options import Format, OutputFormat
from dbtool.cli.render import emit_json, line
from dbtool.secrets import mask

HELP = """Write a dbtool.toml for the migrations this project already has, so that
`dbtool status` and `dbtool check` work at once. Detects wrangler configs
(one D1 service per d1_databases entry, named after database_name),
supabase/migrations (Postgres, timestamp names, the built-in supabase prelude),
dbmate's db/migrations (dialect from .env's DATABASE_URL, else --dialect) and a
plain migrations/ folder (--dialect). Then writes each service's snapshot from
its migrations (Postgres needs $DBTOOL_SCRATCH_URL; otherwise it is skipped).
Never overwrites a dbtool.toml or [tool.dbtool].

\b
Examples:
  dbtool init --dry-run              # print the dbtool.toml; write nothing
  dbtool init --dialect postgres     # for a plain migrations/ folder
  dbtool init --split-down           # dbmate: move -- migrate:down sections to down/
  dbtool init --format json          # what was detected, for scripts

Exit codes: 0 written · 1 written, but a snapshot failed · 2 nothing found, already configured, or bad input.
"""


class Dialect(StrEnum):
    sqlite = "sqlite"
    d1 = "d1"
    postgres = "postgres"


def register(app: typer.Typer) -> None:
    @app.command("init", help=HELP)
    def init(
        path: Annotated[Path, typer.Argument(help="The project's root folder.", file_okay=False, exists=True,
                                             show_default="current folder")] = Path("."),
        dialect: Annotated[Dialect | None, typer.Option(
            "--dialect", help="Dialect of dbmate or plain migrations folders.")] = None,
        dry_run: Annotated[bool, typer.Option(
            "--dry-run", help="Print the dbtool.toml init would write; write nothing.")] = False,
        split_down: Annotated[bool, typer.Option(
            "--split-down", help="dbmate: move each -- migrate:down section to down/<same name>.sql.")
        ] = False,
        no_snapshots: Annotated[bool, typer.Option(
            "--no-snapshots", help="Write only dbtool.toml, no schemas/<service>.yaml.")] = False,
        fmt: OutputFormat = Format.text,
    ) -> None:
        from dbtool.core.init import init_project

        result = init_project(path, dialect=dialect.value if dialect else None, dry_run=dry_run,
                              split_down=split_down, snapshots=not no_snapshots)
        if fmt is Format.json:
            emit_json(result.to_dict())
        elif dry_run:
            sys.stdout.write(mask(result.text))
            _notes(result, to_stderr=True)
        else:
            _summary(result)
        if result.failed:
            raise typer.Exit(1)


def _notes(result, *, to_stderr: bool = False) -> None:
    for note in result.notes:
        if to_stderr:
            sys.stderr.write(mask(f"dbtool: note: {note}") + "\n")
        else:
            line(f"note: {note}")
    for name in result.split:
        text = f"would move the down section of {name} to down/" if result.dry_run else \
            f"moved the down section of {name} to down/"
        sys.stderr.write(mask(f"dbtool: note: {text}") + "\n") if to_stderr else line(text)


def _summary(result) -> None:
    for s in result.services:
        where = f"{s.wrangler} binding {s.binding or '(the only one)'}" if s.wrangler else s.migrations
        line(f"{s.name}: {s.dialect}, {s.files} migration(s) in {s.migrations} ({s.source}: {where})")
    line(f"wrote {result.config}")
    _notes(result)
    for snap in result.snapshots:
        reason = f" — {snap.reason}" if snap.reason else ""
        line(f"{snap.service}: snapshot {snap.status} {snap.path}{reason}")
    line("next: dbtool status --all && dbtool check")
