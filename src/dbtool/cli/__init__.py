"""Command-line interface. The only place that imports typer and the only
place that turns errors into exit codes (`main`)."""

from dbtool.cli.boundary import main

__all__ = ["main"]
