"""`dbtool adopt`, `baseline`, `mark`, `repair`, `rollback`: history management."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from dbtool.cli.options import Dir, Format, OutputFormat, PersistTo, TargetName, Url
from dbtool.cli.render import emit_json, line

if TYPE_CHECKING:  # imported when a command runs, so `dbtool --help` does not load the config code
    from dbtool.core.history_ops import Confirm
    from dbtool.core.results.history import HistoryResult
    from dbtool.core.targets import TargetSpec

Service = Annotated[str | None, typer.Argument(
    help="Service name from dbtool.toml (omit with --dir).", show_default=False)]
DryRun = Annotated[bool, typer.Option("--dry-run", help="Show what would change; write nothing.")]
Yes = Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")]
EXITS = "Exit codes: 0 ok · 1 refused, not confirmed or rows reported · 2 bad input · 3 unreachable."


ADOPT_HELP = f"""Adopt a database whose history another tool wrote, without re-running anything.

wrangler: record dbtool checksums for d1_migrations rows that have none (the
file must exist). supabase: copy supabase_migrations.schema_migrations rows,
matched to files by timestamp prefix. dbmate: copy schema_migrations rows,
matched by version prefix. A row without a file is reported, never invented.
Dry run by default; --apply writes every row in one transaction.

\b
Examples:
  dbtool adopt api --from wrangler
  dbtool adopt studio --target prod --from supabase --apply

{EXITS}
"""

BASELINE_HELP = f"""Mark every file up to NAME as applied without running it — only after
proving it: a scratch database is built from those files and compared with the
live one by the drift differ. Any difference refuses (and is printed); --force
records anyway and marks the rows and the audit trail as forced. Object kinds
the schema model does not hold (rules, domains, column privileges …) are
compared by count only and listed as not compared. Postgres services need
$DBTOOL_SCRATCH_URL for the scratch build.

\b
Examples:
  dbtool baseline scenes --url postgresql://localhost/scenes --to 0003_seed_genesis_scene.sql

{EXITS}
"""

MARK_HELP = f"""Fix one history row: --applied records NAME as applied (the file is not run),
--pending removes its row (nothing is undone). Asks for confirmation unless
--yes; without a terminal --yes is required. Leaves an audit-trail row.

\b
Examples:
  dbtool mark api 0009_add_goal_progress.sql --pending --yes
  dbtool mark --dir migrations --url sqlite:///app.db 0003_x.sql --applied

{EXITS}
"""

REPAIR_HELP = f"""Record the current checksum of applied files that were edited since (showing
each, with the line diff when the applied text is known), and of wrangler's
rows that have none. Nothing else changes. Asks for confirmation unless --yes.

\b
Examples:
  dbtool repair api --dry-run
  dbtool repair api --yes

{EXITS}
"""

ROLLBACK_HELP = f"""Roll back applied migrations newest first by running
migrations/<service>/down/<same name>.sql, each atomically with the removal of
its history row. Refuses up front, changing nothing, when a rollback file is
missing or fails lint. Default: the newest one (--steps 1).

\b
Examples:
  dbtool rollback api --steps 3 --dry-run
  dbtool rollback studio --target staging --to 20251201000000_create_generation_variants.sql

