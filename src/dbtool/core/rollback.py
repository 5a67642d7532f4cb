"""`rollback`: run `down/<name>.sql` files newest first, each with its history row.

Everything that could stop the run is checked before the first change: the
rows to undo are chosen, every rollback file is read and split, and the lint
rules run over them with the applied files replayed for context. A missing
file or a lint error refuses the whole rollback and the database stays as it
was. Then each file runs atomically with the removal of its history row (on
remote D1 in one request), so a failure leaves a whole prefix undone.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from dbtool.core.foreign_history import refuse_unadopted_rows
from dbtool.core.history_ops import (
    HistoryAction,
    HistoryItem,
    HistoryPlan,
    HistoryResult,
    Opened,
    opened,
)
from dbtool.core.targets import TargetSpec
from dbtool.errors import (
    MigrationFailed,
    MigrationFileError,
    RuleViolation,
    SourceLocation,
    UsageError,
)
from dbtool.migrations.audit import LogEntry, new_batch
from dbtool.migrations.files import LoadedMigration, MigrationFile, checksum, load
from dbtool.migrations.foreign import ForeignRow, match
from dbtool.migrations.history import AppliedMigration
from dbtool.migrations.naming import Version

DOWN = "down"
# Undoing a migration destroys what it created; these rules would flag every
# rollback file, so they are shown as warnings instead of refusing it.
_EXPECTED_LOSS = ("DL101", "DL102", "DL103", "DL106")


@dataclass(frozen=True)
class RollbackOptions:
    to: str | None = None  # undo everything applied after this file (it stays applied)
    steps: int | None = None  # undo the newest N applied files (default 1)
    dry_run: bool = False


def rollback(spec: TargetSpec, opts: RollbackOptions) -> HistoryResult:
    """Undo the chosen applied migrations, newest first, refusing up front on any problem.

    The rows to undo are chosen from a first read (what a dry run shows, and what
    refuses a missing or lint-failing rollback file without waiting for the lock),
    and chosen again under the run lock when the history changed meanwhile: the
    newest rows are the newest ones at the moment of writing, never a stale pick
    that would leave a gap (0001, 0002, 0004 applied, 0003 undone)."""
    with opened(spec) as run:
        history = run.engine.history()
        result, plan = _plan(run, history, opts)
        if opts.dry_run or not plan:
            return result.result()
        with run.engine.lock(run.lock_timeout):
            fresh = run.engine.history()
            if fresh != history:
                result, plan = _plan(run, fresh, opts)
            if plan:
                refuse_unadopted_rows(run.engine, run.files, fresh, run.service.name)
                _run_all(run, plan, result)
    return result.result()


def _plan(run: Opened, history: list[AppliedMigration], opts: RollbackOptions
          ) -> tuple[HistoryPlan, list[tuple[AppliedMigration, LoadedMigration]]]:
    """The rows to undo and their loaded, linted rollback files."""
    result = run.plan("rollback", dry_run=opts.dry_run)
    chosen = choose(history, opts)
    if not chosen:
        result.message = f"nothing applied after {opts.to}" if opts.to else "nothing is applied"
        return result, []
    downs = load_downs(run, chosen)
    result.warnings = lint_downs(run, history, downs)
    result.items = [HistoryItem(row.name, HistoryAction.ROLLBACK, f"{DOWN}/{row.name}: "
                                f"{len(down.statements)} statement(s)", row.checksum, None)
                    for row, down in zip(chosen, downs, strict=True)]
    return result, list(zip(chosen, downs, strict=True))


def choose(history: list[AppliedMigration], opts: RollbackOptions) -> list[AppliedMigration]:
    """The rows to undo, newest (last applied) first."""
    if opts.to is not None and opts.steps is not None:
        raise UsageError("give --to or --steps, not both", hint="--to NAME keeps NAME applied")
    names = [row.name for row in history]
    if opts.to is not None:
        if opts.to not in names:
            raise UsageError(f"--to {opts.to!r} is not an applied migration",
                             hint="give a name `dbtool status` lists as applied")
        return list(reversed(history[names.index(opts.to) + 1:]))
    steps = 1 if opts.steps is None else opts.steps
    if steps < 1:
        raise UsageError("--steps must be at least 1", hint="or use --to NAME")
    if not history:
        return []  # nothing to do (exit 0): whether a race left rows is not a usage error
    if steps > len(history):
        raise UsageError(f"--steps {steps}: only {len(history)} migration(s) are applied",
                         hint=f"use --steps {len(history)} to undo them all")
    return list(reversed(history[len(history) - steps:]))


def load_downs(run: Opened, chosen: list[AppliedMigration]) -> list[LoadedMigration]:
    """Read and split every rollback file; refuse (naming all of them) if any is missing."""
    folder = run.service.migrations / DOWN
    missing = [row.name for row in chosen if not (folder / row.name).is_file()]
    if missing:
        listed = ", ".join(f"{DOWN}/{name}" for name in missing)
        raise MigrationFileError(
            f"no rollback file for {len(missing)} migration(s): {listed}",
            location=SourceLocation(folder),
            hint="write them (`dbtool new --with-down` creates the pair) or roll back fewer "
                 "steps; nothing was changed",
        )
    return [load(_down_file(folder / row.name), run.engine.capabilities.splitter) for row in chosen]


def _down_file(path: Path) -> MigrationFile:
    raw = path.read_bytes()
    return MigrationFile(path.name, path, Version(0, path.name), checksum(raw), raw)


def lint_downs(run: Opened, history: list[AppliedMigration], downs: list[LoadedMigration]) -> list[str]:
    """Lint the rollback files after the applied files (for context); errors refuse.

    Returns the warnings, which the plan shows.
    """
    from dbtool.lint.config import LintConfig
    from dbtool.lint.engine import lint_files
    from dbtool.lint.framework import Severity
    from dbtool.lint.refusals import check_files

    check_files(run.engine.capabilities, downs)  # D1's own rules, never silenced
    by_name = {f.name: f for f in run.files}
    context = [by_name[row.name] for row in history if row.name in by_name]
    down_files = [replace(d.file, name=f"{DOWN}/{d.file.name}") for d in downs]
    config = LintConfig.for_service(run.service)
    softened = {code: Severity.WARNING for code in _EXPECTED_LOSS
                if code not in config.severity or config.severity[code] is not None}
    config = replace(config, severity={**config.severity, **softened})
    report = lint_files(context + down_files, run.service.dialect, config,
                        selected={f.name for f in down_files}, name=f"{run.service.name} rollback")
    if report.errors:
        first = report.errors[0]
        more = f" (and {len(report.errors) - 1} more)" if len(report.errors) > 1 else ""
        raise RuleViolation(f"rollback file: {first.message} [{first.code}]{more}",
                            location=first.location,
                            hint=f"{first.help}; nothing was rolled back (see `dbtool lint`)")
    return [f"{d.location}: {d.message} [{d.code}]" for d in report.warnings]


def _run_all(run: Opened, plan: list[tuple[AppliedMigration, LoadedMigration]],
             result: HistoryPlan) -> None:
    """Run the rollback files in order (the caller holds the run lock)."""
    batch = new_batch()
    foreign = _foreign_rows(run)
    for index, ((row, down), item) in enumerate(zip(plan, result.items, strict=True)):
        log = LogEntry("rollback", row.name, row.checksum, None,
                       note=f"ran {DOWN}/{row.name}", batch=batch)
        try:
            outcome = run.engine.rollback(down, row.name, log, foreign.get(row.name, []))
        except MigrationFailed as exc:
            raise _failed(exc, sum(1 for i in result.items if i.detail.endswith(" ms"))) from None
        if not outcome.applied:
            result.items[index] = replace(item, action=HistoryAction.SKIP,
                                          detail="already rolled back by another run")
        else:
            result.items[index] = replace(item, detail=f"{item.detail}, {outcome.duration_ms:.1f} ms")
        result.written = True


def _foreign_rows(run: Opened) -> dict[str, list[ForeignRow]]:
    """Supabase/dbmate rows by the file they stand for (read under the run lock): a rollback
    deletes them with the file's own row, or they would still say the file is applied, and
    `adopt` would record it again without its effects."""
    found: dict[str, list[ForeignRow]] = {}
    for item in match([r for r in run.engine.foreign_history() if r.source != "wrangler"], run.files):
        if item.file is not None:
            found.setdefault(item.file.name, []).append(item.row)
    return found


def _failed(exc: MigrationFailed, done: int) -> MigrationFailed:
    """The engine's error, with a hint that speaks of rolling back, not applying."""
    statement = (exc.hint or "").split(";")[0]
    exc.message = f"rollback {exc.message}"
    if exc.rolled_back:
        state = "this rollback file and its history row are unchanged"
    else:  # the engine could not undo what ran: say so, never "unchanged"
        state = ("what this rollback file ran before it failed stays, and its history row is "
                 "unchanged (check `dbtool status` and `dbtool audit`)")
    exc.hint = f"{statement}; {state}, {done} newer migration(s) were already rolled back"
    return exc
