"""SIGKILL `dbtool migrate --fleet` at random moments, many times (a generated family).

Each round builds a fleet of SQLite tenants at random starting versions, starts a
fleet run with several jobs and kills it — after a random delay or at a random hit of
an injected fault point (`DBTOOL_FAULT`). Then: every tenant holds a whole prefix of
the files (its tables, rows and history say the same prefix), and a re-run brings all
of them to head. Overlapping runs — two shards and a whole-fleet run at once, one of
them killed — never apply a file twice: each file's row is inserted exactly once.

The seed is printed on failure: `FLEET_KILL_SEED=N pytest …` replays a campaign.
"""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from tests.fleet.support import write_migrations
from tests.zygote import dbtool_popen, dbtool_run

FILES = 8
TENANTS = 6
ROUNDS = int(os.environ.get("FLEET_KILL_ROUNDS", "12"))
POINTS = ("before-file", "inside-file", "after-statements", "after-history", "after-commit")


def _seed() -> int:
    return int(os.environ.get("FLEET_KILL_SEED") or random.SystemRandom().randrange(2**32))


def _cmd(folder: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "dbtool", "migrate", "--dir", str(folder / "migrations"),
            "--fleet", f"sqlite:///{folder}/tenants/*.db", "--format", "json", *extra]


def _prefix(path: Path) -> int:
    """The length of the whole prefix the tenant holds; fails when it holds anything else."""
    with sqlite3.connect(path) as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        history = ([r[0] for r in conn.execute("SELECT name FROM dbtool_migrations ORDER BY name")]
                   if "dbtool_migrations" in tables else [])
        steps = sorted(int(t[4:]) for t in tables if t.startswith("step"))
        rows = [conn.execute(f"SELECT count(*) FROM step{n}").fetchone()[0] for n in steps]
    count = len(history)
    assert history == [f"{i:03d}_step{i}.sql" for i in range(1, count + 1)], f"{path.name}: {history}"
    assert steps == list(range(1, count + 1)), f"{path.name}: tables {steps} vs history {history}"
    assert rows == [1] * count, f"{path.name}: a file's row was inserted {rows}"
    return count


def _fleet(folder: Path, rng: random.Random) -> None:
    write_migrations(folder / "migrations", FILES)
    tenants = folder / "tenants"
    tenants.mkdir()
    for i in range(TENANTS):
        path = tenants / f"t{i}.db"
        sqlite3.connect(path).close()
        start = rng.randrange(0, FILES)
        if start:
            done = dbtool_run([sys.executable, "-m", "dbtool", "migrate", "--dir",
                                   str(folder / "migrations"), "--url", f"sqlite:///{path}",
                                   "--to", f"{start:03d}_step{start}.sql"], capture_output=True)
            assert done.returncode == 0, done.stderr


def _full_run_seconds(folder: Path) -> float:
    """How long a whole run of a fleet from empty takes here, started as the kills are: the
    delays are drawn inside it (a fixed range missed the run once processes started faster)."""
    write_migrations(folder / "migrations", FILES)
    (folder / "tenants").mkdir()
    for i in range(TENANTS):
        sqlite3.connect(folder / "tenants" / f"t{i}.db").close()
    return _whole_run_seconds(_cmd(folder))


