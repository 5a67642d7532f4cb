"""Kill `dbtool migrate` (a real process) with SIGKILL and check what it left behind.

Two kinds of kill: at an injected point (`DBTOOL_FAULT=POINT@N:kill`, see
`dbtool.faults`), which reaches the instants a timer rarely hits, and after a
random delay, which reaches everything else (startup, connecting, mid-statement).
After each kill: the database is exactly the state after some whole prefix of
files, the history names exactly that prefix, nothing still holds the lock or
leaves a blocking file, and a re-run that is not allowed to wait finishes the set.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import time
from collections import Counter
from dataclasses import dataclass, field

from tests.reliability.workload import State, Target, migrate_cmd, read_state, run, whole_prefix
from tests.zygote import dbtool_popen

FILE_POINTS = ("before-file", "after-statements", "after-history", "after-commit")


@dataclass(frozen=True)
class Kill:
    """Where to kill: an injected `point` (its `hit`-th occurrence) or after `delay` seconds."""

    point: str | None = None
    hit: int = 1
    delay: float | None = None

    @property
    def label(self) -> str:
        return f"{self.point}@{self.hit}" if self.point else f"after {self.delay:.3f}s"


@dataclass
class CrashStats:
    engine: str
    kills: int = 0  # SIGKILLs that landed while dbtool was running
    partial: int = 0  # states after a kill that were not a whole prefix (must stay 0)
    reruns_ok: int = 0  # re-runs (no waiting allowed) that finished the set
    finished_first: int = 0  # random delays longer than the run: not counted as kills
    hot_journals: int = 0  # kills that left a SQLite hot journal for the next opener
    max_lock_wait: float = 0.0  # seconds until a killed Postgres session let go
    landed: Counter[int] = field(default_factory=Counter)  # prefix length -> kills
    failures: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, object]:
        return {"engine": self.engine, "kills": self.kills, "partial_states": self.partial,
                "reruns_completed": self.reruns_ok, "finished_before_kill": self.finished_first,
                "hot_journals": self.hot_journals, "max_lock_release_s": round(self.max_lock_wait, 3),
                "prefixes_hit": dict(sorted(self.landed.items())), "failures": self.failures}


def hit_counts(target: Target) -> dict[str, int]:
    """How often each fault point fires during one full run of the target's set."""
    from dbtool.migrations.files import discover, load

    files, _ = discover(target.folder)
    splitter = "postgres" if target.dialect == "postgres" else "sqlite"
    statements = [len(load(f, splitter).statements) for f in files]
    counts = {point: len(files) for point in FILE_POINTS}
    counts["inside-file"] = sum(n - 1 for n in statements)
    counts["while-locked"] = 1 if target.dialect == "postgres" else len(files)
    return counts


