"""`adopt`: take over a database whose history another tool wrote, without re-running anything.

* wrangler: the history table is shared, so adopting means recording dbtool's
  checksum for each row that has none — the row's file must exist.
* Supabase: `supabase_migrations.schema_migrations` rows become dbtool rows,
  matched to files by the timestamp prefix (and name). When Supabase kept the
  statements it ran and they differ from the file, the row records what ran,
  so the file shows as *modified* and `dbtool repair` shows the line diff.
* dbmate: `schema_migrations(version)` rows, matched by version prefix.

Dry run by default; `--apply` writes every row in one transaction. A foreign
row without a file is reported, never invented.
"""

from __future__ import annotations

from dbtool.core.history_ops import (
    HistoryAction,
    HistoryItem,
    HistoryPlan,
    HistoryResult,
    Opened,
    opened,
)
from dbtool.core.targets import TargetSpec
from dbtool.errors import UsageError
from dbtool.migrations.audit import HistoryEntry, LogEntry, limited, new_batch
from dbtool.migrations.files import MigrationFile
from dbtool.migrations.foreign import (
    SOURCES,
    ForeignMatch,
    ForeignRow,
    match,
    recorded_checksum,
    recorded_text,
    statements_match,
    wrangler_rows,
)
from dbtool.migrations.naming import Version

_WHERE = {
    "wrangler": "the d1_migrations table (rows without a dbtool checksum)",
    "supabase": "supabase_migrations.schema_migrations",
    "dbmate": "schema_migrations",
}


def adopt(spec: TargetSpec, source: str, *, apply: bool = False) -> HistoryResult:
    """Plan (and with `apply`, write) dbtool history rows for another tool's history."""
    if source not in SOURCES:
        raise UsageError(f"--from must be one of {', '.join(SOURCES)}, got {source!r}",
                         hint="wrangler (D1), supabase or dbmate")
    with opened(spec) as run:
        plan, entries = _planned(run, source, dry_run=not apply)
        if not entries or not apply:
            return plan.result()
        with run.engine.lock(run.lock_timeout):  # decide again from the history as it is now
            plan, entries = _planned(run, source, dry_run=False)
            if entries:
                batch = new_batch()
                log = [LogEntry("adopt", e.name, None, e.checksum, note=f"adopted from {source}",
                                batch=batch) for e in entries]
                run.engine.record(entries, log)
                plan.written = True
    return plan.result()


def _planned(run: Opened, source: str, *, dry_run: bool) -> tuple[HistoryPlan, list[HistoryEntry]]:
    result = run.plan("adopt", dry_run=dry_run)
    entries = _plan(run, source, result)
    if not entries:
        result.message = result.message or f"nothing to adopt from {source}"
    return result, entries


def _plan(run: Opened, source: str, result: HistoryPlan) -> list[HistoryEntry]:
    history = run.engine.history()
    if source == "wrangler":
        if not run.engine.capabilities.wrangler_history:
            raise UsageError("wrangler's history lives in SQLite/D1 databases, not Postgres",
                             hint="use --from supabase or --from dbmate")
        rows = wrangler_rows(history)
        if not rows:
            result.message = ("every row already has a dbtool checksum" if history
                              else f"no wrangler history on {result.target}")
            return []
    else:
        rows = [r for r in run.engine.foreign_history() if r.source == source]
        if not rows:
            raise UsageError(f"found no {source} history on {result.target}",
                             hint=f"{source} keeps it in {_WHERE[source]}; check --url/--target")
    recorded = {a.name for a in history if a.checksum is not None}
    entries = [e for m in match(rows, run.files) if (e := _entry(m, recorded, result))]
    return sorted(entries, key=lambda e: _version_of(run.files, e.name))


def _entry(found: ForeignMatch, recorded: set[str], result: HistoryPlan) -> HistoryEntry | None:
    """The row to write for one foreign row, noting why when there is none."""
    row, file = found.row, found.file
    if file is None:
        result.problems.append(f"{row.display}: {found.problem}; left as it is ({row.source} "
                               "history is never turned into rows without a file)")
        return None
    if file.name in recorded:
        result.items.append(HistoryItem(file.name, HistoryAction.SKIP, "already in dbtool's history"))
        return None
    if row.source == "dbmate" and b"-- migrate:down" in file.raw:
        result.warnings.append(f"{file.name} still holds dbmate's `-- migrate:down` section: move "
                               f"it to down/{file.name} before dbtool runs or lints the file")
    entry, detail = _supabase_entry(row, file) if row.source == "supabase" else (
        HistoryEntry.for_file(file, row.source), _detail(row.source, row.applied_at))
    if entry.checksum != file.checksum:
        result.warnings.append(f"{file.name}: the statements Supabase ran differ from the file; "
                               "it will show as modified (see `dbtool repair`)")
    result.items.append(HistoryItem(file.name, HistoryAction.RECORD, detail, None, entry.checksum))
    return entry


def _supabase_entry(row: ForeignRow, file: MigrationFile) -> tuple[HistoryEntry, str]:
    same = statements_match(row, file)
    if same is False:  # record what ran, so the edit stays visible
        text = recorded_text(row)
        return (HistoryEntry(file.name, file.version_text, recorded_checksum(row), limited(text),
                             "supabase"), f"version {row.version}: recorded statements differ")
    detail = "statements match the file" if same else "no statements recorded; file checksum taken"
    return HistoryEntry.for_file(file, "supabase"), f"version {row.version}: {detail}"


def _detail(source: str, applied_at: str | None) -> str:
    when = f" at {applied_at}" if applied_at else ""
    if source == "wrangler":
        return f"applied by wrangler{when}; checksum of the file as it is now"
    return f"applied by {source}; matched by version prefix"


def _version_of(files: list[MigrationFile], name: str) -> Version:
    return next(f.version for f in files if f.name == name)
