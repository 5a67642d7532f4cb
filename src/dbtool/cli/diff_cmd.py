"""`dbtool diff`."""

from __future__ import annotations

from typing import Annotated

import typer

from dbtool.cli.options import Dir, Format, OutputFormat, SnapshotOption, TargetName, Url, config_of
from dbtool.cli.render import emit_json, line

HELP = """Write the next migration from the declared schema. Edit
schemas/<service>.yaml, then `dbtool diff SERVICE NAME` compares it with a
scratch database built from the migrations, plans the change, writes the
next file(s) in the service's naming scheme, and proves them first: the new
SQL is applied to the scratch database, the result must equal the snapshot
and the files must pass `dbtool lint`, or nothing is written.

SQLite/D1: ALTER TABLE where SQLite can, else a table rebuild that also
rebuilds every table that would cascade from it, so no row is deleted.
Postgres: lock-safe by default (SET lock_timeout, CREATE INDEX CONCURRENTLY
in a second file marked -- dbtool:no-transaction, NOT VALID then VALIDATE).
Drops and narrowing type changes need --allow-drop; a drop plus an add that
looks like a rename needs --rename (never guessed).

Every object kind the schema model holds is planned: tables, views (in
dependency order, recreated around a rebuild or a column type change),
functions (CREATE OR REPLACE, or dropped and recreated with the triggers,
views and policies that use them when the signature changes), triggers,
enums (ADD VALUE; recreated when a value is removed or reordered, removal
needs --allow-drop), sequences, row-level security, policies, publication
membership, comments and grants. Kinds the model does not hold are reported
as not compared, never as equal.

Other desired states (--to): `--to live` takes the service's live database
(--target T or --url U, else its default target) as it is now: the file
captures what was changed there by hand (dbtool's own tables and the
prelude's objects excluded); with --mark-applied it is then recorded as
applied there, only if the migrations plus the new file build exactly the
live schema. `--to sql:DIR` builds a folder of SQL files (file-name order,
prelude first; Supabase's supabase/schemas/ works as it is) on a scratch
database. A service with `declared = "DIR"` in dbtool.toml uses its folder.

With --from URL --to URL, compares two databases and prints the SQL that
turns the first into the second (writes nothing). Ad hoc (no dbtool.toml):
--dir DIR --dialect D --snapshot PATH NAME writes the next file into DIR.

\b
Examples:
  dbtool diff api "add user plan" --dry-run
  dbtool diff api "add user plan" --fill users.plan="'free'"
  dbtool diff api "rename name" --rename users.name=full_name
  dbtool diff scenes "drop legacy table" --allow-drop --format json
  dbtool diff studio "dashboard changes" --to live --target prod --mark-applied
  dbtool diff studio "from schemas" --to sql:supabase/schemas --dry-run
  dbtool diff --from postgresql://localhost/prod --to postgresql://localhost/dev
  dbtool diff --dir migrations --dialect sqlite --snapshot app.yaml "add plan"

Exit codes: 0 written, printed or nothing to do · 1 refused (the reasons are
printed) · 2 bad input/config · 3 unreachable.
"""

Renames = Annotated[list[str] | None, typer.Option(
    "--rename", help="OLD=NEW (a table) or TABLE.OLD=NEW (a column); repeatable.", show_default=False)]
Fills = Annotated[list[str] | None, typer.Option(
    "--fill", help="TABLE.COLUMN=SQL: the value existing rows get in a new NOT NULL column "
    "(or where a column becoming NOT NULL is NULL); repeatable.", show_default=False)]