def plan(target: Target, kills: int, full_run: float, rng: random.Random) -> list[Kill]:
    """Half injected points (every point and hit, shuffled, cycled), half random delays."""
    combos = [Kill(point, hit) for point, n in hit_counts(target).items() for hit in range(1, n + 1)]
    rng.shuffle(combos)
    injected = [combos[i % len(combos)] for i in range((kills + 1) // 2)]
    timed = [Kill(delay=rng.uniform(0.02, full_run)) for _ in range(kills // 2)]
    out = injected + timed
    rng.shuffle(out)
    return out


def full_run_seconds(target: Target) -> float:
    """Wall time of one uninterrupted run (process start included) on this machine."""
    target.reset()
    started = time.monotonic()
    proc = run(migrate_cmd(target))
    elapsed = time.monotonic() - started
    if proc.returncode != 0:
        raise AssertionError(f"the workload does not migrate cleanly: {proc.stderr}")
    target.reset()
    return elapsed


def _killed_run(target: Target, kill: Kill) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if k != "DBTOOL_FAULT"}
    if kill.point:
        env["DBTOOL_FAULT"] = f"{kill.point}@{kill.hit}:kill"
    proc = dbtool_popen(migrate_cmd(target, "--lock-timeout", "5"), env=env, text=True,
                        stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if kill.delay is not None:
        try:
            proc.wait(timeout=kill.delay)
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=120)
    return proc


def crash_once(target: Target, prefixes: list[State], kill: Kill, stats: CrashStats, *,
               inline_rerun: bool = False) -> bool:
    """One kill and its checks; returns False when the run ended before the kill landed.

    `inline_rerun` runs the re-run through dbtool's library in this process (the
    same code as the CLI, minus a process start) to keep the CI subset quick.
    """
    target.reset()
    proc = _killed_run(target, kill)
    if proc.returncode != -signal.SIGKILL:
        if kill.point:  # an injected point that never fired is a harness bug, not luck
            stats.failures.append(f"{kill.label}: exit {proc.returncode} without being killed")
        else:
            stats.finished_first += 1
        return False
    stats.kills += 1
    stats.hot_journals += bool(target.leftovers())
    try:
        # A killed Postgres client's session may still be finishing its COMMIT or
        # ROLLBACK; read what the next run would see: the state once that session ended.
        stats.max_lock_wait = max(stats.max_lock_wait, target.lock_free())
    except Exception as exc:  # a session or lock the kill left behind
        stats.failures.append(f"{kill.label}: {exc}")
        return True
    try:
        stats.landed[whole_prefix(read_state(target), prefixes, target.names)] += 1
    except AssertionError as exc:
        stats.partial += 1
        stats.failures.append(f"{kill.label}: {exc}")
        return True
    except Exception as exc:  # dbtool could not even read what the kill left
        stats.failures.append(f"{kill.label}: reading after the kill failed: {exc}")
        return True
    _check_rerun(target, prefixes, kill, stats, inline_rerun)
    return True


def _rerun(target: Target, inline: bool) -> tuple[int, str]:
    """Run the whole set again, allowed to wait 0 s for a lock: (exit code, stderr)."""
    if not inline:
        proc = run(migrate_cmd(target, "--lock-timeout", "0"))
        return proc.returncode, proc.stderr.strip()
    from dbtool.core.migrate import MigrateOptions, migrate
    from dbtool.core.targets import TargetSpec
    from dbtool.errors import DbtoolError

    try:
        migrate(TargetSpec(dir=target.folder, url=target.url), MigrateOptions(lock_timeout=0))
    except DbtoolError as exc:
        return int(exc.exit_code), exc.one_line()
    return 0, ""


def _check_rerun(target: Target, prefixes: list[State], kill: Kill, stats: CrashStats,
                 inline: bool) -> None:
    left = target.leftovers()
    if left:  # a file the kill left behind that would block the next run
        stats.failures.append(f"{kill.label}: left behind after recovery: {left}")
        return
    code, err = _rerun(target, inline)
    if code != 0:
        stats.failures.append(f"{kill.label}: re-run exit {code}: {err}")
        return
    final = read_state(target)
    if final != prefixes[-1]:
        stats.failures.append(f"{kill.label}: re-run did not reach the full set")
        return
    stats.reruns_ok += 1


def crash_campaign(target: Target, prefixes: list[State], kills: int, seed: int = 8, *,
                   inline_rerun: bool = False) -> CrashStats:
    """`kills` SIGKILLs that land (a random delay that outlives the run is retried)."""
    rng = random.Random(seed)
    stats = CrashStats(target.engine)
    full = full_run_seconds(target)
    queue = plan(target, kills, full, rng)
    attempts = 0
    while stats.kills < kills and attempts < kills * 4:
        kill = queue[attempts % len(queue)] if attempts < len(queue) else Kill(
            delay=rng.uniform(0.02, full * 0.9))
        attempts += 1
        crash_once(target, prefixes, kill, stats, inline_rerun=inline_rerun)
    return stats


def point_kill(target: Target, point: str, file_no: int) -> tuple[Kill, int]:
    """A kill at `point` while file number `file_no` (1-based) runs, and the prefix it
    must leave: the file is there only if the kill came after its COMMIT."""
    from dbtool.migrations.files import discover, load

    if point == "while-locked" and target.dialect == "postgres":
        return Kill(point, 1), 0  # one advisory lock for the whole run, taken first
    if point == "inside-file":
        files, _ = discover(target.folder)
        splitter = "postgres" if target.dialect == "postgres" else "sqlite"
        before = sum(len(load(f, splitter).statements) - 1 for f in files[: file_no - 1])
        return Kill(point, before + 1), file_no - 1
    return Kill(point, file_no), file_no if point == "after-commit" else file_no - 1
