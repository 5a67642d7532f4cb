"""Fleets: `migrate`, `status` and `audit` over many databases of one service.

The targets come from the one resolver (`resolve_targets` with `TargetSpec.fleet`),
and each is worked on exactly as a single command would: `migrate_target`,
`status_target`, `audit_target` — its own run lock, history and refusals. There is no
central state: a re-run reads each target's own history and continues there.

The runner bounds concurrency (`jobs` threads: the work is I/O and SQLite/psycopg
release the GIL; measured faster than processes here, see bench/FINDINGS.md), can
run a canary batch first, takes a stable shard, stops starting targets after the
first failure with `fail_fast`, and on Ctrl-C lets the files in flight finish,
starts nothing new and returns what happened (`FleetReport.stopped`).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, replace

from dbtool.core.migrate import MigrateOptions, Prepared, migrate_target
from dbtool.core.results.fleet import (
    FleetEvent,
    FleetEventKind,
    FleetReport,
    FleetTarget,
    Outcome,
)
from dbtool.core.targets import Resolution, ResolvedTarget, TargetSpec, resolve_targets
from dbtool.errors import ConnectionFailed, DbtoolError, UsageError

FleetListener = Callable[[FleetEvent], None]


@dataclass(frozen=True)
class FleetOptions:
    jobs: int = 4  # targets worked on at once (connections per server are bounded by it)
    canary: int = 0  # run this many targets first; stop when any of them fails
    shard: tuple[int, int] | None = None  # (I, N): the targets whose identity hashes to I
    fail_fast: bool = False  # after the first failed or unreachable target, start no other

    def check(self) -> None:
        if self.jobs < 1:
            raise UsageError(f"--jobs {self.jobs} must be at least 1", hint="e.g. --jobs 8")
        if self.canary < 0:
            raise UsageError(f"--canary {self.canary} must be 0 or more", hint="e.g. --canary 5")


Work = Callable[[ResolvedTarget, Callable[[], bool]], FleetTarget]


# -- the three commands --------------------------------------------------------------------
def migrate_fleet(spec: TargetSpec, opts: MigrateOptions, fleet: FleetOptions,
                  listener: FleetListener | None = None) -> FleetReport:
    """Migrate every target of the fleet; each as a single `migrate` would."""
    resolution, targets = _targets(spec, fleet)
    opts = replace(opts, lock_timeout=opts.lock_timeout or resolution.lock_timeout)
    prepared = Prepared.read(targets[0]) if targets else None
    head = prepared.files[-1].name if prepared and prepared.files else None

    def work(target: ResolvedTarget, stop: Callable[[], bool]) -> FleetTarget:
        return _migrate_one(target, opts, prepared, head, stop)

    return _report("migrate", spec, resolution, targets, fleet, work, listener, head,
                   dry_run=opts.dry_run)


def status_fleet(spec: TargetSpec, fleet: FleetOptions,
                 listener: FleetListener | None = None) -> FleetReport:
    """Each target's migration states, summarised: head versions, laggards, modified and
    missing files. Never writes."""
    from dbtool.core.status import status_target
    from dbtool.migrations.files import discover

    resolution, targets = _targets(spec, fleet)
    service = targets[0].service if targets else None
    prepared = discover(service.migrations, service.naming, service.ignore) if service else None
    head = prepared[0][-1].name if prepared and prepared[0] else None

    def work(target: ResolvedTarget, stop: Callable[[], bool]) -> FleetTarget:
        started = time.perf_counter()
        result = status_target(target, resolution.lock_timeout, prepared=prepared)
        return _from_states(target, result.states, started)

    return _report("status", spec, resolution, targets, fleet, work, listener, head)


def audit_fleet(spec: TargetSpec, fleet: FleetOptions,
                listener: FleetListener | None = None) -> FleetReport:
    """Each target's drift from the snapshot, targets with the same changes grouped."""
    from dbtool.core.schema_ops import audit_target

    resolution, targets = _targets(spec, fleet)
    if any(t.url is not None and t.url.param("schema") for t in targets):
        raise UsageError("audit --fleet compares whole databases; tenant schemas are not "
                         "audited yet (the snapshot names its own schemas)",
                         hint="use status --fleet for tenant schemas, or audit one with --url")
    files = Prepared.read(targets[0]).files if targets else []
    head = files[-1].name if files else None

    def work(target: ResolvedTarget, stop: Callable[[], bool]) -> FleetTarget:
        started = time.perf_counter()
        result = audit_target(target, resolution.project, live=True)
        drift = (*(f"{c.kind.value} {c.describe()}" for c in result.changes),
                 *(f"history {h.migration}: {h.state}" for h in result.history),
                 *(f"security {f.describe()}" for f in result.security))
        behind = [h for h in result.history if str(h.state) == "pending"]
        return FleetTarget(target.label, _shown(target), Outcome.BEHIND if behind else Outcome.AT_HEAD,
                           drift=tuple(drift), pending=len(behind),
                           duration_ms=(time.perf_counter() - started) * 1000)

    return _report("audit", spec, resolution, targets, fleet, work, listener, head)


