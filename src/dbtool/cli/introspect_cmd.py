"""`dbtool introspect`: reports people read, from the database itself."""

from __future__ import annotations

import io
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from dbtool.cli.options import DialectOption, Dir, PersistTo, TargetName, Url, config_of
from dbtool.errors import UsageError
from dbtool.secrets import mask

HELP = """Write a report of one service's schema: tables, columns, keys, defaults,
references, indexes, triggers, functions, RLS policies and publications, with
the snapshot's annotations (purpose, registry, notes) and the migration
history (what each file creates and alters, applied or pending).

The source is the live database when --target or --url is given; otherwise a
scratch database built from the migrations (Postgres services need
$DBTOOL_SCRATCH_URL), where every migration counts as applied. Ad hoc: --dir
DIR --url URL reads that database; --dir DIR --dialect D builds the folder.

\b
Formats:
  text      Rich terminal report: summary, migrations, then every table (default)
  json      versioned JSON ("format": "dbtool-introspect", "version": 1);
            --schema prints its JSON Schema instead (docs/introspect.md)
  markdown  the docs/schema/<service>.md document, Mermaid ERD embedded
  mermaid   an erDiagram (GitHub renders it)
  html      one self-contained page: summary, filter box, ERD picture, tables
  columns   seed 004's quick column list: table, column, data type, nullable,
            default — a table; `--columns --format json` writes it as JSON

\b
Examples:
  dbtool introspect registry
  dbtool introspect registry --format markdown --output docs/schema/registry.md
  dbtool introspect studio --target prod --format html -o studio.html
  dbtool introspect api --columns --format json
  dbtool introspect api --table users --table sync_data --format mermaid
  dbtool introspect --dir migrations --url sqlite:///app.db --format json
  dbtool introspect --format json --schema

Exit codes: 0 written · 2 bad input (unknown service/table, bad option) · 3 unreachable.
"""


class IntrospectFormat(StrEnum):
    text = "text"
    json = "json"
    markdown = "markdown"
    mermaid = "mermaid"
    html = "html"
    columns = "columns"


def register(app: typer.Typer) -> None:
    @app.command("introspect", help=HELP)
    def introspect(
        ctx: typer.Context,
        service: Annotated[str | None, typer.Argument(
            help="Service name from dbtool.toml (optional with one service or --dir).",
            show_default=False)] = None,
        target: TargetName = None,
        url: Url = None,
        folder: Dir = None,
        fmt: Annotated[IntrospectFormat, typer.Option(
            "--format", "-f", help="text, json, markdown, mermaid, html or columns.")
        ] = IntrospectFormat.text,
        output: Annotated[Path | None, typer.Option(
            "--output", "-o", dir_okay=False,
            help="Write to this file (parent folders are created) instead of stdout.")] = None,
        tables: Annotated[list[str] | None, typer.Option(
            "--table", metavar="NAME", show_default=False,
            help="Only these tables (repeat, or separate with commas); unknown names exit 2.")
        ] = None,
        columns: Annotated[bool, typer.Option(
            "--columns", help="The column list only (like --format columns); with "
            "--format json as JSON.")] = False,
        schema: Annotated[bool, typer.Option(
            "--schema", help="With --format json: print the JSON Schema of the output and exit.")
        ] = False,
        persist_to: PersistTo = None,
        dialect: DialectOption = None,
    ) -> None:
        _check_combination(fmt, columns, schema)
        if schema:
            from dbtool.report import json_schema_text

            _write(json_schema_text(), output)
            return
        from dbtool.api import introspect as build
        from dbtool.report import render

        report = build(service, config=config_of(ctx), dir=folder, url=url, target=target,
                       dialect=dialect, persist_to=persist_to, tables=_names(tables))
        result = render(report, fmt.value, columns=columns)
        _write(result if isinstance(result, str) else _rich_text(result, output), output,
               rich=None if isinstance(result, str) else result)


def _check_combination(fmt: IntrospectFormat, columns: bool, schema: bool) -> None:
    if schema and fmt is not IntrospectFormat.json:
        raise UsageError("--schema prints the JSON Schema of --format json output",
                         hint="use: dbtool introspect --format json --schema")
    if columns and fmt not in (IntrospectFormat.text, IntrospectFormat.json,
                               IntrospectFormat.columns):
        raise UsageError(f"--columns gives a column list; it cannot be written as {fmt.value}",
                         hint="use --columns alone (a table) or with --format json")


def _names(values: list[str] | None) -> list[str]:
    """`--table a --table b,c` -> [a, b, c]."""
    return [n.strip() for v in values or () for n in v.split(",") if n.strip()]


def _rich_text(renderables: list[Any], output: Path | None) -> str:
    """Plain text of Rich renderables, for --output (files get no colour codes)."""
    if output is None:
        return ""
    from rich.console import Console

    buffer = io.StringIO()
    console = Console(file=buffer, width=160, color_system=None, force_terminal=False,
                      highlight=False, soft_wrap=False)
    for item in renderables:
        console.print(item)
    return buffer.getvalue()


def _write(text: str, output: Path | None, *, rich: list[Any] | None = None) -> None:
    """To --output (creating folders, LF line endings), else to stdout; always masked."""
    if output is not None:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(mask(text), encoding="utf-8", newline="\n")
        return
    if rich is not None:
        from dbtool.cli.render import console

        out = console()
        for item in rich:
            out.print(item)
        return
    sys.stdout.write(mask(text))
    sys.stdout.flush()