def register(app: typer.Typer) -> None:
    @app.command("diff", help=HELP)
    def diff_cmd(
        ctx: typer.Context,
        args: Annotated[list[str] | None, typer.Argument(
            help="SERVICE NAME (omit with --from/--to).", show_default=False)] = None,
        dry_run: Annotated[bool, typer.Option("--dry-run", help="Print the file(s); write nothing.")] = False,
        allow_drop: Annotated[bool, typer.Option(
            "--allow-drop", help="Allow dropping tables and columns and narrowing types.")] = False,
        renames: Renames = None,
        fills: Fills = None,
        no_lock_safe: Annotated[bool, typer.Option(
            "--no-lock-safe", help="Postgres: plain forms in one file (no CONCURRENTLY, no NOT VALID).")] = False,
        source: Annotated[str | None, typer.Option("--from", help="Database URL of the current state.")] = None,
        target: Annotated[str | None, typer.Option(
            "--to", help="With --from: the database URL of the desired state. With SERVICE NAME: "
            "`live` (the service's database) or `sql:DIR` (a folder of SQL files).")] = None,
        live_target: TargetName = None,
        live_url: Url = None,
        mark_applied: Annotated[bool, typer.Option(
            "--mark-applied", help="With --to live: record the new file as applied on that "
            "database (after proving migrations + file == live).")] = False,
        dialect: Annotated[str | None, typer.Option(
            "--dialect", help="With --from/--to (default: from the URL) or --dir: sqlite, d1 or postgres.")] = None,
        folder: Dir = None,
        snapshot: SnapshotOption = None,
        fmt: OutputFormat = Format.text,
    ) -> None:
        from dbtool.api import diff as run_diff
        from dbtool.errors import UsageError

        parts = [None, *(args or ())] if folder is not None else list(args or ())
        if len(parts) > 2:  # the API takes SERVICE NAME (NAME with --dir); it checks the rest
            raise UsageError("expected NAME with --dir" if folder else "expected SERVICE NAME",
                             hint='e.g. dbtool diff api "add user plan"')
        service, name = (*parts, None, None)[:2]
        pair = bool(source) or (bool(target) and not args)  # --from URL --to URL
        result = run_diff(service, name, config=config_of(ctx), dir=folder, dialect=dialect,
                          snapshot=snapshot, dry_run=dry_run, allow_drop=allow_drop,
                          rename=renames or (), fill=fills or (), lock_safe=not no_lock_safe,
                          from_url=source, to_url=target if pair else None,
                          to=None if pair else target, target=live_target, url=live_url,
                          mark_applied=mark_applied)
        _render(result, fmt)
        if result.refused:
            raise typer.Exit(1)


def _render(result, fmt: Format) -> None:
    if fmt is Format.json:
        emit_json(result.to_dict())
        return
    if result.status == "printed":
        for generated in result.files:
            line(f"-- {generated.name}")
            if not generated.transactional:
                line("-- dbtool:no-transaction")
            for sql in generated.statements:
                line(sql + ";")
            line()
        _notices(result)
        return
    where = f"{result.service}" if result.service else "the two databases"
    if result.status == "nothing":
        _notices(result)
        line(f"{where}: nothing to do — the migrations already build {result.source}")
        return
    if result.status == "refused":
        _refused(result, where)
        return
    for generated in result.files:
        if result.status == "dry-run":
            line(f"-- {generated.path} (dry run: not written)")
            line(generated.text)
        else:
            line(f"wrote {generated.path}")
    for name in result.marked_applied:
        line(f"recorded {name} as applied on {result.target} (it captures changes made there)")
    _notices(result)
    if result.status == "written" and not result.marked_applied:
        line(f"review the file(s), then `dbtool migrate {result.service}` and `dbtool check`")


def _notices(result) -> None:
    for notice in result.notices:
        line(f"note: {notice}")
    if result.not_compared:
        counted = ", ".join(f"{n.count} {n.kind}" for n in result.not_compared)
        line(f"note: not compared (the schema model does not hold them): {counted}")


def _refused(result, where: str) -> None:
    line(f"dbtool diff: refused for {where}; nothing was written")
    for refusal in result.refusals:
        line(f"  {refusal.code}: {refusal.describe()}")
    for change in result.residue[:20]:
        line(f"  residue: {change.describe()}")
    for diagnostic in result.lint[:20]:
        line(f"  lint {diagnostic.code} {diagnostic.location}: {diagnostic.message}")
    _notices(result)
