"""`dbtool guard`."""

from __future__ import annotations

from typing import Annotated

import typer

from dbtool.cli.options import All, Dir, LogFormat, LogOutputFormat, Services, annotate, spec
from dbtool.cli.render import emit_json, line

HELP = """Refuse edits to migration files that are already committed: a .sql file in a
service's migrations folder that exists at REV (default HEAD) must keep its
name and its content (by dbtool's checksum, so line endings and a BOM do not
count). wrangler, dbmate and Supabase never notice an edited applied file, and
apply a renamed one again. New files and down/ rollback files may change.
Used by the dbtool-guard pre-commit hook and in CI (--against the target branch).

\b
Examples:
  dbtool guard                               # working tree vs HEAD, every service
  dbtool guard --against origin/main --format github
  dbtool guard --dir db/migrations           # a folder outside dbtool.toml

Exit codes: 0 no committed migration changed · 1 edits found · 2 bad input (not a git repository, unknown revision).
"""


def register(app: typer.Typer) -> None:
    @app.command("guard", help=HELP)
    def guard_cmd(
        ctx: typer.Context,
        services: Services = None,
        all_: All = False,
        against: Annotated[str, typer.Option(
            "--against", metavar="REV", help="Files committed at this revision count as applied.")
        ] = "HEAD",
        folder: Dir = None,
        fmt: LogOutputFormat = LogFormat.text,
    ) -> None:
        from dbtool.core.guard import guard

        report = guard(spec(ctx, services, all_, None, None, folder), against)
        if fmt is LogFormat.json:
            emit_json(report.to_dict())
        else:
            for edit in report.edits:
                line(f"{edit.location}: {edit.service}: {edit.message} — {edit.hint}")
            for name in report.outside:
                line(f"{name}: skipped — its migrations folder is outside this git repository")
            verdict = "ok" if not report.edits else f"{len(report.edits)} committed migration(s) changed"
            line(f"guard: {report.checked} committed migration(s) compared with {against}: {verdict}")
        if fmt is LogFormat.github:
            from dbtool.report.github import Annotation

            annotate(ctx, [Annotation.at("error", f"migration-{e.kind}", f"{e.service}: {e.message}",
                                         e.location, e.hint) for e in report.edits])
        if report.edits:
            raise typer.Exit(1)