{EXITS}
"""


def _spec(ctx: typer.Context, service: str | None, target: str | None, url: str | None,
          folder: Path | None, persist_to: Path | None) -> TargetSpec:
    from dbtool.core.targets import TargetSpec

    return TargetSpec(services=(service,) if service else (), target=target, url=url, dir=folder,
                      config=ctx.obj.get("config") if ctx.obj else None, persist_to=persist_to)


def _finish(result: HistoryResult, fmt: Format) -> None:
    if fmt is Format.json:
        emit_json(result.to_dict())
    else:
        render(result)
    if result.exit_code:
        raise typer.Exit(result.exit_code)


def _confirmer(yes: bool, dry_run: bool, command: str) -> Confirm:
    """`--yes`, a terminal prompt, or a usage error when there is nobody to ask."""
    from dbtool.core.history_ops import always
    from dbtool.errors import UsageError

    if yes or dry_run:
        return always
    if not sys.stdin.isatty():
        raise UsageError(f"{command} changes the history and needs confirmation, but there is "
                         "no terminal to ask on", hint="pass --yes, or --dry-run to see the plan")

    def ask(result: HistoryResult) -> bool:
        render(result, plan=True)
        return typer.confirm("Write these changes?", default=False)
    return ask


def register(app: typer.Typer) -> None:
    @app.command("adopt", help=ADOPT_HELP)
    def adopt_cmd(ctx: typer.Context, service: Service = None,
                  source: Annotated[str | None, typer.Option(
                      "--from", help="The tool that wrote the history: wrangler, supabase or dbmate.",
                      show_default=False)] = None,
                  apply: Annotated[bool, typer.Option("--apply", help="Write the rows (default: dry run).")]
                  = False,
                  dry_run: DryRun = False, target: TargetName = None, url: Url = None,
                  folder: Dir = None, persist_to: PersistTo = None, fmt: OutputFormat = Format.text) -> None:
        from dbtool.core.adopt import adopt
        from dbtool.errors import UsageError

        if source is None:
            raise UsageError("adopt needs --from wrangler|supabase|dbmate",
                             hint="name the tool whose history the database holds")
        if apply and dry_run:
            raise UsageError("give --apply or --dry-run, not both", hint="adopt is a dry run by default")
        _finish(adopt(_spec(ctx, service, target, url, folder, persist_to), source, apply=apply), fmt)

    @app.command("baseline", help=BASELINE_HELP)
    def baseline_cmd(ctx: typer.Context,
                     to: Annotated[str, typer.Option("--to", help="The last file the database already has.",
                                                     show_default=False)],
                     service: Service = None,
                     force: Annotated[bool, typer.Option(
                         "--force", help="Record despite differences (marked as forced).")] = False,
                     dry_run: DryRun = False, target: TargetName = None, url: Url = None,
                     folder: Dir = None, persist_to: PersistTo = None,
                     fmt: OutputFormat = Format.text) -> None:
        from dbtool.core.baseline import baseline

        spec = _spec(ctx, service, target, url, folder, persist_to)
        _finish(baseline(spec, to, force=force, dry_run=dry_run), fmt)

    @app.command("mark", help=MARK_HELP)
    def mark_cmd(ctx: typer.Context,
                 args: Annotated[list[str], typer.Argument(help="SERVICE NAME, or just NAME with --dir.",
                                                           show_default=False)],
                 applied: Annotated[bool, typer.Option("--applied", help="Record NAME as applied.")] = False,
                 pending: Annotated[bool, typer.Option("--pending", help="Remove NAME's row.")] = False,
                 yes: Yes = False, dry_run: DryRun = False, target: TargetName = None, url: Url = None,
                 folder: Dir = None, persist_to: PersistTo = None, fmt: OutputFormat = Format.text) -> None:
        from dbtool.core.repair import mark
        from dbtool.errors import UsageError

        if applied == pending:
            raise UsageError("give exactly one of --applied or --pending", hint="see 'dbtool mark --help'")
        wanted = 1 if folder is not None else 2
        if len(args) != wanted:
            raise UsageError("expected NAME with --dir" if folder else "expected SERVICE NAME",
                             hint="dbtool mark SERVICE NAME --applied|--pending")
        service, name = (None, args[0]) if folder is not None else (args[0], args[1])
        confirm = _confirmer(yes, dry_run, "mark")
        spec = _spec(ctx, service, target, url, folder, persist_to)
        _finish(mark(spec, name, applied=applied, dry_run=dry_run, confirm=confirm), fmt)

    @app.command("repair", help=REPAIR_HELP)
    def repair_cmd(ctx: typer.Context, service: Service = None, yes: Yes = False, dry_run: DryRun = False,
                   target: TargetName = None, url: Url = None, folder: Dir = None,
                   persist_to: PersistTo = None, fmt: OutputFormat = Format.text) -> None:
        from dbtool.core.repair import repair

        confirm = _confirmer(yes, dry_run, "repair")
        spec = _spec(ctx, service, target, url, folder, persist_to)
        _finish(repair(spec, dry_run=dry_run, confirm=confirm), fmt)

    @app.command("rollback", help=ROLLBACK_HELP)
    def rollback_cmd(ctx: typer.Context, service: Service = None,
                     to: Annotated[str | None, typer.Option(
                         "--to", help="Roll back everything applied after NAME (NAME stays).")] = None,
                     steps: Annotated[int | None, typer.Option("--steps", help="Roll back the newest N.")]
                     = None,
                     dry_run: DryRun = False, target: TargetName = None, url: Url = None,
                     folder: Dir = None, persist_to: PersistTo = None, fmt: OutputFormat = Format.text) -> None:
        from dbtool.core.rollback import RollbackOptions, rollback

        spec = _spec(ctx, service, target, url, folder, persist_to)
        _finish(rollback(spec, RollbackOptions(to=to, steps=steps, dry_run=dry_run)), fmt)


# -- text rendering ----------------------------------------------------------------------
_VERBS = {  # action -> (planned, done)
    "record": ("would record", "recorded"),
    "checksum": ("would record the checksum of", "recorded the checksum of"),
    "unrecord": ("would remove the row of", "removed the row of"),
    "rollback": ("would roll back", "rolled back"),
    "skip": ("skip", "skipped"),
}


def render(result: HistoryResult, *, plan: bool = False) -> None:
    """A history command's result for people: the plan or what was written, then problems."""
    where = f" ({result.label}: {result.target})" if result.target else ""
    state = "dry run, nothing written" if result.dry_run else ("written" if result.written else "")
    line(f"{result.command} {result.service}{where}" + (f" — {state}" if state and not plan else ""))
    if result.message:
        line(f"  {result.message}")
    done = result.written and not plan
    if result.refused and result.command in ("mark", "repair"):  # the prompt showed the plan
        line(f"refused: {result.refused}")
        return
    for item in result.items:
        verb = _VERBS[item.action][1 if done else 0]
        line(f"  {verb} {item.name}" + (f"  ({item.detail})" if item.detail else ""))
        for diff_line in item.diff:
            line(f"    {diff_line}")
    for change in result.changes:
        line(f"  {change.kind.value:8} {change.describe()}")
    if result.not_compared:
        counts = "; ".join(f"{u.kind}: {u.database} in the database, {u.scratch} in the "
                           "scratch build" for u in result.not_compared)
        line(f"  not compared (the schema model does not hold them): {counts}")
    for text in result.warnings:
        line(f"  warning: {text}")
    for text in result.problems:
        line(f"  not adopted: {text}")
    if result.refused and not plan:
        line(f"refused: {result.refused}")
    if result.forced and not plan:
        line("forced: recorded despite the differences above (rows and audit trail say so)")