def _whole_run_seconds(cmd: list[str]) -> float:
    """Seconds of one uninterrupted run of `cmd` (two jobs), started as the kills start theirs."""
    started = time.monotonic()
    done = dbtool_run([*cmd, "--jobs", "2"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return time.monotonic() - started


def _kill_run(cmd: list[str], rng: random.Random, full: float) -> tuple[str, int | None]:
    """Start a fleet run and SIGKILL it: (how, exit code if it finished first)."""
    env = dict(os.environ)
    if rng.random() < 0.5:
        point, hit = rng.choice(POINTS), rng.randint(1, TENANTS * 3)
        env["DBTOOL_FAULT"] = f"{point}@{hit}:kill"
        proc = dbtool_run(cmd, env=env, capture_output=True, timeout=120)
        return f"{point}@{hit}", proc.returncode
    delay = rng.uniform(0.02, 0.5) * full  # rounds start part-way: their runs are shorter
    proc = dbtool_popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(delay)
    proc.send_signal(signal.SIGKILL)
    return f"after {delay:.2f}s", proc.wait()


def test_sigkill_during_fleet_runs_leaves_whole_prefixes_and_rerun_completes(tmp_path: Path) -> None:
    seed = _seed()
    rng = random.Random(seed)
    killed = 0
    full = _full_run_seconds(tmp_path / "calibrate")
    for round_ in range(ROUNDS):
        folder = tmp_path / f"r{round_}"
        _fleet(folder, rng)
        how, code = _kill_run(_cmd(folder, "--jobs", str(rng.randint(1, 4))), rng, full)
        killed += code == -signal.SIGKILL
        try:
            for path in sorted((folder / "tenants").glob("*.db")):
                _prefix(path)
            rerun = dbtool_run(_cmd(folder, "--lock-timeout", "5"), capture_output=True, text=True)
            assert rerun.returncode == 0, rerun.stderr
            report = json.loads(rerun.stdout)
            assert report["counts"]["at-head"] == TENANTS
            assert all(_prefix(p) == FILES for p in (folder / "tenants").glob("*.db"))
        except AssertionError as exc:
            raise AssertionError(f"seed {seed}, round {round_} (killed {how}): {exc}") from None
    assert killed >= ROUNDS // 3, (
        f"seed {seed}: only {killed} of {ROUNDS} runs were killed (a whole run took {full:.2f} s)")


def test_overlapping_shards_and_runs_never_apply_a_file_twice(tmp_path: Path) -> None:
    seed = _seed()
    rng = random.Random(seed)
    full = _full_run_seconds(tmp_path / "calibrate")
    for round_ in range(max(3, ROUNDS // 3)):
        folder = tmp_path / f"o{round_}"
        _fleet(folder, rng)
        runs = [_cmd(folder, "--shard", "1/2", "-j", "2"), _cmd(folder, "--shard", "2/2", "-j", "2"),
                _cmd(folder, "-j", "3"), _cmd(folder, "-j", "1")]
        procs = [dbtool_popen(c, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for c in runs]
        victim = rng.randrange(len(procs))
        time.sleep(rng.uniform(0.02, 0.6) * full)  # while the runs overlap
        procs[victim].send_signal(signal.SIGKILL)
        for proc in procs:
            proc.wait(timeout=120)
        try:
            for path in (folder / "tenants").glob("*.db"):
                _prefix(path)  # every row once: no file ran twice
            final = dbtool_run(_cmd(folder), capture_output=True, text=True)
            assert final.returncode == 0, final.stderr
            assert all(_prefix(p) == FILES for p in (folder / "tenants").glob("*.db"))
        except AssertionError as exc:
            raise AssertionError(f"seed {seed}, round {round_} (killed run {victim}): {exc}") from None


def test_ctrl_c_finishes_the_files_in_flight_starts_nothing_new_and_reports(tmp_path: Path) -> None:
    rng = random.Random(7)
    _fleet(tmp_path, rng)
    env = {**os.environ, "DBTOOL_FAULT": "before-file:sleep=0.3"}  # slow files: time to interrupt
    # a pytest-xdist worker ignores SIGINT, and an ignored signal stays ignored across exec:
    # give the child the default disposition, as a shell would, so Ctrl-C reaches dbtool
    proc = dbtool_popen(_cmd(tmp_path, "-j", "2"), env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    time.sleep(1.5)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    report = json.loads(out)
    assert report["stopped"] == "interrupted"
    outcomes = {t["identity"]: t["outcome"] for t in report["targets"]}
    assert "not-started" in outcomes.values()  # nothing new was started after Ctrl-C
    for path in (tmp_path / "tenants").glob("*.db"):
        _prefix(path)  # the files in flight finished (or never began): whole prefixes
    rerun = dbtool_run(_cmd(tmp_path), capture_output=True, text=True)
    assert rerun.returncode == 0 and json.loads(rerun.stdout)["counts"]["at-head"] == TENANTS


def _schema_prefix(url: str, schema: str) -> int:
    """The whole prefix a tenant schema holds (tables, rows and history agree)."""
    import psycopg

    with psycopg.connect(url) as conn:
        tables = {r[0] for r in conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s", (schema,))}
        history = ([r[0] for r in conn.execute(f"SELECT name FROM {schema}.dbtool_migrations ORDER BY name")]
                   if "dbtool_migrations" in tables else [])
        steps = sorted(int(t[4:]) for t in tables if t.startswith("step"))
        rows = [conn.execute(f"SELECT count(*) FROM {schema}.step{n}").fetchone()[0] for n in steps]
    count = len(history)
    assert history == [f"{i:03d}_step{i}.sql" for i in range(1, count + 1)], f"{schema}: {history}"
    assert steps == list(range(1, count + 1)), f"{schema}: tables {steps} vs history {history}"
    assert rows == [1] * count, f"{schema}: rows {rows}"
    return count


def test_sigkill_during_a_tenant_schema_fleet_run_leaves_whole_prefixes(pg_url: str, tmp_path: Path) -> None:
    """The same family on Postgres tenant schemas, where files go in one pipeline each."""
    import psycopg

    seed = _seed()
    rng = random.Random(seed)
    write_migrations(tmp_path / "migrations", FILES)
    cmd = [sys.executable, "-m", "dbtool", "migrate", "--dir", str(tmp_path / "migrations"),
           "--fleet", f"{pg_url}?schema=tenant_*", "--format", "json"]

    def fresh_tenants() -> None:
        with psycopg.connect(pg_url, autocommit=True) as conn:
            for i in range(4):
                conn.execute(f"DROP SCHEMA IF EXISTS tenant_{i} CASCADE")
                conn.execute(f"CREATE SCHEMA tenant_{i}")

    fresh_tenants()
    full = _whole_run_seconds(cmd)  # the kill delays are drawn inside a whole run
    for round_ in range(max(4, ROUNDS // 2)):
        fresh_tenants()
        how, _code = _kill_run([*cmd, "-j", str(rng.randint(1, 4))], rng, full)
        try:
            for i in range(4):
                _schema_prefix(pg_url, f"tenant_{i}")
            rerun = dbtool_run([*cmd, "--lock-timeout", "10"], capture_output=True, text=True)
            assert rerun.returncode == 0, rerun.stderr + rerun.stdout[-2000:]
            assert all(_schema_prefix(pg_url, f"tenant_{i}") == FILES for i in range(4))
        except AssertionError as exc:
            raise AssertionError(f"seed {seed}, round {round_} (killed {how}): {exc}") from None