# -- one target ----------------------------------------------------------------------------
def _migrate_one(target: ResolvedTarget, opts: MigrateOptions, prepared: Prepared | None,
                 head: str | None, stop: Callable[[], bool]) -> FleetTarget:
    """One target's run, its errors kept as its outcome (the others go on)."""
    started = time.perf_counter()
    done: list[str] = []

    def seen(event) -> None:
        if event.kind in ("applied", "skipped"):
            done.append(event.name)

    files = prepared.files if prepared else []
    try:
        run = migrate_target(target, opts, seen, stop=stop, prepared=prepared)
    except DbtoolError as exc:
        return _failed(target, exc, _head_after(files, done, None), started, done)
    planned = [p.name for p in run.planned]
    left = planned if opts.dry_run else [name for name in planned if name not in done]
    at_head = not left and opts.to in (None, head)
    outcome = Outcome.AT_HEAD if at_head else Outcome.BEHIND
    return FleetTarget(target.label, _shown(target), outcome,
                       head=head if outcome is Outcome.AT_HEAD else _head_after(files, done, planned),
                       applied=tuple(a.name for a in run.applied), pending=len(left),
                       duration_ms=(time.perf_counter() - started) * 1000)


def _head_after(files, done: list[str], planned: list[str] | None) -> str | None:
    """The newest file a target holds after its run: the last one this run applied, else
    the one before the first it planned (None: nothing applied, or not known)."""
    if done:
        return done[-1]
    if planned:
        index = _index(files, planned[0])
        return files[index - 1].name if index > 0 else None
    if planned is not None and files:
        return files[-1].name
    return None


def _index(files, name: str | None) -> int:
    return next((i for i, f in enumerate(files) if f.name == name), -1)


def _guarded(work: Work, target: ResolvedTarget, stop: Callable[[], bool]) -> FleetTarget:
    """A bug met on one target is that target's failure, not the end of the fleet run."""
    try:
        return work(target, stop)
    except DbtoolError as exc:
        return _failed(target, exc, None, time.perf_counter(), [])
    except Exception as exc:
        from dbtool.secrets import mask

        return FleetTarget(target.label, _shown(target), Outcome.FAILED,
                           error=mask(f"internal error: {type(exc).__name__}: {exc}"),
                           error_kind="internal")


def _failed(target: ResolvedTarget, exc: DbtoolError, head: str | None, started: float,
            done: list[str]) -> FleetTarget:
    outcome = Outcome.UNREACHABLE if isinstance(exc, ConnectionFailed) else Outcome.FAILED
    return FleetTarget(target.label, _shown(target), outcome, head=head, applied=tuple(done),
                       error=exc.one_line(), error_kind=exc.kind,
                       duration_ms=(time.perf_counter() - started) * 1000)


def _from_states(target: ResolvedTarget, states, started: float) -> FleetTarget:
    applied = [s.name for s in states if s.state.value in ("applied", "modified")]
    pending = [s for s in states if s.state.value in ("pending", "out-of-order")]
    return FleetTarget(
        target.label, _shown(target), Outcome.BEHIND if pending else Outcome.AT_HEAD,
        head=applied[-1] if applied else None, pending=len(pending),
        modified=tuple(s.name for s in states if s.state.value == "modified"),
        missing=tuple(s.name for s in states if s.state.value == "missing"),
        duration_ms=(time.perf_counter() - started) * 1000)


def _shown(target: ResolvedTarget) -> str:
    return target.url.display if target.url else target.label


