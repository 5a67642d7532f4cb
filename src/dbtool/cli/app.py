"""The Typer application: global options and command registration."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Annotated

import typer

from dbtool import __version__

EXIT_CODES = (
    "Exit codes: 0 success · 1 the check found problems (drift, lint errors, modified history, "
    "failed migration) · 2 usage, config or input error · 3 database unreachable or locked "
    "past the timeout."
)

# command name -> the module that registers it, in the order `--help` lists them
COMMANDS = {
    "migrate": "migrate_cmd", "status": "status_cmd", "new": "new_cmd", "diff": "diff_cmd",
    "snapshot": "schema_cmds", "audit": "schema_cmds", "check": "schema_cmds",
    "lint": "lint_cmd", "introspect": "introspect_cmd",
    "adopt": "history_cmds", "baseline": "history_cmds", "mark": "history_cmds",
    "repair": "history_cmds", "rollback": "history_cmds", "init": "init_cmd",
    "guard": "guard_cmd",
}
_GLOBAL_WITH_VALUE = ("-c", "--config")


def _new_app() -> typer.Typer:
    return typer.Typer(
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


def requested(args: list[str]) -> str | None:
    """The command a command line names, if it names a known one (global options skipped)."""
    index = 0
    while index < len(args) and args[index].startswith("-"):
        index += 2 if args[index] in _GLOBAL_WITH_VALUE else 1
    name = args[index] if index < len(args) else None
    return name if name in COMMANDS else None


def build(only: str | None = None) -> typer.Typer:
    """The Typer app with every command, or just `only`: building click's tree costs
    ~5 ms per command, so a run that names its command builds one."""
    import importlib

    app = _new_app()
    app.callback()(_global)
    modules = [COMMANDS[only]] if only else list(dict.fromkeys(COMMANDS.values()))
    for module in modules:
        importlib.import_module(f"dbtool.cli.{module}").register(app)
    if only:
        app.registered_commands = [c for c in app.registered_commands if c.name == only]
    return app


def command(args: list[str] | None = None):
    """The click command for a command line (the boundary drives it non-standalone)."""
    return _command(requested(args or []))


@cache
def _command(only: str | None):
    """Built once per process: a program (or test suite) that calls `main` many times
    would otherwise rebuild click's tree from the signatures on every call."""
    return typer.main.get_command(build(only))
