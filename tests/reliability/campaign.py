"""One engine's whole fault campaign, and several engines' campaigns side by side.

Per engine (one database, so its steps run in order): a kill at every injected
point, a campaign of injected and random kills, rounds of 8 racing writers,
and rounds of readers beside a slowed writer. Engines are independent, so they
run in parallel threads (each step is a handful of `dbtool` processes): that is
what keeps the CI subset within a few minutes on two cores.
"""

from __future__ import annotations

import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from tests.reliability.crash import CrashStats, crash_campaign, crash_once, point_kill
from tests.reliability.races import (
    RaceStats,
    prefix_audits,
    race_round,
    reader_round,
    write_project,
)
from tests.reliability.workload import make_target, prefix_states

POINTS = ("before-file", "inside-file", "after-statements", "after-history", "after-commit",
          "while-locked")


@dataclass(frozen=True)
class Sizes:
    """How much of each step to run (the CI subset and the harness differ only here)."""

    rows: int
    kills: int  # campaign kills, on top of one kill per injected point
    writer_rounds: int
    reader_rounds: int
    processes: int = 8
    inline_rerun: bool = False  # re-run through the library (CI) or a new process (harness)


@dataclass
class EngineReport:
    engine: str
    points: dict[str, tuple[int, CrashStats]] = field(default_factory=dict)  # point -> (expected, stats)
    crashes: CrashStats | None = None
    writers: RaceStats | None = None
    readers: RaceStats | None = None
    distinct_audits: int = 0  # different `audit` reports over the prefixes (should be files + 1)
    files: int = 0

    def totals(self) -> CrashStats:
        """Point kills and campaign kills together."""
        total = CrashStats(self.engine)
        for stats in [s for _, s in self.points.values()] + [self.crashes or CrashStats(self.engine)]:
            total.kills += stats.kills
            total.partial += stats.partial
            total.reruns_ok += stats.reruns_ok
            total.finished_first += stats.finished_first
            total.hot_journals += stats.hot_journals
            total.max_lock_wait = max(total.max_lock_wait, stats.max_lock_wait)
            total.landed.update(stats.landed)
            total.failures += stats.failures
        return total


def run_engine(engine: str, root: Path, sizes: Sizes, seed: int = 2024) -> EngineReport:
    target = make_target(engine, root, sizes.rows)
    report = EngineReport(engine, files=len(target.names))
    try:
        prefixes = prefix_states(target)
        for point in POINTS:
            kill, expected = point_kill(target, point, file_no=3)  # the bulk file
            stats = CrashStats(engine)
            crash_once(target, prefixes, kill, stats, inline_rerun=sizes.inline_rerun)
            report.points[point] = (expected, stats)
        report.crashes = crash_campaign(target, prefixes, sizes.kills, seed,
                                        inline_rerun=sizes.inline_rerun)
        report.writers = RaceStats(engine)
        for _ in range(sizes.writer_rounds):
            race_round(target, prefixes, report.writers, sizes.processes)
        config = write_project(target)
        audits = prefix_audits(target, config)
        report.distinct_audits = len(set(audits))
        report.readers = RaceStats(engine)
        for _ in range(sizes.reader_rounds):
            reader_round(target, config, audits, report.readers)
    finally:
        target.close()
    return report


def run_all(engines: list[str], sizes: dict[str, Sizes], jobs: int = 3,
            workdir: Path | None = None) -> dict[str, EngineReport]:
    """Every engine's campaign, `jobs` engines at a time; a crash of the harness itself
    propagates (it is not a finding about dbtool)."""
    base = workdir or Path(tempfile.mkdtemp(prefix="dbtool-faults-"))
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        futures = {e: pool.submit(run_engine, e, base / e, sizes[e]) for e in engines}
        return {engine: future.result() for engine, future in futures.items()}