# -- the runner ----------------------------------------------------------------------------
def _targets(spec: TargetSpec, fleet: FleetOptions) -> tuple[Resolution, list[ResolvedTarget]]:
    from dbtool.core.fleet_spec import shard_of

    fleet.check()
    if spec.fleet is None:
        raise UsageError("no --fleet given", hint="--fleet SPEC or a fleet name from dbtool.toml")
    resolution = resolve_targets(spec)
    targets = list(resolution.targets)
    if fleet.shard is not None:
        index, count = fleet.shard
        targets = [t for t in targets if shard_of(t.label, count) == index]
    return resolution, targets


def _report(command: str, spec: TargetSpec, resolution: Resolution, targets: list[ResolvedTarget],
            fleet: FleetOptions, work: Work, listener: FleetListener | None, head: str | None,
            *, dry_run: bool = False) -> FleetReport:
    from dbtool.secrets import mask

    started = time.perf_counter()
    results, stopped = run_targets(targets, work, fleet, listener)
    service = targets[0].service.name if targets else ""
    return FleetReport(command, service, mask(spec.fleet or ""), head, tuple(results),
                       matched=len(resolution.targets), jobs=fleet.jobs,
                       shard=f"{fleet.shard[0]}/{fleet.shard[1]}" if fleet.shard else None,
                       stopped=stopped, dry_run=dry_run, seconds=time.perf_counter() - started)


def run_targets(targets: list[ResolvedTarget], work: Work, fleet: FleetOptions,
                listener: FleetListener | None = None) -> tuple[list[FleetTarget], str | None]:
    """Work on every target, `jobs` at a time: the canary batch first, then the rest.
    Returns the results in target order and why the run stopped early (or None)."""
    emit = listener or (lambda _e: None)
    emit(FleetEvent(FleetEventKind.START, total=len(targets)))
    runner = _Runner(work, fleet, emit, len(targets))
    canary = targets[:fleet.canary]
    runner.run(enumerate(canary))
    if canary and any(r.outcome in (Outcome.FAILED, Outcome.UNREACHABLE)
                      for r in runner.results.values()) and runner.stopped is None:
        runner.stopped = "canary failed"
    if runner.stopped is None:
        runner.run(enumerate(targets[len(canary):], len(canary)))
    results = [runner.results.get(i) or FleetTarget(t.label, _shown(t), Outcome.NOT_STARTED)
               for i, t in enumerate(targets)]
    return results, runner.stopped


class _Runner:
    """A bounded pool of threads; never more than `jobs` targets submitted at once, so
    a fleet of any size holds `jobs` connections and `jobs` pending futures."""

    def __init__(self, work: Work, fleet: FleetOptions, emit: FleetListener, total: int) -> None:
        self.work, self.fleet, self.emit, self.total = work, fleet, emit, total
        self.results: dict[int, FleetTarget] = {}
        self.stopped: str | None = None
        self._stop = threading.Event()  # start no further target
        self._files_stop = threading.Event()  # start no further file (Ctrl-C)

    def run(self, items: Iterable[tuple[int, ResolvedTarget]]) -> None:
        pending: dict[Future, int] = {}
        source = iter(items)
        with ThreadPoolExecutor(max_workers=self.fleet.jobs, thread_name_prefix="fleet") as pool:
            try:
                self._loop(pool, source, pending)
            except KeyboardInterrupt:
                self._interrupt()
                self._drain(pending)

    def _loop(self, pool: ThreadPoolExecutor, source, pending: dict[Future, int]) -> None:
        while True:
            while not self._stop.is_set() and len(pending) < self.fleet.jobs:
                item = next(source, None)
                if item is None:
                    break
                pending[pool.submit(_guarded, self.work, item[1], self._files_stop.is_set)] = item[0]
            if not pending:
                return
            finished, _ = wait(pending, timeout=0.5, return_when=FIRST_COMPLETED)
            for future in finished:
                self._finish(pending.pop(future), future.result())

    def _finish(self, index: int, result: FleetTarget) -> None:
        self.results[index] = result
        self.emit(FleetEvent(FleetEventKind.DONE, total=self.total, done=len(self.results),
                             result=result))
        if self.fleet.fail_fast and result.outcome in (Outcome.FAILED, Outcome.UNREACHABLE):
            self.stopped = self.stopped or "fail-fast"
            self._stop.set()

    def _interrupt(self) -> None:
        self.stopped = "interrupted"
        self._stop.set()
        self._files_stop.set()

    def _drain(self, pending: dict[Future, int]) -> None:
        """After Ctrl-C: the files in flight finish (a second Ctrl-C is not caught here)."""
        for future, index in list(pending.items()):
            self._finish(index, future.result())
