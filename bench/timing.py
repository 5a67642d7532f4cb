"""Alternating, fresh-state timing of command lines.

Every round runs each case once, in a rotated order, so background load
(other jobs on a 2-core machine) hits dbtool and its peers alike. Each run gets
fresh state from the case's `fresh` context manager (a new SQLite file, a new
Postgres database that is always dropped); only the commands themselves are
timed. Round 0 is a warm-up. A case whose warm-up already takes long gets fewer
runs (its time budget), and a long warm-up counts as a run: the cold-cache
effect it guards against is small next to seconds of work.
"""

from __future__ import annotations

import statistics
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.peers import clean_env

LONG_RUN = 5.0  # seconds: a warm-up this long is kept as a measured run


@dataclass(frozen=True)
class Cmd:
    """One process to run; `stdin` is a file fed to it (`sqlite3 db < all.sql`)."""

    argv: tuple[str, ...]
    cwd: Path | None = None
    env: dict[str, str] | None = None
    stdin: Path | None = None
    ok_codes: tuple[int, ...] = (0,)  # `dbtool check` exits 1 when it finds problems


class CaseFailed(Exception):
    """A command exited non-zero or its result failed verification."""


@contextmanager
def no_state() -> Iterator[None]:
    yield None


@dataclass
class Case:
    """One row of a workload table: a tool, and how to run it on fresh state."""

    tool: str
    label: str
    commands: Callable[[Any], list[Cmd]] = lambda _state: []
    fresh: Callable[[], AbstractContextManager[Any]] = no_state
    verify: Callable[[Any, str], None] | None = None  # raises CaseFailed when wrong
    subject: bool = False  # a dbtool row (the others are peers, floors, baselines)
    max_runs: int | None = None  # e.g. wrangler: 1
    warmup: bool = True
    reason: str | None = None  # not measured, and why
    inner: Callable[[str], float] | None = None  # seconds reported by the process itself
    against: str | None = None  # the row (label) this one's ratio is taken against


@dataclass
class Row:
    """The measured result of one case (or why it was not measured)."""

    tool: str
    label: str
    subject: bool = False
    times: list[float] = field(default_factory=list)
    inner: list[float] = field(default_factory=list)
    reason: str | None = None
    against: str | None = None
    case: Case | None = field(default=None, repr=False, compare=False)  # kept for profiling

    @property
    def median(self) -> float | None:
        return statistics.median(self.times) if self.times else None

    @property
    def low(self) -> float | None:
        return min(self.times) if self.times else None

    @property
    def high(self) -> float | None:
        return max(self.times) if self.times else None

    def to_dict(self) -> dict[str, Any]:
        return {"tool": self.tool, "command": self.label, "dbtool": self.subject,
                "median_s": self.median, "min_s": self.low, "max_s": self.high,
                "runs": len(self.times), "times_s": [round(t, 4) for t in self.times],
                "in_process_median_s": statistics.median(self.inner) if self.inner else None,
                "not_measured": self.reason, "against": self.against}


def run_commands(cmds: list[Cmd]) -> tuple[float, str]:
    """Run the commands in order; the elapsed wall time and the last one's stdout."""
    out = ""
    started = time.perf_counter()
    for cmd in cmds:
        out = _run_one(cmd)
    return time.perf_counter() - started, out


def _run_one(cmd: Cmd) -> str:
    env = clean_env()
    env.update(cmd.env or {})
    stdin = cmd.stdin.open("rb") if cmd.stdin else subprocess.DEVNULL
    try:
        proc = subprocess.run(cmd.argv, cwd=cmd.cwd, env=env, stdin=stdin,
                              capture_output=True, timeout=1800)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise CaseFailed(f"{cmd.argv[0]}: {exc}") from exc
    finally:
        if cmd.stdin:
            stdin.close()  # type: ignore[union-attr]
    if proc.returncode not in cmd.ok_codes:
        text = (proc.stderr or proc.stdout).decode(errors="replace").strip().splitlines()
        raise CaseFailed(f"exit {proc.returncode}: {(text or ['no output'])[-1][:200]}")
    return proc.stdout.decode(errors="replace")


def _one_run(case: Case) -> tuple[float, float | None]:
    with case.fresh() as state:
        elapsed, out = run_commands(case.commands(state))
        if case.verify is not None:
            case.verify(state, out)
    return elapsed, (case.inner(out) if case.inner else None)


@dataclass
class _Plan:
    case: Case
    row: Row
    wanted: int
    done: bool = False


def measure(cases: list[Case], runs: int, *, budget: float, warmup: bool = True,
            log: Callable[[str], None] = lambda _m: None) -> list[Row]:
    """Time every case `runs` times (fewer if over `budget` seconds), alternating."""
    plans = [_Plan(c, Row(c.tool, c.label, c.subject, reason=c.reason, against=c.against, case=c),
                   min(runs, c.max_runs or runs)) for c in cases]
    active = [p for p in plans if p.case.reason is None]
    for round_no in range(runs + 1):
        todo = [p for p in active if not p.done]
        if not todo:
            break
        shift = round_no % len(todo)
        for plan in todo[shift:] + todo[:shift]:
            _step(plan, round_no, warmup, budget, log)
    return [p.row for p in plans]


def _step(plan: _Plan, round_no: int, warmup: bool, budget: float,
          log: Callable[[str], None]) -> None:
    case, row = plan.case, plan.row
    warming = round_no == 0 and warmup and case.warmup
    try:
        elapsed, inner = _one_run(case)
    except CaseFailed as exc:
        row.reason, row.times, plan.done = f"failed: {exc}", [], True
        log(f"    {case.label}: {row.reason}")
        return
    log(f"    {case.label}: {elapsed:.3f} s{' (warm-up)' if warming else ''}")
    if round_no == 0:  # the first run sizes the case against its budget
        plan.wanted = max(1, min(plan.wanted, int(budget // max(elapsed, 1e-3))))
    if warming and elapsed < LONG_RUN:
        return
    row.times.append(elapsed)
    if inner is not None:
        row.inner.append(inner)
    plan.done = len(row.times) >= plan.wanted
