"""`migrate`: plan pending files, validate them all, then apply each atomically.

Order of work is chosen so that bad input changes nothing: files are read,
decoded, split and checked against the engine's rules (and the silent
data-loss rules) before the first write. Every decision that depends on the
history is taken under the run lock the writes hold: the plan made from a
first read (what a dry run shows, and what refuses bad input without waiting
for the lock) is made again under the lock when the history changed
meanwhile, and only that plan runs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from dbtool.core.foreign_history import refuse_unadopted
from dbtool.core.results.run import (
    AppliedFile,
    PlannedFile,
    Progress,
    ProgressKind,
    RunStatus,
    ServiceRun,
)
from dbtool.core.targets import ResolvedTarget, TargetSpec, Use, resolve_targets
from dbtool.engines import open_engine
from dbtool.engines.base import Capabilities, Engine
from dbtool.errors import DbtoolError, HistoryConflict, MigrationFileError, UsageError
from dbtool.migrations.files import LoadedMigration, MigrationFile, discover, load, parked_names
from dbtool.migrations.history import AppliedMigration, MigrationState, State, compute_states


@dataclass(frozen=True)
class MigrateOptions:
    to: str | None = None
    dry_run: bool = False
    allow_out_of_order: bool = False
    allow_modified: bool = False
    allow_missing: bool = False  # proceed although applied files were deleted or renamed
    lock_timeout: float | None = None  # None: the project's lock_timeout (default 30 s)
    prelude: bool = False  # force the service prelude (local/scratch builds)
    include_sql: bool = False  # put each planned statement in the plan (dry run --sql)
    allow_data_loss: bool = False  # apply files that silently destroy rows (DL102), with a warning


Listener = Callable[[Progress], None]


def _pending(states: list[MigrationState], opts: MigrateOptions) -> list[MigrationFile]:
    """Files to run, after refusing modified history and out-of-order files."""
    modified = [s.name for s in states if s.state is State.MODIFIED]
    if modified and not opts.allow_modified:
        raise HistoryConflict(
            f"applied migration(s) changed since they ran: {', '.join(modified)}",
            hint="restore the files, or record the new checksums with `dbtool repair` "
                 "(or pass --allow-modified)",
        )
    if not opts.allow_missing:
        _refuse_missing(states)
    late = [s.name for s in states if s.state is State.OUT_OF_ORDER]
    if late and not opts.allow_out_of_order:
        raise HistoryConflict(
            f"pending migration(s) older than the newest applied one: {', '.join(late)}",
            hint="rename them after the newest applied file, or pass --allow-out-of-order",
        )
    todo = [s.file for s in states if s.state in (State.PENDING, State.OUT_OF_ORDER) and s.file]
    if opts.to is None:
        return todo
    limit = next((s.file.version for s in states if s.name == opts.to and s.file), None)
    if limit is None:
        raise UsageError(f"--to {opts.to!r} names no migration file of this service",
                         hint="give a file name as `dbtool status` lists it")
    return [f for f in todo if f.version <= limit]


def _refuse_missing(states: list[MigrationState]) -> None:
    """An applied file that was deleted or renamed: the name is a migration's identity,
    so a renamed file would run a second time under its new name."""
    missing = [s for s in states if s.state is State.MISSING]
    if not missing:
        return
    waiting = {s.file.checksum: s.name for s in states
               if s.state in (State.PENDING, State.OUT_OF_ORDER) and s.file}
    renamed = [(s.name, waiting[s.applied.checksum]) for s in missing
               if s.applied and s.applied.checksum in waiting]
    if renamed:
        old, new = renamed[0]
        what = f"applied migration {old} was renamed to {new} (same content), which would run it again"
    else:
        what = f"applied migration(s) have no file any more: {', '.join(s.name for s in missing)}"
    raise HistoryConflict(
        what, hint="restore the file under its applied name (the name is a migration's identity), "
                   "or fix the history with `dbtool mark`; --allow-missing proceeds anyway")


def _load_all(files: list[MigrationFile], splitter: str,
              cache: dict[str, LoadedMigration] | None = None) -> list[LoadedMigration]:
    cache = {} if cache is None else cache
    loaded = []
    for file in files:
        item = cache.get(file.name) or load(file, splitter)
        cache[file.name] = item
        if not item.statements:
            raise MigrationFileError(
                f"{item.file.name} contains no SQL statements",
                location=_loc(item.file),
                hint="add the migration's SQL, or delete the file if it is not needed",
            )
        loaded.append(item)
    return loaded


def _loc(file: MigrationFile):
    from dbtool.errors import SourceLocation

    return SourceLocation(file.path)


@dataclass
class _Plan:
    """What migrate decided from one read of the history."""

    history: list[AppliedMigration]
    loaded: list[LoadedMigration]
    warnings: list[str]


def _plan(engine: Engine, target: ResolvedTarget, files: list[MigrationFile], opts: MigrateOptions,
          cache: dict[str, LoadedMigration]) -> _Plan:
    """Read the history and decide: refusals, the files to run, and their rules."""
    service = target.service
    history = engine.history()
    states = compute_states(files, history, parked_names(service.migrations, service.ignore))
    refuse_unadopted(engine, files, states, service.name)
    loaded = _load_all(_pending(states, opts), engine.capabilities.splitter, cache)
    _check_rules(engine.capabilities, loaded)
    from dbtool.lint.refusals import check_data_loss

    warnings = check_data_loss(service, files, loaded, allow=opts.allow_data_loss)
    return _Plan(history, loaded, warnings)


@dataclass
class Prepared:
    """A service's files read once for many targets (a fleet): the files in order and the
    split statements of each, shared by every target's run."""

    files: list[MigrationFile]
    cache: dict[str, LoadedMigration]

    @classmethod
    def read(cls, target: ResolvedTarget) -> Prepared:
        service = target.service
        return cls(discover(service.migrations, service.naming, service.ignore)[0], {})


