"""Option types shared by commands, so every command spells them the same way."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from dbtool.core.targets import TargetSpec



class Format(StrEnum):
    text = "text"
    json = "json"


Services = Annotated[list[str] | None, typer.Argument(
    help="Service names from dbtool.toml (omit with --all or --dir).", show_default=False)]
All = Annotated[bool, typer.Option("--all", help="Every configured service.")]
TargetName = Annotated[str | None, typer.Option(
    "--target", "-t", help="A named target; its URL comes from the environment variable it names.")]
Url = Annotated[str | None, typer.Option(
    "--url", help="Database URL (sqlite:///file.db, postgresql://…). Overrides targets.")]
Dir = Annotated[Path | None, typer.Option(
    "--dir", help="Ad-hoc migrations folder, no dbtool.toml needed: with --url for a database, "
    "--dialect for the files alone (a wrangler project's folder needs neither).",
    file_okay=False)]


class Dialect(StrEnum):
    sqlite = "sqlite"
    d1 = "d1"
    postgres = "postgres"


DialectOption = Annotated[Dialect | None, typer.Option(
    "--dialect", help="With --dir and no --url: the dialect of the files (a wrangler project's "
    "folder is d1).")]
SnapshotOption = Annotated[Path | None, typer.Option(
    "--snapshot", help="With --dir: the snapshot file (schemas/NAME.yaml) of the folder's "
    "migrations.", dir_okay=False)]
OutputFormat = Annotated[Format, typer.Option("--format", "-f", help="text for people, json for scripts.")]


class LogFormat(StrEnum):
    text = "text"
    json = "json"
    github = "github"


LogOutputFormat = Annotated[LogFormat, typer.Option(
    "--format", "-f", help="text for people, json for scripts, github: text plus GitHub Actions "
    "annotations for what needs attention.")]


def annotate(ctx: typer.Context, annotations) -> None:
    """Print GitHub annotations with paths relative to the repository root."""
    from dbtool.cli.render import line
    from dbtool.report.github import render, repository_root

    root = repository_root(config=ctx.obj.get("config") if ctx.obj else None)
    for text in render(annotations, root):
        line(text)
MAX_LOCK_TIMEOUT = 1_000_000  # seconds (11.6 days): also keeps SQLite's busy timeout in range


def _seconds(value: float | None) -> float | None:
    """A finite, non-negative number of seconds (`nan` and `inf` parse as floats)."""
    if value is not None and not 0 <= value <= MAX_LOCK_TIMEOUT:
        raise typer.BadParameter(f"{value:g} is not a number of seconds from 0 to {MAX_LOCK_TIMEOUT}")
    return value


LockTimeout = Annotated[float | None, typer.Option(
    "--lock-timeout", help="Seconds to wait for another run's lock before exiting 3.",
    callback=_seconds)]
PersistTo = Annotated[Path | None, typer.Option(
    "--persist-to", help="Like wrangler's --persist-to: the folder that replaces .wrangler/state "
    "for d1-local targets (relative to the current directory).", file_okay=False)]


def config_of(ctx: typer.Context) -> Path | None:
    """The global --config option."""
    return ctx.obj.get("config") if ctx.obj else None


def spec(ctx: typer.Context, services: list[str] | None, all_: bool, target: str | None,
         url: str | None, folder: Path | None, persist_to: Path | None = None, *,
         dialect: str | None = None, snapshot: Path | None = None,
         fleet: str | None = None) -> TargetSpec:
    """The command's target options, resolved by `dbtool.core.targets` (one place)."""
    from dbtool.core.targets import TargetSpec

    return TargetSpec(services=tuple(services or ()), all=all_, target=target, url=url,
                      dir=folder, config=ctx.obj.get("config") if ctx.obj else None,
                      persist_to=persist_to, dialect=str(dialect) if dialect else None,
                      snapshot=snapshot, fleet=fleet)
