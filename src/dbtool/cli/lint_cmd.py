"""`dbtool lint`."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from dbtool.cli.options import All, Dir, config_of
from dbtool.cli.render import emit_json, line

HELP = """Static rules on migration files: D1 compatibility, data loss, backward
compatibility, Postgres locking, and the services' conventions. Every finding
has a stable code (docs/lint.md), a file:line:col and the safe alternative.

Arguments naming configured services lint those services; other arguments are
migration folders or files (--dialect is then required, unless the folder is a
wrangler binding's: d1). --dir DIR is the same as a folder argument, as the
other commands spell it. Earlier files are replayed for context, so rules know
the schema each file starts from.

\b
Silence one finding with a comment on the line above the statement:
  -- dbtool:lint-ignore CODE reason   (the reason is required)
Severity per service: [services.NAME.lint] in dbtool.toml.

\b
Examples:
  dbtool lint --all
  dbtool lint scores --format json
  dbtool lint --all --changed-since origin/main --format github
  dbtool lint --all --format sarif > dbtool.sarif
  dbtool lint supabase/migrations --dialect postgres
  dbtool lint --dir db/migrations --dialect sqlite

Exit codes: 0 no error-severity finding · 1 errors found · 2 bad input/config.
"""


class LintFormat(StrEnum):
    text = "text"
    json = "json"
    github = "github"
    sarif = "sarif"


class Dialect(StrEnum):
    sqlite = "sqlite"
    d1 = "d1"
    postgres = "postgres"


def register(app: typer.Typer) -> None:
    @app.command("lint", help=HELP)
    def lint(
        ctx: typer.Context,
        targets: Annotated[list[str] | None, typer.Argument(
            help="Service names or migration folders/files.", show_default=False)] = None,
        all_: All = False,
        dialect: Annotated[Dialect | None, typer.Option(
            "--dialect", help="Rules for paths outside the configured services.")] = None,
        fmt: Annotated[LintFormat, typer.Option(
            "--format", "-f", help="text, json, github (Actions annotations) or sarif.")] = LintFormat.text,
        changed_since: Annotated[str | None, typer.Option(
            "--changed-since", metavar="REV",
            help="Report only files added or changed since this git revision.")] = None,
        show_suppressed: Annotated[bool, typer.Option(
            "--show-suppressed", help="Text format: also list silenced findings.")] = False,
        list_rules: Annotated[bool, typer.Option("--rules", help="List every rule and exit.")] = False,
        only_migrations: Annotated[bool, typer.Option(
            "--only-migrations", help="Lint only the given paths that are migrations of configured "
            "services; skip others (pre-commit passes every changed .sql file).")] = False,
        folder: Dir = None,
        url: Annotated[str | None, typer.Option(
            "--url", help="With --dir: a database URL whose scheme gives the dialect.")] = None,
    ) -> None:
        if list_rules:
            _print_rules()
            return
        from dbtool.api import lint as run_lint

        config = config_of(ctx)
        reports = run_lint(targets, all=all_, changed_since=changed_since, dialect=dialect,
                           config=config, only_migrations=only_migrations, dir=folder, url=url)
        _emit(reports, fmt, show_suppressed, config)
        if any(report.failed for report in reports):
            raise typer.Exit(1)


def _emit(reports: list, fmt: LintFormat, show_suppressed: bool, config: Path | None) -> None:
    from dbtool.lint import output
    from dbtool.report.github import repository_root

    # GitHub and code scanning match paths against the repository root.
    remote = fmt in (LintFormat.sarif, LintFormat.github)
    base = repository_root(config=config) if remote else Path.cwd()
    if fmt is LintFormat.json:
        emit_json(output.render_json(reports, base))
    elif fmt is LintFormat.sarif:
        emit_json(output.render_sarif(reports, base))
    elif fmt is LintFormat.github:
        for text in output.render_github(reports, base):
            line(text)
    else:
        for text in output.render_text(reports, base, show_suppressed=show_suppressed):
            line(text)


def _print_rules() -> None:
    from dbtool.lint.framework import all_rules, dialect_names

    for code, rule in all_rules().items():
        flags = [rule.severity.value, ",".join(dialect_names(rule))]
        if rule.opt_in:
            flags.append("opt-in")
        if rule.engine:
            flags.append("D1 rejects")
        line(f"{code:6} {rule.name:34} {' · '.join(flags)}")
        line(f"       {rule.summary}")
