"""`baseline`: mark every file up to NAME as applied — only with proof.

Flyway and Atlas take the user's word that a hand-built database matches the
migrations. dbtool builds a scratch database from the files up to NAME, reads
both through the inspectors and compares them with the drift differ: any
difference refuses the baseline (and is printed); `--force` records it anyway
and says so in the rows (`source = baseline-forced`) and the audit trail.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dbtool.core.history_ops import (
    HistoryAction,
    HistoryItem,
    HistoryPlan,
    HistoryResult,
    Opened,
    opened,
    up_to,
)
from dbtool.core.results.history import UncomparedCounts
from dbtool.core.targets import TargetSpec
from dbtool.migrations.audit import HistoryEntry, LogEntry, new_batch
from dbtool.migrations.files import MigrationFile

if TYPE_CHECKING:
    from dbtool.diff import Change
    from dbtool.model import Schema


def baseline(spec: TargetSpec, to: str, *, force: bool = False, dry_run: bool = False) -> HistoryResult:
    """Prove the live schema equals the files up to `to`, then record those files as applied.

    A real run proves and records under the run lock, so the schema it compares and
    the history it completes are the ones no other run can change before it writes."""
    with opened(spec) as run:
        if dry_run:
            return _plan(run, to, force=force, dry_run=True)[0].result()
        with run.engine.lock(run.lock_timeout):
            plan, todo, differences = _plan(run, to, force=force, dry_run=False)
            if todo and not plan.refused:
                _record(run, todo, to, differences)
                plan.written = True
    return plan.result()


def _plan(run: Opened, to: str, *, force: bool, dry_run: bool
          ) -> tuple[HistoryPlan, list[MigrationFile], int]:
    """The rows baseline would record, proven (or forced) against a scratch build."""
    result = run.plan("baseline", dry_run=dry_run)
    recorded = {a.name for a in run.engine.history()}
    todo = [f for f in up_to(run.files, to) if f.name not in recorded]
    if not todo:
        result.message = f"every file up to {to} is already recorded"
        return result, [], 0
    changes, result.not_compared = proof(run, to)
    result.changes = list(changes)
    if changes and not force:
        result.refused = (f"the database differs from a scratch build up to {to} in "
                          f"{len(changes)} place(s); nothing was recorded")
        return result, [], len(changes)
    result.forced = bool(changes)
    detail = "forced over differences" if changes else _verdict(result.not_compared)
    result.items = [HistoryItem(f.name, HistoryAction.RECORD, detail, None, f.checksum) for f in todo]
    return result, todo, len(changes)


def proof(run: Opened, to: str) -> tuple[list[Change], list[UncomparedCounts]]:
    """Differences between a scratch build up to `to` and the live database, and the
    kinds of objects the schema model does not hold (compared by count only: a count
    that differs is a difference, equal counts prove nothing and are reported).

    A foreign history table (dbmate's `schema_migrations`) in the live
    database is bookkeeping, not schema, and is left out of the comparison.
    """
    from dbtool import diff
    from dbtool.core.schema_ops import inspect_url
    from dbtool.core.scratch import built_scratch

    service = run.service
    with built_scratch(service, run.project, to=to) as (url, _run):
        expected = inspect_url(service, url)
    actual = run.engine.inspect(service.schemas)
    foreign = {"schema_migrations"} if any(r.source == "dbmate" for r in run.engine.foreign_history()) else set()
    changes = [c for c in diff.diff(expected, actual)
               if not (c.path and c.path[0].rsplit(".", 1)[-1] in foreign)]
    return changes + diff.diff_uncompared(expected, actual), not_compared(expected, actual)


def not_compared(scratch: Schema, live: Schema) -> list[UncomparedCounts]:
    """Per kind the model does not hold: how many objects each side has."""
    built = {n.kind: n.count for n in scratch.not_compared}
    found = {n.kind: n.count for n in live.not_compared}
    kinds = [n.kind for n in live.not_compared] + [k for k in built if k not in found]
    return [UncomparedCounts(k, found.get(k, 0), built.get(k, 0)) for k in kinds]


def _verdict(uncompared: list[UncomparedCounts]) -> str:
    if not uncompared:
        return "schema proven identical"
    kinds = ", ".join(f"{u.kind} ({u.database})" for u in uncompared)
    return f"identical in every compared kind; not compared: {kinds}"


def _record(run: Opened, todo: list[MigrationFile], to: str, differences: int) -> None:
    forced = differences > 0
    source = "baseline-forced" if forced else "baseline"
    note = (f"forced over {differences} difference(s) from a scratch build up to {to}" if forced
            else f"proof: live schema equals a scratch build up to {to}")
    batch = new_batch()
    entries = [HistoryEntry.for_file(f, source) for f in todo]
    log = [LogEntry("baseline", e.name, None, e.checksum, forced, note, batch) for e in entries]
    run.engine.record(entries, log)

