"""Shared plumbing of the history commands (adopt, baseline, mark, repair, rollback).

Each command works on one service and one database, decides everything it
will write before it writes, and reports in one result shape, so the CLI can
render a dry run and a real run the same way. Writes go through the engine's
history methods: one transaction (one request on D1) with its audit rows.

Every decision that depends on the history is taken under the run lock the
writes hold (open → lock → read → decide → write → release): a command plans
once without the lock (what a dry run shows, and what `mark` and `repair`
ask the user to confirm), then plans again under the lock, and writes only
what that second plan says. When the history changed in between so that the
confirmed plan no longer holds, nothing is written and the command says so
(`changed_meanwhile`). Remote D1 has no lock: each request re-checks the rows
it depends on (see dbtool.engines.history_d1_remote).
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from dbtool.config import Project, Service
from dbtool.core.results.history import HistoryAction, HistoryItem, HistoryResult, UncomparedCounts
from dbtool.core.targets import ResolvedTarget, TargetSpec, Use, resolve_targets
from dbtool.engines import open_engine
from dbtool.engines.base import Engine
from dbtool.errors import ConfigError, HistoryConflict, UsageError
from dbtool.migrations.files import MigrationFile, decode, discover, is_parked

if TYPE_CHECKING:
    from dbtool.diff import Change

__all__ = ["Confirm", "HistoryAction", "HistoryItem", "HistoryPlan", "HistoryResult", "Opened",
           "always", "confirmed", "opened"]

DIFF_LINES = 200  # a repair diff longer than this is cut, with a note


@dataclass
class HistoryPlan:
    """A history command's result while it is being decided (one per read of the history);
    `result()` is what the command returns."""

    command: str
    service: str
    target: str
    label: str
    dry_run: bool = False
    written: bool = False
    items: list[HistoryItem] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # reported, not written: exit 1
    warnings: list[str] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)  # baseline's drift
    refused: str | None = None  # why nothing was written: exit 1
    forced: bool = False
    message: str = ""  # a one-line summary when there is nothing to list
    not_compared: list[UncomparedCounts] = field(default_factory=list)  # baseline

    @property
    def writes(self) -> list[HistoryItem]:
        return [i for i in self.items if i.action is not HistoryAction.SKIP]

    def result(self) -> HistoryResult:
        return HistoryResult(self.command, self.service, self.target, self.label, self.dry_run,
                             self.written, tuple(self.items), tuple(self.problems),
                             tuple(self.warnings), tuple(self.changes), self.refused, self.forced,
                             self.message, tuple(self.not_compared))


Confirm = Callable[[HistoryResult], bool]


def always(_result: HistoryResult) -> bool:
    """The confirmation of `--yes` (and of library callers that decided already)."""
    return True


@dataclass(frozen=True)
class Opened:
    """One service's resolved target and its open engine."""

    target: ResolvedTarget
    project: Project | None
    engine: Engine
    files: list[MigrationFile]

    @property
    def service(self) -> Service:
        return self.target.service

    @property
    def lock_timeout(self) -> float:
        return self.project.lock_timeout if self.project else 30.0

    def plan(self, command: str, *, dry_run: bool = False) -> HistoryPlan:
        url = self.target.url
        return HistoryPlan(command, self.service.name, url.display if url else "",
                           self.target.label, dry_run=dry_run)


@contextmanager
def opened(spec: TargetSpec) -> Iterator[Opened]:
    """Resolve exactly one service's database and open it; the engine is always closed."""
    if spec.all or len(spec.services) > 1:
        raise UsageError("history commands change one service's database at a time",
                         hint="name one service (or use --dir DIR --url URL)")
    resolution = resolve_targets(spec, Use.DATABASE)
    target = resolution.targets[0]
    service = target.service
    if target.skipped or target.url is None:
        raise ConfigError(f"{service.name}: {target.skip_reason}", hint="pass --url or --target")
    files, _ = discover(service.migrations, service.naming, service.ignore)
    engine = open_engine(target.url, service.dialect, history_table=service.history_table,
                         history_schema=service.history_schema, lock_timeout=resolution.lock_timeout)
    try:
        yield Opened(target, resolution.project, engine, files)
    finally:
        engine.close()


def confirmed(planned: HistoryPlan, fresh: HistoryPlan) -> HistoryPlan:
    """The plan to write, decided again under the lock (`fresh`) against the one shown
    and confirmed (`planned`): the same plan goes ahead, a plan with nothing left to
    write (another run did it meanwhile) is reported as such, any other change refuses."""
    if not fresh.writes:
        return fresh
    if fresh.items == planned.items:
        return planned
    raise changed_meanwhile(planned.command, planned.service)


def changed_meanwhile(command: str, service: str) -> HistoryConflict:
    return HistoryConflict(
        f"{service}: the history changed while `{command}` was waiting for the lock, and the "
        "confirmed plan no longer holds; nothing was written",
        hint=f"look at `dbtool status {service}` and run `dbtool {command}` again")


def find_file(files: list[MigrationFile], name: str) -> MigrationFile:
    """The migration file called `name`, or a usage error listing where to look."""
    for file in files:
        if file.name == name:
            return file
    if is_parked(name):
        raise UsageError(f"{name} is parked (its name starts with _), so it is never applied",
                         hint="rename it without the leading _ to make it a migration")
    raise UsageError(f"{name!r} names no migration file of this service",
                     hint="give a file name as `dbtool status` lists it")


def up_to(files: list[MigrationFile], name: str) -> list[MigrationFile]:
    """Every file up to and including `name`, in order (the same rule as migrate --to)."""
    limit = find_file(files, name).version
    return [f for f in files if f.version <= limit]


def text_of(file: MigrationFile) -> str | None:
    try:
        return decode(file)
    except Exception:  # an unreadable file has no text to show
        return None


def line_diff(old: str | None, new: str | None, name: str) -> list[str]:
    """A unified line diff from the applied text to the file as it is now."""
    if old is None or new is None:
        return []
    lines = list(difflib.unified_diff(old.splitlines(), new.splitlines(),
                                      f"{name} (applied)", f"{name} (now)", lineterm=""))
    if len(lines) > DIFF_LINES:
        lines = [*lines[:DIFF_LINES], f"... {len(lines) - DIFF_LINES} more line(s)"]
    return lines