def migrate_target(target: ResolvedTarget, opts: MigrateOptions,
                   listener: Listener | None = None, *, stop: Callable[[], bool] | None = None,
                   prepared: Prepared | None = None) -> ServiceRun:
    """Apply one service's pending migrations to one database. `stop()` true: the file in
    flight finishes, no further file starts (a fleet's Ctrl-C)."""
    if opts.lock_timeout is None:
        opts = replace(opts, lock_timeout=30.0)
    service = target.service
    where = (service.name, target.url.display if target.url else "", target.label)
    if target.skipped or target.url is None:
        return ServiceRun(*where, RunStatus.SKIPPED, skip_reason=target.skip_reason)
    prepared = prepared or Prepared.read(target)
    files, cache = prepared.files, prepared.cache
    engine = open_engine(target.url, service.dialect, history_table=service.history_table,
                         history_schema=service.history_schema, lock_timeout=opts.lock_timeout)
    applied: list[AppliedFile] = []
    prelude = None
    try:
        plan = _plan(engine, target, files, opts, cache)  # without the lock: refuse bad input early
        if not opts.dry_run:
            with engine.lock(opts.lock_timeout):
                if engine.history() != plan.history:  # another run wrote meanwhile: decide again
                    plan = _plan(engine, target, files, opts, cache)
                prelude = _run_prelude(engine, target, opts)
                applied = _apply_all(engine, plan.loaded, opts, service.name, listener, stop)
    finally:
        notes = tuple(engine.notes)
        engine.close()
    status = RunStatus.PLANNED if opts.dry_run else (
        RunStatus.MIGRATED if applied else RunStatus.UP_TO_DATE)
    return ServiceRun(*where, status, tuple(applied),
                      tuple(_planned(m, opts.include_sql) for m in plan.loaded),
                      prelude=prelude, warnings=(*plan.warnings, *notes))


def _planned(migration: LoadedMigration, include_sql: bool) -> PlannedFile:
    return PlannedFile(migration.file.name, len(migration.statements), migration.transactional,
                       tuple(s.sql for s in migration.statements) if include_sql else None)


def migrate(spec: TargetSpec, opts: MigrateOptions, listener: Listener | None = None) -> list[ServiceRun]:
    """Resolve the targets and migrate each service in configuration order.

    Stops at the first failure (the error names the file); services already
    migrated stay migrated.
    """
    resolution = resolve_targets(spec, Use.DATABASE)
    if opts.lock_timeout is None:
        opts = replace(opts, lock_timeout=resolution.lock_timeout)
    return [migrate_target(t, opts, listener) for t in resolution.targets]


def _check_rules(capabilities: Capabilities, loaded: list[LoadedMigration]) -> None:
    """Engine rules (D1's, for example) refuse a file before anything runs."""
    from dbtool.lint.refusals import check_files

    check_files(capabilities, loaded)


def _run_prelude(engine: Engine, target: ResolvedTarget, opts: MigrateOptions) -> str | None:
    """Apply the service's prelude when the target or the options ask for it: its path."""
    prelude = target.service.prelude
    if prelude is None or not (target.prelude or opts.prelude):
        return None
    from dbtool.migrations.naming import Version

    raw = prelude.read_bytes() if prelude.is_file() else None
    if raw is None:
        raise MigrationFileError(f"prelude {prelude} does not exist",
                                 hint="fix 'prelude' in dbtool.toml")
    from dbtool.migrations.files import checksum

    file = MigrationFile(prelude.name, prelude, Version(0, prelude.name), checksum(raw), raw)
    statements = load(file, engine.capabilities.splitter).statements
    engine.run_script(statements, source=str(prelude))
    return str(prelude)


def _apply_all(engine: Engine, loaded: list[LoadedMigration], opts: MigrateOptions, service: str,
               listener: Listener | None, stop: Callable[[], bool] | None = None) -> list[AppliedFile]:
    emit = listener or (lambda _event: None)
    total = len(loaded)
    applied = []
    emit(Progress(ProgressKind.START, service, total=total))
    for index, migration in enumerate(loaded, 1):
        if stop is not None and stop():
            break
        try:
            outcome = engine.apply(migration, lock_timeout=opts.lock_timeout or 0.0)
        except DbtoolError:  # renderers say where the run stopped; the error says why
            emit(Progress(ProgressKind.FAILED, service, migration.file.name, index, total))
            raise
        if outcome.applied:
            applied.append(AppliedFile(outcome.name, round(outcome.duration_ms, 3), outcome.statements))
        kind = ProgressKind.APPLIED if outcome.applied else ProgressKind.SKIPPED
        emit(Progress(kind, service, outcome.name, index, total, outcome.duration_ms))
    emit(Progress(ProgressKind.DONE, service, total=total))
    return applied
