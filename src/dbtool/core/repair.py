"""`mark` and `repair`: fix history rows by hand, never silently.

`mark` adds or removes one history row (like `supabase migration repair`),
`repair` records the current checksum of files edited after they were applied
(and of wrangler's rows, which never had one). Both show what they will change
first — `repair` with the line diff when the applied text was recorded — ask
for confirmation (the CLI's `--yes`), and leave an audit-trail row per change.
"""

from __future__ import annotations

from dbtool.core.history_ops import (
    Confirm,
    HistoryAction,
    HistoryItem,
    HistoryPlan,
    HistoryResult,
    Opened,
    always,
    confirmed,
    find_file,
    line_diff,
    opened,
    text_of,
)
from dbtool.core.targets import TargetSpec
from dbtool.errors import UsageError
from dbtool.migrations.audit import HistoryEntry, LogEntry, new_batch
from dbtool.migrations.history import MigrationState, State, compute_states


def mark(spec: TargetSpec, name: str, *, applied: bool, dry_run: bool = False,
         confirm: Confirm = always) -> HistoryResult:
    """Record `name` as applied (without running it) or remove its row (pending again)."""
    with opened(spec) as run:
        result = run.plan("mark", dry_run=dry_run)
        item = _plan_mark(run, name, applied, result)
        if item is None or dry_run:
            return result.result()
        if not confirm(result.result()):
            result.refused = "not confirmed; nothing changed"
            return result.result()
        with run.engine.lock(run.lock_timeout):
            fresh = run.plan("mark")
            _plan_mark(run, name, applied, fresh)
            result = confirmed(result, fresh)
            if not result.writes:
                return result.result()
            log = LogEntry("mark", name, item.old_checksum, item.new_checksum,
                           note="marked applied" if applied else "marked pending")
            if applied:
                run.engine.record([HistoryEntry.for_file(find_file(run.files, name), "mark")], [log])
            else:
                run.engine.unrecord(name, log)
        result.written = True
    return result.result()


def _plan_mark(run: Opened, name: str, applied: bool, result: HistoryPlan) -> HistoryItem | None:
    """The one change `mark` makes, or None (with a message) when there is nothing to do."""
    rows = {a.name: a for a in run.engine.history()}
    if applied:
        file = find_file(run.files, name)
        if name in rows:
            result.message = f"{name} is already recorded as applied"
            return None
        item = HistoryItem(name, HistoryAction.RECORD, "marked applied; the file is not run", None,
                           file.checksum)
    elif name not in rows:
        if not any(f.name == name for f in run.files):
            raise UsageError(f"{name!r} is neither a migration file nor a history row",
                             hint="give a name as `dbtool status` lists it")
        result.message = f"{name} is already pending"
        return None
    else:
        item = HistoryItem(name, HistoryAction.UNRECORD, "marked pending; nothing is undone",
                           rows[name].checksum, None)
    result.items = [item]
    return item


def _repairable(states: list[MigrationState]) -> list[tuple[MigrationState, str]]:
    """Modified files, and wrangler's rows whose file exists (no checksum yet)."""
    found = []
    for state in states:
        if state.state is State.MODIFIED:
            found.append((state, "edited after it was applied"))
        elif (state.state is State.APPLIED and state.file is not None and state.applied is not None
              and state.applied.checksum is None and state.applied.source == "wrangler"):
            found.append((state, "applied by wrangler; no checksum recorded yet"))
    return found


def repair(spec: TargetSpec, *, dry_run: bool = False, confirm: Confirm = always) -> HistoryResult:
    """Record the current checksum of every edited (or unverified) applied file."""
    with opened(spec) as run:
        result, found = _plan_repair(run, dry_run)
        if not found or dry_run:
            return result.result()
        if not confirm(result.result()):
            result.refused = "not confirmed; nothing changed"
            return result.result()
        with run.engine.lock(run.lock_timeout):
            fresh, found = _plan_repair(run, dry_run)
            result = confirmed(result, fresh)
            if result.writes:
                _write_checksums(run, found, result)
    return result.result()


def _plan_repair(run: Opened, dry_run: bool) -> tuple[HistoryPlan, list[MigrationState]]:
    """What repair would record, from the history as it is now."""
    result = run.plan("repair", dry_run=dry_run)
    states = compute_states(run.files, run.engine.history())
    found = _repairable(states)
    if not found:
        result.message = "every applied file matches its recorded checksum"
        return result, []
    bodies = run.engine.history_bodies([s.name for s, _ in found if s.state is State.MODIFIED])
    for state, detail in found:
        assert state.file is not None and state.applied is not None
        text = text_of(state.file)
        diff = line_diff(bodies.get(state.name), text, state.name)
        if state.state is State.MODIFIED and not diff:
            detail += " (the applied text was not recorded: no line diff)"
        result.items.append(HistoryItem(state.name, HistoryAction.CHECKSUM, detail,
                                        state.applied.checksum, state.file.checksum, tuple(diff)))
    return result, [s for s, _ in found]


def _write_checksums(run: Opened, states: list[MigrationState], result: HistoryPlan) -> None:
    """Every new checksum and its audit row in one transaction (the caller holds the lock)."""
    batch = new_batch()
    entries = [HistoryEntry.for_file(s.file, "wrangler") for s in states if s.file]
    log = [LogEntry("repair", i.name, i.old_checksum, i.new_checksum, note=i.detail, batch=batch)
           for i in result.items]
    run.engine.set_checksums(entries, log)
    result.written = True
