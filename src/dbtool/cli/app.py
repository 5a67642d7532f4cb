"""The Typer application: global options and command registration."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from dbtool import __version__

EXIT_CODES = (
    "Exit codes: 0 success · 1 the check found problems (drift, lint errors, modified history, "
    "failed migration) · 2 usage, config or input error · 3 database unreachable or locked "
    "past the timeout."
)

app = typer.Typer(
    name="dbtool",
    help="Ordered raw-SQL migrations for SQLite, Cloudflare D1 and PostgreSQL.\n\n" + EXIT_CODES,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"dbtool {__version__}")
        raise typer.Exit()


@app.callback()
def _global(
    ctx: typer.Context,
    config: Annotated[Path | None, typer.Option(
        "--config", "-c", help="Config file (default: nearest dbtool.toml or pyproject.toml "
        "[tool.dbtool]).", dir_okay=False)] = None,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks (secrets still masked).")] = False,
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Print the version and exit.")] = False,
) -> None:
    ctx.obj = {"config": config, "debug": debug}


def _register() -> None:
    from dbtool.cli import (
        history_cmds,
        introspect_cmd,
        lint_cmd,
        migrate_cmd,
        new_cmd,
        schema_cmds,
        status_cmd,
    )

    migrate_cmd.register(app)
    status_cmd.register(app)
    new_cmd.register(app)
    schema_cmds.register(app)
    lint_cmd.register(app)
    introspect_cmd.register(app)
    history_cmds.register(app)


_register()


def command():
    """The click command behind the app (the boundary drives it non-standalone)."""
    return typer.main.get_command(app)
